/**
 * Placement, watched as it happens (issue 13 §4): every step of every node passes through here
 * with its input and the effects it returned, and the recorder checks where puts go against the
 * key's preference list in the coordinator's own ring, and against the evidence its process had
 * (reachability.ts) — the only knowledge a node may act on (Dynamo §4.8).
 *
 * - A forward goes to a primary of the key (Dynamo §6.4: only a replica makes a version).
 * - A put is coordinated by a primary of the key; by another node only if it was forwarded there
 *   (the forwarder's ring named it) or, under sloppy quorum, if the node had evidence that every
 *   primary was unreachable (Dynamo §4.6). Without hinted handoff, by a primary or a node
 *   forwarded to only (core/coordinator/strict-targets.ts).
 * - A put never sends its version to one node twice, and every hint it asks for (a fallback's
 *   `hintFor`, or the coordinator's own copy kept as a hint) is for a primary of the key that
 *   the coordinator had evidence was unreachable: a failed delivery since it last heard from it,
 *   a silence past phi's reach, or this very put's version sent to it (or to a stand-in for it)
 *   and not acknowledged — failed, refused, or silent when the stand-in was asked
 *   (`silentTargetWaitMs`: the recorder does not check that the stand-in waited that long).
 *
 * It also snapshots, as each client put or get arrives, what the availability checker needs to
 * know of the cluster then (checkers/availability.ts): which node would coordinate, which nodes of
 * the key's list that node had no evidence against, who was up and ready.
 */
import type { Effect, NodeInput } from '../core/effects.ts';
import type { KvNode } from '../core/node.ts';
import { partitionOf } from '../core/ring/hash.ts';
import { extendedPreferenceList, preferenceList } from '../core/ring/ring.ts';
import type { Ring } from '../core/ring/types.ts';
import type { Violation } from './checkers/violation.ts';
import { labelOf } from './labels.ts';
import { Reachability } from './reachability.ts';

/**
 * What a node looks like from outside at an instant: up, able to take replicas' writes (it knows
 * the partition epochs), and ready to coordinate requests (what GET /v1/cluster reports as ready).
 */
export interface NodeState {
  readonly up: boolean;
  readonly takesWrites: boolean;
  readonly serves: boolean;
}

/** A client put or get as it arrived at its first node, and what the cluster looked like then. */
export interface RequestArrival {
  readonly node: string;
  readonly atMs: number;
  readonly bucket: string;
  readonly key: string;
  /** Of the quorum (W of a put, R of a get), how many must be primaries: pw or pr. */
  readonly primariesMin: number;
  /**
   * The node that coordinates it: for a put the arrival node, or the reachable primary it
   * forwards to; for a get the arrival node (gets are never forwarded).
   */
  readonly coordinator: string | null;
  /** The arrival node could serve requests (notReadyBecause), and every up node held the same settled view. */
  readonly clusterSettled: boolean;
  /** The key's extended preference list in the coordinator's ring, and how many of its first are primaries. */
  readonly extended: readonly string[];
  readonly n: number;
  /** Nodes of `extended` the coordinator had no evidence against (itself included). */
  readonly trusted: readonly string[];
  readonly states: ReadonlyMap<string, NodeState>;
}

interface PutTrace {
  readonly coordinator: string;
  readonly bucket: string;
  readonly key: string;
  readonly primaries: readonly string[];
  /** Node → the owner it keeps the version for (undefined: its own copy). */
  readonly sent: Map<string, string | undefined>;
  readonly failed: Set<string>;
  readonly replied: Set<string>;
  readonly hintOwners: Set<string>;
  /** Targets that refused the version as read before a fence: each may be sent it once more (coordinator/put.ts). */
  readonly fenced: Set<string>;
}

export class PlacementRecorder {
  readonly reach = new Reachability();
  readonly violations: Violation[] = [];
  /** By label: the put as it arrived at its first node. */
  readonly arrivals = new Map<string, RequestArrival>();
  /** By request (the object the client sent, passed by reference): the get as it arrived. */
  readonly getArrivals = new WeakMap<object, RequestArrival>();
  /** By `node label`: the node a put was forwarded to, and whether the forwarder's ring named it a primary. */
  private readonly forwarded = new Set<string>();
  /** By `coordinator opId`. */
  private readonly puts = new Map<string, PutTrace>();
  private readonly ringsChecked = new WeakSet<Ring>();

