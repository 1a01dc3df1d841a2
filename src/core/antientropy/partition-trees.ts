/**
 * The hash trees of every partition on this node, built once at start by a background scan and
 * then kept current from store outcomes (each outcome carries the object before and after).
 *
 * One tree per partition and per N: a key's leaf lives in the tree of its bucket's N (Riak's
 * hashtrees per index and n_val). Two replicas of a partition hold the same keys only of the
 * buckets whose N reaches both of them: the i-th and j-th nodes of a partition's walk (from 0)
 * share the buckets with N > max(i, j), and compare the XOR of exactly those trees
 * (`settledTree(partition, nMin)`). One tree for every bucket would differ for ever between the
 * first and the third replica as soon as a bucket has N = 2, and exchanges would never agree.
 *
 * A scan and the writes it races with cannot be ordered by when their results arrive: a chunk
 * may have read a key before or after a write whose outcome comes later. So while a partition
 * is being built, a write only marks its key dirty (and drops what the scan said of it); when
 * the scan ends, dirty keys are read again through the per-key store queue, which orders the
 * read after every write whose outcome came before it. Until its read answers, a dirty key
 * ignores outcomes; after, outcomes update the tree in O(1) like any other key.
 */
import { assertFailed } from '../assert.ts';
import type { StoredObject } from '../version/types.ts';
import { HashTree } from './hash-tree.ts';
import { keyHash } from '../ring/hash.ts';
import { keyDigest, keyIdOf, objectDigestInto, segmentOf, segmentOfHash } from './object-digest.ts';
import type { ScannedEntry } from './scan-types.ts';

interface Leaf {
  readonly segment: number;
  readonly digest: string;
  /** The N of the key's bucket: which tree the leaf is in. */
  readonly n: number;
}

type TreeState =
  | { readonly status: 'unbuilt' }
  | { readonly status: 'building'; readonly scanned: Map<string, Leaf>; readonly dirty: Map<string, { bucket: string; key: string }> }
  | { readonly status: 'ready'; readonly trees: Map<number, HashTree>; readonly awaitingRead: Set<string>; keys: number };

export interface KeyRef {
  readonly bucket: string;
  readonly key: string;
}

/** The old and new digests of one write, as words (onWrite). */
const onWriteDigests = new Uint32Array(4);

export class PartitionTrees {
  private readonly states: TreeState[];

  constructor(
    readonly partitionCount: number,
    /** The N of a bucket (its keys' tree); one tree per partition when every bucket has the same. */
    private readonly nOf: (bucket: string) => number = () => 1,
  ) {
    this.states = Array.from({ length: partitionCount }, () => ({ status: 'unbuilt' }));
  }

  startBuild(partition: number): void {
    if (this.state(partition).status !== 'unbuilt') assertFailed(`partition ${partition} built twice`);
    this.states[partition] = { status: 'building', scanned: new Map(), dirty: new Map() };
  }

  onScanned(partition: number, entries: readonly ScannedEntry[]): void {
    const state = this.state(partition);
    if (state.status !== 'building') assertFailed(`scan result for partition ${partition} that is not building`);
    for (const { bucket, key, object } of entries) {
      const id = keyIdOf(bucket, key);
      if (state.dirty.has(id)) continue;
      const digest = keyDigest(bucket, key, object)!;
      state.scanned.set(id, { segment: segmentOf(bucket, key), digest, n: this.nOf(bucket) });
    }
  }

  /** The scan is done: the tree is made, and the keys written meanwhile must be read again. */
  finishBuild(partition: number): KeyRef[] {
    const state = this.state(partition);
    if (state.status !== 'building') assertFailed(`partition ${partition} finished a build it had not started`);
    const trees = new Map<number, HashTree>();
    for (const leaf of state.scanned.values()) treeOfN(trees, leaf.n).toggle(leaf.segment, leaf.digest);
    this.states[partition] = { status: 'ready', trees, awaitingRead: new Set(state.dirty.keys()), keys: state.scanned.size };
    return [...state.dirty.values()];
  }

