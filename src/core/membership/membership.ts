/**
 * Membership of one node (Dynamo §4.8 and §4.9): it holds the node's view of the ring, gossips
 * it, adopts what peers know, stages and commits changes, and runs the partition transfers a
 * commit asks of this node, and hands off and drops the data it no longer replicates
 * (stray-sweeper.ts). The node swaps its ring whenever the view changes (`onViewChanged`).
 *
 * Gossip is push-pull: every `gossipIntervalMs` the node sends its view to one random member;
 * a receiver that knows more answers with the merge, so one exchange brings both up to date.
 * Every `seedGossipEveryRounds`-th round it also gossips to a seed, which keeps the ring from
 * splitting into groups that each think the others gone (§4.8.2 "External Discovery").
 */
import { KvorumError } from '../errors.ts';
import type { Gossip, PeerMessage, TransferChunk } from '../messages.ts';
import type { RingNode } from '../ring/types.ts';
import type { StoredObject } from '../version/types.ts';
import { GossipRandom } from './gossip-random.ts';
import type { MembershipHost } from './host.ts';
import { encodeMembership, membershipMetaName } from './persisted.ts';
import { abortTransition, commitPlan, finalizeIfDone, gossipTargets, planChange, type Plan } from './plan.ts';
import { stage, type StagedChange } from './staged.ts';
import { StraySweeper } from './stray-sweeper.ts';
import { TransferReceiver } from './transfer-receiver.ts';
import { TransferSender, type TransferProgress } from './transfer-sender.ts';
import { bucketEntriesOf, transferId, withBucketEntries, type ClusterView } from './view.ts';
import { setBucketEntry } from './bucket-props.ts';
import type { BucketProps } from '../limits.ts';
import { mergeViews, sameView } from './view-merge.ts';

/** Dynamo §4.8.1: "every second". */
export const gossipIntervalMs = 1_000;
/** One round in this many also gossips to a seed. */
export const seedGossipEveryRounds = 5;
/** Members a node that has just started asks for their view each round, until one answers. */
export const startGossipFanout = 3;
/** Non-members (nodes asking to join) a node remembers the address of, to answer their gossip. */
export const contactsCountMax = 64;

export interface MembershipConfig {
  readonly self: RingNode;
  /** Seed nodes by name → node address ("host:port"). */
  readonly seeds: ReadonlyMap<string, string>;
  /** The largest N of any bucket: claim keeps N consecutive partitions on distinct nodes. */
  readonly replicasN: number;
  /**
   * The smallest N of any bucket (replicasN when left out). Where a node is past it in a
   * partition's walk, keys of the smaller buckets there are not its own: the stray sweeper looks.
   */
  readonly replicasNMin?: number | undefined;
  /** Seeds the choice of gossip peers (the core draws no random numbers itself). */
  readonly gossipSeed: number;
  readonly initialView: ClusterView;
  readonly initialStaged?: readonly StagedChange[] | undefined;
  /** The initial view is current as given (a fixed ring, in unit tests): no peer need confirm it. */
  readonly initialViewCurrent?: boolean | undefined;
}

export class Membership {
  private current: ClusterView;
  private stagedChanges: StagedChange[];
  private readonly random: GossipRandom;
  private readonly contacts = new Map<string, string>();
  private readonly sender: TransferSender;
  private readonly receiver: TransferReceiver;
  private readonly sweeper: StraySweeper;
  /** Members known to hold the current view, while it is an abort (commits wait for them). */
  private readonly abortKnownBy = new Set<string>();
  private nextGossipMs = 0;
  private rounds = 0;
  /** Whether a peer's view has reached this node since it started (`viewConfirmed`). */
  private heardSinceStart: boolean;
  /** Bumped whenever the addresses this node may send to change (the runtime updates its transport). */
  addressesVersion = 1;

  constructor(
    private readonly config: MembershipConfig,
    private readonly host: MembershipHost,
    private readonly onViewChanged: (view: ClusterView) => void,
  ) {
    this.current = config.initialView;
    this.stagedChanges = [...(config.initialStaged ?? [])];
    this.random = new GossipRandom(config.gossipSeed);
    this.sender = new TransferSender(host, (id) => this.markCompleted(id));
    this.receiver = new TransferReceiver(host, (from, chunk) => this.onLastChunkStored(from, chunk));
    this.sweeper = new StraySweeper(host, config.replicasNMin ?? config.replicasN, config.self.address);
    this.heardSinceStart = config.initialViewCurrent === true || gossipTargets(this.current, config.self.name).length === 0;
  }

