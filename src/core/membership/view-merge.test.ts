import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configView } from './initial-view.ts';
import { abortTransition, commitPlan, finalizeIfDone, planChange } from './plan.ts';
import type { ClusterView } from './view.ts';
import { transferId, withBucketEntries } from './view.ts';
import { setBucketEntry } from './bucket-props.ts';
import { defaultBucketProps } from '../limits.ts';
import { mergeViews, sameView } from './view-merge.ts';

const node = (name: string, i: number) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 });
const base = configView(['n1', 'n2', 'n3'].map(node), 16, 3);

/** A pool of related views: commits by different nodes at one version, partial completions, aborts and finalizations. */
function pool(): ClusterView[] {
  const views: ClusterView[] = [base];
  for (const [by, joiner] of [['n1', 'n4'], ['n2', 'n4'], ['n2', 'n5']] as const) {
    const plan = planChange(base, [{ action: 'join', node: node(joiner, 9) }], 3);
    const committed = commitPlan(base, plan, by);
    views.push(committed);
    const ids = committed.transfers.map(transferId).sort();
    views.push({ ...committed, completed: ids.slice(0, 1) }, { ...committed, completed: ids.slice(1, 3) }, { ...committed, completed: ids.slice(0, 3) });
    // The two ways a transition ends, at one version: aborted by an operator, or finalized.
    views.push(abortTransition(committed, 'n3'), finalizeIfDone({ ...committed, completed: ids })!);
  }
  return views;
}

/**
 * The same views with bucket settings made on different nodes (bucket-props.ts): they merge apart
 * from the commits, and the pair stays a join.
 */
function withSettings(views: readonly ClusterView[]): ClusterView[] {
  const carts = (n: number, by: string, version = 1) => setBucketEntry(version === 1 ? [] : setBucketEntry([], 'carts', { ...defaultBucketProps, n: 1, r: 1, w: 1 }, 'n3'), 'carts', { ...defaultBucketProps, n, r: 1, w: 1 }, by);
  const settings = [carts(2, 'n1'), carts(1, 'n2'), carts(3, 'n1', 2), setBucketEntry(carts(2, 'n1'), 'users', { ...defaultBucketProps, resolution: 'lww' }, 'n2')];
  return [...views, ...views.flatMap((view, i) => (i % 2 === 0 ? [withBucketEntries(view, settings[i % settings.length]!)] : []))];
}

const views = withSettings(pool());
const anyView = fc.constantFrom(...views);
const same = (a: ClusterView, b: ClusterView): boolean => sameView(a, b);

describe('view merge', () => {
  test('is commutative, associative and idempotent (a join: gossip converges in any order)', () => {
    fc.assert(
      fc.property(anyView, anyView, anyView, (a, b, c) => {
        assert.ok(same(mergeViews(a, b), mergeViews(b, a)));
        assert.ok(same(mergeViews(mergeViews(a, b), c), mergeViews(a, mergeViews(b, c))));
        assert.ok(same(mergeViews(a, a), a));
        assert.ok(same(mergeViews(a, mergeViews(a, b)), mergeViews(a, b)));
      }),
      { numRuns: 500 },
    );
  });

  test('the higher version wins; one version made twice is decided by its maker, the same on every node', () => {
    const [, byN1, , , , , , byN2] = views;
    assert.equal(byN2!.changedBy, 'n2');
    assert.equal(mergeViews(base, byN1!), byN1);
    assert.equal(mergeViews(byN1!, byN2!), byN2);
    assert.equal(mergeViews(byN2!, byN1!), byN2);
  });

  test('bucket settings survive whichever commit wins, and a commit carries them on', () => {
    const settings = setBucketEntry([], 'carts', { ...defaultBucketProps, resolution: 'lww' }, 'n3');
    const withCarts = withBucketEntries(base, settings);
    const plan = planChange(withCarts, [{ action: 'join', node: node('n4', 9) }], 3);
    const committed = commitPlan(withCarts, plan, 'n1');
    assert.deepEqual(committed.buckets, settings);
    assert.deepEqual(abortTransition(committed, 'n1').buckets, settings);
    const merged = mergeViews(commitPlan(base, plan, 'n2'), withCarts);
    assert.equal(merged.version, 2);
    assert.deepEqual(merged.buckets, settings);
  });

  test('copies of one commit unite the transfers each knows completed', () => {
    const [, , first, second] = views;
    const merged = mergeViews(first!, second!);
    assert.deepEqual(merged.completed, [...new Set([...first!.completed, ...second!.completed])].sort());
  });
});