  constructor(
    /** Whether requests may go past the primaries (sloppy quorum and hinted handoff on). */
    private readonly sloppy: boolean,
    private readonly nProps: (bucket: string) => { readonly n: number; readonly w: number; readonly pw: number; readonly pr: number },
    private readonly clusterState: () => { readonly settled: boolean; readonly states: ReadonlyMap<string, NodeState> },
    /** Every N a bucket has, and the largest (the N the ring is claimed for). */
    private readonly ns: readonly number[],
    private readonly replicasN: number,
  ) {}

  onBoot(node: string, nowMs: number): void {
    this.reach.onBoot(node, nowMs);
  }

  onCrash(node: string): void {
    this.reach.onCrash(node);
  }

  onStep(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[], nowMs: number): void {
    if (!this.ringsChecked.has(kv.currentRing)) this.checkRing(node, kv.currentRing);
    this.onInput(node, kv, input, nowMs);
    this.onEffects(node, kv, input, effects, nowMs);
  }

  /**
   * Every ring a node serves: each partition's preference list, for every N a bucket has, is the
   * walk clockwise from it over distinct nodes, followed — when fewer than N own partitions — by
   * the members that own none, by name (written here again, from DESIGN §5 and core/ring/ring.ts,
   * and compared with the core's), and when the owning members' zones make it feasible (spread.ts: Z ×
   * floor(Q / w) ≥ Q for the claim's window w = min(largest N, members)), the first w of every
   * walk are in w distinct zones (claim's promise, DESIGN §5).
   */
  private checkRing(node: string, ring: Ring): void {
    this.ringsChecked.add(ring);
    const owning = new Set(ring.owners);
    const zoneOf = (name: string): string => ring.nodes.get(name)?.zone ?? `node ${name}`;
    const zones = new Set([...owning].map(zoneOf));
    const window = Math.min(this.replicasN, owning.size, ring.partitionCount);
    const zoneSpread = zones.size * Math.floor(ring.partitionCount / window) >= ring.partitionCount;
    for (let partition = 0; partition < ring.partitionCount; partition++) {
      for (const n of this.ns) {
        const walk: string[] = [];
        for (let step = 0; step < ring.partitionCount && walk.length < n; step++) {
          const owner = ring.owners[(partition + step) % ring.partitionCount]!;
          if (!walk.includes(owner)) walk.push(owner);
        }
        // Fewer owners than N (a three-node cluster after a leave, a joiner before its transfers):
        // the members that own nothing follow, by name, so a key still gets N replicas.
        const ownsNothing = [...ring.nodes.keys()].filter((name) => !owning.has(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        walk.push(...ownsNothing.slice(0, Math.max(0, n - walk.length)));
        const list = preferenceList(ring, partition, n);
        if (list.join() !== walk.join()) this.flag(`ring ${ring.version} (served by ${node}): the preference list of partition ${partition} for N = ${n} is ${list.join(', ')}, the walk over distinct owners (then the members owning nothing) is ${walk.join(', ')}`);
        if (new Set(list).size !== list.length) this.flag(`ring ${ring.version}: the preference list of partition ${partition} names a node twice: ${list.join(', ')}`);
      }
      const first = preferenceList(ring, partition, window);
      if (zoneSpread && new Set(first.map(zoneOf)).size < first.length) {
        this.flag(`ring ${ring.version} (served by ${node}): the first ${window} replicas of partition ${partition} (${first.map((name) => `${name}@${zoneOf(name)}`).join(', ')}) share a zone, though ${zones.size} zones can spread every window of ${window}`);
      }
    }
  }

  private onInput(node: string, kv: KvNode, input: NodeInput, nowMs: number): void {
    if (input.type === 'message') {
      this.reach.onHeard(node, input.from, nowMs);
      const { message } = input;
      if (message.kind === 'replicaWriteReply') {
        const trace = this.puts.get(`${node} ${message.opId}`);
        if (typeof message.error?.detail?.['fencedEpoch'] === 'number') trace?.fenced.add(input.from);
        else if (message.error != null) trace?.failed.add(input.from); // a refusal: it cannot take the write now
        else trace?.replied.add(input.from);
      }
      if (message.kind === 'forward' && message.request.kind === 'put') this.forwarded.add(`${node} ${labelOf(message.request.value)}`);
    } else if (input.type === 'deliveryFailed') {
      this.reach.onFailed(node, input.to, nowMs);
      if (input.message.kind === 'replicaWrite') this.puts.get(`${node} ${input.message.opId}`)?.failed.add(input.to);
    } else if (input.type === 'request' && input.request.kind === 'put') {
      this.recordArrival(node, kv, input.request, nowMs);
    } else if (input.type === 'request' && input.request.kind === 'get') {
      this.recordGetArrival(node, kv, input.request, nowMs);
    }
  }

  private onEffects(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[], nowMs: number): void {
    const ring = kv.currentRing;
    // A coordinated put's replication starts in the step that stores its new version.
    const written = input.type === 'stored' && input.outcome.ok ? input.outcome.written : undefined;
    let trace: PutTrace | undefined;
    for (const effect of effects) {
      if (effect.type === 'store' && effect.op.kind === 'coordinate') this.checkCoordinator(node, kv, effect.bucket, effect.key, labelOf(effect.op.intent.value), nowMs);
      if (effect.type !== 'send') continue;
      const { to, message } = effect;
      if (message.kind === 'forward' && message.request.kind === 'put') {
        const { bucket, key } = message.request;
        const primaries = preferenceList(ring, partitionOf(bucket, key, ring.partitionCount), this.nProps(bucket).n);
        if (!primaries.includes(to)) this.flag(`${node} forwarded a put of ${bucket}/${key} to ${to}, which is not among its primaries ${primaries.join(', ')} in ${node}'s ring`, bucket, key);
      }
      if (message.kind !== 'replicaWrite') continue;
      const id = `${node} ${message.opId}`;
      if (written !== undefined && !this.puts.has(id)) {
        const primaries = preferenceList(ring, message.partition, this.nProps(message.bucket).n);
        this.puts.set(id, { coordinator: node, bucket: message.bucket, key: message.key, primaries, sent: new Map(), failed: new Set(), replied: new Set(), hintOwners: new Set(), fenced: new Set() });
      }
      trace = this.puts.get(id);
      if (trace === undefined) {
        if (message.hintFor != null) this.flag(`${node} asked ${to} to keep a hint of ${message.bucket}/${message.key} for ${message.hintFor} outside any put it coordinated`, message.bucket, message.key);
        continue; // read repair
      }
      if (trace.sent.has(to) && !trace.fenced.delete(to)) this.flag(`${node} sent its version of ${trace.bucket}/${trace.key} (op ${message.opId}) to ${to} twice: two of the W could be one disk`, trace.bucket, trace.key);
      trace.sent.set(to, message.hintFor ?? undefined);
      if (message.hintFor != null) this.justifyHint(trace, message.hintFor, `asked ${to} to keep a hint`, nowMs, to);
    }
    // The coordinator's own copy, kept as a hint when it is not a primary itself.
    if (trace !== undefined || written !== undefined) {
      for (const effect of effects) {
        if (effect.type !== 'hints' || effect.op.kind !== 'store') continue;
        const hint = effect.op.hint;
        const own = trace ?? this.ownTrace(node, ring, hint.bucket, hint.key, hint.partition);
        own.sent.set(node, hint.owner);
        this.justifyHint(own, hint.owner, 'kept its own copy as a hint', nowMs);
      }
    }
  }

  /** A coordinator that is the only target of its put (W = 1 with nobody else reachable) sends nothing: its trace starts here. */
  private ownTrace(node: string, ring: KvNode['currentRing'], bucket: string, key: string, partition: number): PutTrace {
    return { coordinator: node, bucket, key, primaries: preferenceList(ring, partition, this.nProps(bucket).n), sent: new Map(), failed: new Set(), replied: new Set(), hintOwners: new Set(), fenced: new Set() };
  }

  /** `asking`: the fallback asked to keep it now, which is no evidence against the owner itself. */
  private justifyHint(trace: PutTrace, owner: string, what: string, nowMs: number, asking?: string): void {
    const { coordinator, bucket, key, primaries } = trace;
    if (!this.sloppy) return this.flag(`${coordinator} ${what} of ${bucket}/${key} for ${owner}, though hinted handoff is off`, bucket, key);
    if (!primaries.includes(owner)) return this.flag(`${coordinator} ${what} of ${bucket}/${key} for ${owner}, which is not among its primaries ${primaries.join(', ')}`, bucket, key);
    const askedFor = [...trace.sent].filter(([node, hintFor]) => (hintFor ?? node) === owner && node !== coordinator && node !== asking).map(([node]) => node);
    const unanswered = askedFor.some((node) => trace.failed.has(node) || !trace.replied.has(node));
    if (trace.hintOwners.has(owner) || unanswered || this.reach.unreachable(coordinator, owner, nowMs)) {
      trace.hintOwners.add(owner);
      return;
    }
    this.flag(`${coordinator} ${what} of ${bucket}/${key} for ${owner}, though it had no evidence that ${owner} was unreachable (no failed delivery since it last heard from it, no silence past phi's reach, no unanswered copy of this put)`, bucket, key);
  }

  private checkCoordinator(node: string, kv: KvNode, bucket: string, key: string, label: string, nowMs: number): void {
    const ring = kv.currentRing;
    const primaries = preferenceList(ring, partitionOf(bucket, key, ring.partitionCount), this.nProps(bucket).n);
    if (primaries.includes(node)) return;
    if (this.forwarded.has(`${node} ${label}`)) return; // the forwarder's ring named it (checked at the forward)
    if (!this.sloppy) return this.flag(`${node} coordinated put ${label} of ${bucket}/${key} without being a primary (${primaries.join(', ')}) nor forwarded it, with hinted handoff off`, bucket, key);
    const trusted = primaries.filter((primary) => !this.reach.unreachable(node, primary, nowMs));
    if (trusted.length === 0) return; // no primary reachable: it coordinates as a fallback (sloppy quorum)
    this.flag(`${node} coordinated put ${label} of ${bucket}/${key}, though it is not a primary and had no evidence against ${trusted.join(', ')}: it should have forwarded it`, bucket, key);
  }

  private recordArrival(node: string, kv: KvNode, request: Extract<NodeInput, { type: 'request' }>['request'] & { kind: 'put' }, nowMs: number): void {
    const ring = kv.currentRing;
    const props = this.nProps(request.bucket);
    const primaries = preferenceList(ring, partitionOf(request.bucket, request.key, ring.partitionCount), props.n);
    const reachablePrimaries = primaries.filter((primary) => !this.reach.unreachable(node, primary, nowMs));
    const coordinator = primaries.includes(node) ? node : (reachablePrimaries[0] ?? (this.sloppy ? node : null));
    this.arrivals.set(labelOf(request.value), this.arrival(node, kv, request, coordinator, props.pw, nowMs));
  }

  /** A get is coordinated where it arrives (core/coordinator/get.ts): it asks the first N reachable nodes of the list. */
  private recordGetArrival(node: string, kv: KvNode, request: Extract<NodeInput, { type: 'request' }>['request'] & { kind: 'get' }, nowMs: number): void {
    this.getArrivals.set(request, this.arrival(node, kv, request, node, this.nProps(request.bucket).pr, nowMs));
  }

  private arrival(node: string, kv: KvNode, request: { readonly bucket: string; readonly key: string }, coordinator: string | null, primariesMin: number, nowMs: number): RequestArrival {
    const ring = kv.currentRing;
    const props = this.nProps(request.bucket);
    const partition = partitionOf(request.bucket, request.key, ring.partitionCount);
    const extended = this.sloppy ? extendedPreferenceList(ring, partition) : preferenceList(ring, partition, props.n);
    const trusted = coordinator === null ? [] : extended.filter((other) => !this.reach.unreachable(coordinator, other, nowMs));
    const { settled, states } = this.clusterState();
    return {
      node,
      atMs: nowMs,
      bucket: request.bucket,
      key: request.key,
      primariesMin,
      coordinator,
      clusterSettled: settled && kv.notReadyBecause() === null,
      extended,
      n: props.n,
      trusted,
      states,
    };
  }

  private flag(message: string, bucket?: string, key?: string): void {
    if (this.violations.length < 20) this.violations.push({ checker: 'placement', message, bucket, key, entryIds: [] });
  }
}
