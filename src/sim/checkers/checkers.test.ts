/**
 * The checkers on hand-made situations: a clean history passes, and each kind of damage — a
 * lost write, a value nobody wrote, a sibling that should have been dropped, replicas that
 * disagree — is reported by the checker responsible for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBucketProps } from '../../core/limits.ts';
import { partitionOf } from '../../core/ring/hash.ts';
import { mergeObjects } from '../../core/version/object.ts';
import type { CausalContext, StoredObject } from '../../core/version/types.ts';
import { defaultDiskConfig } from '../disk.ts';
import { History, type HistoryEntry } from '../history.ts';
import { labelBytes } from '../labels.ts';
import { defaultNetworkConfig } from '../network.ts';
import { Oracle } from '../oracle.ts';
import { Prng } from '../prng.ts';
import { gotObject, recordOutcome } from '../workload.ts';
import { SimWorld } from '../world.ts';
import { runCheckers, type Violation } from './index.ts';
import { replicaStates } from './replicas.ts';

const bucket = 'b';
const nodes = ['n1', 'n2', 'n3'];

/** Time for a new cluster's nodes to find that every disk is new (core/tombstones/epoch-sync.ts). */
const epochsSettleMs = 100;

class Cluster {
  readonly oracle = new Oracle();
  readonly history = new History();
  readonly world: SimWorld;
  private labels = 0;

  constructor() {
    const config = {
      nodeNames: nodes,
      partitionCount: 8,
      bucketProps: defaultBucketProps,
      requestTimeoutMs: 300,
      network: defaultNetworkConfig,
      disk: defaultDiskConfig,
      clientLatencyUsMin: 100,
      clientLatencyUsMax: 100,
      bugs: {},
    };
    this.world = new SimWorld(config, new Prng(1), this.oracle);
    this.oracle.attach(this.world);
    // New disks learn the partition epochs from each other before they take replicas' writes.
    this.world.runUntil(epochsSettleMs);
  }

  put(key: string, context: CausalContext | null = null): HistoryEntry {
    return this.write('put', key, context);
  }

  delete(key: string, context: CausalContext): HistoryEntry {
    return this.write('delete', key, context);
  }

  private write(kind: 'put' | 'delete', key: string, context: CausalContext | null): HistoryEntry {
    const label = `${kind === 'put' ? 'w' : 'd'}${++this.labels}`;
    this.oracle.issue(label, bucket, key);
    const { world, history } = this;
    const entry = history.invoke({ client: 'c1', node: 'n1', kind, bucket, key, quorum: 2, invokedMs: world.nowMs, label, context, style: context ? 'fresh' : 'blind' });
    const request = { kind: 'put' as const, bucket, key, value: labelBytes(label), contentType: 't', deleted: kind === 'delete', context };
    world.request('n1', request, (outcome) => {
      recordOutcome(history, entry, world.nowMs, outcome);
      if (outcome.type === 'result' && outcome.result.kind === 'stored') entry.storedContext = outcome.result.context;
    });
    this.settle();
    assert.equal(entry.outcome, 'ok');
    return entry;
  }

  get(key: string): HistoryEntry {
    const { world, history } = this;
    const entry = history.invoke({ client: 'c1', node: 'n2', kind: 'get', bucket, key, quorum: 3, invokedMs: world.nowMs });
    world.request('n2', { kind: 'get', bucket, key, r: 3 }, (outcome) => {
      recordOutcome(history, entry, world.nowMs, outcome);
      if (outcome.type === 'result' && outcome.result.kind === 'got') entry.got = outcome.result.object ? gotObject(outcome.result.object) : null;
    });
    this.settle();
    return entry;
  }

  /** Silently replaces what every replica of `key` holds (or only `only`). */
  corrupt(key: string, object: StoredObject | null, only?: string): void {
    const partition = partitionOf(bucket, key, this.world.ring.partitionCount);
    for (const node of only ? [only] : nodes) this.world.disk(node).overwrite(partition, bucket, key, object);
  }

