import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configView } from './membership/initial-view.ts';
import type { PeerMessage } from './messages.ts';
import { peerMessageProblem } from './peer-message-check.ts';
import { partitionOf } from './ring/hash.ts';
import { validateBucket, validateKey } from './validate.ts';
import type { StoredObject } from './version/types.ts';

const partitionCount = 64;
const checkLimits = { partitionCount, keyBytesMax: 1024 };
const partition = partitionOf('b', 'k', partitionCount);
const object: StoredObject = {
  siblings: [{ dot: ['n1.a', 1], value: new Uint8Array([1]), contentType: 'x', lastModifiedMs: 5, deleted: false }],
  context: { clock: [['n1.a', 1, 5]], dots: [] },
};
const view = configView(
  ['n1', 'n2', 'n3'].map((name, i) => ({ name, address: `127.0.0.1:${7001 + i}`, httpUrl: `http://127.0.0.1:${8001 + i}`, capacity: 1 })),
  partitionCount,
  3,
);
/** The same cluster with binary client ports: a view from a node that knows the optional field. */
const viewWithClients = configView(
  ['n1', 'n2', 'n3'].map((name, i) => ({ name, address: `127.0.0.1:${7001 + i}`, httpUrl: `http://127.0.0.1:${8001 + i}`, clientAddress: `[::1]:${9001 + i}`, capacity: 1 })),
  partitionCount,
  3,
);
const withClientAddress = (clientAddress: unknown) => ({ ...viewWithClients, members: viewWithClients.members.map((m, i) => (i === 1 ? { ...m, clientAddress } : m)) });
const valid: PeerMessage[] = [
  { kind: 'replicaRead', opId: 1, partition, bucket: 'b', key: 'k' },
  { kind: 'replicaReadReply', opId: 2, object, stamp: 0 },
  { kind: 'replicaReadReply', opId: 2, object: null, stamp: 3 },
  { kind: 'replicaReadReply', opId: 2, object: null, stamp: 0, error: { kind: 'error', code: 'internal', message: 'disk' } },
  { kind: 'replicaWrite', opId: 3, partition, bucket: 'b', key: 'k', object, stamp: 0 },
  { kind: 'replicaWriteReply', opId: 4 },
  { kind: 'forward', opId: 5, request: { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array(), contentType: 'x', deleted: false, context: object.context, w: 3 } },
  { kind: 'forward', opId: 5, request: { kind: 'get', bucket: 'b', key: 'k' } },
  { kind: 'forwardReply', opId: 2 ** 50, result: { kind: 'stored', context: object.context } },
  { kind: 'forwardReply', opId: 6, result: { kind: 'got', object: null } },
  { kind: 'forwardReply', opId: 6, result: { kind: 'error', code: 'quorum_not_met', message: 'w' } },
  { kind: 'gossip', opId: 7, view, senderAddress: '127.0.0.1:7001' },
  { kind: 'gossip', opId: 7, view: viewWithClients, senderAddress: '127.0.0.1:7001' },
  { kind: 'transferChunk', opId: 8, version: 2, partition, entries: [{ bucket: 'b', key: 'k', object }], last: false, stamp: 1 },
  { kind: 'transferChunk', opId: 8, version: 2, partition, entries: [], last: true, stamp: 0 },
  { kind: 'transferAck', opId: 8 },
  { kind: 'transferAck', opId: 8, error: { kind: 'error', code: 'internal', message: 'disk' } },
  { kind: 'hintDeliver', opId: 9, partition, bucket: 'b', key: 'k', object, stamp: 2 },
  { kind: 'epochsQuery', opId: 10 },
  { kind: 'epochsReply', opId: 10, known: true, complete: true, toMember: true, epochs: [[partition, 3, 0]] },
  { kind: 'tombFence', opId: 11, partition, epoch: 4, confirmed: 2, view: '3/n1/committed', candidates: [{ bucket: 'b', key: 'k', object }] },
  { kind: 'tombFenceReply', opId: 11, incarnation: 'n2.x', holdings: ['tombstone'], epoch: 4 },
  { kind: 'tombFenceReply', opId: 11, incarnation: 'n2.x', holdings: [], epoch: 5, refused: 'behind' },
  { kind: 'tombConfirm', opId: 12, partition, epoch: 4, view: '3/n1/committed' },
  { kind: 'tombConfirmReply', opId: 12, incarnation: 'n2.x', confirmed: true },
  { kind: 'tombRemove', opId: 13, partition, epoch: 4, entries: [{ bucket: 'b', key: 'k', object }] },
  { kind: 'listRead', opId: 14, partition, bucket: 'b', after: null, itemsMax: 64, bytesMax: 16_384, withDeleted: false },
  { kind: 'listRead', opId: 14, partition, bucket: 'b', after: 'k', itemsMax: 1, bytesMax: 1, withDeleted: true },
  { kind: 'listRead', opId: 14, partition, bucket: null, after: 'carts', itemsMax: 256, bytesMax: 8 * 1024 * 1024, withDeleted: false },
  { kind: 'listReadReply', opId: 14, items: ['a', 'b', 'é'], next: 'é' },
  { kind: 'listReadReply', opId: 14, items: [], next: null },
  { kind: 'listReadReply', opId: 14, items: [], next: null, error: { kind: 'error', code: 'unavailable', message: 'disk' } },
];

