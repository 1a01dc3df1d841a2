/**
 * Collecting tombstones (DESIGN §2.5: "tombstones are collected only when every replica and every
 * pending hint is known to hold them"; docs/handoff.md, "Tombstones").
 *
 * The first owner of a partition runs its rounds, one at a time, each over the tombstones of the
 * next chunk of the partition's keys:
 * 1. fence — every active member raises the partition's epoch (durably) and reports how it holds
 *    each candidate (participant.ts);
 * 2. confirm — every member still has the epoch, on the same disk (a member wiped after answering
 *    step 1 has lost it, and could take a late old version for new);
 * 3. remove — a candidate that every replica of its key holds exactly, that no member holds in
 *    another form, and of which no member keeps a hint, is dropped wherever it is held (each
 *    holder drops it only if it is still exactly the tombstone).
 * A round runs only while the ring is settled and this node sees every member up; a view change,
 * a refusal, a silent member or the timeout ends it with nothing removed. The epochs it raised
 * stay raised, which costs nothing: objects read after them are fresh.
 */
import type { CandidateHolding, TombConfirmReply, TombFenceReply, TransferEntry } from '../messages.ts';
import { isDeleted } from '../version/object.ts';
import type { TombstoneHost } from './host.ts';
import type { TombstoneParticipant } from './participant.ts';
import { roundMembers, roundParticipants, roundsAllowed, roundViewId } from './round-view.ts';
import type { TombstoneSettings } from './settings.ts';

interface Round {
  readonly partition: number;
  readonly epoch: number;
  readonly view: string;
  readonly members: readonly string[];
  readonly candidates: readonly TransferEntry[];
  /** Where the next round over this partition starts scanning; null: from the start. */
  readonly resumeAfter: { bucket: string; key: string } | null;
  readonly deadlineMs: number;
  step: 'fence' | 'confirm';
  readonly opIds: Map<number, string>;
  readonly holdings: Map<string, readonly CandidateHolding[]>;
  readonly incarnations: Map<string, string>;
  readonly confirmed: Set<string>;
}

export class TombstoneCollector {
  private round: Round | null = null;
  private scanning = false;
  private nextRoundMs = 0;
  /** Partitions are visited in turn; each resumes where its last scan ended. */
  private partitionCursor = 0;
  private readonly keyCursors = new Map<number, { bucket: string; key: string } | null>();
  /**
   * Partitions a whole sweep found no tombstone in, and none stored here since: not scanned again
   * until one is (`onTombstoneStored`). A store without deletes costs no background reads.
   */
  private readonly quiet = new Set<number>();
  /** Per partition under a sweep: whether it has met a tombstone since the sweep began. */
  private readonly sweeps = new Map<number, { found: boolean }>();
  /** The highest epoch a member reported per partition: the next round goes past it. */
  private readonly epochsSeen = new Map<number, number>();
  /**
   * Removed nodes that cannot take part (they missed a confirmed round while down, or do not know
   * the epochs): they would refuse every fence, so they are left out of later rounds instead of
   * blocking them (what they hold stays refused).
   */
  private readonly leftBehind = new Set<string>();

  constructor(
    private readonly settings: TombstoneSettings,
    private readonly host: TombstoneHost,
    private readonly participant: TombstoneParticipant,
  ) {}

  /** The round in progress, for status pages and tests. */
  get roundInProgress(): { partition: number; epoch: number; step: string } | null {
    const round = this.round;
    return round === null ? null : { partition: round.partition, epoch: round.epoch, step: round.step };
  }

  onTick(): void {
    const { host } = this;
    if (this.round !== null && host.nowMs >= this.round.deadlineMs) this.end('timeout');
    if (!this.settings.enabled || this.round !== null || this.scanning || host.nowMs < this.nextRoundMs) return;
    this.nextRoundMs = host.nowMs + this.settings.scanIntervalMs;
    const view = host.view;
    if (!host.epochs.known || !roundsAllowed(view)) return;
    const active = roundMembers(view);
    if (!active.includes(host.self) || active.some((member) => !host.isReachable(member))) return;
    const members = roundParticipants(view, (node) => host.isReachable(node) && !this.leftBehind.has(node));
    const partition = this.nextPartition();
    if (partition === null) return;
    this.scanning = true;
    const after = this.keyCursors.get(partition) ?? null;
    if (after === null) this.sweeps.set(partition, { found: false });
    host.scan(partition, after, this.settings.scanEntriesMax, (result) => {
      this.scanning = false;
      const last = result.entries.at(-1);
      const resumeAfter = result.exhausted || last === undefined ? null : { bucket: last.bucket, key: last.key };
      const candidates = result.entries.filter((entry) => isDeleted(entry.object));
      const sweep = this.sweeps.get(partition);
      if (sweep !== undefined && candidates.length > 0) sweep.found = true;
      if (resumeAfter === null && sweep?.found === false) this.quiet.add(partition);
      if (candidates.length === 0 || roundViewId(host.view) !== roundViewId(view)) {
        this.keyCursors.set(partition, resumeAfter);
        return;
      }
      this.start(partition, candidates, resumeAfter, members, roundViewId(view));
    });
  }

