/**
 * A node's simulated disk, with the object buffer of the real runtime (storage/write-buffer.ts,
 * Dynamo §6.1): a store op is applied the moment it is issued — read the key's object, apply the
 * pure store op, write the result back, as src/runtime/store-executor.ts does — and its outcome
 * is handed back at once (the world feeds it to the node right after the step that issued it, as
 * the runtime's input queue does). What it wrote is visible at once but reaches the disk only
 * with a flush: one at a time, each taking a random disk latency, started by a barrier the node
 * asks for (`flush`) or by the writer `flushIntervalMs` after the oldest unflushed write. So
 * disk latency — and a slow-disk fault — delays what waits for a flush, and scans.
 *
 * A crash loses what no flush has committed (a flush in flight lands or not, at random) — meta
 * records and hints too — and reports nothing. A wipe loses everything, including the
 * incarnation, so the node comes back as a new writer (src/runtime/incarnation.ts).
 */
import { unreachable, assertFailed } from '../core/assert.ts';
import { deleteHint, hintsCounted, hintsOf, objectWithHints, storeHint, tallyHints, type HintOp, type HintOutcome, type HintRecord, type HintRecordChange, type HintTarget } from '../core/handoff/hint-op.ts';
import type { Effect } from '../core/effects.ts';
import { applyStoreOp, type StoreOp, type StoreOpResult, type StoreOutcome } from '../core/replica/store-op.ts';
import { liveSiblings, storedObjectProblem } from '../core/version/stored-object.ts';
import { compareBucketNames, compareKeys } from '../core/coverage/item-order.ts';
import type { Dot, StoredObject } from '../core/version/types.ts';
import type { TransferEntry } from '../core/messages.ts';
import { microsPerMs, type EventQueue } from './event-queue.ts';
import { DotSet } from './model/index.ts';
import type { Prng } from './prng.ts';

export type StoreEffect = Extract<Effect, { type: 'store' }>;
export type TransferScanEffect = Extract<Effect, { type: 'transferScan' }>;
export type ListScanEffect = Extract<Effect, { type: 'listScan' }>;
export type ApplyStoreOp = (stored: StoredObject | null, op: StoreOp) => StoreOpResult;

export interface DiskConfig {
  readonly latencyUsMin: number;
  readonly latencyUsMeanExtra: number;
  /** The writer commits unflushed writes this long after the oldest of them (limits.flushIntervalMsDefault). */
  readonly flushIntervalMs: number;
}

export const defaultDiskConfig: DiskConfig = { latencyUsMin: 50, latencyUsMeanExtra: 400, flushIntervalMs: 100 };

/** One store op applied (visible; on disk once flushed), for the oracle (checkers look at the disks from outside). */
export interface DiskWrite {
  readonly node: string;
  readonly effect: StoreEffect;
  readonly before: StoredObject | null;
  readonly after: StoredObject | null;
  readonly outcome: StoreOutcome;
}

/**
 * What a crash took from a key on this node: its object and hints as reads saw them, and what
 * was on disk. A version is lost here if the former covered its dot and the latter does not.
 */
export interface CrashLoss {
  readonly node: string;
  readonly bucket: string;
  readonly key: string;
  readonly visible: readonly StoredObject[];
  readonly durable: readonly StoredObject[];
}

/**
 * A hint kept or let go (Dynamo §4.6): `kept`, what the holder now keeps for `owner` (the merge of
 * every version it was asked to keep); `deleted`, the hint the holder forgot — after its owner, or
 * the key's replicas when the owner left, acknowledged storing it.
 */
export interface HintChange {
  readonly node: string;
  readonly kind: 'kept' | 'deleted';
  readonly bucket: string;
  readonly key: string;
  readonly owner: string;
  readonly object: StoredObject;
}

export interface DiskObserver {
  onWrite(write: DiskWrite): void;
  onCrashLoss(loss: CrashLoss): void;
  onHintChange?(change: HintChange): void;
}

const silentObserver: DiskObserver = { onWrite() {}, onCrashLoss() {} };

/** What one flush commits: the visible value (null: removed) of every key written since the last. */
interface FlushSnapshot {
  readonly objects: Map<string, StoredObject | null>;
  readonly hints: Map<string, HintRecord | null>;
  readonly meta: Map<string, Uint8Array>;
}

export function storeKey(partition: number, bucket: string, key: string): string {
  return `${partition}\u0000${bucket}\u0000${key}`;
}

