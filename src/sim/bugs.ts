/**
 * Deliberate bugs, switched on by tests to prove that the checkers can fail (issue 3, point 5;
 * issue 13 §7: one of each kind of bug that once went through; docs/simulation.md has the table).
 * None of them touches src/core: each is injected from outside, by the simulated world rewriting
 * what a node is fed (its inputs) or what it does (its effects) — before the oracle sees them, as
 * a core with the bug would have — or by the simulated disk applying a wrong store op.
 * Production code has no switch for them.
 */
import type { NodeInput } from '../core/effects.ts';
import type { PeerMessage } from '../core/messages.ts';
import { applyStoreOp, type StoreOp, type StoreOpResult, type StoreOutcome } from '../core/replica/store-op.ts';
import { covers } from '../core/version/causal-context.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { ApplyStoreOp } from './disk.ts';
import { epochMax } from '../core/tombstones/epochs.ts';
import type { Effect } from '../core/effects.ts';
import { segmentsPerBranchCount } from '../core/antientropy/hash-tree.ts';
import { extendedPreferenceList } from '../core/ring/ring.ts';
import type { Ring } from '../core/ring/types.ts';
import { compareDots } from '../core/version/actor.ts';

export interface SimBugs {
  /** (a) A put's coordinator counts a replica as stored as soon as it sends it the version. */
  readonly ackBeforeStore?: boolean;
  /** (b) A replica's merge drops its own siblings that the incoming version had not seen. */
  readonly dropConcurrentSibling?: boolean;
  /** (c) Read repair's writes (to peers and to the coordinator's own disk) are never made. */
  readonly skipReadRepair?: boolean;
  /** (d) A node whose disk was wiped comes back with its old incarnation, reusing dots. */
  readonly reuseIncarnation?: boolean;
  /** (e) A node's hash tree misses the writes of merges (replication, repair): its outcome claims no change. */
  readonly skipTreeUpdateOnMerge?: boolean;
  /**
   * (f) A node keeps writing under its first actor after it dropped copies holding its dots, as if
   * actor generations (core/replica/actor-generation.ts) did not exist.
   */
  readonly noActorGenerations?: boolean;
  /**
   * (g) Objects travel as if read at the newest epoch: no node ever refuses a late old version
   * after a tombstone collection (core/tombstones/epochs.ts), as a collection that only checked
   * the replicas and the hints would behave.
   */
  readonly noEpochFence?: boolean;
  /**
   * (h) A disk that answers a flush at once without committing anything (an fsync that lies): a
   * copy counted as on disk is only in the buffer, and a crash takes it.
   */
  readonly lyingFlush?: boolean;
  /**
   * (i) The join keeps what the other side's context covers (a wrong `covers` in the core's
   * merge): a replica's merge keeps its own siblings that the incoming version superseded. The
   * checkers that judged versions with the core's own functions shared such a bug (issue 13).
   */
  readonly keepSupersededSibling?: boolean;
  /**
   * (j) A hint holder forgets a hint it never handed back: its `hintDeliver` is lost in the node
   * and it is answered as if the owner had stored it. Anti-entropy repairs the owner behind it.
   */
  readonly forgetUndeliveredHints?: boolean;
  /**
   * (k) Anti-entropy's exchange replies leave out the last segment of every branch (an
   * off-by-one in the loop over a branch's segments): keys there are never compared. With five
   * keys, 5 of 1,024 segments held anything and this went unseen whatever the seed.
   */
  readonly aaeSkipsLastSegment?: boolean;
  /**
   * (l) A put's coordinator sends its version for the last primary to the first fallback, as a
   * hint for that primary, though it had no evidence the primary was unreachable (Dynamo §4.6:
   * hints are for unreachable nodes only).
   */
  readonly hintForReachablePrimary?: boolean;
  /**
   * (m) A preference list that repeats a node (a walk that does not skip a node already chosen):
   * a put's version for the last primary goes to another primary a second time.
   */
  readonly repeatedReplica?: boolean;
  /**
   * (n) A put's coordinator counts a duplicated acknowledgement twice: a replica's reply that the
   * network delivered again counts for a target that has not answered yet.
   */
  readonly countDuplicateAck?: boolean;
  /**
   * (o) A get reads the wrong replicas: each replica read goes to the next node after the key's
   * primaries (its reply counted as the primary's), and its own disk's read comes back empty —
   * as a get that asked fallbacks while its primaries were up would see.
   */
  readonly readsWrongReplicas?: boolean;
}

export type BugName = keyof SimBugs;

export const bugNames: readonly BugName[] = [
  'ackBeforeStore',
  'dropConcurrentSibling',
  'skipReadRepair',
  'reuseIncarnation',
  'skipTreeUpdateOnMerge',
  'noActorGenerations',
  'noEpochFence',
  'lyingFlush',
  'keepSupersededSibling',
  'forgetUndeliveredHints',
  'aaeSkipsLastSegment',
  'hintForReachablePrimary',
  'repeatedReplica',
  'countDuplicateAck',
  'readsWrongReplicas',
];

/** Bug (k): an exchange reply without the last segment of each branch. */
export function withoutLastSegments(message: PeerMessage): PeerMessage {
  if (message.kind !== 'aaeExchangeReply') return message;
  return { ...message, segments: message.segments.filter(({ segment }) => segment % segmentsPerBranchCount !== segmentsPerBranchCount - 1) };
}

/**
 * Bugs (l) and (m): a put's first sendings (the step its coordinate op finished), with the one
 * for the last primary of the key's list (in the coordinator's ring) sent to the first fallback
 * as a hint for it (`hint`), or to the first other remote primary again (`repeat`).
 */
