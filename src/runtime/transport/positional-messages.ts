/**
 * The four messages of every get and put — replicaRead, replicaWrite and their replies — go on
 * the wire as msgpack arrays: a small tag, then the fields in a fixed order (an absent optional
 * field as nil). A map writes and reads every field's name in every message; the array does
 * not, which measured ~1.3 µs less per request and reply pair (encode and decode). Every other
 * kind is rare and goes as a map, its names making it easy to read and to change.
 *
 * The layouts are part of the peer protocol (core/messages.ts `protocolVersion`): an array must
 * have exactly its layout's length, so any change to a layout — a field added, moved or given
 * another meaning — bumps the version.
 * What arrives is checked after it is turned back into a map (peer-message-check.ts): an array
 * with an unknown tag or of the wrong length comes back as itself, which the check refuses.
 */
type Fields = Record<string, unknown>;

/** nil on the wire for an absent optional field (and absent again on arrival: `withPresent`). */
const absent = (value: unknown): unknown => value ?? null;

const tags = { replicaRead: 1, replicaReadReply: 2, replicaWrite: 3, replicaWriteReply: 4 } as const;
type PositionalKind = keyof typeof tags;

/** Each layout's array length, tag included. */
const lengths: Record<number, number> = { [tags.replicaRead]: 7, [tags.replicaReadReply]: 5, [tags.replicaWrite]: 9, [tags.replicaWriteReply]: 3 };

export function isPositional(kind: string): kind is PositionalKind {
  return Object.hasOwn(tags, kind);
}

/**
 * `message` as an array, with `object` (the encoding of its object, or null) in the object's
 * place. The fields of each kind are named once here, in their order on the wire.
 */
export function toPositional(message: Fields, object: Uint8Array | null): unknown[] {
  const m = message;
  switch (m.kind as PositionalKind) {
    case 'replicaRead':
      return [tags.replicaRead, m.opId, m.partition, m.bucket, m.key, absent(m.withHints), absent(m.epoch)];
    case 'replicaReadReply':
      return [tags.replicaReadReply, m.opId, object, m.stamp, absent(m.error)];
    case 'replicaWrite':
      return [tags.replicaWrite, m.opId, m.partition, m.bucket, m.key, object, m.stamp, absent(m.hintFor), absent(m.durable)];
    case 'replicaWriteReply':
      return [tags.replicaWriteReply, m.opId, absent(m.error)];
  }
}

/** The map an array from `toPositional` stands for; any other array comes back unchanged. */
export function fromPositional(raw: unknown[]): unknown {
  const tag = raw[0];
  if (typeof tag !== 'number' || lengths[tag] !== raw.length) return raw;
  const a = raw;
  switch (tag) {
    case tags.replicaRead:
      return withPresent({ kind: 'replicaRead', opId: a[1], partition: a[2], bucket: a[3], key: a[4] }, 'withHints', a[5], 'epoch', a[6]);
    case tags.replicaReadReply:
      return withPresent({ kind: 'replicaReadReply', opId: a[1], object: a[2], stamp: a[3] }, 'error', a[4]);
    case tags.replicaWrite:
      return withPresent({ kind: 'replicaWrite', opId: a[1], partition: a[2], bucket: a[3], key: a[4], object: a[5], stamp: a[6] }, 'hintFor', a[7], 'durable', a[8]);
    case tags.replicaWriteReply:
      return withPresent({ kind: 'replicaWriteReply', opId: a[1] }, 'error', a[2]);
    default:
      return raw;
  }
}

/**
 * Adds the optional fields that were not nil, so a message arrives exactly as the core sent it
 * (no `field: undefined` the sender never wrote; and no `delete`, which would turn the object
 * into a slow dictionary).
 */
function withPresent(message: Fields, name: string, value: unknown, otherName?: string, otherValue?: unknown): Fields {
  if (value !== null) message[name] = value;
  if (otherName !== undefined && otherValue !== null) message[otherName] = otherValue;
  return message;
}
