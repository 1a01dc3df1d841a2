/**
 * Read repair delivers (Dynamo §5), watched in every mode where it runs: a get that heard from
 * all the replicas it asked writes the reconciled version back to every primary that answered
 * with less. Anti-entropy would repair those replicas anyway before the end, and hide a broken
 * read repair from the convergence checker; this one looks at each get itself (issue 13 §2).
 *
 * From outside, a get is the client request that started it, its coordinator's `replicaRead`
 * messages and the replies they bring, and its coordinator's read of its own disk (a `store` of
 * kind `read` in the request's step, and the `stored` that answers it: a get asks R replicas, its
 * own first, so with R = 2 its own copy is one of the two it compares; a coordinator that is a
 * fallback reads its hints instead, unseen here, and is judged on its remote replies alone). A
 * get is judged when every remote node it asked replied without error before the get's deadline
 * (a reply at or after it may come after the get gave up, and then it repairs from less), none
 * of them read before a fence the coordinator had passed (it refuses those), its coordinator did
 * not pass a fence newer than one of them before the get's deadline (it repairs nothing then:
 * what it read may hold a tombstone that round collected), its coordinator did not restart
 * meanwhile, and its own read (if seen) came back. Then every
 * remote primary whose reply is below the join of the replies and the coordinator's copy (by the
 * reference model, never the core's merge) must have been sent a `replicaWrite` by that get.
 * A get asked in its request step no replica but its own disk (R = 1) is not judged: it compares
 * nothing.
 */
import type { Effect, NodeInput } from '../core/effects.ts';
import type { KvNode } from '../core/node.ts';
import { extendedPreferenceList } from '../core/ring/ring.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { Violation } from './checkers/violation.ts';
import { joinAll, modelObject, objectsAgree, type ModelObject } from './model/index.ts';

/** Reported gets at most: one broken repair path fails every get, and ten say it. */
const violationsMax = 10;

interface GetTrace {
  readonly opId: number;
  readonly coordinator: string;
  readonly life: number;
  readonly deadlineMs: number;
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
  readonly primaries: readonly string[];
  readonly asked: Set<string>;
  readonly replies: Map<string, StoredObject | null>;
  /** The coordinator's read of its own disk: its store id, then what it read (undefined: not back yet). */
  readonly ownStoreId: number | undefined;
  own: StoredObject | null | undefined;
  /** The least epoch the get read at: its own (as it asked) and its replies' stamps. */
  leastStamp: number;
  /**
   * A reply failed, came at or after the deadline, or was refused as read before a fence, or the
   * coordinator passed a fence above `leastStamp`: the get may repair from less, or not at all.
   */
  spoiled: boolean;
  readonly repaired: Set<string>;
}

export class ReadRepairRecorder {
  /** By `coordinator opId` (op ids are drawn afresh per process: node.ts `firstOpId`). */
  private readonly gets = new Map<string, GetTrace>();
  private readonly lives = new Map<string, number>();
  /** By coordinator: its gets whose deadline has not passed, watched for a fence it passes. */
  private readonly open = new Map<string, Set<GetTrace>>();
  /** By `coordinator storeId`: gets waiting for their coordinator's read of its own disk. */
  private readonly ownReads = new Map<string, GetTrace>();

  constructor(
    private readonly nOf: (bucket: string) => number,
    /** The node's request timeout, for a get whose client gave none. */
    private readonly requestTimeoutMs: number,
  ) {}

  onBoot(node: string): void {
    this.lives.set(node, (this.lives.get(node) ?? 0) + 1);
  }

