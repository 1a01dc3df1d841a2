/**
 * The side of an exchange that answers it. Comparing branch hashes needs no state (see
 * anti-entropy.ts); once the initiator lists its keys in the differing segments, the responder
 * scans its own keys there (budgeted), sends its versions of the keys that differ or that the
 * initiator lacks, and asks for the initiator's versions of the keys it lacks or holds otherwise.
 */
import type { AaeKeyDigest, AaeKeys } from '../messages.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { replicates, sendRepairs } from './exchange-context.ts';
import { keyDigest, keyIdOf, segmentOf } from './object-digest.ts';
import type { ScannedEntry } from './scan-types.ts';

export class ResponderExchange {
  private readonly theirs = new Map<string, AaeKeyDigest>();
  private readonly segments: Set<number>;
  private readonly mine = new Map<string, ScannedEntry>();
  private scanId: number | undefined;
  done = false;

  constructor(
    private readonly context: ExchangeContext,
    readonly peer: string,
    private readonly request: AaeKeys,
    readonly startedMs: number,
  ) {
    this.segments = new Set(request.segments);
    for (const entry of request.keys) this.theirs.set(keyIdOf(entry.bucket, entry.key), entry);
  }

  start(): void {
    this.scanId = this.context.scanner.start(this.request.partition, {
      onEntries: (entries) => {
        for (const entry of entries) if (this.segments.has(segmentOf(entry.bucket, entry.key))) this.mine.set(keyIdOf(entry.bucket, entry.key), entry);
      },
      onDone: () => this.answer(),
    });
  }

  cancel(): void {
    if (this.scanId !== undefined) this.context.scanner.cancel(this.scanId);
    this.done = true;
  }

  private answer(): void {
    this.scanId = undefined;
    const { host } = this.context;
    const { partition, opId } = this.request;
    const toPeer: ScannedEntry[] = [];
    for (const [id, entry] of this.mine) {
      if (this.theirs.get(id)?.digest === keyDigest(entry.bucket, entry.key, entry.object)) continue;
      if (replicates(this.context, this.peer, partition, entry.bucket)) toPeer.push(entry);
    }
    const wanted = [...this.theirs]
      .filter(([id, entry]) => this.differs(id, entry) && replicates(this.context, host.self, partition, entry.bucket))
      .map(([, { bucket, key }]) => ({ bucket, key }));
    sendRepairs(this.context, this.peer, opId, partition, toPeer);
    host.send(this.peer, { kind: 'aaeKeysReply', opId, partition, status: 'ok', wanted });
    this.done = true;
  }

  private differs(id: string, theirs: AaeKeyDigest): boolean {
    const mine = this.mine.get(id);
    return mine === undefined || keyDigest(mine.bucket, mine.key, mine.object) !== theirs.digest;
  }
}