  /**
   * What a collection round's remove step does (docs/handoff.md): each node (or only `only`) drops
   * what it stores for `key` if still unchanged. Straight to the disks: the nodes are not told, so
   * their hash trees go stale, which these checks do not look at.
   */
  collect(key: string, only: readonly string[] = nodes): void {
    const partition = partitionOf(bucket, key, this.world.ring.partitionCount);
    for (const node of only) {
      const disk = this.world.disk(node);
      const object = disk.get(partition, bucket, key);
      if (object === null) continue;
      const op = { kind: 'dropIfUnchanged' as const, object, reason: 'tombstone' as const };
      disk.submit({ type: 'store', storeId: 0, partition, bucket, key, op });
    }
    this.settle();
  }

  stored(key: string): StoredObject {
    return replicaStates(this.world, bucket, key)[0]!.object!;
  }

  check(): Violation[] {
    return runCheckers({ world: this.world, history: this.history, oracle: this.oracle, livenessMs: 0, antiEntropy: false });
  }

  private settle(): void {
    this.world.runUntil(this.world.nowMs + 100);
  }
}

function checkersOf(violations: readonly Violation[]): string[] {
  return [...new Set(violations.map((violation) => violation.checker))].sort();
}

test('a clean history passes every checker, siblings and superseded writes included', () => {
  const cluster = new Cluster();
  const first = cluster.put('k');
  cluster.put('k'); // blind: a sibling of the first
  cluster.put('k', cluster.get('k').got!.context); // supersedes both
  cluster.put('k', first.storedContext!); // stale: a sibling of the third
  cluster.get('k');
  assert.deepEqual(cluster.check(), []);
  assert.equal(cluster.stored('k').siblings.length, 2);
});

test('durability: an acknowledged write that vanishes is reported, with its entry', () => {
  const cluster = new Cluster();
  const lost = cluster.put('k');
  cluster.corrupt('k', null);
  const violations = cluster.check();
  assert.deepEqual(checkersOf(violations), ['durability']);
  assert.deepEqual(violations[0]!.entryIds, [lost.id]);
  assert.match(violations[0]!.message, /w1 .* is lost/);
});

