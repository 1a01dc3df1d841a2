/**
 * The interface between the pure core and a runtime (DESIGN §3). A runtime feeds a node
 * `NodeInput`s with the current time and carries out the `Effect`s the node returns: it sends
 * messages, answers clients, and runs store operations against its disk. The real runtime does
 * this with TCP, HTTP and LMDB; the simulator with a virtual network and disk.
 */
import type { ClientResult, ListRange, NodeRequest, PeerMessage, TransferEntry } from './messages.ts';
import type { HintOp, HintOutcome } from './handoff/hint-op.ts';
import type { StoreOp, StoreOutcome } from './replica/store-op.ts';

/** Who is waiting for the answer of a coordinated request. */
export type Requester =
  | { readonly type: 'client'; readonly requestId: number }
  | { readonly type: 'peer'; readonly node: string; readonly opId: number };

export type NodeInput =
  /** A client request arrived (HTTP API, CLI). `requestId` is the runtime's, echoed in the reply. */
  | { readonly type: 'request'; readonly requestId: number; readonly request: NodeRequest }
  /** A message from another node. */
  | { readonly type: 'message'; readonly from: string; readonly message: PeerMessage }
  /** The runtime could not deliver a message this node sent (peer down, queue full, refused). */
  | { readonly type: 'deliveryFailed'; readonly to: string; readonly message: PeerMessage }
  /** A store operation this node asked for has finished. */
  | { readonly type: 'stored'; readonly storeId: number; readonly outcome: StoreOutcome }
  /** Time passed: deadlines are checked. Runtimes tick every few milliseconds. */
  | { readonly type: 'tick' }
  /** A transfer scan this node asked for has read its chunk (`exhausted`: the partition ends there). */
  | { readonly type: 'transferScanned'; readonly scanId: number; readonly entries: readonly TransferEntry[]; readonly exhausted: boolean }
  /** A hint op this node asked for has finished (handoff/hint-op.ts). */
  | { readonly type: 'hintsDone'; readonly hintsId: number; readonly outcome: HintOutcome }
  /** Every write made before the `flush` effect of this id is on disk (`ok`), or the disk failed. */
  | { readonly type: 'flushed'; readonly flushId: number; readonly ok: boolean }
  /**
   * A listing scan this node asked for has read its items (`ok`), or the disk failed; `next` is
   * where the next scan starts, null when the partition ends (messages.ts ListReadReply).
   */
  | { readonly type: 'listScanned'; readonly scanId: number; readonly ok: boolean; readonly items: readonly string[]; readonly next: string | null };

export type Effect =
  | { readonly type: 'send'; readonly to: string; readonly message: PeerMessage }
  | { readonly type: 'reply'; readonly requestId: number; readonly result: ClientResult }
  /**
   * Run `op` on the stored object of (partition, bucket, key) atomically with respect to other
   * store ops on the same key (the runtime serialises them per key), then feed back `stored` once
   * its write is applied — visible to later reads, in the object buffer, not yet on disk (`flush`).
   */
  | {
      readonly type: 'store';
      readonly storeId: number;
      readonly partition: number;
      readonly bucket: string;
      readonly key: string;
      readonly op: StoreOp;
    }
  /**
   * Write a node-local record (the ring view, the partition epochs) under metaKey(name), in issue
   * order, as any other write: into the object buffer, visible at once, on disk at the next flush.
   */
  | { readonly type: 'meta'; readonly name: string; readonly value: Uint8Array }
  /**
   * A durability barrier (Dynamo §6.1's object buffer): once every write this node issued before
   * it — store ops, hint ops, meta records — is committed to disk, feed back `flushed`. Writes
   * reach the disk in the order they were issued, so a flushed write's predecessors are too.
   */
  | { readonly type: 'flush'; readonly flushId: number }
  /**
   * Read up to `entriesMax` keys of one partition in key order, starting just after `after` (from
   * the start when null), then feed back `transferScanned`. The chunk ends before the key that
   * would take its stored bytes past `bytesMax` (it holds at least one key), so that what is sent
   * of it fits one frame: at most `bytesMax`, or one object of at most `limits.objectBytesMax`.
   */
  | {
      readonly type: 'transferScan';
      readonly scanId: number;
      readonly partition: number;
      readonly after: { readonly bucket: string; readonly key: string } | null;
      readonly entriesMax: number;
      readonly bytesMax: number;
    }
  /** Run `op` on this node's hints (the hints namespace, apart from owned data), then feed back `hintsDone`. */
  | { readonly type: 'hints'; readonly hintsId: number; readonly op: HintOp }
  /**
   * Read, in storage order after `after`, the keys of `bucket` this node stores in `partition` —
   * those with a live sibling, or every one with `withDeleted` — or with `bucket` null the names
   * of the buckets it holds keys of there; then feed back `listScanned`. At most `itemsMax` items
   * and `bytesMax` bytes of names (at least one item), examining at most
   * `listReadEntriesMax` entries (coverage/listing-limits.ts): then `next` is the last examined.
   */
  | ({ readonly type: 'listScan'; readonly scanId: number } & ListRange);