  onStep(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[], nowMs: number): void {
    for (const trace of this.open.get(node) ?? []) {
      if (nowMs >= trace.deadlineMs) this.open.get(node)!.delete(trace);
      else if (kv.epochs.of(trace.partition) > trace.leastStamp) trace.spoiled = true;
    }
    if (input.type === 'message' && input.message.kind === 'replicaReadReply') {
      const { message } = input;
      const trace = this.gets.get(`${node} ${message.opId}`);
      if (trace !== undefined && trace.asked.has(input.from) && !trace.replies.has(input.from)) {
        const refused = kv.epochs.isAbandoned(trace.partition) || kv.epochs.refuses(trace.partition, message.stamp);
        if (message.error != null || refused || nowMs >= trace.deadlineMs) trace.spoiled = true;
        else {
          trace.replies.set(input.from, message.object);
          trace.leastStamp = Math.min(trace.leastStamp, message.stamp);
        }
      }
    } else if (input.type === 'deliveryFailed' && input.message.kind === 'replicaRead') {
      const trace = this.gets.get(`${node} ${input.message.opId}`);
      if (trace !== undefined) trace.spoiled = true;
    } else if (input.type === 'stored') {
      const trace = this.ownReads.get(`${node} ${input.storeId}`);
      if (trace !== undefined) {
        this.ownReads.delete(`${node} ${input.storeId}`);
        // After the deadline the get has given up on it (as on a late reply).
        if (input.outcome.ok && nowMs < trace.deadlineMs) trace.own = input.outcome.object;
        else trace.spoiled = true;
      }
    }
    // The same step may carry other operations' reads (one that waited for a fence, released now): this get's is of its key.
    const request = input.type === 'request' && input.request.kind === 'get' ? input.request : undefined;
    const ownRead = request && effects.find((effect) => effect.type === 'store' && effect.op.kind === 'read' && effect.bucket === request.bucket && effect.key === request.key);
    for (const effect of effects) {
      if (effect.type !== 'send') continue;
      const { to, message } = effect;
      const id = `${node} ${message.opId}`;
      if (message.kind === 'replicaRead') {
        let trace = this.gets.get(id);
        if (trace === undefined) {
          // A get asks its first nodes in the step of its request; a stand-in asked later belongs to a known get.
          if (input.type !== 'request' || input.request.kind !== 'get') continue;
          const primaries = extendedPreferenceList(kv.currentRing, message.partition).slice(0, this.nOf(message.bucket));
          const deadlineMs = nowMs + (input.request.timeoutMs ?? this.requestTimeoutMs);
          const leastStamp = message.epoch ?? kv.epochs.of(message.partition);
          const ownStoreId = ownRead?.type === 'store' ? ownRead.storeId : undefined;
          trace = { opId: message.opId, coordinator: node, life: this.lives.get(node) ?? 0, deadlineMs, partition: message.partition, bucket: message.bucket, key: message.key, primaries, asked: new Set(), replies: new Map(), ownStoreId, own: undefined, leastStamp, spoiled: false, repaired: new Set() };
          this.gets.set(id, trace);
          if (ownStoreId !== undefined) this.ownReads.set(`${node} ${ownStoreId}`, trace);
          let open = this.open.get(node);
          if (open === undefined) this.open.set(node, (open = new Set()));
          open.add(trace);
        }
        trace.asked.add(to);
      } else if (message.kind === 'replicaWrite') this.gets.get(id)?.repaired.add(to);
    }
  }

  /** Gets whose stale remote primaries were not sent the reconciled version. */
  check(): Violation[] {
    const violations: Violation[] = [];
    for (const trace of this.gets.values()) {
      if (trace.spoiled || trace.replies.size !== trace.asked.size || this.lives.get(trace.coordinator) !== trace.life) continue;
      if (trace.ownStoreId !== undefined && trace.own === undefined) continue;
      const read = [...trace.replies.values(), trace.own ?? null];
      const joined = joinAll(read.flatMap((object) => (object === null ? [] : [modelObject(object)])));
      if (joined === null) continue;
      for (const [node, object] of trace.replies) {
        if (!trace.primaries.includes(node) || trace.repaired.has(node) || (object !== null && sameVersions(modelObject(object), joined))) continue;
        if (violations.length >= violationsMax) return violations;
        violations.push({
          checker: 'readRepair',
          message: `${trace.coordinator}'s get (op ${trace.opId}) of ${trace.bucket}/${trace.key} heard from ${[...trace.asked].join(', ')}${trace.ownStoreId === undefined ? '' : ' and its own disk'} but did not repair ${node}, whose reply was below their join`,
          bucket: trace.bucket,
          key: trace.key,
          entryIds: [],
        });
      }
    }
    return violations;
  }
}

/** The same history and the same siblings (by dot). */
function sameVersions(a: ModelObject, b: ModelObject): boolean {
  return objectsAgree(a, b, () => true);
}