  onFenceReply(from: string, message: TombFenceReply): void {
    const round = this.round;
    if (round === null || round.step !== 'fence' || round.opIds.get(message.opId) !== from) return;
    round.opIds.delete(message.opId);
    this.epochsSeen.set(round.partition, Math.max(this.epochsSeen.get(round.partition) ?? 0, message.epoch));
    if (message.unfit === true && this.isRemoved(from)) this.leftBehind.add(from);
    if (message.refused !== undefined || message.holdings.length !== round.candidates.length) return this.end('refused');
    round.holdings.set(from, message.holdings);
    round.incarnations.set(from, message.incarnation);
    if (round.holdings.size === round.members.length) this.confirm(round);
  }

  onConfirmReply(from: string, message: TombConfirmReply): void {
    const round = this.round;
    if (round === null || round.step !== 'confirm' || round.opIds.get(message.opId) !== from) return;
    round.opIds.delete(message.opId);
    if (!message.confirmed || message.incarnation !== round.incarnations.get(from)) return this.end('unconfirmed');
    round.confirmed.add(from);
    if (round.confirmed.size === round.members.length) this.remove(round);
  }

  /** A tombstone was stored here (by any path: a delete, replication, repair, transfer). */
  onTombstoneStored(partition: number): void {
    this.quiet.delete(partition);
    const sweep = this.sweeps.get(partition);
    if (sweep !== undefined) sweep.found = true; // it may sit behind the sweep's cursor
  }

  /** A member could not be sent a step: the round cannot complete. */
  onDeliveryFailed(opId: number): void {
    if (this.round?.opIds.has(opId)) this.end('undelivered');
  }

  private isRemoved(node: string): boolean {
    return this.host.view.members.some((member) => member.name === node && member.status === 'removed');
  }

  private nextPartition(): number | null {
    const { ring, self } = this.host;
    for (let tried = 0; tried < ring.partitionCount; tried++) {
      const partition = this.partitionCursor;
      this.partitionCursor = (this.partitionCursor + 1) % ring.partitionCount;
      if (ring.owners[partition] === self && !this.quiet.has(partition)) return partition;
    }
    return null;
  }

  private start(partition: number, candidates: readonly TransferEntry[], resumeAfter: Round['resumeAfter'], members: readonly string[], view: string): void {
    const { host } = this;
    const epoch = Math.max(host.epochs.of(partition), this.epochsSeen.get(partition) ?? 0) + 1;
    const round: Round = {
      partition,
      epoch,
      view,
      members,
      candidates,
      resumeAfter,
      deadlineMs: host.nowMs + this.settings.roundTimeoutMs,
      step: 'fence',
      opIds: new Map(),
      holdings: new Map(),
      incarnations: new Map(),
      confirmed: new Set(),
    };
    this.round = round;
    this.nextRoundMs = host.nowMs + this.settings.roundIntervalMs;
    host.count('tombstones.rounds');
    for (const member of members) {
      const opId = host.nextOpId();
      round.opIds.set(opId, member);
      // Only a removed participant can have been left out of a confirmed round (an active one never is).
      const confirmed = this.isRemoved(member) ? host.epochs.confirmedOf(partition) : 0;
      const fence = { kind: 'tombFence' as const, opId, partition, epoch, confirmed, view, candidates };
      if (member === host.self) this.participant.onFence(fence, (reply) => this.onFenceReply(member, reply));
      else host.send(member, fence);
    }
  }

  private confirm(round: Round): void {
    const { host } = this;
    round.step = 'confirm';
    for (const member of round.members) {
      const opId = host.nextOpId();
      round.opIds.set(opId, member);
      const message = { kind: 'tombConfirm' as const, opId, partition: round.partition, epoch: round.epoch, view: round.view };
      if (member === host.self) this.participant.onConfirm(message, (reply) => this.onConfirmReply(member, reply));
      else host.send(member, message);
    }
  }

  private remove(round: Round): void {
    const { host } = this;
    if (roundViewId(host.view) !== round.view) return this.end('refused');
    const byHolder = new Map<string, TransferEntry[]>();
    round.candidates.forEach((candidate, i) => {
      const holders = this.holdersIfCollectable(round, candidate, i);
      for (const holder of holders ?? []) byHolder.set(holder, [...(byHolder.get(holder) ?? []), candidate]);
      if (holders !== null) host.count('tombstones.collected');
    });
    for (const [holder, entries] of byHolder) {
      const message = { kind: 'tombRemove' as const, opId: host.nextOpId(), partition: round.partition, epoch: round.epoch, entries };
      if (holder === host.self) this.participant.onRemove(message);
      else host.send(holder, message);
    }
    this.end('done');
  }

  /** The members holding candidate `i`, if it may be collected: null if any member holds it otherwise. */
  private holdersIfCollectable(round: Round, candidate: TransferEntry, i: number): string[] | null {
    const holders: string[] = [];
    for (const member of round.members) {
      const holding = round.holdings.get(member)![i]!;
      if (holding === 'other') return null;
      if (holding === 'tombstone') holders.push(member);
    }
    const replicas = this.host.replicasOf(round.partition, candidate.bucket);
    return replicas.every((replica) => holders.includes(replica)) ? holders : null;
  }

  private end(outcome: 'done' | 'refused' | 'unconfirmed' | 'undelivered' | 'timeout'): void {
    const round = this.round;
    if (round === null) return;
    this.round = null;
    if (outcome === 'done') this.keyCursors.set(round.partition, round.resumeAfter);
    else this.host.count(`tombstones.rounds.${outcome}`);
  }
}
