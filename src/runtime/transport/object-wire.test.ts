import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage } from '../../core/messages.ts';
import { peerMessageProblem } from '../../core/peer-message-check.ts';
import { decodeObject, encodeObject } from '../../core/version/codec.ts';
import { coordinateWrite, mergeMaybe } from '../../core/version/object.ts';
import { decodeMessage, encodeMessageFrame } from '../../wire/codec.ts';
import { fromWire, toWire, wireObjectKinds } from './object-wire.ts';

const object = coordinateWrite(null, { value: new Uint8Array([1, 2, 3]), contentType: 'text/plain', deleted: false, context: null }, 'n1.abc', 5, 'siblings').object;
const target = { partition: 3, bucket: 'b', key: 'k' };
const checkLimits = { partitionCount: 8, keyBytesMax: 1024 };
const entry = { bucket: 'b', key: 'k', object };

const withObjects: PeerMessage[] = [
  { kind: 'replicaWrite', opId: 1, ...target, object, stamp: 0, durable: false },
  { kind: 'replicaReadReply', opId: 2, object, stamp: 0 },
  { kind: 'replicaReadReply', opId: 3, object: null, stamp: 0 },
  { kind: 'hintDeliver', opId: 4, ...target, object, stamp: 0 },
  { kind: 'forwardReply', opId: 5, result: { kind: 'got', object } },
  { kind: 'transferChunk', opId: 6, version: 1, partition: 3, entries: [entry], last: true, stamp: 0 },
  { kind: 'aaeRepair', opId: 7, partition: 3, objects: [entry], stamp: 0 },
  { kind: 'tombRemove', opId: 8, partition: 3, epoch: 1, entries: [entry] },
  { kind: 'tombFence', opId: 9, partition: 3, epoch: 1, confirmed: 0, view: '1/abc', candidates: [entry] },
];

/** The encoded object a wire message carries (in whichever field or place). */
const objectOnWire = (wire: object): unknown => (Array.isArray(wire) ? wire : Object.values(wire)).find((field) => field instanceof Uint8Array);

/** Through a real frame, as between two nodes. */
const overTheWire = (message: PeerMessage): unknown => fromWire(decodeMessage(encodeMessageFrame(toWire(message)).subarray(4)));

describe('objects on the wire travel as their encoding', () => {
  test('every kind that carries objects arrives as the core sent it, and passes the message check', () => {
    for (const message of withObjects) {
      const arrived = overTheWire(message);
      assert.deepEqual(arrived, message, message.kind);
      assert.equal(peerMessageProblem(arrived, checkLimits), null, message.kind);
    }
  });

  test('an object goes out as the bytes it was encoded to once, however many peers it goes to', () => {
    const encoded = encodeObject(object);
    const [first, second] = [toWire(withObjects[0]!), toWire(withObjects[0]!)].map(objectOnWire);
    assert.equal(first, encoded);
    assert.equal(second, encoded);
  });

  test('a version that supersedes what a replica holds is written back as the bytes it came in', () => {
    const arrived = overTheWire(withObjects[0]!) as { object: typeof object };
    const older = coordinateWrite(null, { value: new Uint8Array([9]), contentType: 'x', deleted: false, context: null }, 'n2.def', 1, 'siblings').object;
    const newer = coordinateWrite(older, { value: new Uint8Array([7]), contentType: 'x', deleted: false, context: older.context }, 'n1.abc', 2, 'siblings').object;
    const received = decodeObject(encodeObject(newer));
    const merged = mergeMaybe(older, received, 'siblings');
    assert.equal(merged.object, received, 'the incoming object itself, not an equal copy');
    assert.ok(arrived.object);
  });

  test('bytes that are no valid object throw; an object sent as a structure is refused by the check', () => {
    const corrupt = (toWire(withObjects[0]!) as unknown[]).map((field) => (field instanceof Uint8Array ? Uint8Array.of(1, 0x93) : field));
    assert.throws(() => fromWire(corrupt), /corrupt/);
    assert.throws(() => fromWire({ ...withObjects[0]!, object: Uint8Array.of(1, 0x93) }), /corrupt/, 'sent as a map, too');
    const asStructure = fromWire({ ...withObjects[0]!, object: { siblings: [], context: { clock: [], dots: [] } } });
    assert.notEqual(peerMessageProblem(asStructure, checkLimits), null);
  });

  test('an object of the right layout that breaks an invariant is refused by the message check, in every kind', () => {
    // A sibling its context does not cover: decoded as it came, and checked once, by the message check.
    const uncovered = { ...object, context: { clock: [], dots: [] } };
    for (const [kind, field] of Object.entries(wireObjectKinds)) {
      if (field !== null) assert.ok(withObjects.some((message) => message.kind === kind), `${kind} carries objects: it belongs in this test`);
    }
    for (const message of withObjects) {
      if (message.kind === 'replicaReadReply' && message.object === null) continue;
      const arrived = overTheWire(withObject(message, uncovered));
      assert.match(peerMessageProblem(arrived, checkLimits) ?? 'passed', /not covered/, message.kind);
    }
    // A read reply with an error and an object too: the object is checked all the same.
    const withError: PeerMessage = { kind: 'replicaReadReply', opId: 2, object: uncovered, stamp: 0, error: { kind: 'error', code: 'unavailable', message: 'no' } };
    assert.match(peerMessageProblem(overTheWire(withError), checkLimits) ?? 'passed', /not covered/);
  });
});

