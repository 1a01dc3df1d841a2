/**
 * The get's count of replies (get-tally.ts) on tables of events, without a node: replies in
 * every order, duplicates, late replies after the answer, silence and failures — in the style of
 * the tests of Riak's riak_kv_get_core.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coordinateWrite } from '../version/object.ts';
import type { StoredObject } from '../version/types.ts';
import { GetTally } from './get-tally.ts';
import { permutations } from '../test-permutations.ts';

const write = (stored: StoredObject | null, label: string, context: StoredObject | null, actor = 'a.1'): StoredObject =>
  coordinateWrite(stored, { value: new TextEncoder().encode(label), contentType: 't', deleted: false, context: context?.context ?? null }, actor, 1, 'siblings').object;

const v1 = write(null, 'v1', null);
const v2 = write(v1, 'v2', v1); // supersedes v1
const v3 = write(null, 'v3', null, 'b.1'); // concurrent with both
const labels = (object: StoredObject | null): string[] => (object?.siblings ?? []).map((sibling) => new TextDecoder().decode(sibling.value)).sort();

const primaries = ['a', 'b', 'c'];
type Event = readonly [node: string, result: StoredObject | null | 'fail'];

function tally(r: number, pr = 0, asked: readonly string[] = primaries): GetTally {
  const t = new GetTally(r, pr, (node) => primaries.includes(node), 'siblings');
  for (const node of asked) t.ask(node);
  return t;
}

function play(t: GetTally, events: readonly Event[]): { enoughAt: number | undefined; finishedAt: number | undefined } {
  let enoughAt: number | undefined;
  let finishedAt: number | undefined;
  events.forEach(([node, result], i) => {
    if (result === 'fail') t.fail(node);
    else t.reply(node, result, 1);
    if (t.enough && enoughAt === undefined) enoughAt = i;
    if (t.finished && finishedAt === undefined) finishedAt = i;
  });
  return { enoughAt, finishedAt };
}

describe('get tally (Dynamo §5)', () => {
  const table: readonly { name: string; r: number; pr?: number; asked?: string[]; events: Event[]; enoughAt?: number; finishedAt?: number; object: string[]; stale?: string[]; error?: string }[] = [
    { name: 'R = 2 of 3: enough at the second reply, finished at the third', r: 2, events: [['a', v1], ['b', v2], ['c', v2]], enoughAt: 1, finishedAt: 2, object: ['v2'], stale: ['a'] },
    { name: 'R = 3: the answer waits for every replica', r: 3, events: [['a', v2], ['b', v2], ['c', null]], enoughAt: 2, finishedAt: 2, object: ['v2'], stale: ['c'] },
    { name: 'concurrent versions are both answered', r: 2, events: [['a', v1], ['b', v3]], enoughAt: 1, object: ['v1', 'v3'], stale: ['a', 'b'] },
    { name: 'a duplicated reply counts once', r: 2, events: [['a', v1], ['a', v1], ['b', v1]], enoughAt: 2, object: ['v1'] },
    { name: 'a reply after the node failed does not count', r: 2, events: [['a', 'fail'], ['a', v2], ['b', v1]], object: ['v1'], error: 'r' },
    { name: 'a failure after the node replied does not count', r: 2, events: [['a', v1], ['a', 'fail'], ['b', v1]], enoughAt: 2, object: ['v1'] },
    { name: 'a late reply after the answer is reconciled for read repair', r: 1, events: [['a', v1], ['b', v2], ['c', v1]], enoughAt: 0, finishedAt: 2, object: ['v2'], stale: ['a', 'c'] },
    { name: 'two failures of three: R = 2 missed, finished with the full count', r: 2, events: [['a', 'fail'], ['b', v1], ['c', 'fail']], finishedAt: 2, object: ['v1'], error: 'r' },
    { name: 'silence: one reply and no more is neither enough nor finished', r: 2, events: [['b', v1]], object: ['v1'], error: 'r' },
    { name: 'not found everywhere is an answer too (null)', r: 2, events: [['a', null], ['b', null]], enoughAt: 1, object: [], stale: [] },
    { name: 'pr = 2: a fallback\'s reply counts toward R but not pr', r: 2, pr: 2, asked: ['a', 'd', 'c'], events: [['a', v1], ['d', v1]], object: ['v1'], error: 'pr' },
    { name: 'pr = 2: met once a second primary replies', r: 2, pr: 2, asked: ['a', 'd', 'c'], events: [['a', v1], ['d', v1], ['c', v2]], enoughAt: 2, finishedAt: 2, object: ['v2'], stale: ['a'] },
    { name: 'a node never asked is ignored', r: 1, events: [['x', v1], ['a', v2]], enoughAt: 1, object: ['v2'] },
  ];
  for (const row of table) {
    test(row.name, () => {
      const t = tally(row.r, row.pr ?? 0, row.asked);
      const { enoughAt, finishedAt } = play(t, row.events);
      assert.equal(enoughAt, row.enoughAt, 'when it had enough');
      assert.equal(finishedAt, row.finishedAt, 'when it finished');
      assert.deepEqual(labels(t.object), row.object);
      if (row.stale) assert.deepEqual(t.staleReplicas().sort(), row.stale);
      if (row.error) assert.equal(t.quorumError().detail?.['quorum'], row.error);
    });
  }

  test('replies in every order: enough at the R-th, the same reconciliation and the same repairs', () => {
    const replies: Event[] = [['a', v1], ['b', v3], ['c', v2]];
    for (const r of [1, 2, 3]) {
      for (const order of permutations(replies)) {
        const t = tally(r);
        const { enoughAt, finishedAt } = play(t, order);
        assert.equal(enoughAt, r - 1);
        assert.equal(finishedAt, 2);
        assert.deepEqual(labels(t.object), ['v2', 'v3'], `order ${order.map(([node]) => node).join('')}`);
        assert.deepEqual(t.staleReplicas().sort(), ['a', 'b', 'c']);
      }
    }
  });

  test('every order of replies, failures and duplicates reaches the same verdict', () => {
    const events: Event[] = [['a', v2], ['b', 'fail'], ['c', v1], ['c', v1]];
    const verdicts = new Set(
      permutations(events).map((order) => {
        const t = tally(2);
        play(t, order);
        return `${t.enough} ${t.finished} ${labels(t.object).join()}`;
      }),
    );
    assert.deepEqual([...verdicts], ['true true v2']);
  });

  test('the stamp of a repair is the least of the replies reconciled', () => {
    const t = tally(2);
    t.reply('a', v1, 5);
    t.reply('b', null, 1); // nothing reconciled from it
    t.reply('c', v2, 3);
    assert.equal(t.stamp, 3);
    assert.deepEqual(t.pending(), []);
  });
});

describe('shortfall: how many more nodes a get must ask', () => {
  test('R nodes asked and pending make no shortfall; each failure makes one', () => {
    const t = tally(2, 0, ['a', 'b']);
    assert.deepEqual(t.shortfall(new Set()), { nodes: 0, primaries: 0 });
    t.fail('b');
    assert.deepEqual(t.shortfall(new Set()), { nodes: 1, primaries: 0 });
    t.ask('c');
    t.reply('a', v1, 1);
    assert.deepEqual(t.shortfall(new Set()), { nodes: 0, primaries: 0 }, 'a reply counts as a pending node did');
    assert.deepEqual(t.shortfall(new Set(['c'])), { nodes: 1, primaries: 0 }, 'a pending node not counted on');
  });

  test('pr counts primaries apart: a fallback asked fills R but not pr', () => {
    const t = tally(2, 2, ['a', 'x']);
    assert.deepEqual(t.shortfall(new Set()), { nodes: 0, primaries: 1 });
    t.ask('b');
    assert.deepEqual(t.shortfall(new Set()), { nodes: 0, primaries: 0 });
  });
});
