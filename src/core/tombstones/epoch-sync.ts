/**
 * How a node that does not know the partition epochs learns them (tombstones/epochs.ts): a node
 * whose disk is new, and a node that became a member again (rounds may have run without it).
 * Until it knows them it refuses every object sent to it, since a late old version could come
 * back through it; it asks every member, and takes the first answer from a member that knows. A
 * round removes nothing until every member has its epoch on disk (collector.ts, step 2), so any
 * member that knows is as good as all of them. When every other member answers that its disk is
 * new too, the cluster is new and there is nothing to learn.
 */
import type { ClusterView } from '../membership/view.ts';
import type { EpochsQuery, EpochsReply } from '../messages.ts';
import type { TombstoneHost } from './host.ts';
import { roundMembers } from './round-view.ts';
import type { TombstoneSettings } from './settings.ts';

export class EpochSync {
  private nextQueryMs = 0;
  /** Members that answered that they do not know the epochs either. */
  private readonly unknowing = new Set<string>();
  /** Set once a member's record showed this disk missed a round that may have removed (below). */
  private blocked = false;
  /** The last view asked about, and whether this node is an active member in it. */
  private memberIn: { readonly view: ClusterView; readonly member: boolean } | undefined;

  constructor(
    private readonly settings: TombstoneSettings,
    private readonly host: TombstoneHost,
  ) {}

  onTick(): void {
    const { host } = this;
    const member = this.isMember();
    // Whether it was a member is what its disk says (epochs.ts `member`), so a crash right after
    // the view that made it one again does not skip this.
    if (member !== host.epochs.member) {
      if (member && host.epochs.known) host.epochs.forget();
      if (member) host.epochs.clearAbandoned();
      host.epochs.member = member;
      host.persistEpochs(() => {});
    }
    if (host.epochs.known || !member || this.blocked || host.nowMs < this.nextQueryMs) return;
    this.nextQueryMs = host.nowMs + this.settings.epochsQueryIntervalMs;
    const others = this.others();
    if (others.length === 0) return this.settle(() => host.epochs.startFresh());
    this.unknowing.clear(); // only answers to this round of queries count (a new peer may have learned since)
    for (const peer of others) host.send(peer, { kind: 'epochsQuery', opId: host.nextOpId() });
  }

  onQuery(from: string, message: EpochsQuery): void {
    const { host } = this;
    const known = host.epochs.known && this.isMember();
    const toMember = roundMembers(host.view).includes(from);
    host.send(from, { kind: 'epochsReply', opId: message.opId, known, complete: true, toMember, epochs: known ? host.epochs.record().epochs : [] });
  }

  onReply(from: string, message: EpochsReply): void {
    const { host } = this;
    // A node that is not an active member raises its fences only in rounds. One whose view lists
    // it while the answerer's does not waits for gossip to settle which is right.
    // (Either way: a node whose view and the answerer's disagree waits for gossip to settle it.)
    if (!this.isMember()) return message.toMember ? undefined : this.noteMissedRounds(message);
    if (!message.toMember) return;
    if (host.epochs.known) return this.catchUp(message);
    // Only a whole record teaches a node that does not know: a refusal names one partition.
    if (!message.complete || this.blocked) return;
    if (message.known) return this.learnFrom(message);
    this.unknowing.add(from);
    if (this.others().every((peer) => this.unknowing.has(peer))) this.settle(() => host.epochs.startFresh());
  }

  /**
   * A peer refused objects this node stamped below its epoch, and said what its epochs are. An
   * active member takes them (epochs.ts `catchUp`): every round fences every active member of its
   * view, and confirms only if each still holds its fence on the same disk, so a round it has not
   * been fenced by is either over without removing anything, or still to fence it — and then its
   * fence comes at or below the epoch taken, and is refused, and the round removes nothing. A
   * removed node may have been left out of a round (it was down), so it never takes a peer's
   * word: only a round's fence raises its epoch.
   */
  private catchUp(message: EpochsReply): void {
    if (!message.known) return;
    let raised = false;
    for (const entry of message.epochs) raised = this.host.epochs.catchUp(entry) || raised;
    if (!raised) return;
    this.host.count('tombstones.epochsCaughtUp');
    this.host.persistEpochs(() => {});
  }

  /**
   * A disk that is not new, back as a member, may hold old versions of keys a round removed while
   * it was away (it was removed and down). Learning the epochs would stamp them as fresh, so it
   * does not: it keeps refusing objects, and says so (metric tombstones_rejoinBlocked). Its data
   * dir must be wiped for it to join (docs/handoff.md).
   */
  private learnFrom(message: EpochsReply): void {
    const { host } = this;
    if (!host.epochs.newDisk && host.epochs.missedIn(message.epochs).length > 0) {
      this.blocked = true;
      host.count('tombstones.rejoinBlocked');
      return;
    }
    this.settle(() => host.epochs.learn(message.epochs));
  }

  /**
   * A node that is not an active member was refused as behind a round. It may not take the
   * round's epoch (it may have been left out of it), and rounds may never fence it again (a node
   * outside the view is in none), so what it holds of the partition could never be handed off: it
   * gives it up (epochs.ts `abandon`).
   */
  private noteMissedRounds(message: EpochsReply): void {
    const { epochs } = this.host;
    if (!epochs.known || !message.known) return;
    for (const [partition, epoch] of message.epochs) {
      if (epochs.of(partition) >= epoch || epochs.isAbandoned(partition)) continue;
      epochs.abandon(partition);
      this.host.count('tombstones.partitionsAbandoned');
    }
  }

  private settle(learn: () => void): void {
    learn();
    this.unknowing.clear();
    this.host.count('tombstones.epochsLearned');
    this.host.persistEpochs(() => {});
  }

  /**
   * Asked at every tick: answered once per view (views are replaced, never changed), not by
   * listing the members 100 times a second.
   */
  private isMember(): boolean {
    const { view, self } = this.host;
    if (view !== this.memberIn?.view) this.memberIn = { view, member: view.version > 0 && roundMembers(view).includes(self) };
    return this.memberIn.member;
  }

  private others(): string[] {
    return roundMembers(this.host.view).filter((member) => member !== this.host.self);
  }
}
