import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { StoredObject } from '../version/types.ts';
import { HashTree, emptyHash, segmentsCount } from './hash-tree.ts';
import { keyDigest } from './object-digest.ts';
import { PartitionTrees, treeFromEntries } from './partition-trees.ts';
import type { ScannedEntry } from './scan-types.ts';

const partition = 0;
const bucket = 'b';

function objectOf(counter: number): StoredObject {
  return {
    siblings: [{ dot: ['n1.a', counter], value: Uint8Array.of(counter & 0xff), contentType: 'text/plain', lastModifiedMs: counter, deleted: false }],
    context: { clock: [['n1.a', counter, counter]], dots: [] },
  };
}

function entriesOf(disk: ReadonlyMap<string, StoredObject>): ScannedEntry[] {
  return [...disk].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, object]) => ({ bucket, key, object }));
}

function assertSameTree(actual: HashTree | undefined, expected: HashTree): void {
  assert.ok(actual, 'tree is built');
  assert.deepEqual(actual.differingSegments(expected), []);
  assert.equal(actual.root(), expected.root());
}

test('the digest is canonical: equal objects, equal digests; any change of a field, another digest', () => {
  assert.equal(keyDigest(bucket, 'k', objectOf(1)), keyDigest(bucket, 'k', objectOf(1)));
  assert.notEqual(keyDigest(bucket, 'k', objectOf(1)), keyDigest(bucket, 'k', objectOf(2)));
  assert.notEqual(keyDigest(bucket, 'k', objectOf(1)), keyDigest(bucket, 'j', objectOf(1)));
  const changedValue = { ...objectOf(1), siblings: [{ ...objectOf(1).siblings[0]!, value: Uint8Array.of(9) }] };
  assert.notEqual(keyDigest(bucket, 'k', objectOf(1)), keyDigest(bucket, 'k', changedValue));
  assert.equal(keyDigest(bucket, 'k', null), null);
});

test('a tree is the XOR of its leaves: toggling a digest twice leaves it empty', () => {
  const tree = new HashTree();
  tree.toggle(7, '0123456789abcdef');
  assert.notEqual(tree.root(), emptyHash);
  tree.toggle(7, '0123456789abcdef');
  assert.equal(tree.root(), emptyHash);
  assert.equal(tree.branchHashes().length * tree.segmentsOf(0).length, segmentsCount);
});

/**
 * A disk of a few keys, a build whose scan chunks are read at one moment and delivered later,
 * and writes applied (with their outcomes delivered at once, as per-key queues do) anywhere in
 * between: once the build and its re-reads are done, the incremental tree equals the tree rebuilt
 * from the disk — and stays equal under further writes.
 */
const step = fc.oneof(
  fc.record({ type: fc.constant('write' as const), key: fc.integer({ min: 0, max: 9 }), counter: fc.option(fc.integer({ min: 1, max: 50 })) }),
  fc.record({ type: fc.constant('readChunk' as const), size: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ type: fc.constant('deliverChunk' as const) }),
);

test('property: the tree kept from outcomes during and after a racing build equals the tree rebuilt from disk', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 50 })), { maxLength: 10 }), fc.array(step, { maxLength: 60 }), (initial, steps) => {
      const disk = new Map<string, StoredObject>(initial.map(([key, counter]) => [`k${key}`, objectOf(counter)]));
      const trees = new PartitionTrees(1);
      trees.startBuild(partition);
      let after: string | null = null;
      let exhausted = false;
      const readChunks: ScannedEntry[][] = [];
      const write = (key: string, object: StoredObject | null): void => {
        const before = disk.get(key) ?? null;
        if (object === null) disk.delete(key);
        else disk.set(key, object);
        trees.onWrite(partition, bucket, key, before, object);
      };
      const deliver = (): void => {
        const chunk = readChunks.shift();
        if (chunk) trees.onScanned(partition, chunk);
      };
      for (const s of steps) {
        if (s.type === 'write') write(`k${s.key}`, s.counter === null ? null : objectOf(s.counter));
        else if (s.type === 'readChunk' && !exhausted) {
          const rest = entriesOf(disk).filter((entry) => after === null || entry.key > after);
          const chunk = rest.slice(0, s.size);
          exhausted = rest.length <= s.size;
          after = chunk.at(-1)?.key ?? after;
          readChunks.push(chunk);
        } else if (s.type === 'deliverChunk') deliver();
      }
      while (!exhausted) {
        const rest = entriesOf(disk).filter((entry) => after === null || entry.key > after);
        readChunks.push(rest.slice(0, 3));
        exhausted = rest.length <= 3;
        after = rest.slice(0, 3).at(-1)?.key ?? after;
      }
      while (readChunks.length > 0) deliver();
      for (const { key } of trees.finishBuild(partition)) trees.onReread(partition, bucket, key, disk.get(key) ?? null);
      assertSameTree(trees.settledTree(partition), treeFromEntries(entriesOf(disk)));
      assert.equal(trees.keysCount(partition), disk.size);
      write('k1', objectOf(99));
      write('k2', null);
      assertSameTree(trees.settledTree(partition), treeFromEntries(entriesOf(disk)));
      assert.equal(trees.keysCount(partition), disk.size);
    }),
    { numRuns: 300 },
  );
});

test('without the re-read of keys written during the build, the property fails (the test can fail)', () => {
  const disk = new Map([['k1', objectOf(1)]]);
  const trees = new PartitionTrees(1);
  trees.startBuild(partition);
  const chunk = entriesOf(disk);
  disk.set('k1', objectOf(2));
  trees.onWrite(partition, bucket, 'k1', objectOf(1), objectOf(2));
  trees.onScanned(partition, chunk);
  const dirty = trees.finishBuild(partition);
  assert.deepEqual(dirty, [{ bucket, key: 'k1' }]);
  assert.equal(trees.settledTree(partition), undefined, 'not settled until the re-read answers');
  trees.onReread(partition, bucket, 'k1', disk.get('k1')!);
  assertSameTree(trees.settledTree(partition), treeFromEntries(entriesOf(disk)));
});

test('one tree per N: the tree of buckets with N >= n is the tree of exactly their keys, kept through writes', () => {
  const nOf = (name: string): number => (name === 'pair' ? 2 : name === 'trio' ? 3 : 5);
  const buckets = ['pair', 'trio', 'wide'];
  const disk = new Map<string, ScannedEntry>();
  for (let i = 0; i < 30; i++) {
    const name = buckets[i % 3]!;
    disk.set(`${name}/k${i}`, { bucket: name, key: `k${i}`, object: objectOf(i + 1) });
  }
  const trees = new PartitionTrees(1, nOf);
  trees.startBuild(partition);
  trees.onScanned(partition, [...disk.values()]);
  assert.deepEqual(trees.finishBuild(partition), []);
  const write = (name: string, key: string, object: StoredObject | null): void => {
    const before = disk.get(`${name}/${key}`)?.object ?? null;
    if (object === null) disk.delete(`${name}/${key}`);
    else disk.set(`${name}/${key}`, { bucket: name, key, object });
    trees.onWrite(partition, name, key, before, object);
  };
  write('pair', 'k0', objectOf(99));
  write('trio', 'k1', null);
  write('wide', 'new', objectOf(7));
  for (const nMin of [0, 2, 3, 4, 5, 6]) {
    const expected = treeFromEntries([...disk.values()].filter((entry) => nOf(entry.bucket) >= nMin));
    assertSameTree(trees.settledTree(partition, nMin), expected);
  }
  assert.equal(trees.settledTree(partition, 6)!.root(), emptyHash, 'no bucket has N >= 6');
});
