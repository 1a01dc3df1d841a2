import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { covers } from './causal-context.ts';
import { boundObject } from './object-bound.ts';
import { objectBytes, objectBytesAtMost, objectBytesWithin } from './object-bytes.ts';
import { coordinateWrite, mergeMaybe, mergeObjects, objectsEqual } from './object.ts';
import { peerObjectProblem } from './stored-object.ts';
import type { StoredObject } from './types.ts';

/** `count` blind puts through `actor`, one after another on one replica (each its own sibling). */
function blindPuts(actor: string, count: number, firstMs: number, valueBytes = 1): StoredObject {
  let object: StoredObject | null = null;
  for (let i = 0; i < count; i++) {
    object = coordinateWrite(object, { value: new Uint8Array(valueBytes).fill(i), contentType: 'x', deleted: false, context: null }, actor, firstMs + i, 'siblings').object;
  }
  return object!;
}

describe('objectBytesAtMost: the quick upper bound of objectBytes', () => {
  const text = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'é', '€', '\u{1F600}', 'z') });
  test('is never below the exact count, and objectBytesWithin agrees with it', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text, fc.nat(300)), { minLength: 1, maxLength: 6 }), fc.nat(4_000), (writes, bytesMax) => {
        let object: StoredObject | null = null;
        for (const [actor, contentType, bytes] of writes) {
          object = coordinateWrite(object, { value: new Uint8Array(bytes), contentType, deleted: false, context: null }, `n${actor}`, 1_000, 'siblings').object;
        }
        const exact = objectBytes(object!);
        assert.ok(objectBytesAtMost(object!) >= exact);
        assert.equal(objectBytesWithin(object!, bytesMax), exact <= bytesMax);
      }),
    );
  });
});

