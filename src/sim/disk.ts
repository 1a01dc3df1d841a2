/**
 * A node's simulated disk: its stored objects in a Map, and store ops carried out the way the
 * real runtime does (src/runtime/store-executor.ts): read the key's object, apply the pure store
 * op, write the result back, report the outcome — one op per key at a time, in the order they
 * were issued, each taking a random disk latency.
 *
 * A crash keeps the data but not the ops in flight: for each key, a random prefix of its queued
 * ops reaches the disk (per-key order holds, as with a real engine) and the rest never happen;
 * none of them reports back, because the node that asked is gone. A wipe loses everything,
 * including the incarnation, so the node comes back as a new writer (src/runtime/incarnation.ts).
 */
import { assert, unreachable } from '../core/assert.ts';
import { deleteHint, hintsOf, objectWithHints, storeHint, type HintOp, type HintOutcome, type HintRecord, type HintRecordChange, type HintTarget } from '../core/handoff/hint-op.ts';
import type { Effect } from '../core/effects.ts';
import { applyStoreOp, type StoreOp, type StoreOpResult, type StoreOutcome } from '../core/replica/store-op.ts';
import { actorGenerationMetaName, decodeActorGeneration, encodeActorGeneration } from '../core/replica/actor-generation.ts';
import { storedObjectProblem } from '../core/version/stored-object.ts';
import { covers } from '../core/version/causal-context.ts';
import type { Dot, StoredObject } from '../core/version/types.ts';
import type { TransferEntry } from '../core/messages.ts';
import type { EventQueue } from './event-queue.ts';
import type { Prng } from './prng.ts';

export type StoreEffect = Extract<Effect, { type: 'store' }>;
export type TransferScanEffect = Extract<Effect, { type: 'transferScan' }>;
export type ApplyStoreOp = (stored: StoredObject | null, op: StoreOp) => StoreOpResult;

export interface DiskConfig {
  readonly latencyUsMin: number;
  readonly latencyUsMeanExtra: number;
}

export const defaultDiskConfig: DiskConfig = { latencyUsMin: 50, latencyUsMeanExtra: 400 };

/** One store op that reached the disk, for the oracle (checkers look at the disks from outside). */
export interface DiskWrite {
  readonly node: string;
  readonly effect: StoreEffect;
  readonly before: StoredObject | null;
  readonly after: StoredObject | null;
  readonly outcome: StoreOutcome;
  /** Applied while the node crashed: nobody learns the outcome. */
  readonly duringCrash: boolean;
}

export type DiskObserver = (write: DiskWrite) => void;

interface PendingOp {
  readonly effect: StoreEffect;
  readonly done: (outcome: StoreOutcome) => void;
}

export function storeKey(partition: number, bucket: string, key: string): string {
  return `${partition}\u0000${bucket}\u0000${key}`;
}

function targetOf(storeKeyText: string): HintTarget {
  const [partition, bucket, key] = storeKeyText.split('\u0000') as [string, string, string];
  return { partition: Number(partition), bucket, key };
}

export class SimDisk {
  private readonly objects = new Map<string, StoredObject>();
  private readonly queues = new Map<string, PendingOp[]>();
  /** Bumped by crashes and wipes, so completions scheduled before one are ignored. */
  private generation = 0;
  /** Multiplies every latency (a slow-disk fault). */
  latencyScale = 1;
  /** Node-local records (the ring view): written at once, kept by crashes, lost by wipes. */
  readonly meta = new Map<string, Uint8Array>();
  /** Hint records by store key (Dynamo §4.6), apart from owned objects: kept by crashes, lost by wipes. */
  private readonly hints = new Map<string, HintRecord>();

  constructor(
    readonly node: string,
    public incarnation: string,
    private readonly queue: EventQueue,
    private readonly prng: Prng,
    private readonly config: DiskConfig,
    private readonly apply: ApplyStoreOp = applyStoreOp,
    private readonly observe: DiskObserver = () => {},
  ) {}