test('durability and hidden loss: a write dropped by a merge, not by a newer write, is reported', () => {
  const cluster = new Cluster();
  cluster.put('k');
  cluster.put('k');
  const both = cluster.stored('k');
  // Keep the context (it covers both dots) but only the second sibling: the first is dropped
  // though no write that had seen it exists.
  cluster.corrupt('k', { siblings: both.siblings.slice(1), context: both.context });
  assert.deepEqual(checkersOf(cluster.check()), ['dropped', 'durability']);
  cluster.get('k');
  const violations = cluster.check();
  assert.ok(violations.some((violation) => violation.checker === 'dropped' && /get #\d+ returned a context covering w1/.test(violation.message)));
});

test('durability: a write is excused once W of its replicas were wiped', () => {
  const cluster = new Cluster();
  cluster.put('k');
  cluster.corrupt('k', null);
  cluster.world.crash('n1');
  cluster.world.wipe('n1');
  cluster.world.crash('n2');
  cluster.world.wipe('n2');
  assert.deepEqual(cluster.check(), []);
});

test('phantoms: a value no client wrote is reported, by the oracle too when it reaches a disk', () => {
  const cluster = new Cluster();
  cluster.put('k');
  const stored = cluster.stored('k');
  const forged: StoredObject = {
    siblings: [...stored.siblings, { ...stored.siblings[0]!, dot: ['n3.forger', 1], value: labelBytes('forged') }],
    context: { clock: [...stored.context.clock, ['n3.forger', 1, 0]], dots: [] },
  };
  cluster.corrupt('k', forged, 'n3');
  cluster.get('k'); // returns the forged value, and read repair copies it to n1 and n2
  const violations = cluster.check();
  assert.deepEqual(checkersOf(violations), ['phantoms']);
  assert.ok(violations.some((violation) => /get #\d+ returned value "forged", which no client wrote/.test(violation.message)));
  assert.ok(violations.some((violation) => /stored value "forged"/.test(violation.message)), 'the oracle saw it reach a disk');
});

test('siblings: a get that returns a version beside one it supersedes is reported', () => {
  const cluster = new Cluster();
  cluster.put('k');
  const older = cluster.stored('k');
  cluster.put('k', older.context); // supersedes the first
  const newer = cluster.stored('k');
  const both: StoredObject = { siblings: [...older.siblings, ...newer.siblings], context: mergeObjects(older, newer, 'siblings').context };
  cluster.corrupt('k', both);
  cluster.get('k');
  const violations = cluster.check();
  assert.ok(checkersOf(violations).includes('siblings'));
  assert.ok(violations.some((violation) => /w1 .* beside a context holding w2/.test(violation.message)));
});

test('convergence: replicas left different are reported; a read with R = N repairs them', () => {
  const cluster = new Cluster();
  const first = cluster.put('k');
  const before = cluster.stored('k');
  cluster.put('k', first.storedContext!);
  cluster.corrupt('k', before, 'n3');
  assert.deepEqual(checkersOf(cluster.check()), ['convergence']);
  cluster.get('k'); // R = 3: read repair brings n3 up to date
  assert.deepEqual(cluster.check(), []);
});

test('durability: a collection that removes a value, not only tombstones, is reported', () => {
  const cluster = new Cluster();
  const written = cluster.put('k');
  cluster.collect('k');
  const violations = cluster.check();
  assert.deepEqual(checkersOf(violations), ['durability']);
  assert.ok(violations.every((violation) => /n\d collected b\/k as a tombstone though it held w1/.test(violation.message)));
  assert.deepEqual(violations[0]!.entryIds, [written.id]);
});

test('resurrection: a version a collected tombstone superseded, back on a disk or in a later get, is reported', () => {
  const cluster = new Cluster();
  const written = cluster.put('k');
  const old = cluster.stored('k');
  const deletion = cluster.delete('k', written.storedContext!);
  cluster.collect('k');
  assert.equal(cluster.oracle.collectionsOf(bucket, 'k').length, 3);
  // Collected everywhere: durability finds the delete among the collected tombstones.
  assert.deepEqual(cluster.check(), []);
  // A copy read before the round (a late read repair, say) reaches n3.
  cluster.corrupt('k', old, 'n3');
  const onDisk = cluster.check();
  assert.ok(onDisk.some((violation) => violation.checker === 'resurrection' && /at the end n3 hold w1 .* which the tombstone d2 .* superseded/.test(violation.message)));
  const got = cluster.get('k'); // started after the collection; read repair copies w1 to n1 and n2
  const violations = cluster.check();
  assert.deepEqual(checkersOf(violations), ['resurrection']);
  const byGet = violations.find((violation) => violation.message.startsWith(`get #${got.id} `));
  assert.ok(byGet, 'the get is reported');
  assert.match(byGet.message, /returned w1 .* which the tombstone d2 .* superseded/);
  assert.deepEqual(byGet.entryIds, [got.id, written.id, deletion.id]);
  assert.ok(violations.some((violation) => /at the end n1, n2, n3 hold w1/.test(violation.message)));
});

test('resurrection: a get started before the collection, the tombstone back from a lost remove, and a write after it pass', () => {
  const cluster = new Cluster();
  const written = cluster.put('k');
  assert.deepEqual(cluster.get('k').got!.siblings.map((sibling) => sibling.label), ['w1']); // before the collection
  const deletion = cluster.delete('k', written.storedContext!);
  cluster.collect('k', ['n1', 'n2']); // n3's remove is lost: it keeps the tombstone for a later round
  assert.deepEqual(checkersOf(cluster.check()), ['convergence']); // until a repair spreads it again
  // The tombstone's own sibling, covered by its own context: read repair puts it back on n1 and n2.
  assert.deepEqual(cluster.get('k').got!.siblings.map((sibling) => sibling.label), ['d2']);
  // A write with the delete's context makes a dot past every counter the tombstone covered.
  const rewritten = cluster.put('k', deletion.storedContext!);
  assert.deepEqual(cluster.get('k').got!.siblings.map((sibling) => sibling.label), [rewritten.label]);
  assert.deepEqual(cluster.check(), []);
});