describe('the hard bound on merged objects (issue 11 §4)', () => {
  test('merging concurrent writes past siblingsHardMax keeps the newest, and the dropped stay covered', () => {
    // Three coordinators each took 30 blind puts: each was under siblingsCountMax on its own copy.
    const a = blindPuts('a', 30, 1_000);
    const b = blindPuts('b', 30, 2_000);
    const c = blindPuts('c', 30, 3_000);
    const merged = mergeObjects(mergeObjects(a, b, 'siblings'), c, 'siblings');
    assert.equal(merged.siblings.length, limits.siblingsHardMax);
    const oldestKept = Math.min(...merged.siblings.map((sibling) => sibling.lastModifiedMs));
    assert.equal(oldestKept, 2_012, "the newest 48 of the 90 writes: c's 30 and b's newest 18");
    for (const sibling of [...a.siblings, ...b.siblings, ...c.siblings]) assert.ok(covers(merged.context, sibling.dot), 'every write is in the context');
    // A replica that still holds a dropped sibling drops it on merge: it does not come back.
    assert.ok(objectsEqual(mergeObjects(merged, a, 'siblings'), merged));
    assert.ok(objectsEqual(mergeObjects(a, merged, 'siblings'), merged));
    const stored = mergeMaybe(null, { siblings: [...a.siblings, ...b.siblings].sort((x, y) => (x.dot[0] < y.dot[0] ? -1 : x.dot[0] > y.dot[0] ? 1 : x.dot[1] - y.dot[1])), context: mergeObjects(a, b, 'siblings').context }, 'siblings');
    assert.equal(stored.truncated, 60 - limits.siblingsHardMax, 'a merge into nothing is bounded too');
  });

  test('objects past objectBytesMax keep the newest siblings that fit', () => {
    const big = Math.floor(limits.objectBytesMax / 4);
    const a = blindPuts('a', 3, 1_000, big);
    const b = blindPuts('b', 3, 2_000, big);
    const merged = mergeMaybe(a, b, 'siblings');
    assert.ok(objectBytes(merged.object) <= limits.objectBytesMax);
    assert.equal(merged.object.siblings.length, 3);
    assert.deepEqual(merged.object.siblings.map((sibling) => sibling.dot[0]), ['b', 'b', 'b']);
    assert.equal(merged.truncated, 3);
  });

  test('replicas that exchange what they hold converge, in any order of merges', () => {
    // Writes spread over three replicas, merged in random orders until each has seen the others.
    const writes = fc.array(fc.record({ replica: fc.nat(2), actor: fc.constantFrom('a', 'b', 'c', 'd'), ms: fc.nat(50) }), { minLength: 40, maxLength: 90 });
    fc.assert(
      fc.property(writes, fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { maxLength: 12 }), (plan, extraMerges) => {
        const replicas: (StoredObject | null)[] = [null, null, null];
        for (const write of plan) {
          const intent = { value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null };
          // Each replica coordinates as its own actor per lettered client, so dots never collide.
          const actor = `${write.actor}${write.replica}`;
          const stored = replicas[write.replica] ?? null;
          try {
            replicas[write.replica] = coordinateWrite(stored, intent, actor, write.ms, 'siblings').object;
          } catch (error) {
            if (!(error instanceof KvorumError) || error.code !== 'too_many_siblings') throw error;
          }
        }
        const merge = (to: number, from: number): void => {
          const source = replicas[from];
          if (source === null || source === undefined) return;
          replicas[to] = mergeMaybe(replicas[to] ?? null, source, 'siblings').object;
        };
        for (const [to, from] of extraMerges) merge(to, from);
        // Anti-entropy: every replica merges every other's object until nothing changes.
        for (let round = 0; round < 4; round++) for (let to = 0; to < 3; to++) for (let from = 0; from < 3; from++) if (to !== from) merge(to, from);
        const [first, ...rest] = replicas;
        if (first === null || first === undefined) return;
        for (const other of rest) assert.ok(other && objectsEqual(first, other), 'replicas agree');
        assert.ok(first.siblings.length <= limits.siblingsHardMax);
      }),
      { numRuns: 200 },
    );
  });

  test('a put that would make an object past objectBytesMax is refused as value_too_large', () => {
    // Only values a node with a larger valueBytesMax wrote can get here (config keeps it below valueBytesMaxLimit).
    const one = blindPuts('a', 1, 1_000);
    const stored = { ...one, siblings: [{ ...one.siblings[0]!, value: new Uint8Array(limits.objectBytesMax - 1024) }] };
    const intent = { value: new Uint8Array(2048), contentType: 'x', deleted: false, context: null };
    assert.throws(() => coordinateWrite(stored, intent, 'b', 2_000, 'siblings'), (error) => error instanceof KvorumError && error.code === 'value_too_large');
    const resolving = { ...intent, context: stored.context };
    assert.equal(coordinateWrite(stored, resolving, 'b', 2_000, 'siblings').object.siblings.length, 1, 'a put with the read context resolves it');
  });

  test('boundObject leaves an object within the bound as it is', () => {
    const object = blindPuts('a', 10, 1_000);
    const bounded = boundObject(object);
    assert.equal(bounded.object, object);
    assert.equal(bounded.truncated, 0);
  });
});

describe('peerObjectProblem', () => {
  test('refuses objects beyond the hard bound and content types a client could not store', () => {
    const within = mergeObjects(blindPuts('a', 30, 1_000), blindPuts('b', 18, 2_000), 'siblings');
    assert.equal(peerObjectProblem(within), null);
    const a = blindPuts('a', 30, 1_000);
    const b = blindPuts('b', 30, 2_000);
    const unbounded: StoredObject = { siblings: [...a.siblings, ...b.siblings], context: mergeObjects(a, b, 'siblings').context };
    assert.match(peerObjectProblem(unbounded) ?? '', /60 siblings, more than 48/);
    const one = blindPuts('a', 1, 1_000);
    const huge = { ...one, siblings: [{ ...one.siblings[0]!, value: new Uint8Array(limits.objectBytesMax) }] };
    assert.match(peerObjectProblem(huge) ?? '', /bytes, more than/);
    const badType = { ...within, siblings: within.siblings.map((sibling, i) => (i === 0 ? { ...sibling, contentType: 'text/plain\r\nX: y' } : sibling)) };
    assert.match(peerObjectProblem(badType) ?? '', /printable ASCII/);
  });
});