  /** The re-read of a key written during the build answered with what is stored now. */
  onReread(partition: number, bucket: string, key: string, object: StoredObject | null): void {
    const state = this.state(partition);
    if (state.status !== 'ready') assertFailed(`re-read in partition ${partition} that is not built`);
    const id = keyIdOf(bucket, key);
    if (!state.awaitingRead.delete(id)) return;
    const digest = keyDigest(bucket, key, object);
    if (digest !== null) {
      treeOfN(state.trees, this.nOf(bucket)).toggle(segmentOf(bucket, key), digest);
      state.keys++;
    }
  }

  /** A store op finished on this node's disk: `before` was replaced by `after`. */
  onWrite(partition: number, bucket: string, key: string, before: StoredObject | null, after: StoredObject | null): void {
    if (before === after) return;
    const state = this.state(partition);
    if (state.status === 'unbuilt') return; // the scan, yet to start, will read what this wrote
    if (state.status === 'building') {
      const id = keyIdOf(bucket, key);
      state.scanned.delete(id);
      state.dirty.set(id, { bucket, key });
      return;
    }
    // A built tree waits for re-reads only just after its build: the key's id (a new string) is
    // made only then, not for every write a replica stores.
    if (state.awaitingRead.size > 0 && state.awaitingRead.has(keyIdOf(bucket, key))) return;
    const ofKey = keyHash(bucket, key);
    const segment = segmentOfHash(ofKey);
    // Digests as words (old at 0–1, new at 2–3): this runs for every write a replica stores.
    const words = onWriteDigests;
    const hadOld = objectDigestInto(ofKey, before, words, 0);
    const hasNew = objectDigestInto(ofKey, after, words, 2);
    if (hadOld === hasNew && (!hadOld || (words[0] === words[2] && words[1] === words[3]))) return;
    state.keys += (hasNew ? 1 : 0) - (hadOld ? 1 : 0);
    const tree = treeOfN(state.trees, this.nOf(bucket));
    if (hadOld) tree.toggleWords(segment, words[0]!, words[1]!);
    if (hasNew) tree.toggleWords(segment, words[2]!, words[3]!);
  }

  /** Whether the partition's build is complete (no re-reads pending): its trees may be exchanged. */
  isSettled(partition: number): boolean {
    const state = this.state(partition);
    return state.status === 'ready' && state.awaitingRead.size === 0;
  }

  /**
   * The tree of a partition's keys of buckets with N ≥ `nMin` (all by default), once its build is
   * complete (no re-reads pending), else undefined. Read only: it may be the node's own tree.
   */
  settledTree(partition: number, nMin = 0): HashTree | undefined {
    const state = this.state(partition);
    if (state.status !== 'ready' || state.awaitingRead.size > 0) return undefined;
    const trees = [...state.trees].filter(([n]) => n >= nMin).map(([, tree]) => tree);
    return trees.length === 1 ? trees[0]! : HashTree.combine(trees);
  }

  /** Keys stored in the partition, counted as the tree is (undefined until it is settled). */
  keysCount(partition: number): number | undefined {
    const state = this.state(partition);
    return state.status === 'ready' && state.awaitingRead.size === 0 ? state.keys : undefined;
  }

  isBuilt(partition: number): boolean {
    return this.state(partition).status === 'ready';
  }

  private state(partition: number): TreeState {
    const state = this.states[partition];
    if (state === undefined) assertFailed(`partition ${partition} outside 0..${this.partitionCount - 1}`);
    return state;
  }
}

/** A tree made from scratch from every entry of a partition (tests and the simulator's checker). */
export function treeFromEntries(entries: Iterable<ScannedEntry>): HashTree {
  const tree = new HashTree();
  for (const { bucket, key, object } of entries) tree.toggle(segmentOf(bucket, key), keyDigest(bucket, key, object)!);
  return tree;
}

function treeOfN(trees: Map<number, HashTree>, n: number): HashTree {
  let tree = trees.get(n);
  if (tree === undefined) trees.set(n, (tree = new HashTree()));
  return tree;
}