  get view(): ClusterView {
    return this.current;
  }

  /**
   * Whether this node's view is known to be current: a peer's view has reached it since it
   * started (or it has no peer). Until then the node may have been removed while it was down and
   * not know it — and serve copies whose tombstones the members have collected since, which no
   * round could fence while it was away — so it coordinates nothing (node.ts). It asks every
   * member for its view as it starts, so this takes one round trip.
   */
  get viewConfirmed(): boolean {
    return this.heardSinceStart;
  }

  get staged(): readonly StagedChange[] {
    return this.stagedChanges;
  }

  /**
   * Every node this one may need to reach: members, seeds, and nodes asking to join. Removed
   * members stay reachable: a put begun under the previous view may still send a replica write to
   * a node that just left, and that node passes it on to the new replicas (onLocalWrite); dropping
   * it from the transport would lose the write for them.
   */
  addresses(): Map<string, string> {
    const addresses = new Map<string, string>(this.config.seeds);
    for (const [name, address] of this.contacts) addresses.set(name, address);
    for (const member of this.current.members) addresses.set(member.name, member.address);
    addresses.delete(this.config.self.name);
    return addresses;
  }

  transfers(): { pending: { id: string; partition: number; from: string; to: string; completed: boolean }[]; local: TransferProgress[] } {
    const completed = new Set(this.current.completed);
    const pending = this.current.transfers.map((transfer) => ({ id: transferId(transfer), ...transfer, completed: completed.has(transferId(transfer)) }));
    return { pending, local: this.sender.progress() };
  }

  onTick(): void {
    if (this.host.nowMs >= this.nextGossipMs) this.gossipRound();
    this.sender.onTick(this.current);
    this.sweeper.onTick(this.current);
  }

  onMessage(from: string, message: PeerMessage): void {
    switch (message.kind) {
      case 'gossip':
        return this.onGossip(from, message);
      case 'transferChunk':
        return this.onChunk(from, message);
      case 'transferAck':
        this.sender.onAck(message);
        this.sweeper.onAck(message);
        return;
      default:
        return;
    }
  }

  onDeliveryFailed(message: PeerMessage): void {
    if (message.kind !== 'transferChunk') return;
    this.sender.onDeliveryFailed(message.opId);
    this.sweeper.onDeliveryFailed(message.opId);
  }

  /**
   * A write this node stored (as coordinator or replica; not one a transfer brought). It is
   * passed on where the ring is moving:
   * - while a partition this node sends is in transition, to the receivers: a write that lands
   *   behind the transfer's scan would otherwise never reach the partition's next replicas;
   * - when this node no longer replicates the partition (a coordinator with an older view sent
   *   it here), to the partition's replicas in this node's view, so a write made during the
   *   moments gossip takes to spread the end of a transition still reaches them.
   * It travels as a one-entry transfer chunk, which the receiver merges and never passes on,
   * stamped with the partition's epoch when the write was issued (tombstones/epochs.ts).
   */
  onLocalWrite(partition: number, bucket: string, key: string, object: StoredObject, stamp: number): void {
    const self = this.config.self.name;
    const replicas = this.host.replicasOf(partition, bucket);
    // Nearly every write: nothing moving, and a partition this node replicates. Nothing to pass on.
    if (this.current.transfers.length === 0 && replicas.includes(self)) return;
    const targets = new Set<string>();
    for (const transfer of this.current.transfers) if (transfer.partition === partition && transfer.from === self) targets.add(transfer.to);
    const gaining = this.current.transfers.some((transfer) => transfer.partition === partition && transfer.to === self);
    if (!replicas.includes(self) && !gaining) for (const replica of replicas) targets.add(replica);
    targets.delete(self);
    for (const to of targets) {
      this.host.count('transfers.writesForwarded');
      const entries = [{ bucket, key, object }];
      this.host.send(to, { kind: 'transferChunk', opId: this.host.nextOpId(), version: this.current.version, partition, entries, last: false, stamp });
    }
  }

