/**
 * A node's side of the binary client protocol with nothing behind it: a ClientBackend
 * (runtime/client-protocol/connection.ts) that coordinates nothing. Every get finds one fixed
 * 100-byte sibling, every put and delete is stored at once under a fixed context, listings are
 * empty, and the ring is one node. Behind the real ClientServer (canned-node.ts) requests are
 * parsed, checked and answered as a node does — limits held, context tokens signed and verified
 * — at almost none of a node's cost, so a client can be measured alone (client-cost.ts).
 */
import type { ClientResult, NodeRequest } from '../../src/core/messages.ts';
import { defaultRequestLimits } from '../../src/core/validate.ts';
import { contextTokenKey } from '../../src/core/version/context-token.ts';
import type { StoredObject } from '../../src/core/version/types.ts';
import type { ClientBackend } from '../../src/runtime/client-protocol/connection.ts';
import { ClientAuth } from '../../src/runtime/security/client-auth.ts';
import type { RingDescription } from '../../src/wire/client-protocol.ts';

/** What every get answers: a 100-byte value, as the benchmark's default record. */
export const cannedValue = Buffer.alloc(100, 0x61);
export const cannedContentType = 'application/octet-stream';
const cannedNodeName = 'canned';
/** The canned node's ring: Q partitions, all on it. */
const cannedPartitionCount = 64;
const writtenAtMs = 1_765_000_000_000;

/** One version, written once by the canned node: its sibling's dot is covered by its clock. */
const cannedObject: StoredObject = {
  siblings: [{ dot: [cannedNodeName, 1], value: cannedValue, contentType: cannedContentType, lastModifiedMs: writtenAtMs, deleted: false }],
  context: { clock: [[cannedNodeName, 1, writtenAtMs]], dots: [] },
};

export class CannedBackend implements ClientBackend {
  readonly nodeName = cannedNodeName;
  readonly clusterName = 'canned';
  readonly requestLimits = defaultRequestLimits;
  readonly contextTokenKey = contextTokenKey(this.clusterName, undefined);
  readonly auth = new ClientAuth([]);
  private readonly ringDescription: RingDescription;

  /** `clientAddress`: host:port of the client port it is served on (the ring names it). */
  constructor(clientAddress: string) {
    const node = { name: cannedNodeName, address: clientAddress, httpUrl: `http://${clientAddress}`, clientAddress, zone: null, capacity: 1 };
    const partitions = Array.from({ length: cannedPartitionCount }, (_, partition) => ({ partition, owner: cannedNodeName, preferenceList: [cannedNodeName] }));
    this.ringDescription = { version: 1, partitionCount: cannedPartitionCount, n: 1, nodes: [node], partitions };
  }

  submit(request: NodeRequest, onResult: (result: ClientResult) => void): void {
    switch (request.kind) {
      case 'get':
        return onResult({ kind: 'got', object: cannedObject });
      case 'put':
        return onResult({ kind: 'stored', context: cannedObject.context });
      case 'listKeys':
        return onResult({ kind: 'keys', keys: [], next: null });
      case 'listBuckets':
        return onResult({ kind: 'buckets', buckets: [], truncated: false });
    }
  }

  ring(): RingDescription {
    return this.ringDescription;
  }
}
