/**
 * The receiving side of partition transfers (Dynamo §4.9). Each entry of a chunk is merged into
 * what this node stores, exactly as a replica merges a replicated write, so a chunk sent twice
 * (after a timeout, or a transfer restarted after a crash) changes nothing the second time. The
 * ack goes back once every entry is on disk (flushed): the sender only moves on from stored keys.
 */
import type { ClientError, TransferChunk } from '../messages.ts';
import type { MembershipHost } from './host.ts';

export class TransferReceiver {
  constructor(
    private readonly host: MembershipHost,
    /** The last chunk of a transfer from `from` is stored. */
    private readonly onLastStored: (from: string, chunk: TransferChunk) => void,
  ) {}

  onChunk(from: string, chunk: TransferChunk): void {
    let pending = chunk.entries.length;
    let failure: ClientError | undefined;
    const acknowledge = (): void => {
      this.host.send(from, { kind: 'transferAck', opId: chunk.opId, error: failure });
      if (failure === undefined) {
        this.host.count('transfers.keysReceived', chunk.entries.length);
        if (chunk.last) this.onLastStored(from, chunk);
      }
    };
    // The sender may drop its copies on the ack (a stray hand-off, the end of a transfer): they
    // must be on this node's disk first, not only in its buffer.
    const finish = (): void => {
      if (failure !== undefined) return acknowledge();
      this.host.flush((ok) => {
        if (!ok) failure = { kind: 'error', code: 'unavailable', message: `node ${this.host.self} could not put the chunk on its disk` };
        acknowledge();
      });
    };
    if (pending === 0) return finish();
    for (const entry of chunk.entries) {
      const target = { partition: chunk.partition, bucket: entry.bucket, key: entry.key };
      const op = { kind: 'merge' as const, object: entry.object, resolution: this.host.resolutionOf(entry.bucket) };
      this.host.store(target, op, (outcome) => {
        if (!outcome.ok) failure ??= { kind: 'error', ...outcome.error.toJSON() };
        if (--pending === 0) finish();
      });
    }
  }
}
