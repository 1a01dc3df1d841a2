/**
 * Two real KvNodes exchanging trees through a hand-played runtime (in-memory disks, a FIFO
 * network): replicas that differ in a few keys out of many end with equal disks and equal roots,
 * and only the differing keys travel (Dynamo §4.7: "reduce the amount of data transferred").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Effect, NodeInput } from '../effects.ts';
import { defaultBucketProps, type BucketProps } from '../limits.ts';
import { KvNode } from '../node.ts';
import { applyStoreOp } from '../replica/store-op.ts';
import { partitionOf } from '../ring/hash.ts';
import { createRing, preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';
import { defaultRequestLimits } from '../validate.ts';
import type { StoredObject } from '../version/types.ts';
import type { AntiEntropySettings } from './settings.ts';
import type { CoreCounter } from '../counters.ts';

const names = ['a', 'b'];
const ringOf = (nodes: readonly string[], n: number) => createRing(nodes.map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, n);
const ring = ringOf(names, 2);
const bucket = 'b';
const props = { ...defaultBucketProps, n: 2, r: 1, w: 1 };

function version(counter: number): StoredObject {
  return {
    siblings: [{ dot: ['w.1', counter], value: Uint8Array.of(counter & 0xff), contentType: 'text/plain', lastModifiedMs: counter, deleted: false }],
    context: { clock: [['w.1', counter, counter]], dots: [] },
  };
}

type Disk = Map<string, { partition: number; bucket: string; key: string; object: StoredObject }>;

class Cluster {
  nowMs = 0;
  private readonly queue: (() => void)[] = [];
  readonly nodes = new Map<string, KvNode>();

  constructor(
    readonly disks: Map<string, Disk>,
    antiEntropy: Partial<AntiEntropySettings> = {},
    readonly shape: { readonly names: readonly string[]; readonly ring: Ring; readonly propsOf: (bucket: string) => BucketProps } = { names, ring, propsOf: () => props },
  ) {
    for (const name of shape.names) {
      this.nodes.set(
        name,
        new KvNode({ name, actor: `${name}.1`, ring: shape.ring, bucketProps: shape.propsOf, requestTimeoutMs: 1_000, requestLimits: defaultRequestLimits, firstOpId: 1, antiEntropy: { exchangeIntervalMs: 20, ...antiEntropy } }),
      );
    }
  }

  runUntil(done: () => boolean, timeMsMax: number): void {
    while (!done() && this.nowMs < timeMsMax) {
      this.nowMs += 10;
      for (const name of this.shape.names) this.step(name, { type: 'tick' });
      while (this.queue.length > 0) this.queue.shift()!();
    }
  }

  private step(name: string, input: NodeInput): void {
    for (const effect of this.nodes.get(name)!.step(this.nowMs, input)) this.queue.push(() => this.perform(name, effect));
  }

  private perform(name: string, effect: Effect): void {
    const disk = this.disks.get(name)!;
    if (effect.type === 'send') return this.step(effect.to, { type: 'message', from: name, message: effect.message });
    if (effect.type === 'store') {
      const id = `${effect.bucket}\u0000${effect.key}`;
      const result = applyStoreOp(disk.get(id)?.object ?? null, effect.op);
      if (result.write) disk.set(id, { partition: effect.partition, bucket: effect.bucket, key: effect.key, object: result.write });
      return this.step(name, { type: 'stored', storeId: effect.storeId, outcome: result.outcome });
    }
    if (effect.type === 'transferScan') {
      const entries = [...disk.entries()]
        .filter(([id, entry]) => entry.partition === effect.partition && (effect.after === null || id > `${effect.after.bucket}\u0000${effect.after.key}`))
        .sort(([x], [y]) => (x < y ? -1 : 1));
      const chunk = entries.slice(0, effect.entriesMax).map(([, { bucket, key, object }]) => ({ bucket, key, object }));
      return this.step(name, { type: 'transferScanned', scanId: effect.scanId, entries: chunk, exhausted: entries.length <= effect.entriesMax });
    }
  }

  counter(metric: CoreCounter): number {
    let sum = 0;
    for (const node of this.nodes.values()) sum += node.counters.get(metric) ?? 0;
    return sum;
  }

  rootsAgree(): boolean {
    for (let p = 0; p < ring.partitionCount; p++) {
      const [x, y] = names.map((name) => this.nodes.get(name)!.antiEntropy.treeOf(p)?.root());
      if (x === undefined || x !== y) return false;
    }
    return true;
  }
}

function diskWith(keys: number, overrides: Record<string, StoredObject | null>): Disk {
  const disk: Disk = new Map();
  for (let i = 0; i < keys; i++) {
    const key = `k${i}`;
    const object = Object.hasOwn(overrides, key) ? overrides[key]! : version(1);
    if (object !== null) disk.set(`${bucket}\u0000${key}`, { partition: partitionOf(bucket, key, ring.partitionCount), bucket, key, object });
  }
  return disk;
}

test('replicas differing in 3 keys of 2000 converge, and only those keys travel', () => {
  const disks = new Map([
    ['a', diskWith(2_000, { k5: null, k6: version(2) })],
    ['b', diskWith(2_000, { k7: null })],
  ]);
  const cluster = new Cluster(disks);
  assert.equal(cluster.rootsAgree(), false);
  cluster.runUntil(() => cluster.rootsAgree(), 10_000);
  assert.ok(cluster.rootsAgree(), 'roots agree');
  const [a, b] = [disks.get('a')!, disks.get('b')!];
  assert.equal(a.size, 2_000);
  assert.equal(b.size, 2_000);
  for (const [id, entry] of a) assert.deepEqual(b.get(id)?.object, entry.object, id);
  assert.deepEqual(b.get(`${bucket}\u0000k6`)?.object, version(2), 'the newer version wins on both sides');
  // A key both sides hold differently travels both ways (each ends with the merge), and both
  // nodes may run an exchange of the same partition at once: at most 2 × (1 + 1 + 2) sends.
  const repaired = cluster.counter('aae.keysRepaired');
  assert.ok(repaired >= 3 && repaired <= 8, `${repaired} keys sent for 3 differing keys of 2000`);
  assert.ok(cluster.counter('aae.segmentsDiffering') <= 6, 'only the segments of the differing keys differ');
  assert.equal(cluster.nodes.get('a')!.antiEntropy.keysCount(), 2_000);
});

test('a wiped replica is refilled over several exchanges when listings are bounded', () => {
  const disks = new Map([
    ['a', diskWith(2_000, {})],
    ['b', new Map() as Disk],
  ]);
  const cluster = new Cluster(disks, { listedKeysPerExchangeMax: 50 });
  cluster.runUntil(() => cluster.rootsAgree(), 60_000);
  assert.ok(cluster.rootsAgree(), 'roots agree');
  assert.equal(disks.get('b')!.size, 2_000);
  assert.ok(cluster.counter('aae.exchanges') > 2_000 / 50 / 2, 'many bounded exchanges');
});

test('buckets of different N: each pair of replicas compares the keys it shares, and an N = 2 key reaches only its two', () => {
  // Three nodes, a partition walk of three: bucket `pair` (N = 2) lives on the first two nodes of
  // a key's walk, bucket `trio` (N = 3) on all three. One tree for both would differ for ever
  // between the first and the third node.
  const trio = ['a', 'b', 'c'];
  const ring3 = ringOf(trio, 3);
  const propsOf = (name: string): BucketProps => ({ ...defaultBucketProps, n: name === 'pair' ? 2 : 3, r: 1, w: 1 });
  const disks = new Map<string, Disk>(trio.map((name) => [name, new Map()]));
  const keys = Array.from({ length: 60 }, (_, i) => ({ bucket: i % 2 === 0 ? 'pair' : 'trio', key: `k${i}` }));
  for (const { bucket: name, key } of keys) {
    const partition = partitionOf(name, key, ring3.partitionCount);
    const replicas = preferenceList(ring3, partition, propsOf(name).n);
    // Only the first replica holds it: anti-entropy must bring it to the others of its N, and no further.
    disks.get(replicas[0]!)!.set(`${name}\u0000${key}`, { partition, bucket: name, key, object: version(1) });
  }
  const cluster = new Cluster(disks, {}, { names: trio, ring: ring3, propsOf });
  const sharedRootsAgree = (): boolean => {
    for (let p = 0; p < ring3.partitionCount; p++) {
      const walk = preferenceList(ring3, p, 3);
      for (let j = 1; j < walk.length; j++) {
        for (let i = 0; i < j; i++) {
          const [x, y] = [walk[i]!, walk[j]!].map((name) => cluster.nodes.get(name)!.antiEntropy.treeOf(p, j + 1)?.root());
          if (x === undefined || x !== y) return false;
        }
      }
    }
    return true;
  };
  cluster.runUntil(sharedRootsAgree, 20_000);
  assert.ok(sharedRootsAgree(), 'every pair of replicas agrees on the keys it shares');
  for (const { bucket: name, key } of keys) {
    const partition = partitionOf(name, key, ring3.partitionCount);
    const replicas = preferenceList(ring3, partition, propsOf(name).n);
    for (const node of trio) assert.equal(disks.get(node)!.has(`${name}\u0000${key}`), replicas.includes(node), `${name}/${key} on ${node}`);
  }
  // The whole trees differ where a node holds N = 2 keys the third one does not: that is expected.
  assert.ok([...Array(ring3.partitionCount).keys()].some((p) => new Set(trio.map((name) => cluster.nodes.get(name)!.antiEntropy.treeOf(p)!.root())).size > 1));
});
