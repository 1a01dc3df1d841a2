import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextFallback, sloppyTargetNodes, sloppyTargets } from './sloppy-targets.ts';

const extended = ['a', 'b', 'c', 'd', 'e'];

describe('sloppy quorum targets (Dynamo §4.6)', () => {
  test('all primaries reachable: the preference list, no hints', () => {
    assert.deepEqual(sloppyTargets(extended, 3, () => true), [
      { node: 'a', hintFor: undefined },
      { node: 'b', hintFor: undefined },
      { node: 'c', hintFor: undefined },
    ]);
  });

  test('an unreachable primary is replaced by the next reachable node, which holds a hint for it', () => {
    assert.deepEqual(sloppyTargets(extended, 3, (node) => node !== 'b'), [
      { node: 'a', hintFor: undefined },
      { node: 'c', hintFor: undefined },
      { node: 'd', hintFor: 'b' },
    ]);
  });

  test('the coordinator is always a target, even when it is a fallback', () => {
    const targets = sloppyTargets(extended, 3, (node) => node === 'e', 'e');
    assert.deepEqual(targets, [{ node: 'e', hintFor: 'a' }]);
  });

  test('a coordinator among the primaries is a target whatever its own reachability says', () => {
    assert.deepEqual(sloppyTargets(extended, 3, (node) => node !== 'a', 'a'), [
      { node: 'a', hintFor: undefined },
      { node: 'b', hintFor: undefined },
      { node: 'c', hintFor: undefined },
    ]);
  });

  test('a coordinator outside the list whose primaries are all reachable (a forward under another view) is an extra target with no hint', () => {
    assert.deepEqual(sloppyTargets(extended, 3, () => true, 'e'), [
      { node: 'a', hintFor: undefined },
      { node: 'b', hintFor: undefined },
      { node: 'c', hintFor: undefined },
      { node: 'e', hintFor: undefined },
    ]);
    assert.deepEqual(sloppyTargets(extended, 3, (node) => node !== 'b', 'e'), [
      { node: 'a', hintFor: undefined },
      { node: 'c', hintFor: undefined },
      { node: 'e', hintFor: 'b' },
    ]);
  });

  test('property: with a coordinator, hints are kept only for unreachable primaries, and the coordinator is a target', () => {
    fc.assert(
      fc.property(fc.subarray(extended), fc.integer({ min: 1, max: 3 }), fc.constantFrom(...extended), (reachable, n, self) => {
        const targets = sloppyTargets(extended, n, (node) => reachable.includes(node), self);
        const nodes = targets.map((t) => t.node);
        assert.ok(nodes.includes(self));
        assert.equal(new Set(nodes).size, nodes.length);
        for (const { hintFor } of targets) if (hintFor !== undefined) assert.ok(!reachable.includes(hintFor));
      }),
    );
  });

  test('property: a get\'s target nodes are the nodes of the targets, and a list shorter than n gives what it has', () => {
    fc.assert(
      fc.property(fc.subarray(extended), fc.integer({ min: 1, max: 6 }), (reachable, n) => {
        const isReachable = (node: string) => reachable.includes(node);
        assert.deepEqual(sloppyTargetNodes(extended, n, isReachable), sloppyTargets(extended, n, isReachable).map((t) => t.node));
      }),
    );
    assert.deepEqual(sloppyTargetNodes(['a', 'b'], 3, () => true), ['a', 'b']);
    assert.deepEqual(sloppyTargets(['a', 'b'], 3, () => true, 'a'), [{ node: 'a', hintFor: undefined }, { node: 'b', hintFor: undefined }]);
  });

  test('property: targets are distinct, at most n, primaries first, one hint per missing primary', () => {
    fc.assert(
      fc.property(fc.subarray(extended), fc.integer({ min: 1, max: 3 }), (reachable, n) => {
        const targets = sloppyTargets(extended, n, (node) => reachable.includes(node));
        const nodes = targets.map((t) => t.node);
        assert.equal(new Set(nodes).size, nodes.length);
        assert.equal(targets.length, Math.min(n, reachable.length));
        const primaries = extended.slice(0, n);
        const hinted = targets.filter((t) => t.hintFor !== undefined).map((t) => t.hintFor!);
        assert.equal(new Set(hinted).size, hinted.length);
        for (const owner of hinted) assert.ok(primaries.includes(owner) && !nodes.includes(owner));
        for (const t of targets) assert.equal(t.hintFor === undefined, primaries.includes(t.node));
      }),
    );
  });

  test('nextFallback skips nodes already used and unreachable ones', () => {
    assert.equal(nextFallback(extended, new Set(['a', 'b', 'c']), (node) => node !== 'd'), 'e');
    assert.equal(nextFallback(extended, new Set(extended), () => true), undefined);
  });
});
