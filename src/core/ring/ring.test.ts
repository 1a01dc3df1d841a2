import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvorumError } from '../errors.ts';
import type { Ring, RingNode } from './types.ts';
import { createRing, extendedPreferenceList, ownedPartitions, preferenceList, sharedPreferenceList } from './ring.ts';
import { isSpreadFeasible } from './claim.ts';

function ringNode(name: string, zone?: string): RingNode {
  return { name, address: `127.0.0.1:${7000 + name.length}`, httpUrl: `http://127.0.0.1:${8000 + name.length}`, capacity: 1, zone };
}

function ringNodes(count: number): RingNode[] {
  return Array.from({ length: count }, (_, i) => ringNode(`n${String(i).padStart(2, '0')}`));
}

/** A ring with exactly these owners (partition count = owners.length), for hand-checked walks. */
function handRing(owners: string[], extra: string[] = []): Ring {
  const names = [...new Set([...owners, ...extra])];
  return { partitionCount: owners.length, owners, nodes: new Map(names.map((n) => [n, ringNode(n)])), version: 1 };
}

test('createRing: version 1, one owner per partition, members by name', () => {
  const ring = createRing(ringNodes(5).reverse(), 64, 3);
  assert.equal(ring.version, 1);
  assert.equal(ring.partitionCount, 64);
  assert.equal(ring.owners.length, 64);
  assert.deepEqual([...ring.nodes.keys()], ['n00', 'n01', 'n02', 'n03', 'n04']);
  for (const owner of ring.owners) assert.ok(ring.nodes.has(owner));
  assert.ok(Object.isFrozen(ring.owners));
});

test('createRing from a previous ring bumps the version and moves only what it must', () => {
  const first = createRing(ringNodes(4), 64, 3);
  const second = createRing(ringNodes(5), 64, 3, first);
  assert.equal(second.version, 2);
  const moved = second.owners.filter((o, p) => o !== first.owners[p]).length;
  assert.equal(moved, second.owners.filter((o) => o === 'n04').length);
  assert.equal(createRing(ringNodes(5), 64, 3, second).version, 3);
});

test('createRing validates through claim', () => {
  assert.throws(() => createRing([], 64, 3), (e: unknown) => e instanceof KvorumError && e.code === 'bad_config');
  assert.throws(() => createRing(ringNodes(3), 60, 3), (e: unknown) => e instanceof KvorumError && e.code === 'bad_config');
});

test('preferenceList: the first n distinct owners walking clockwise (Dynamo §4.3)', () => {
  const ring = handRing(['a', 'a', 'b', 'c', 'a', 'd', 'd', 'b']);
  assert.deepEqual(preferenceList(ring, 0, 2), ['a', 'b']);
  assert.deepEqual(preferenceList(ring, 0, 3), ['a', 'b', 'c']);
  assert.deepEqual(preferenceList(ring, 3, 3), ['c', 'a', 'd']);
  // Wraps from the last partition to the first.
  assert.deepEqual(preferenceList(ring, 7, 3), ['b', 'a', 'c']);
  assert.deepEqual(preferenceList(ring, 5, 1), ['d']);
  // Fewer nodes than n: all of them.
  assert.deepEqual(preferenceList(ring, 1, 9), ['a', 'b', 'c', 'd']);
  assert.deepEqual(preferenceList(ring, 1, 0), []);
});

