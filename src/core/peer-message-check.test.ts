import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configView } from './membership/initial-view.ts';
import type { PeerMessage } from './messages.ts';
import { peerMessageProblem } from './peer-message-check.ts';
import { partitionOf } from './ring/hash.ts';
import type { StoredObject } from './version/types.ts';

const partitionCount = 64;
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
];

describe('peer message check', () => {
  test('accepts every well-formed message kind', () => {
    for (const message of valid) assert.equal(peerMessageProblem(message, partitionCount), null, message.kind);
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
    ];
    for (const [message, problem] of refused) {
      const found = peerMessageProblem(message, partitionCount);
      assert.ok(found !== null && problem.test(found), `${JSON.stringify(message, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))}: ${found}`);
    }
  });
});