  // ---- Operator commands (staged, Dynamo §4.8.1) ----

  stage(change: StagedChange): readonly StagedChange[] {
    this.stagedChanges = stage(this.current, this.stagedChanges, change);
    this.persist();
    return this.stagedChanges;
  }

  /**
   * Asks a node an operator wants to join for its view: its answer is the proof that the two can
   * talk, which staging its join waits for (runtime: NodeRuntime.awaitHandshake). It is remembered
   * as a contact, as a node that gossips to us first is.
   */
  probe(node: RingNode): void {
    this.rememberContact(node.name, node.address);
    this.sendGossip(node.name, true);
  }

  /**
   * Sets a bucket's properties (bucket-props.ts) as a new view of the same ring version, and tells
   * every member at once rather than waiting for gossip, as a commit does. `baseN`: the n it was
   * made over (bucket-props.ts setBucketEntry). Validation is the caller's (changedBucketProps).
   */
  setBucketProps(bucket: string, props: BucketProps, baseN = props.n): ClusterView {
    const buckets = setBucketEntry(bucketEntriesOf(this.current), bucket, props, this.config.self.name, baseN);
    this.adopt(withBucketEntries(this.current, buckets));
    this.broadcast();
    return this.current;
  }

  clearStaged(): void {
    this.stagedChanges = [];
    this.persist();
  }

  plan(): Plan {
    this.refuseUntilAbortKnown();
    return planChange(this.current, this.stagedChanges, this.config.replicasN, this.config.replicasNMin);
  }

  commit(): ClusterView {
    const committed = commitPlan(this.current, this.plan(), this.config.self.name);
    this.stagedChanges = [];
    this.adopt(committed);
    // Tell every member now rather than waiting for gossip to find them: the change starts at once.
    if (this.current === committed) this.broadcast();
    return this.current;
  }

  /** Ends the running transition where it is (plan.ts abortTransition) and tells every member at once. */
  abort(): ClusterView {
    const aborted = abortTransition(this.current, this.config.self.name);
    this.adopt(aborted);
    this.broadcast();
    return this.current;
  }

  /**
   * A commit on top of an abort would outrank the aborted transition's finalization (a higher
   * version), which a node may have made and served writes under before the abort reached it.
   * So it waits until every member this node sees as reachable holds the abort: a node that
   * holds it no longer sends, takes or completes that transition's transfers, so nobody can
   * finalize it any more. (A member down meanwhile is not waited for, or a dead one could
   * never be removed; one that restarts still holding the transition could finalize it only if
   * its last transfer completes before the abort reaches it.)
   */
  private refuseUntilAbortKnown(): void {
    if (this.current.aborted !== true) return;
    const waiting = gossipTargets(this.current, this.config.self.name).filter((name) => this.host.isReachable(name) && !this.abortKnownBy.has(name));
    if (waiting.length === 0) return;
    for (const name of waiting) this.sendGossip(name);
    throw new KvorumError('bad_request', `the abort (ring version ${this.current.version}) has not reached ${waiting.join(', ')} yet: try again in a moment`);
  }

  // ---- Gossip ----

  private gossipRound(): void {
    this.nextGossipMs = this.host.nowMs + gossipIntervalMs;
    this.rounds++;
    if (!this.heardSinceStart) {
      // Asks a few members at once, every round until one answers (a few: clusters may be large).
      const members = gossipTargets(this.current, this.config.self.name);
      for (let i = 0; i < startGossipFanout && members.length > 0; i++) {
        const name = this.random.pick(members)!;
        members.splice(members.indexOf(name), 1);
        this.sendGossip(name, true);
      }
      return;
    }
    // A round spent on a peer this node's failure detector sees as down is a round lost; when it
    // sees every member down, it tries them all (it hears of recoveries from any message).
    const members = gossipTargets(this.current, this.config.self.name);
    const reachable = members.filter((name) => this.host.isReachable(name));
    const peer = this.random.pick([...(reachable.length > 0 ? reachable : members), ...this.contacts.keys()]);
    if (peer !== undefined) this.sendGossip(peer);
    if (peer === undefined || this.rounds % seedGossipEveryRounds === 0) {
      const seed = this.random.pick([...this.config.seeds.keys()].filter((name) => name !== this.config.self.name && name !== peer));
      if (seed !== undefined) this.sendGossip(seed);
    }
  }