function targetOf(storeKeyText: string): HintTarget {
  const [partition, bucket, key] = storeKeyText.split('\u0000') as [string, string, string];
  return { partition: Number(partition), bucket, key };
}

export class SimDisk {
  /** What reads see: every applied write, committed or still in the buffer. */
  private readonly objects = new Map<string, StoredObject>();
  /** What is on disk: what a crash leaves. */
  private readonly durableObjects = new Map<string, StoredObject>();
  /** Node-local records (the ring view, the epochs): visible at once, on disk once flushed, lost by wipes. */
  readonly meta = new Map<string, Uint8Array>();
  private readonly durableMeta = new Map<string, Uint8Array>();
  /** Hint records by store key (Dynamo §4.6), apart from owned objects. */
  private readonly hints = new Map<string, HintRecord>();
  private readonly durableHints = new Map<string, HintRecord>();
  /** Keys written since the last flush began. */
  private readonly dirty = { objects: new Set<string>(), hints: new Set<string>(), meta: new Set<string>() };
  /** The flush committing now, if any, and who waits for the next one. */
  private flushing: FlushSnapshot | null = null;
  private flushWaiters: ((ok: boolean) => void)[] = [];
  private writerScheduled = false;
  /** Bumped whenever a flush starts, so the writer's earlier wake-up does nothing. */
  private writerToken = 0;
  /** Bumped by crashes and wipes, so completions scheduled before one are ignored. */
  private generation = 0;
  /** Multiplies every latency (a slow-disk fault). */
  latencyScale = 1;
  /** A disk just made or wiped: it has lost nothing (replica/actor-generation.ts `generationAtStart`). */
  fresh = true;

  constructor(
    readonly node: string,
    public incarnation: string,
    private readonly queue: EventQueue,
    private readonly prng: Prng,
    private readonly config: DiskConfig,
    private readonly apply: ApplyStoreOp = applyStoreOp,
    private readonly observer: DiskObserver = silentObserver,
  ) {}

  /** Applies a store op now and returns its outcome. */
  submit(effect: StoreEffect): StoreOutcome {
    return this.applyNow(effect);
  }

  get(partition: number, bucket: string, key: string): StoredObject | null {
    return this.objects.get(storeKey(partition, bucket, key)) ?? null;
  }

  /** What a crash now would leave of the key. */
  durableGet(partition: number, bucket: string, key: string): StoredObject | null {
    return this.durableObjects.get(storeKey(partition, bucket, key)) ?? null;
  }

  /** Writes a meta record (visible now, on disk with the next flush). */
  writeMeta(name: string, value: Uint8Array): void {
    this.meta.set(name, value);
    this.markDirty(this.dirty.meta, name);
  }

  /** Writes a meta record straight to disk: what a node does before it serves (generationAtStart). */
  writeMetaDurably(name: string, value: Uint8Array): void {
    this.meta.set(name, value);
    this.durableMeta.set(name, value);
  }

  /**
   * A barrier: `done(true)` once every write applied so far is on disk. Flushes run one at a
   * time; a barrier asked for while one runs waits for the next, which takes everything since.
   */
  flush(done: (ok: boolean) => void): void {
    this.flushWaiters.push(done);
    if (this.flushing === null) this.startFlush();
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
    for (const objects of [this.objects, this.durableObjects]) {
      if (object === null) objects.delete(storeKey(partition, bucket, key));
      else objects.set(storeKey(partition, bucket, key), object);
    }
  }

  /**
   * The node crashed: what no flush committed is lost (a flush in flight lands or not, at
   * random), and nothing in flight reports back. The oracle hears which dots each key lost.
   */
  crash(): void {
    this.generation++;
    const inFlight = this.flushing;
    if (inFlight !== null && this.prng.int(0, 2) === 0) this.land(inFlight);
    this.flushing = null;
    this.flushWaiters = [];
    this.writerScheduled = false;
    this.writerToken++;
    const unflushed = [...this.dirty.objects, ...this.dirty.hints, ...(inFlight?.objects.keys() ?? []), ...(inFlight?.hints.keys() ?? [])];
    for (const key of new Set(unflushed)) this.reportCrashLoss(key);
    revert(this.objects, this.durableObjects);
    revert(this.hints, this.durableHints);
    revert(this.meta, this.durableMeta);
    for (const keys of Object.values(this.dirty)) keys.clear();
  }