  /** Queues a store op; `done` gets its outcome once it has reached the disk. */
  submit(effect: StoreEffect, done: (outcome: StoreOutcome) => void): void {
    const key = storeKey(effect.partition, effect.bucket, effect.key);
    let pending = this.queues.get(key);
    if (!pending) {
      pending = [];
      this.queues.set(key, pending);
    }
    pending.push({ effect, done });
    if (pending.length === 1) this.startHead(key);
  }

  get(partition: number, bucket: string, key: string): StoredObject | null {
    return this.objects.get(storeKey(partition, bucket, key)) ?? null;
  }

  /** Every stored object by store key (for checkers). */
  entries(): IterableIterator<[string, StoredObject]> {
    return this.objects.entries();
  }

  /**
   * Replaces (or with null removes) what is stored for a key, bypassing every store op: silent
   * corruption, for tests that prove the checkers notice.
   */
  overwrite(partition: number, bucket: string, key: string, object: StoredObject | null): void {
    if (object === null) this.objects.delete(storeKey(partition, bucket, key));
    else this.objects.set(storeKey(partition, bucket, key), object);
  }

  /** The node crashed: a random prefix of each key's queued ops reaches the disk, the rest is lost. */
  crash(): void {
    this.generation++;
    for (const pending of this.queues.values()) {
      const applied = this.prng.int(0, pending.length + 1);
      for (const op of pending.slice(0, applied)) this.applyNow(op.effect, true);
    }
    this.queues.clear();
  }

  /** The disk is replaced: no data, and a new incarnation for the node that uses it. */
  wipe(newIncarnation: string): void {
    assert(this.queues.size === 0, 'wipe a disk only while its node is down');
    this.generation++;
    this.objects.clear();
    this.meta.clear();
    this.hints.clear();
    this.incarnation = newIncarnation;
  }

  /**
   * A transfer chunk of one partition, in key order after `after`, delivered after a disk latency
   * (dropped if the node crashes first). Keys order by store key, as in the real layout's bytes
   * for the short ASCII names the simulator uses.
   */
  scanPartition(scan: TransferScanEffect, done: (result: { entries: TransferEntry[]; exhausted: boolean }) => void): void {
    const generation = this.generation;
    const delayUs = (this.config.latencyUsMin + this.prng.exponential(this.config.latencyUsMeanExtra)) * this.latencyScale;
    this.queue.after(delayUs, () => {
      if (generation === this.generation) done(this.readChunk(scan));
    });
  }