test('preferenceList returns a fresh array: changing it does not change the ring', () => {
  const ring = handRing(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd']);
  const list = preferenceList(ring, 0, 3);
  list.push('zzz');
  list[0] = 'x';
  assert.deepEqual(preferenceList(ring, 0, 3), ['a', 'b', 'c']);
});

test('sharedPreferenceList is the same list without a copy: one array per ring, partition and length', () => {
  const ring = handRing(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd']);
  for (let p = 0; p < 8; p++) {
    const shared = sharedPreferenceList(ring, p, 3);
    assert.deepEqual(shared, preferenceList(ring, p, 3));
    assert.equal(sharedPreferenceList(ring, p, 3), shared);
    assert.notEqual(preferenceList(ring, p, 3), shared);
  }
  // A new ring (a new view) has lists of its own.
  const next = handRing(['d', 'c', 'b', 'a', 'd', 'c', 'b', 'a']);
  assert.deepEqual(sharedPreferenceList(next, 0, 3), ['d', 'c', 'b']);
});

test('extendedPreferenceList: every node in walk order; the preference list is its prefix (Dynamo §4.6)', () => {
  const ring = handRing(['a', 'a', 'b', 'c', 'a', 'd', 'd', 'b']);
  assert.deepEqual(extendedPreferenceList(ring, 3), ['c', 'a', 'd', 'b']);
  for (let p = 0; p < 8; p++) {
    const extended = extendedPreferenceList(ring, p);
    for (let n = 0; n <= 4; n++) assert.deepEqual(preferenceList(ring, p, n), extended.slice(0, n));
  }
});

test('extendedPreferenceList is cached per ring and frozen', () => {
  const ring = createRing(ringNodes(6), 64, 3);
  const first = extendedPreferenceList(ring, 10);
  assert.equal(extendedPreferenceList(ring, 10), first);
  assert.ok(Object.isFrozen(first));
  // A different ring object (even with equal contents) has its own walks.
  const copy: Ring = { ...ring };
  assert.notEqual(extendedPreferenceList(copy, 10), first);
  assert.deepEqual(extendedPreferenceList(copy, 10), first);
});

test('nodes that own no partition come last in the extended list, by name', () => {
  const ring = handRing(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], ['z', 'y']);
  assert.deepEqual(extendedPreferenceList(ring, 6), ['g', 'h', 'a', 'b', 'c', 'd', 'e', 'f', 'y', 'z']);
  // N = 9 on a ring of 8 partitions still finds 9 replicas.
  assert.equal(preferenceList(ring, 0, 9).length, 9);
});

test('walks reject a partition outside the ring', () => {
  const ring = handRing(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd']);
  assert.throws(() => preferenceList(ring, 8, 3), /partition 8/);
  assert.throws(() => preferenceList(ring, -1, 3), /partition -1/);
  assert.throws(() => extendedPreferenceList(ring, 1.5), /partition 1.5/);
});

test('ownedPartitions: the partitions whose preference list includes the node', () => {
  const ring = handRing(['a', 'a', 'b', 'c', 'a', 'd', 'd', 'b']);
  // n = 2 lists: 0 ab, 1 ab, 2 bc, 3 ca, 4 ad, 5 db, 6 db, 7 ba
  assert.deepEqual(ownedPartitions(ring, 'a', 2), [0, 1, 3, 4, 7]);
  assert.deepEqual(ownedPartitions(ring, 'd', 2), [4, 5, 6]);
  assert.deepEqual(ownedPartitions(ring, 'd', 1), [5, 6]);
  assert.deepEqual(ownedPartitions(ring, 'nobody', 3), []);
});

test('property: preference lists of claimed rings', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.constantFrom(8, 16, 64, 256, 1024),
      fc.integer({ min: 1, max: 5 }),
      fc.nat(),
      (s, q, n, pick) => {
        const ring = createRing(ringNodes(s), q, n);
        const p = pick % q;
        const list = preferenceList(ring, p, n);
        assert.equal(list.length, Math.min(n, s));
        assert.equal(new Set(list).size, list.length);
        assert.equal(list[0], ring.owners[p]);
        assert.deepEqual([...extendedPreferenceList(ring, p)].sort(), [...ring.nodes.keys()].sort());
        // With spread, the preference list is exactly the owners of the next N partitions.
        if (isSpreadFeasible(s, q, n) && n <= q) {
          assert.deepEqual(list, Array.from({ length: n }, (_, k) => ring.owners[(p + k) % q]));
        }
        // Every partition is replicated min(N, S) times in all.
        const total = [...ring.nodes.keys()].reduce((sum, name) => sum + ownedPartitions(ring, name, n).length, 0);
        assert.equal(total, q * Math.min(n, s));
      },
    ),
    { numRuns: 60 },
  );
});
