import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage } from '../../core/messages.ts';
import { peerMessageProblem } from '../../core/peer-message-check.ts';
import { decodeObject, encodeObject } from '../../core/version/codec.ts';
import { coordinateWrite, mergeMaybe } from '../../core/version/object.ts';
import { decodeMessage, encodeMessageFrame } from '../../wire/codec.ts';
import { fromWire, toWire } from './object-wire.ts';

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
    const [first, second] = [toWire(withObjects[0]!), toWire(withObjects[0]!)] as { object: Uint8Array }[];
    assert.equal(first!.object, encoded);
    assert.equal(second!.object, encoded);
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
    const corrupt = { ...toWire(withObjects[0]!), object: Uint8Array.of(1, 0x93) };
    assert.throws(() => fromWire(corrupt), /corrupt/);
    const asStructure = fromWire({ ...withObjects[0]!, object: { siblings: [], context: { clock: [], dots: [] } } });
    assert.notEqual(peerMessageProblem(asStructure, checkLimits), null);
  });
});