  private readChunk(scan: TransferScanEffect): { entries: TransferEntry[]; exhausted: boolean } {
    const prefix = `${scan.partition}\u0000`;
    const after = scan.after === null ? null : storeKey(scan.partition, scan.after.bucket, scan.after.key);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix) && (after === null || key > after)).sort();
    const entries = keys.slice(0, scan.entriesMax).map((key) => {
      const [, bucket, name] = key.split('\u0000') as [string, string, string];
      return { bucket, key: name, object: this.objects.get(key)! };
    });
    return { entries, exhausted: keys.length <= scan.entriesMax };
  }

  /** Runs a hint op after a disk latency (dropped if the node crashes first), atomically. */
  runHints(op: HintOp, done: (outcome: HintOutcome) => void): void {
    const generation = this.generation;
    const delayUs = (this.config.latencyUsMin + this.prng.exponential(this.config.latencyUsMeanExtra)) * this.latencyScale;
    this.queue.after(delayUs, () => {
      if (generation === this.generation) done(this.applyHintOp(op));
    });
  }

  /** Whether a hint held for the key (for any owner) covers `dot`. */
  hintCovers(partition: number, bucket: string, key: string, dot: Dot): boolean {
    const record = this.hints.get(storeKey(partition, bucket, key));
    return record !== undefined && [...record.values()].some((object) => covers(object.context, dot));
  }

  /** Every hint held, for checkers: (store key, owner, object). */
  heldHints(): { key: string; owner: string; object: StoredObject }[] {
    return [...this.hints].flatMap(([key, record]) => [...record].map(([owner, object]) => ({ key, owner, object })));
  }

  private applyHintOp(op: HintOp): HintOutcome {
    switch (op.kind) {
      case 'store':
        return this.changeHint(op.hint, (record) => storeHint(record, op.hint, op.resolution));
      case 'delete':
        return this.changeHint(op.hint, (record) => deleteHint(record, op.hint));
      case 'readKey': {
        const key = storeKey(op.target.partition, op.target.bucket, op.target.key);
        return { kind: 'read', object: objectWithHints(this.objects.get(key) ?? null, this.hints.get(key) ?? null, op.resolution) };
      }
      case 'scan': {
        const after = op.after === null ? null : storeKey(op.after.partition, op.after.bucket, op.after.key);
        const keys = [...this.hints.keys()].filter((key) => after === null || key > after).sort().slice(0, op.limit);
        const hints = keys.flatMap((key) => hintsOf(targetOf(key), this.hints.get(key)!));
        return { kind: 'scanned', hints, last: keys.length === 0 ? null : targetOf(keys[keys.length - 1]!) };
      }
      case 'count':
        return { kind: 'counted', count: [...this.hints.values()].reduce((sum, record) => sum + record.size, 0) };
      case 'holds':
        return { kind: 'holds', held: this.hints.has(storeKey(op.target.partition, op.target.bucket, op.target.key)) };
      default:
        return unreachable(op, 'hint op');
    }
  }

  private changeHint(target: HintTarget, apply: (record: HintRecord | null) => HintRecordChange): HintOutcome {
    const key = storeKey(target.partition, target.bucket, target.key);
    const { outcome, write } = apply(this.hints.get(key) ?? null);
    if (write === null) this.hints.delete(key);
    else if (write !== undefined) this.hints.set(key, write);
    return outcome;
  }

  private startHead(key: string): void {
    const generation = this.generation;
    const { latencyUsMin, latencyUsMeanExtra } = this.config;
    const delayUs = (latencyUsMin + this.prng.exponential(latencyUsMeanExtra)) * this.latencyScale;
    this.queue.after(delayUs, () => {
      if (generation === this.generation) this.completeHead(key);
    });
  }

  private completeHead(key: string): void {
    const pending = this.queues.get(key)!;
    const head = pending.shift()!;
    const outcome = this.applyNow(head.effect, false);
    if (pending.length > 0) this.startHead(key);
    else this.queues.delete(key);
    head.done(outcome);
  }

  private applyNow(effect: StoreEffect, duringCrash: boolean): StoreOutcome {
    const key = storeKey(effect.partition, effect.bucket, effect.key);
    const before = this.objects.get(key) ?? null;
    const result = this.apply(before, effect.op);
    if (result.drop && effect.op.kind === 'dropIfUnchanged') {
      // Atomic, as the runtime's batch: a higher generation reaches the disk with the drop.
      this.objects.delete(key);
      this.recordActorGeneration(effect.op.actorGeneration);
    } else if (result.write !== undefined) {
      if (effect.op.kind === 'coordinate') this.recordActorGeneration(effect.op.actorGeneration);
      const problem = storedObjectProblem(result.write);
      assert(problem === null, `node ${this.node} would store an invalid object for ${effect.bucket}/${effect.key}: ${problem}`);
      this.objects.set(key, result.write);
    }
    const after = this.objects.get(key) ?? null;
    this.observe({ node: this.node, effect, before, after, outcome: result.outcome, duringCrash });
    return result.outcome;
  }

  /** As the runtime: the record only grows, and reaches the disk with the op that needed it. */
  private recordActorGeneration(generation: number): void {
    const written = decodeActorGeneration(this.meta.get(actorGenerationMetaName));
    if (generation > written) this.meta.set(actorGenerationMetaName, encodeActorGeneration(generation));
  }
}