  /** The disk is replaced: no data, and a new incarnation for the node that uses it. */
  wipe(newIncarnation: string): void {
    this.generation++;
    for (const map of [this.objects, this.durableObjects, this.meta, this.durableMeta, this.hints, this.durableHints]) map.clear();
    for (const keys of Object.values(this.dirty)) keys.clear();
    this.flushing = null;
    this.flushWaiters = [];
    this.writerScheduled = false;
    this.writerToken++;
    this.incarnation = newIncarnation;
    this.fresh = true;
  }

  /**
   * A transfer chunk of one partition, in key order after `after`, delivered after a disk latency
   * (dropped if the node crashes first). Keys order by store key, as in the real layout's bytes
   * for the short ASCII names the simulator uses.
   */
  scanPartition(scan: TransferScanEffect, done: (result: { entries: TransferEntry[]; exhausted: boolean }) => void): void {
    const generation = this.generation;
    this.queue.after(this.latencyUs(), () => {
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

  /**
   * A listing's read of one partition (coverage/listing.ts), in the order the real layout keeps
   * (item-order.ts), delivered after a disk latency (dropped if the node crashes first).
   */
  scanForListing(scan: ListScanEffect, done: (result: { items: string[]; next: string | null }) => void): void {
    const generation = this.generation;
    this.queue.after(this.latencyUs(), () => {
      if (generation === this.generation) done(this.readListing(scan));
    });
  }

  private readListing(scan: ListScanEffect): { items: string[]; next: string | null } {
    const prefix = `${scan.partition}\u0000`;
    const compare = scan.bucket === null ? compareBucketNames : compareKeys;
    const found = new Set<string>();
    for (const [storeKey, object] of this.objects) {
      if (!storeKey.startsWith(prefix)) continue;
      const [, bucket, key] = storeKey.split('\u0000') as [string, string, string];
      if (scan.bucket === null) found.add(bucket);
      else if (bucket === scan.bucket && (scan.withDeleted || liveSiblings(object).length > 0)) found.add(key);
    }
    const after = scan.after;
    const sorted = [...found].filter((item) => after === null || compare(item, after) > 0).sort(compare);
    const items = sorted.slice(0, scan.itemsMax);
    return { items, next: sorted.length > scan.itemsMax ? items.at(-1)! : null };
  }

  /**
   * Runs a hint op: an op on one key's record applies now and `done` hears at once, as in the
   * runtime; a scan of them all reads after a disk latency (dropped if the node crashes first).
   */
  runHints(op: HintOp, done: (outcome: HintOutcome) => void): void {
    if (op.kind !== 'scan' && op.kind !== 'count') return done(this.applyHintOp(op));
    const generation = this.generation;
    this.queue.after(this.latencyUs(), () => {
      if (generation === this.generation) done(this.applyHintOp(op));
    });
  }

  /** Whether a hint held for the key (for any owner) covers `dot`; `durable`: one on disk. */
  hintCovers(partition: number, bucket: string, key: string, dot: Dot, durable = false): boolean {
    const record = (durable ? this.durableHints : this.hints).get(storeKey(partition, bucket, key));
    return record !== undefined && [...record.values()].some((object) => DotSet.fromEncoded(object.context).has(dot));
  }

  /** Every hint held, for checkers: (store key, owner, object). */
  heldHints(): { key: string; owner: string; object: StoredObject }[] {
    return [...this.hints].flatMap(([key, record]) => [...record].map(([owner, object]) => ({ key, owner, object })));
  }

  private applyHintOp(op: HintOp): HintOutcome {
    switch (op.kind) {
      case 'store': {
        const outcome = this.changeHint(op.hint, (record) => storeHint(record, op.hint, op.resolution));
        const kept = this.hints.get(storeKey(op.hint.partition, op.hint.bucket, op.hint.key))?.get(op.hint.owner);
        if (outcome.kind === 'stored' && kept !== undefined) this.observer.onHintChange?.({ node: this.node, kind: 'kept', bucket: op.hint.bucket, key: op.hint.key, owner: op.hint.owner, object: kept });
        return outcome;
      }
      case 'delete': {
        const outcome = this.changeHint(op.hint, (record) => deleteHint(record, op.hint));
        if (outcome.kind === 'deleted' && outcome.deleted) this.observer.onHintChange?.({ node: this.node, kind: 'deleted', bucket: op.hint.bucket, key: op.hint.key, owner: op.hint.owner, object: op.hint.object });
        return outcome;
      }
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
      case 'count': {
        const byOwner = new Map<string, number>();
        for (const record of this.hints.values()) tallyHints(byOwner, record);
        return hintsCounted(byOwner);
      }
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
    if (write !== undefined) this.markDirty(this.dirty.hints, key);
    return outcome;
  }

  private applyNow(effect: StoreEffect): StoreOutcome {
    const key = storeKey(effect.partition, effect.bucket, effect.key);
    const before = this.objects.get(key) ?? null;
    const result = this.apply(before, effect.op);
    if (result.drop && effect.op.kind === 'dropIfUnchanged') {
      this.objects.delete(key);
      this.markDirty(this.dirty.objects, key);
    } else if (result.write !== undefined) {
      const problem = storedObjectProblem(result.write);
      if (problem !== null) assertFailed(`node ${this.node} would store an invalid object for ${effect.bucket}/${effect.key}: ${problem}`);
      this.objects.set(key, result.write);
      this.markDirty(this.dirty.objects, key);
    }
    const after = this.objects.get(key) ?? null;
    this.observer.onWrite({ node: this.node, effect, before, after, outcome: result.outcome });
    return result.outcome;
  }

  private latencyUs(): number {
    return (this.config.latencyUsMin + this.prng.exponential(this.config.latencyUsMeanExtra)) * this.latencyScale;
  }

  /** A write waiting for a flush; the writer will commit it `flushIntervalMs` from now at the latest. */
  private markDirty(keys: Set<string>, key: string): void {
    keys.add(key);
    this.armWriter();
  }

  /** With writes waiting and no flush running, the writer flushes `flushIntervalMs` from now. */
  private armWriter(): void {
    if (this.writerScheduled || this.flushing !== null || Object.values(this.dirty).every((keys) => keys.size === 0)) return;
    this.writerScheduled = true;
    const token = ++this.writerToken;
    this.queue.after(this.config.flushIntervalMs * microsPerMs, () => {
      if (token !== this.writerToken) return;
      this.writerScheduled = false;
      this.startFlush();
    });
  }

  /** Takes everything written since the last flush began, and commits it after a disk latency. */
  private startFlush(): void {
    this.writerToken++;
    this.writerScheduled = false;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    const snapshot: FlushSnapshot = {
      objects: new Map([...this.dirty.objects].map((key) => [key, this.objects.get(key) ?? null])),
      hints: new Map([...this.dirty.hints].map((key) => [key, this.hints.get(key) ?? null])),
      meta: new Map([...this.dirty.meta].map((name) => [name, this.meta.get(name)!])),
    };
    for (const keys of Object.values(this.dirty)) keys.clear();
    this.flushing = snapshot;
    const generation = this.generation;
    this.queue.after(this.latencyUs(), () => {
      if (generation !== this.generation) return;
      this.land(snapshot);
      this.flushing = null;
      // The next flush is decided before anyone hears back: a waiter's node may write and flush
      // again from inside `done`, and two flushes must never run (and land) at once.
      if (this.flushWaiters.length > 0) this.startFlush();
      else this.armWriter();
      for (const done of waiters) done(true);
    });
  }

  private land(snapshot: FlushSnapshot): void {
    for (const [key, object] of snapshot.objects) setOrDelete(this.durableObjects, key, object);
    for (const [key, record] of snapshot.hints) setOrDelete(this.durableHints, key, record);
    for (const [name, value] of snapshot.meta) this.durableMeta.set(name, value);
  }

  /** Tells the oracle what the key held before the crash and what is left of it. */
  private reportCrashLoss(key: string): void {
    const present = (object: StoredObject | undefined): object is StoredObject => object !== undefined;
    const visible = [this.objects.get(key), ...(this.hints.get(key)?.values() ?? [])].filter(present);
    const durable = [this.durableObjects.get(key), ...(this.durableHints.get(key)?.values() ?? [])].filter(present);
    const { bucket, key: name } = targetOf(key);
    this.observer.onCrashLoss({ node: this.node, bucket, key: name, visible, durable });
  }
}

function setOrDelete<V>(map: Map<string, V>, key: string, value: V | null): void {
  if (value === null) map.delete(key);
  else map.set(key, value);
}

/** Makes `visible` hold exactly what `durable` holds. */
function revert<V>(visible: Map<string, V>, durable: ReadonlyMap<string, V>): void {
  visible.clear();
  for (const [key, value] of durable) visible.set(key, value);
}