/** `message` with `replacement` wherever it holds the test's object. */
function withObject(message: PeerMessage, replacement: object): PeerMessage {
  const replace = (value: unknown): unknown => {
    if (value === object) return replacement;
    if (Array.isArray(value)) return value.map(replace);
    if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, replace(field)]));
    return value;
  };
  return replace(message) as PeerMessage;
}

describe('the messages of every get and put travel as arrays', () => {
  const error = { kind: 'error', code: 'unavailable', message: 'no' } as const;
  const positional: PeerMessage[] = [
    { kind: 'replicaRead', opId: 1, ...target },
    { kind: 'replicaRead', opId: 2, ...target, withHints: true, epoch: 4 },
    { kind: 'replicaRead', opId: 3, ...target, withHints: false },
    { kind: 'replicaReadReply', opId: 4, object, stamp: 2 },
    { kind: 'replicaReadReply', opId: 5, object: null, stamp: 0, error },
    { kind: 'replicaWrite', opId: 6, ...target, object, stamp: 1 },
    { kind: 'replicaWrite', opId: 7, ...target, object, stamp: 1, hintFor: 'n3', durable: true },
    { kind: 'replicaWriteReply', opId: 8 },
    { kind: 'replicaWriteReply', opId: 9, error },
  ];

  test('each arrives exactly as sent, optional fields absent or present, and passes the check', () => {
    for (const message of positional) {
      assert.ok(Array.isArray(toWire(message)), `${message.kind} goes as an array`);
      const arrived = overTheWire(message);
      assert.deepEqual(arrived, message, JSON.stringify(message).slice(0, 80));
      assert.equal(peerMessageProblem(arrived, checkLimits), null, message.kind);
    }
  });

  test('other kinds still go as maps', () => {
    for (const message of withObjects.filter((m) => !m.kind.startsWith('replica'))) assert.ok(!Array.isArray(toWire(message)), message.kind);
  });

  test('an array with an unknown tag, of the wrong length, or with a field out of place is refused by the check', () => {
    const wire = toWire(positional[5]!) as unknown[];
    const hostile = [
      [99, ...wire.slice(1)],
      ['replicaWrite', ...wire.slice(1)],
      wire.slice(0, -1),
      [...wire, 1],
      [wire[0], wire[1], wire[3], wire[2], ...wire.slice(4)],
      [wire[0], wire[1], wire[2], wire[3], wire[4], wire[5], 'not a stamp', wire[7], wire[8]],
    ];
    const reply = toWire(positional[3]!) as unknown[];
    hostile.push(
      [reply[0], reply[1], { siblings: [], context: { clock: [], dots: [] } }, reply[3], reply[4]], // an object sent as a map
      [reply[0], reply[1], false, reply[3], reply[4]],
      [reply[0], reply[1], null, reply[3], 'not an error'],
      [reply[0], 'not an opId', null, reply[3], reply[4]],
    );
    for (const raw of hostile) {
      const arrived = fromWire(decodeMessage(encodeMessageFrame(raw).subarray(4)));
      assert.notEqual(peerMessageProblem(arrived, checkLimits), null, JSON.stringify(raw).slice(0, 80));
    }
  });
});
