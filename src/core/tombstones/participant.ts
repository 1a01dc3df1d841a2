/**
 * A member's side of a collection round (docs/handoff.md, "Tombstones"): every member, replica
 * or not, answers each step, because a copy or a hint of a candidate may be anywhere.
 *
 * The fence step does three things in an order that matters:
 * 1. it reads each candidate — a replica that holds exactly the tombstone now can only ever read
 *    the tombstone or something newer afterwards (objects only grow by merges);
 * 2. it raises the partition's epoch and waits until that is on disk — from then on it refuses
 *    objects read anywhere before their reader was fenced, and every read it makes is stamped
 *    with the new epoch;
 * 3. it reads each candidate again and, once every hint write it took before 2 has reached the
 *    disk, looks for hints of it — an old version that arrived between 1 and 2 shows up here.
 * A candidate is reported as held `tombstone` (both reads found exactly it), `absent` (neither
 * found anything) or `other`. Had it raised the epoch first, a replica that received the tombstone
 * only after raising it could have stamped a read of the old version as new.
 */
import type { StoreTarget } from '../coordinator/operation.ts';
import type { CandidateHolding, TombConfirm, TombConfirmReply, TombFence, TombFenceReply, TombRemove, TransferEntry } from '../messages.ts';
import { objectsEqual } from '../version/object.ts';
import type { StoredObject } from '../version/types.ts';
import type { TombstoneHost } from './host.ts';
import { roundViewId, servesNewerView } from './round-view.ts';

type Observation = StoredObject | null | 'failed';

export class TombstoneParticipant {
  constructor(private readonly host: TombstoneHost) {}

  onFence(message: TombFence, reply: (answer: TombFenceReply) => void): void {
    const { host } = this;
    const { partition, epoch, candidates } = message;
    const answer = (holdings: CandidateHolding[], refused?: string, unfit?: true): void =>
      reply({
        kind: 'tombFenceReply',
        opId: message.opId,
        incarnation: host.incarnation,
        holdings,
        epoch: host.epochs.of(partition),
        ...(refused === undefined ? {} : { refused }),
        ...(unfit === undefined ? {} : { unfit }),
      });
    const unfit = this.unfitness(message);
    if (unfit !== null) return answer([], unfit, true);
    const refusal = this.refusal(message);
    if (refusal !== null) return answer([], refusal);
    this.readAll(partition, candidates, (before) => {
      // Another round's fence may have overtaken this one while the reads ran.
      if (host.epochs.of(partition) >= epoch) return answer([], `partition ${partition} is at epoch ${host.epochs.of(partition)} already`);
      host.epochs.raise(partition, epoch);
      host.count('tombstones.fencesRaised');
      host.persistEpochs(() => {
        this.readAll(partition, candidates, (after) => {
          // A hint write taken before the raise may still be on its way to disk: wait for it.
          host.afterHintOps(() => this.hintsOf(partition, candidates, (hinted) => {
            answer(candidates.map((candidate, i) => holding(candidate.object, before[i]!, after[i]!, hinted[i]!)));
          }));
        });
      });
    });
  }

  /**
   * Step 2: still on the disk that raised the epoch, and no newer view. The confirmed epoch goes to
   * disk before the answer: a node told this one's epochs later catches up only past rounds that
   * were never confirmed (epochs.ts `catchUp`), and a round confirmed here may remove.
   */
  onConfirm(message: TombConfirm, reply: (answer: TombConfirmReply) => void): void {
    const { host } = this;
    const answer = (confirmed: boolean): void => reply({ kind: 'tombConfirmReply', opId: message.opId, incarnation: host.incarnation, confirmed });
    if (!host.epochs.known || host.epochs.of(message.partition) < message.epoch || servesNewerView(host.view, message.view)) return answer(false);
    host.epochs.confirm(message.partition, message.epoch);
    host.persistEpochs(() => answer(true));
  }

  /** Drops each tombstone still exactly as the round saw it; a changed one stays for a later round. */
  onRemove(message: TombRemove): void {
    const { host } = this;
    if (!host.epochs.known || host.epochs.of(message.partition) < message.epoch) return; // not this disk's fence
    for (const { bucket, key, object } of message.entries) host.drop({ partition: message.partition, bucket, key }, object);
  }

  /** Why this node cannot take part in the collector's rounds at all, or null. */
  private unfitness(message: TombFence): string | null {
    const { host } = this;
    if (!host.epochs.known) return 'this node does not know the partition epochs yet';
    // A node left out of a round that may have removed keys (a removed node that was down) cannot
    // vouch for what it holds of them: raising its fence would stamp old copies as fresh.
    const here = host.epochs.of(message.partition);
    if (here < message.confirmed) return `this node missed round ${message.confirmed} of partition ${message.partition}`;
    return null;
  }

  /** Why this node refuses this fence (the round ends; a later one may do), or null. */
  private refusal(message: TombFence): string | null {
    const { host } = this;
    if (servesNewerView(host.view, message.view)) return `this node serves view ${roundViewId(host.view)}, newer than ${message.view}`;
    const here = host.epochs.of(message.partition);
    if (message.epoch <= here) return `partition ${message.partition} is at epoch ${here} already`;
    return null;
  }

  private readAll(partition: number, candidates: readonly TransferEntry[], done: (observed: Observation[]) => void): void {
    collect(candidates, (candidate, settle: (observed: Observation) => void) => this.host.read(target(partition, candidate), settle), done);
  }

  private hintsOf(partition: number, candidates: readonly TransferEntry[], done: (hinted: (boolean | 'failed')[]) => void): void {
    collect(candidates, (candidate, settle: (held: boolean | 'failed') => void) => this.host.holdsHint(target(partition, candidate), settle), done);
  }
}

function holding(tombstone: StoredObject, before: Observation, after: Observation, hinted: boolean | 'failed'): CandidateHolding {
  if (hinted !== false || before === 'failed' || after === 'failed') return 'other';
  if (before === null && after === null) return 'absent';
  if (before !== null && after !== null && objectsEqual(before, tombstone) && objectsEqual(after, tombstone)) return 'tombstone';
  return 'other';
}

function target(partition: number, entry: TransferEntry): StoreTarget {
  return { partition, bucket: entry.bucket, key: entry.key };
}

/** Runs `start` for every item and calls `done` with the results in order once all have settled. */
function collect<T, R>(items: readonly T[], start: (item: T, settle: (result: R) => void) => void, done: (results: R[]) => void): void {
  const results: R[] = new Array<R>(items.length);
  let pending = items.length;
  if (pending === 0) return done(results);
  items.forEach((item, i) => {
    start(item, (result) => {
      results[i] = result;
      if (--pending === 0) done(results);
    });
  });
}
