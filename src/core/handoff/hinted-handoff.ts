/**
 * Hinted handoff (Dynamo §4.6), the holder's side: it keeps count of the hints it holds, and
 * while any is held it scans them in bounded batches and delivers each whose owner its failure
 * detector (Dynamo §4.8) sees reachable. A hint is deleted only after its owner acknowledged
 * storing it, and only if it did not change meanwhile (a newer version for the same owner waits
 * for the next round), so a crash anywhere loses no hint: at worst one is delivered twice, and
 * delivering a version twice merges to the same object.
 */
import type { Hint, HintOp, HintOutcome, HintTarget } from './hint-op.ts';
import type { HintDeliverReply } from '../messages.ts';
import type { CoreCounter } from '../counters.ts';

/** How often the holder looks for hints it can deliver. */
export const hintDeliveryIntervalMs = 100;
/** Hint records read and delivered per batch (bounds memory, disk reads and messages per round). */
export const hintsPerBatchMax = 32;
/** A batch whose acknowledgements have not all come by then is given up; its hints are retried. */
export const hintBatchTimeoutMs = 2_000;

export interface HandoffHost {
  readonly self: string;
  readonly nowMs: number;
  nextOpId(): number;
  isReachable(node: string): boolean;
  /** Whether `node` is a member of the current ring (a node that left is not). */
  isMember(node: string): boolean;
  /** The key's current primaries (its preference list), in order. */
  primariesOf(hint: HintTarget): readonly string[];
  /** Sends `hint`, read when its partition was at epoch `stamp` (tombstones/epochs.ts). */
  deliver(to: string, opId: number, hint: Hint, stamp: number): void;
  /** The epoch of each partition now, frozen: what a scan issued now stamps its hints with. */
  epochsNow(): (partition: number) => number;
  /** Hints of the partition are dropped, not delivered: a round this node missed made them unverifiable (tombstones/epochs.ts). */
  abandoned(partition: number): boolean;
  hints(op: HintOp, done: (outcome: HintOutcome) => void): void;
  count(metric: CoreCounter, by?: number): void;
}

export class HintedHandoff {
  /** Hints held (owner, key pairs); null until counted at boot. */
  private pendingCount: number | null = null;
  private counting = false;
  private scanning = false;
  private scannedOnce = false;
  private cursor: HintTarget | null = null;
  private nextRoundMs = 0;
  private batchDeadlineMs = 0;
  /** Deliveries awaiting acknowledgement: the hint and the node it went to. */
  private readonly inflight = new Map<number, { readonly hint: Hint; readonly to: string }>();
  /** Owners of hints seen held: the failure detector watches them even when they share no partition. */
  readonly owners = new Set<string>();
  /** Hints held per owner (counted with `pendingCount`), for status pages. */
  private readonly pendingOf = new Map<string, number>();

  get pending(): number {
    return this.pendingCount ?? 0;
  }

  /** Hints held for each owner that has any (empty until counted at boot). */
  get pendingByOwner(): ReadonlyMap<string, number> {
    return this.pendingOf;
  }

  /** Deliveries sent and not yet acknowledged: the hints draining now. */
  get delivering(): number {
    return this.inflight.size;
  }

  onHintStored(hint: Hint, created: boolean): void {
    this.owners.add(hint.owner);
    if (created && this.pendingCount !== null) {
      this.pendingCount += 1;
      this.pendingOf.set(hint.owner, (this.pendingOf.get(hint.owner) ?? 0) + 1);
    }
  }

  tick(host: HandoffHost): void {
    if (this.pendingCount === null) return this.countAtBoot(host);
    if (this.inflight.size > 0 && host.nowMs < this.batchDeadlineMs) return;
    // Only when it holds something: clearing a Map makes it a new table every time (every tick).
    if (this.inflight.size > 0) this.inflight.clear();
    if (this.scanning || this.pendingCount === 0 || host.nowMs < this.nextRoundMs) return;
    // Nothing to do while every owner is away (a hint for a node that left goes to the key's primaries).
    if (this.scannedOnce && ![...this.owners].some((owner) => host.isReachable(owner) || !host.isMember(owner))) return;
    this.nextRoundMs = host.nowMs + hintDeliveryIntervalMs;
    this.scanning = true;
    const stampOf = host.epochsNow();
    host.hints({ kind: 'scan', after: this.cursor, limit: hintsPerBatchMax }, (outcome) => this.onScanned(host, outcome, stampOf));
  }

  onReply(host: HandoffHost, from: string, reply: HintDeliverReply): void {
    const delivery = this.inflight.get(reply.opId);
    if (delivery === undefined || delivery.to !== from) return;
    this.inflight.delete(reply.opId);
    const { hint } = delivery;
    if (reply.error != null) return; // kept; retried next round
    host.count('hints.delivered');
    this.forget(host, hint);
  }

  /** Deletes the hint if it is still exactly what was read. */
  private forget(host: HandoffHost, hint: Hint): void {
    host.hints({ kind: 'delete', hint }, (outcome) => {
      if (outcome.kind !== 'deleted' || !outcome.deleted || this.pendingCount === null) return;
      this.pendingCount = Math.max(0, this.pendingCount - 1);
      const left = (this.pendingOf.get(hint.owner) ?? 0) - 1;
      if (left > 0) this.pendingOf.set(hint.owner, left);
      else this.pendingOf.delete(hint.owner);
    });
  }

  onDeliveryFailed(opId: number): void {
    this.inflight.delete(opId);
  }

  private countAtBoot(host: HandoffHost): void {
    if (this.counting) return;
    this.counting = true;
    host.hints({ kind: 'count' }, (outcome) => {
      this.counting = false;
      if (outcome.kind !== 'counted') return;
      this.pendingCount = outcome.count;
      for (const [owner, count] of outcome.byOwner) this.pendingOf.set(owner, count);
    });
  }

  private onScanned(host: HandoffHost, outcome: HintOutcome, stampOf: (partition: number) => number): void {
    this.scanning = false;
    if (outcome.kind !== 'scanned') return;
    this.scannedOnce = true;
    this.cursor = outcome.last;
    this.batchDeadlineMs = host.nowMs + hintBatchTimeoutMs;
    for (const hint of outcome.hints) {
      this.owners.add(hint.owner);
      if (host.abandoned(hint.partition)) {
        host.count('hints.abandoned');
        this.forget(host, hint);
        continue;
      }
      const to = deliveryTarget(host, hint);
      if (to === undefined) continue;
      const opId = host.nextOpId();
      this.inflight.set(opId, { hint, to });
      host.deliver(to, opId, hint, stampOf(hint.partition));
    }
  }
}

/**
 * Where a hint goes: its owner when reachable; when the owner has left the ring meanwhile (Dynamo
 * §4.9), the first reachable node of the key's current preference list other than this one, so a
 * hint never waits for a node that will not come back. Undefined: nobody to give it to now.
 */
function deliveryTarget(host: HandoffHost, hint: Hint): string | undefined {
  if (host.isMember(hint.owner)) return hint.owner !== host.self && host.isReachable(hint.owner) ? hint.owner : undefined;
  return host.primariesOf(hint).find((node) => node !== host.self && host.isReachable(node));
}