  private sendGossip(to: string, replyWanted = false): void {
    this.host.count('gossip.sent');
    const message: Gossip = { kind: 'gossip', opId: this.host.nextOpId(), view: this.current, senderAddress: this.config.self.address };
    this.host.send(to, replyWanted ? { ...message, replyWanted } : message);
  }

  private onGossip(from: string, message: Gossip): void {
    this.host.count('gossip.received');
    if (message.view.partitionCount !== this.current.partitionCount) {
      this.host.count('gossip.refusedPartitionCount');
      return;
    }
    this.rememberContact(from, message.senderAddress);
    this.heardSinceStart = true;
    const merged = mergeViews(this.current, message.view);
    const adopted = !sameView(merged, this.current);
    if (adopted) this.adopt(merged);
    const differs = !sameView(this.current, message.view);
    const replied = differs || message.replyWanted === true;
    if (replied) this.sendGossip(from);
    if (!differs && this.current.aborted === true) this.abortKnownBy.add(from);
    // The maker of an abort waits to hear that every member holds it (refuseUntilAbortKnown).
    const maker = this.current.changedBy;
    const told = replied && from === maker;
    if (adopted && this.current.aborted === true && maker !== this.config.self.name && !told && this.addresses().has(maker)) this.sendGossip(maker);
  }

  private rememberContact(from: string, address: string): void {
    if (this.current.members.some((member) => member.name === from && member.status !== 'removed')) return;
    if (this.contacts.get(from) === address) return;
    this.contacts.delete(from);
    if (this.contacts.size >= contactsCountMax) this.contacts.delete(this.contacts.keys().next().value!);
    this.contacts.set(from, address);
    this.addressesVersion++;
  }

  // ---- Transitions ----

  /** A transfer's chunk, or another node's stray sweep, to merge here. */
  private onChunk(from: string, chunk: TransferChunk): void {
    if (chunk.senderAddress !== undefined) this.rememberContact(from, chunk.senderAddress);
    if (this.sweeper.isDropping(chunk.partition)) {
      // A drop in flight could delete what this chunk merges after we acknowledged it: refuse,
      // and the sender tries again (stray-sweeper.ts).
      const error = { kind: 'error' as const, code: 'unavailable' as const, message: `partition ${chunk.partition} is being handed off from here; try again` };
      this.host.send(from, { kind: 'transferAck', opId: chunk.opId, error });
      return;
    }
    this.sweeper.onChunkAccepted(chunk.partition);
    this.receiver.onChunk(from, chunk);
  }

  private onLastChunkStored(from: string, chunk: TransferChunk): void {
    if (chunk.version !== this.current.version) return; // another transition by now; the sender will mark it
    this.markCompleted(transferId({ partition: chunk.partition, from, to: this.config.self.name }));
  }

  private markCompleted(id: string): void {
    const view = this.current;
    if (view.completed.includes(id) || !view.transfers.some((transfer) => transferId(transfer) === id)) return;
    this.adopt({ ...view, completed: [...view.completed, id].sort() });
    // The node that committed collects completions, so the end of the transition does not wait
    // for random gossip to bring every completion to one node.
    if (this.current.version === view.version && view.changedBy !== this.config.self.name && this.addresses().has(view.changedBy)) this.sendGossip(view.changedBy);
  }

  private adopt(view: ClusterView): void {
    const finalized = finalizeIfDone(view);
    this.current = finalized ?? view;
    this.abortKnownBy.clear();
    this.sweeper.onViewChanged(this.current);
    this.host.count('membership.viewsAdopted');
    this.addressesVersion++;
    for (const member of this.current.members) if (member.status !== 'removed') this.contacts.delete(member.name);
    this.persist();
    this.onViewChanged(this.current);
    // The committer announces the end of its transition to everyone, as it announced the start.
    if (finalized !== null && finalized.changedBy === this.config.self.name) this.broadcast();
  }

  private broadcast(): void {
    for (const name of gossipTargets(this.current, this.config.self.name)) this.sendGossip(name);
  }

  private persist(): void {
    this.host.persist(membershipMetaName, encodeMembership({ view: this.current, staged: this.stagedChanges }));
  }
}
