/**
 * Deliberate bugs, switched on by tests to prove that the checkers can fail (issue 3, point 5).
 * None of them touches src/core: each is injected from outside, by the simulated world rewriting
 * what a node does (its effects) or by the simulated disk applying a wrong merge. Production code
 * has no switch for them.
 */
import type { NodeInput } from '../core/effects.ts';
import type { PeerMessage } from '../core/messages.ts';
import { applyStoreOp, type StoreOp, type StoreOpResult, type StoreOutcome } from '../core/replica/store-op.ts';
import { covers } from '../core/version/causal-context.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { ApplyStoreOp } from './disk.ts';
import { epochMax } from '../core/tombstones/epochs.ts';

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
];

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

/** What made a node emit its effects, as far as bug (c) needs to tell replication from repair. */
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