describe('peer message check', () => {
  test('accepts every well-formed message kind', () => {
    for (const message of valid) assert.equal(peerMessageProblem(message, checkLimits), null, message.kind);
  });

  test('refuses malformed messages, saying what is wrong', () => {
    const refused: [unknown, RegExp][] = [
      [null, /not a peer message/],
      [{ kind: 'rumour', opId: 1 }, /not a peer message/],
      [{ kind: 'gossip', opId: 1, view, senderAddress: 7 }, /senderAddress/],
      [{ kind: 'gossip', opId: 1, view: { ...view, owners: view.owners.slice(1) }, senderAddress: 'h:1' }, /owners/],
      [{ kind: 'gossip', opId: 1, view: { ...view, owners: view.owners.map(() => 'stranger') }, senderAddress: 'h:1' }, /not an active member/],
      [{ kind: 'gossip', opId: 1, view: withClientAddress(9002), senderAddress: 'h:1' }, /clientAddress/],
      [{ kind: 'gossip', opId: 1, view: withClientAddress('kvorum://h:9002'), senderAddress: 'h:1' }, /clientAddress/],
      [{ kind: 'gossip', opId: 1, view: withClientAddress(null), senderAddress: 'h:1' }, /clientAddress/],
      [{ kind: 'transferChunk', opId: 1, version: 2, partition: (partition + 1) % partitionCount, entries: [{ bucket: 'b', key: 'k', object }], last: true, stamp: 0 }, /not the partition/],
      [{ kind: 'transferChunk', opId: 1, version: 2, partition, entries: [{ bucket: 'b', key: 'k', object: {} }], last: true, stamp: 0 }, /stored object|siblings|context/],
      [{ ...valid[0]!, opId: 0 }, /op id/],
      [{ ...valid[0]!, opId: 1.5 }, /op id/],
      [{ ...valid[0]!, partition: (partition + 1) % partitionCount }, /not the partition of b\/k/],
      [{ ...valid[0]!, key: 7 }, /must be strings/],
      [{ ...valid[4]!, object: { ...object, siblings: [{ ...object.siblings[0]!, dot: ['n1.a', 2] }] } }, /not covered/],
      [{ ...valid[4]!, object: { siblings: [] } }, /context/],
      [{ kind: 'replicaReadReply', opId: 2, object: 'x', stamp: 0 }, /stored object must be an object/],
      [{ kind: 'replicaReadReply', opId: 2, object: null }, /stamp/],
      [{ ...valid[4]!, stamp: -1 }, /stamp/],
      [{ kind: 'transferChunk', opId: 1, version: 2, partition, entries: [], last: true, stamp: 1.5 }, /stamp/],
      [{ kind: 'epochsReply', opId: 10, known: true, complete: true, toMember: true, epochs: [[partition]] }, /epoch/],
      [{ kind: 'tombFence', opId: 11, partition, epoch: 0, view: 'v', candidates: [] }, /epoch/],
      [{ kind: 'tombFence', opId: 11, partition: (partition + 1) % partitionCount, epoch: 2, confirmed: 0, view: 'v', candidates: [{ bucket: 'b', key: 'k', object }] }, /not the partition/],
      [{ kind: 'tombFenceReply', opId: 11, incarnation: 'n2.x', holdings: ['maybe'], epoch: 4 }, /holding/],
      [{ kind: 'tombConfirmReply', opId: 12, incarnation: 'n2.x', confirmed: 'yes' }, /confirmed/],
      [{ kind: 'replicaWriteReply', opId: 4, error: { kind: 'error', code: 'no_such_code', message: '' } }, /unknown error code/],
      [{ kind: 'forward', opId: 5, request: { kind: 'put', bucket: 'b', key: 'k', value: 'text', contentType: 'x', deleted: false, context: null } }, /bytes/],
      [{ kind: 'forward', opId: 5, request: { kind: 'get', bucket: 'b', key: 'k', r: 'all' } }, /r must be an integer/],
      [{ kind: 'forwardReply', opId: 6, result: { kind: 'stored', context: { clock: 'x', dots: [] } } }, /clock/],
      [{ kind: 'forwardReply', opId: 6, result: { kind: 'maybe' } }, /unknown/],
      // Issue 11 §1 and §10: what a peer names is held to a client's limits.
      [{ ...valid[0]!, bucket: 'b'.repeat(300), partition: partitionOf('b'.repeat(300), 'k', partitionCount) }, /bucket must be 1 to 64/],
      [{ ...valid[4]!, bucket: 'b'.repeat(300), partition: partitionOf('b'.repeat(300), 'k', partitionCount) }, /bucket must be 1 to 64/],
      [{ ...valid[4]!, bucket: 'b/c', partition: partitionOf('b/c', 'k', partitionCount) }, /bucket must be/],
      [{ ...valid[0]!, key: 'k'.repeat(1025), partition: partitionOf('b', 'k'.repeat(1025), partitionCount) }, /key is 1025 bytes/],
      [{ ...valid[0]!, key: '\uD800', partition: partitionOf('b', '\uD800', partitionCount) }, /valid UTF-8/],
      [{ ...valid[0]!, key: '', partition: partitionOf('b', '', partitionCount) }, /empty/],
      [{ ...valid[4]!, hintFor: 'n2\nforged log line' }, /hintFor: a node name/],
      [{ ...valid[4]!, hintFor: '' }, /hintFor: a node name/],
      [{ ...valid[4]!, stamp: 1e15 }, /stamp must be an integer from 0 to 2\^40/],
      [{ ...valid.find((message) => message.kind === 'hintDeliver')!, stamp: 2 ** 53 - 1 }, /stamp/],
      [{ kind: 'aaeRepair', opId: 1, partition, objects: [], stamp: 2 ** 41 }, /stamp/],
      [{ kind: 'aaeKeys', opId: 1, partition, segments: [], keys: [{ bucket: 'x'.repeat(256), key: 'k', digest: '0123456789abcdef' }] }, /bucket must be/],
      [{ kind: 'epochsReply', opId: 10, known: true, complete: true, toMember: true, epochs: [[partition, 2 ** 50, 0]] }, /epoch must be/],
      [{ kind: 'gossip', opId: 1, view, senderAddress: 'evil.example:99999' }, /senderAddress: a node address/],
      [{ kind: 'gossip', opId: 1, view, senderAddress: 'host\n:7000' }, /senderAddress/],
      [{ kind: 'gossip', opId: 1, view: { ...view, version: 1e15 }, senderAddress: 'h:1' }, /view version/],
      [{ kind: 'gossip', opId: 1, view: { ...view, members: view.members.map((m, i) => (i === 0 ? { ...m, address: '10.0.0.1:0' } : m)) }, senderAddress: 'h:1' }, /node address/],
      [{ kind: 'gossip', opId: 1, view: { ...view, members: view.members.map((m, i) => (i === 0 ? { ...m, httpUrl: 'http://h:1/\r\nx' } : m)) }, senderAddress: 'h:1' }, /HTTP URL/],
      [{ kind: 'gossip', opId: 1, view: { ...view, members: view.members.map((m, i) => (i === 0 ? { ...m, capacity: 1e-300 } : m)) }, senderAddress: 'h:1' }, /capacity/],
      [{ kind: 'gossip', opId: 1, view: { ...view, members: view.members.map((m, i) => (i === 0 ? { ...m, zone: 'z'.repeat(129) } : m)) }, senderAddress: 'h:1' }, /zone/],
      [{ kind: 'transferChunk', opId: 8, version: 2, partition, entries: [], last: true, stamp: 0, senderAddress: 'nowhere' }, /senderAddress/],
      [{ kind: 'transferChunk', opId: 8, version: 1e15, partition, entries: [], last: true, stamp: 0 }, /version/],
      [{ kind: 'replicaWriteReply', opId: 4, error: { kind: 'error', code: 'internal', message: 'x'.repeat(9000) } }, /error message/],
      // Listings (issue 12 §6): what a read names is a client's bucket and key; what a reply holds is bounded.
      [{ kind: 'listRead', opId: 14, partition: partitionCount, bucket: 'b', after: null, itemsMax: 1, bytesMax: 1, withDeleted: false }, /partition/],
      [{ kind: 'listRead', opId: 14, partition, bucket: 'b/c', after: null, itemsMax: 1, bytesMax: 1, withDeleted: false }, /bucket must be/],
      [{ kind: 'listRead', opId: 14, partition, bucket: null, after: 'not a bucket', itemsMax: 1, bytesMax: 1, withDeleted: false }, /after: bucket must be/],
      [{ kind: 'listRead', opId: 14, partition, bucket: 'b', after: 'k'.repeat(1025), itemsMax: 1, bytesMax: 1, withDeleted: false }, /after: key is 1025 bytes/],
      [{ kind: 'listRead', opId: 14, partition, bucket: 'b', after: null, itemsMax: 257, bytesMax: 1, withDeleted: false }, /itemsMax/],
      [{ kind: 'listRead', opId: 14, partition, bucket: 'b', after: null, itemsMax: 1, bytesMax: 0, withDeleted: false }, /bytesMax/],
      [{ kind: 'listRead', opId: 14, partition, bucket: 'b', after: null, itemsMax: 1, bytesMax: 1 }, /withDeleted/],
      [{ kind: 'listReadReply', opId: 14, items: Array.from({ length: 257 }, (_, i) => `k${i}`), next: null }, /at most 256/],
      [{ kind: 'listReadReply', opId: 14, items: ['\uD800'], next: null }, /item: key must be valid UTF-8/],
      [{ kind: 'listReadReply', opId: 14, items: [7], next: null }, /item: key must be a string/],
      [{ kind: 'listReadReply', opId: 14, items: [], next: '' }, /next: key must not be empty/],
      [{ kind: 'forward', opId: 5, request: { kind: 'listKeys', bucket: 'b', after: null, limit: 10 } }, /bucket and key must be strings|kind must be get or put/],
      [{ kind: 'forwardReply', opId: 6, result: { kind: 'keys', keys: [], next: null } }, /unknown/],
      [{ kind: 'forward', opId: 5, request: { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array(), contentType: 'x', deleted: false, context: { clock: [], dots: Array.from({ length: 65 }, (_, i) => ['n1.a', 2 * i + 3]) } } }, /more than a context token/],
    ];
    for (const [message, problem] of refused) {
      const found = peerMessageProblem(message, checkLimits);
      assert.ok(found !== null && problem.test(found), `${JSON.stringify(message, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))}: ${found}`);
    }
  });

  test('hostile input of any shape yields null or a problem, never a throw', () => {
    // Messages built from a valid one by replacing any field with anything msgpack can carry.
    const anything = fc.oneof(
      fc.anything({ maxDepth: 3, withNullPrototype: true, withTypedArray: true }),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.constantFrom(-1, 2 ** 53, Number.NaN, 1e300, '', 'b'.repeat(300), '\uD800'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), anything, (message, pick, value) => {
        const fields = Object.keys(message);
        const hostile = { ...message, [fields[pick % fields.length]!]: value };
        const problem = peerMessageProblem(hostile, checkLimits);
        assert.ok(problem === null || typeof problem === 'string');
      }),
      { numRuns: 3000 },
    );
    fc.assert(fc.property(anything, (value) => {
      const problem = peerMessageProblem(value, checkLimits);
      assert.ok(problem === null || typeof problem === 'string');
    }));
  });

  const bucketLike = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.\-]{0,70}$/), fc.string({ unit: 'binary', maxLength: 300 }));

  test('a replica write or read it accepts names a bucket and key a client could have written', () => {
    fc.assert(
      fc.property(bucketLike, fc.string({ unit: 'binary', maxLength: 1200 }), fc.boolean(), (bucket, key, write) => {
        const target = { partition: partitionOf(bucket, key, partitionCount), bucket, key };
        const message = write ? { kind: 'replicaWrite', opId: 1, ...target, object, stamp: 0 } : { kind: 'replicaRead', opId: 1, ...target };
        if (peerMessageProblem(message, checkLimits) !== null) return;
        assert.doesNotThrow(() => validateBucket(bucket));
        assert.doesNotThrow(() => validateKey(key, { keyBytesMax: checkLimits.keyBytesMax, valueBytesMax: 1 }));
      }),
      { numRuns: 2000 },
    );
  });
});
