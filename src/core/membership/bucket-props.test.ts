import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvorumError } from '../errors.ts';
import { defaultBucketProps, type BucketProps } from '../limits.ts';
import { bucketEntriesCountMax, bucketEntriesProblem, changedBucketProps, mergeBucketEntries, sameBucketEntries, setBucketEntry, type BucketEntry } from './bucket-props.ts';
import { decodeMembership, encodeMembership } from './persisted.ts';
import { configView } from './initial-view.ts';
import { viewProblem } from './view-check.ts';
import { withBucketEntries } from './view.ts';

const props = (n: number, resolution: BucketProps['resolution'] = 'siblings'): BucketProps => ({ ...defaultBucketProps, n, r: 1, w: 1, resolution });
const entryArb: fc.Arbitrary<BucketEntry> = fc
  .record({
    bucket: fc.constantFrom('a', 'b', 'carts'),
    props: fc.constantFrom(props(1), props(2), props(3, 'lww')),
    version: fc.integer({ min: 1, max: 4 }),
    changedBy: fc.constantFrom('n1', 'n2'),
    nStamp: fc.option(fc.record({ nVersion: fc.integer({ min: 1, max: 4 }), nChangedBy: fc.constantFrom('n1', 'n2') }), { nil: undefined }),
  })
  .map(({ nStamp, ...entry }) => (nStamp === undefined ? entry : { ...entry, ...nStamp, nVersion: Math.min(nStamp.nVersion, entry.version) }));
/** A list as views hold them: one entry per bucket, sorted. */
const entriesArb = fc.array(entryArb, { maxLength: 5 }).map((entries) => entries.reduce<readonly BucketEntry[]>((merged, entry) => mergeBucketEntries(merged, [entry]), []));

describe('bucket properties in the view', () => {
  test('their merge is a join: commutative, associative, idempotent (gossip converges in any order)', () => {
    fc.assert(
      fc.property(entriesArb, entriesArb, entriesArb, (a, b, c) => {
        assert.ok(sameBucketEntries(mergeBucketEntries(a, b), mergeBucketEntries(b, a)));
        assert.ok(sameBucketEntries(mergeBucketEntries(mergeBucketEntries(a, b), c), mergeBucketEntries(a, mergeBucketEntries(b, c))));
        assert.ok(sameBucketEntries(mergeBucketEntries(a, a), a));
        assert.equal(bucketEntriesProblem(mergeBucketEntries(a, b)), null, 'sorted, one entry per bucket');
      }),
      { numRuns: 1000 },
    );
  });

  test('a setting made after another was seen wins; concurrent ones are ordered by their maker on every node', () => {
    const first = setBucketEntry([], 'carts', props(1), 'n2');
    const second = setBucketEntry(first, 'carts', props(2), 'n1');
    assert.equal(second[0]!.version, 2);
    assert.deepEqual(mergeBucketEntries(first, second)[0]!.props, props(2), 'n1 saw n2’s setting: its own wins though n1 < n2');
    const byN1 = setBucketEntry([], 'carts', props(1), 'n1');
    const byN2 = setBucketEntry([], 'carts', props(3, 'lww'), 'n2');
    assert.deepEqual(mergeBucketEntries(byN1, byN2), byN2);
    assert.deepEqual(mergeBucketEntries(byN2, byN1), byN2);
  });

  test('a concurrent setting that never saw a change of n does not bring the old n back, whichever node made it', () => {
    // n1 found the bucket empty and set n = 1 over the config's 3; n2, not having seen it, set r.
    const nChange = setBucketEntry([], 'carts', props(1), 'n1', 3);
    const rChange = setBucketEntry([], 'carts', { ...props(3), r: 2 }, 'n2', 3);
    for (const [a, b] of [[nChange, rChange], [rChange, nChange]] as const) assert.deepEqual(mergeBucketEntries(a, b)[0]!.props, props(1));
    // A setting made after seeing the change carries it, and wins as before.
    const later = setBucketEntry(mergeBucketEntries(nChange, rChange), 'carts', { ...props(1), resolution: 'lww' }, 'n2', 1);
    assert.deepEqual(mergeBucketEntries(later, nChange)[0]!.props, { ...props(1), resolution: 'lww' });
    assert.equal(bucketEntriesProblem(later), null);
    assert.match(bucketEntriesProblem([{ ...later[0]!, nVersion: 9 }]) ?? '', /nVersion must be an integer from 1 to its version/);
  });

  test('a change is validated over the current properties, and N stays within the ring’s', () => {
    assert.deepEqual(changedBucketProps(defaultBucketProps, { r: 1, resolution: 'lww' }, 3), { ...defaultBucketProps, r: 1, resolution: 'lww' });
    const refused: [unknown, RegExp][] = [
      [{ n: 5, r: 1, w: 1 }, /n must be at most 3/],
      [{ n: 1 }, /r must be an integer from 1 to n=1/],
      [{ bogus: 1 }, /unknown bucket property "bogus"/],
      [{ durability: 'never' }, /durability must be/],
      [[1], /JSON object/],
    ];
    for (const [change, problem] of refused) {
      assert.throws(() => changedBucketProps(defaultBucketProps, change, 3), (error: unknown) => error instanceof KvorumError && error.code === 'bad_bucket_props' && problem.test(error.message));
    }
  });

  test('a view holds at most bucketEntriesCountMax of them', () => {
    let entries: readonly BucketEntry[] = [];
    for (let i = 0; i < bucketEntriesCountMax; i++) entries = [...entries, { bucket: `b${String(i).padStart(4, '0')}`, props: props(1), version: 1, changedBy: 'n1' }];
    assert.equal(bucketEntriesProblem(entries), null);
    assert.throws(() => setBucketEntry(entries, 'one-more', props(1), 'n1'), /at most 1024 buckets/);
    assert.deepEqual(setBucketEntry(entries, 'b0000', props(2), 'n1').length, bucketEntriesCountMax, 'an existing bucket may still change');
  });

  test('views from peers or disks are checked: sorted, known props, a version and a maker', () => {
    const good = setBucketEntry([], 'carts', props(2), 'n1');
    const bad: [unknown, RegExp][] = [
      [[...setBucketEntry([], 'b', props(1), 'n1'), ...setBucketEntry([], 'a', props(1), 'n1')], /sorted/],
      [[{ ...good[0]!, props: { ...props(2), extra: 1 } }], /exactly/],
      [[{ ...good[0]!, props: { ...props(2), r: 3 } }], /r must be/],
      [[{ ...good[0]!, version: 0 }], /version/],
      [[{ ...good[0]!, changedBy: 'n 1' }], /changedBy/],
      [[{ ...good[0]!, bucket: 'a/b' }], /bucket must be/],
      ['nope', /array/],
    ];
    for (const [entries, problem] of bad) {
      const found = bucketEntriesProblem(entries);
      assert.ok(found !== null && problem.test(found), `${JSON.stringify(entries)}: ${found}`);
    }
    const view = configView([{ name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', capacity: 1 }], 8, 1);
    assert.equal(viewProblem(withBucketEntries(view, good)), null);
    assert.match(viewProblem({ ...view, buckets: [{ ...good[0]!, version: -1 }] }) ?? '', /version/);
  });

  test('they are kept on disk with the view', () => {
    const view = withBucketEntries(configView([{ name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', capacity: 1 }], 8, 1), setBucketEntry([], 'carts', props(1, 'lww'), 'n1'));
    assert.deepEqual(decodeMembership(encodeMembership({ view, staged: [] })).view, view);
  });
});
