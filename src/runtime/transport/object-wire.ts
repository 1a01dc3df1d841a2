/**
 * Stored objects travel between nodes as their stored encoding (core/version/codec.ts), a
 * msgpack `bin` inside the message, not as a msgpack structure. A replicated version is encoded
 * once — for the coordinator's disk — and that encoding goes to every peer; a replica that keeps
 * the version as it came stores the bytes it received; a read reply sends the bytes it read. The
 * receiver decodes each object once, and the message check (peer-message-check.ts) checks it
 * against every invariant of a stored object (it comes from outside), with the rest of the message.
 *
 * Every message kind that carries objects is listed here; `wireObjectKinds` is exhaustive
 * against the PeerMessage union, so a new kind with objects cannot be forgotten. The messages of
 * every get and put then go as arrays rather than maps (positional-messages.ts).
 */
import { decodeObject, encodeObject } from '../../core/version/codec.ts';
import type { PeerMessage, PeerMessageKind, TransferEntry } from '../../core/messages.ts';
import type { StoredObject } from '../../core/version/types.ts';
import { fromPositional, isPositional, toPositional } from './positional-messages.ts';

/** How each kind carries objects: in `object`, in a list of entries, in a get's result, or not at all. */
export const wireObjectKinds: Record<PeerMessageKind, 'object' | 'entries' | 'objects' | 'candidates' | 'result' | null> = {
  replicaRead: null,
  replicaReadReply: 'object',
  replicaWrite: 'object',
  replicaWriteReply: null,
  forward: null,
  forwardReply: 'result',
  gossip: null,
  transferChunk: 'entries',
  transferAck: null,
  aaeExchange: null,
  aaeExchangeReply: null,
  aaeKeys: null,
  aaeKeysReply: null,
  aaeRepair: 'objects',
  ping: null,
  pong: null,
  hintDeliver: 'object',
  hintDeliverReply: null,
  epochsQuery: null,
  epochsReply: null,
  tombFence: 'candidates',
  tombFenceReply: null,
  tombConfirm: null,
  tombConfirmReply: null,
  tombRemove: 'entries',
  listRead: null,
  listReadReply: null,
};

/** The message as it goes on the wire: every object replaced by its encoding. */
export function toWire(message: PeerMessage): object {
  const field = wireObjectKinds[message.kind];
  const fields = message as unknown as Record<string, unknown>;
  if (isPositional(message.kind)) {
    // The object's encoding goes straight into the array, not into a copy of the map first.
    const object = field === 'object' ? (fields.object as StoredObject | null) : null;
    return toPositional(fields, object === null ? null : encodeObject(object));
  }
  if (field === null) return message;
  switch (field) {
    case 'object': {
      const object = fields.object as StoredObject | null;
      return { ...message, object: object === null ? null : encodeObject(object) };
    }
    case 'result': {
      const result = fields.result as { kind: string; object?: StoredObject | null };
      if (result.kind !== 'got' || result.object == null) return message;
      return { ...message, result: { ...result, object: encodeObject(result.object) } };
    }
    default: {
      const entries = fields[field] as readonly TransferEntry[];
      return { ...message, [field]: entries.map((entry) => ({ ...entry, object: encodeObject(entry.object) })) };
    }
  }
}

/**
 * The message as the core knows it: every encoded object decoded, for the message check
 * (peer-message-check.ts) to check with the rest of the message. Anything but bytes (or null
 * where a reply has no object) where an object's encoding belongs becomes a value that check
 * refuses. Throws KvorumError (`internal`, "stored object is corrupt") for bytes that do not
 * have an object's layout.
 */
export function fromWire(wire: unknown): unknown {
  const raw = Array.isArray(wire) ? fromPositional(wire) : wire;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  // `raw` was just decoded from a frame and nothing else holds it: its encodings are replaced in
  // place (a copy of every message cost a young-generation object per message).
  const fields = raw as Record<string, unknown>;
  const field = typeof fields.kind === 'string' && Object.hasOwn(wireObjectKinds, fields.kind) ? wireObjectKinds[fields.kind as PeerMessageKind] : null;
  switch (field) {
    case null:
      return raw;
    case 'object':
      fields.object = decoded(fields.object);
      return raw;
    case 'result': {
      const result = fields.result as Record<string, unknown> | null;
      if (typeof result === 'object' && result !== null && result.kind === 'got') result.object = decoded(result.object);
      return raw;
    }
    default: {
      const entries = fields[field];
      if (!Array.isArray(entries)) return raw;
      for (const entry of entries as unknown[]) {
        if (typeof entry === 'object' && entry !== null) (entry as { object?: unknown }).object = decoded((entry as { object?: unknown }).object);
      }
      return raw;
    }
  }
}

/** What stands where an object's encoding is missing: not an object, so the message check refuses it. */
const notEncoded = 'an object not sent as its encoding';

function decoded(value: unknown): unknown {
  if (value === null) return null;
  // Checked once, by the message check that follows (peer-message-check.ts: every object a
  // message carries), not also here.
  return value instanceof Uint8Array ? decodeObject(value, true) : notEncoded;
}