export function misplaceReplicaWrites(effects: Effect[], self: string, ring: Ring, nOf: (bucket: string) => number, how: 'hint' | 'repeat'): Effect[] {
  const targets = new Set(effects.flatMap((effect) => (effect.type === 'send' && effect.message.kind === 'replicaWrite' ? [effect.to] : [])));
  return effects.map((effect) => {
    if (effect.type !== 'send' || effect.message.kind !== 'replicaWrite' || effect.message.hintFor != null) return effect;
    const { message } = effect;
    const extended = extendedPreferenceList(ring, message.partition);
    const n = nOf(message.bucket);
    const last = extended[n - 1];
    if (effect.to !== last || last === self) return effect;
    if (how === 'repeat') {
      const other = [...targets].find((node) => node !== last && extended.indexOf(node) < n);
      return other === undefined ? effect : { ...effect, to: other };
    }
    const fallback = extended.slice(n).find((node) => node !== self && !targets.has(node));
    return fallback === undefined ? effect : { ...effect, to: fallback, message: { ...message, hintFor: last } };
  });
}

/** Bug (g): a message that carries objects, stamped as if they were read after every fence. */
export function unfenced(message: PeerMessage): PeerMessage {
  switch (message.kind) {
    case 'replicaWrite':
    case 'replicaReadReply':
    case 'transferChunk':
    case 'aaeRepair':
    case 'hintDeliver':
      return { ...message, stamp: epochMax }; // the largest stamp a node takes from a peer
    default:
      return message;
  }
}

/** Bug (e): the outcome of a merge as the node sees it — the object before is said to be the one after. */
export function outcomeHidingMerge(op: StoreOp, outcome: StoreOutcome): StoreOutcome {
  return op.kind === 'merge' && outcome.ok ? { ...outcome, previous: outcome.object } : outcome;
}

/**
 * The store op the disk applies: the real one, for bug (b) a merge that loses concurrent
 * siblings, for bug (f) a coordinate op under the node's generation-0 actor.
 */
export function storeOpApplier(bugs: SimBugs): ApplyStoreOp {
  if (bugs.dropConcurrentSibling) return mergeDroppingConcurrent;
  if (bugs.keepSupersededSibling) return mergeKeepingSuperseded;
  if (bugs.noActorGenerations) return coordinateUnderFirstActor;
  return applyStoreOp;
}

function coordinateUnderFirstActor(stored: StoredObject | null, op: StoreOp): StoreOpResult {
  if (op.kind !== 'coordinate') return applyStoreOp(stored, op);
  return applyStoreOp(stored, { ...op, actor: op.actor.replace(/~\d+$/, '') });
}

function mergeDroppingConcurrent(stored: StoredObject | null, op: StoreOp): StoreOpResult {
  const result = applyStoreOp(stored, op);
  if (op.kind !== 'merge' || stored === null || result.write === undefined) return result;
  const incoming = op.object;
  // The bug: what this replica held that the incoming version had not seen is dropped instead
  // of kept as a sibling — an overwrite where there should be a conflict.
  const siblings = result.write.siblings.filter((sibling) => covers(incoming.context, sibling.dot) || !stored.siblings.includes(sibling));
  const write = { siblings, context: result.write.context };
  return { outcome: { ok: true, object: write, previous: stored }, write };
}

function mergeKeepingSuperseded(stored: StoredObject | null, op: StoreOp): StoreOpResult {
  const result = applyStoreOp(stored, op);
  if (op.kind !== 'merge' || stored === null || result.write === undefined) return result;
  const kept = result.write.siblings;
  // The bug: what the incoming context superseded stays, beside what superseded it.
  const back = stored.siblings.filter((sibling) => !kept.some((other) => compareDots(other.dot, sibling.dot) === 0));
  if (back.length === 0) return result;
  const write = { siblings: [...kept, ...back].sort((a, b) => compareDots(a.dot, b.dot)), context: result.write.context };
  return { outcome: { ok: true, object: write, previous: stored }, write };
}

/** What made a node emit its effects, as far as bugs (c), (l) and (m) need to tell a put's first sendings and read repair apart. */
export interface StepCause {
  readonly input: NodeInput;
  /** For a `stored` input: the kind of store op that finished. */
  readonly storeKind?: StoreOp['kind'] | undefined;
}

/**
 * Bug (c): whether a replicaWrite send or a merge store effect is read repair. A get's repair is
 * a replicaWrite under the op id of a get (`getOpIds`: those that sent replicaRead), and the
 * merge into the coordinator's own disk is the only merge that no peer's message asked for:
 * replicated writes, handed-back hints, partition transfers and anti-entropy's repairs each
 * arrive as a message. (Telling them apart by the step's input alone took a put's stand-in, sent
 * on a tick, for read repair, and anti-entropy's merges too: the bug broke more than its name.)
 */
export function isReadRepair(
  cause: StepCause,
  effect: { type: 'send'; message: { kind: string; opId: number } } | { type: 'store'; op: StoreOp },
  getOpIds: ReadonlySet<number>,
): boolean {
  if (effect.type === 'send') return effect.message.kind === 'replicaWrite' && getOpIds.has(effect.message.opId);
  const kinds = ['replicaWrite', 'hintDeliver', 'transferChunk', 'aaeRepair'];
  return effect.op.kind === 'merge' && !(cause.input.type === 'message' && kinds.includes(cause.input.message.kind));
}
