/**
 * The sending side of partition transfers (Dynamo §4.9: "the nodes … transfer the appropriate
 * set of keys to the new node"). The sender drives: it scans the partition in bounded chunks,
 * sends one chunk, waits for the receiver to store it and ack, then scans on. Nothing is kept
 * on disk: after a crash of either side the transfer starts again from the first key, which is
 * safe because the receiver merges versions and merging is idempotent (§4.4).
 */
import type { TransferAck, TransferEntry } from '../messages.ts';
import type { MembershipHost } from './host.ts';
import { transferAckTimeoutMs, transferRetryDelayMs, transfersConcurrentMax, transfersFinishedKeptMax } from './transfer-limits.ts';
import { transferId, type ClusterView, type Transfer } from './view.ts';
import { valueBytes } from '../version/object-bytes.ts';

export interface TransferProgress {
  readonly id: string;
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly version: number;
  readonly state: 'scanning' | 'sending' | 'retrying' | 'done';
  readonly keysSent: number;
  readonly bytesSent: number;
  readonly chunksSent: number;
  readonly startedMs: number;
  readonly finishedMs?: number | undefined;
}

interface Outbound {
  readonly transfer: Transfer;
  readonly version: number;
  readonly startedMs: number;
  /** The last key the receiver acknowledged; the next scan resumes after it. */
  acked: { bucket: string; key: string } | null;
  /** The last key of the chunk in flight. */
  sentUpTo: { bucket: string; key: string } | null;
  state: 'scanning' | 'sending' | 'retrying';
  chunkOpId: number;
  lastChunk: boolean;
  deadlineMs: number;
  keysSent: number;
  bytesSent: number;
  chunksSent: number;
  chunkKeys: number;
  chunkBytes: number;
}

export class TransferSender {
  private readonly active = new Map<string, Outbound>();
  private readonly finished: TransferProgress[] = [];

  constructor(
    private readonly host: MembershipHost,
    private readonly onComplete: (id: string) => void,
  ) {}

  /** Starts what is due, drops what the view no longer wants, retries what stalled. */
  onTick(view: ClusterView): void {
    const completed = new Set(view.completed);
    for (const [id, outbound] of this.active) {
      if (outbound.version !== view.version || completed.has(id)) this.active.delete(id);
    }
    for (const transfer of view.transfers) {
      if (this.active.size >= transfersConcurrentMax) break;
      const id = transferId(transfer);
      if (transfer.from !== this.host.self || completed.has(id) || this.active.has(id)) continue;
      this.start(id, transfer, view.version);
    }
    for (const outbound of this.active.values()) {
      if (outbound.state !== 'scanning' && this.host.nowMs >= outbound.deadlineMs) this.scanNext(outbound);
    }
  }

  onAck(message: TransferAck): void {
    const outbound = [...this.active.values()].find((candidate) => candidate.state === 'sending' && candidate.chunkOpId === message.opId);
    if (outbound === undefined) return; // a late ack of a chunk sent again since
    if (message.error !== undefined) return this.retryLater(outbound);
    outbound.acked = outbound.sentUpTo;
    outbound.keysSent += outbound.chunkKeys;
    outbound.bytesSent += outbound.chunkBytes;
    outbound.chunksSent++;
    if (outbound.lastChunk) return this.finish(outbound);
    this.scanNext(outbound);
  }

  onDeliveryFailed(opId: number): void {
    const outbound = [...this.active.values()].find((candidate) => candidate.state === 'sending' && candidate.chunkOpId === opId);
    if (outbound !== undefined) this.retryLater(outbound);
  }

  progress(): TransferProgress[] {
    return [...[...this.active.entries()].map(([id, outbound]) => progressOf(id, outbound)), ...this.finished];
  }

  private start(id: string, transfer: Transfer, version: number): void {
    const outbound: Outbound = {
      transfer,
      version,
      startedMs: this.host.nowMs,
      acked: null,
      sentUpTo: null,
      state: 'scanning',
      chunkOpId: 0,
      lastChunk: false,
      deadlineMs: 0,
      keysSent: 0,
      bytesSent: 0,
      chunksSent: 0,
      chunkKeys: 0,
      chunkBytes: 0,
    };
    this.active.set(id, outbound);
    this.host.count('transfers.started');
    this.scanNext(outbound);
  }

  private scanNext(outbound: Outbound): void {
    outbound.state = 'scanning';
    this.host.scan(outbound.transfer.partition, outbound.acked, (result) => {
      if (this.active.get(transferId(outbound.transfer)) !== outbound) return; // dropped meanwhile
      this.sendChunk(outbound, result.entries, result.exhausted, result.stamp);
    });
  }

  private sendChunk(outbound: Outbound, entries: readonly TransferEntry[], exhausted: boolean, stamp: number): void {
    const last = entries.at(-1);
    outbound.sentUpTo = last === undefined ? outbound.acked : { bucket: last.bucket, key: last.key };
    outbound.state = 'sending';
    outbound.chunkOpId = this.host.nextOpId();
    outbound.lastChunk = exhausted;
    outbound.deadlineMs = this.host.nowMs + transferAckTimeoutMs;
    outbound.chunkKeys = entries.length;
    outbound.chunkBytes = entries.reduce((sum, entry) => sum + valueBytes(entry.object), 0);
    const { partition, to } = outbound.transfer;
    this.host.send(to, { kind: 'transferChunk', opId: outbound.chunkOpId, version: outbound.version, partition, entries, last: exhausted, stamp });
  }

  private retryLater(outbound: Outbound): void {
    this.host.count('transfers.retries');
    outbound.state = 'retrying';
    outbound.deadlineMs = this.host.nowMs + transferRetryDelayMs;
  }

  private finish(outbound: Outbound): void {
    const id = transferId(outbound.transfer);
    this.active.delete(id);
    this.host.count('transfers.completed');
    this.host.count('transfers.keysSent', outbound.keysSent);
    this.finished.unshift({ ...progressOf(id, outbound), state: 'done', finishedMs: this.host.nowMs });
    this.finished.length = Math.min(this.finished.length, transfersFinishedKeptMax);
    this.onComplete(id);
  }
}

function progressOf(id: string, outbound: Outbound): TransferProgress {
  const { partition, from, to } = outbound.transfer;
  const { version, state, keysSent, bytesSent, chunksSent, startedMs } = outbound;
  return { id, partition, from, to, version, state, keysSent, bytesSent, chunksSent, startedMs };
}
