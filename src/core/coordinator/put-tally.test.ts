/**
 * The put's count of stores (put-tally.ts) on tables of events, without a node: acknowledgements
 * in every order, duplicates, late replies after a failure, silence, failures, hints, pw, and the
 * coordinator's own copy under each durability — in the style of the tests of Riak's
 * riak_kv_put_core.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Durability } from '../limits.ts';
import { PutTally } from './put-tally.ts';
import { permutations } from '../test-permutations.ts';

/** The coordinator `a` keeps its own copy (a primary); `sent` lists the other targets and the owner each keeps it for. */
type Event = 'own' | 'ownFailed' | readonly ['stored' | 'failed', string];

function tally(w: number, durability: Durability, sent: readonly (readonly [string, string | undefined])[], pw = 0, own: readonly [string, boolean] = ['a', true]): PutTally {
  const t = new PutTally(w, pw, durability);
  t.ownCopy(...own);
  for (const [node, hintFor] of sent) t.sent(node, hintFor);
  return t;
}

function play(t: PutTally, events: readonly Event[]): { metAt: number | undefined; settledAt: number | undefined } {
  let metAt: number | undefined;
  let settledAt: number | undefined;
  events.forEach((event, i) => {
    if (event === 'own') t.ownCopyCounted();
    else if (event === 'ownFailed') t.ownCopyFailed();
    else if (event[0] === 'stored') t.stored(event[1]);
    else t.failed(event[1]);
    if (t.met && metAt === undefined) metAt = i;
    if (t.settled && settledAt === undefined) settledAt = i;
  });
  return { metAt, settledAt };
}

const bc: readonly [string, undefined][] = [
  ['b', undefined],
  ['c', undefined],
];

describe('put tally (Dynamo §5, §6.1)', () => {
  const table: readonly { name: string; w: number; durability: Durability; sent?: readonly (readonly [string, string | undefined])[]; pw?: number; own?: readonly [string, boolean]; events: Event[]; metAt?: number; settledAt?: number; error?: string }[] = [
    { name: 'W = 2, one: the own copy and one replica', w: 2, durability: 'one', events: ['own', ['stored', 'b'], ['stored', 'c']], metAt: 1, settledAt: 2 },
    { name: 'W = 2, one: two replicas are not enough before the own copy is on disk', w: 2, durability: 'one', events: [['stored', 'b'], ['stored', 'c'], 'own'], metAt: 2, settledAt: 2 },
    { name: 'W = 2, sync: two replicas on disk are enough without the own copy', w: 2, durability: 'sync', events: [['stored', 'b'], ['stored', 'c'], 'own'], metAt: 1, settledAt: 2 },
    { name: 'W = 2, buffered: the same', w: 2, durability: 'buffered', events: [['stored', 'b'], ['stored', 'c']], metAt: 1 },
    { name: 'W = 3: every copy', w: 3, durability: 'one', events: [['stored', 'b'], 'own', ['stored', 'c']], metAt: 2, settledAt: 2 },
    { name: 'a duplicated acknowledgement counts once (W = 3 not met by two)', w: 3, durability: 'buffered', events: ['own', ['stored', 'b'], ['stored', 'b'], ['failed', 'c']], settledAt: 3, error: 'w' },
    { name: 'an acknowledgement after the target was counted failed does not count', w: 3, durability: 'buffered', events: ['own', ['failed', 'b'], ['stored', 'b'], ['stored', 'c']], settledAt: 3, error: 'w' },
    { name: 'silence: a target that never answers keeps the put from settling', w: 3, durability: 'buffered', events: ['own', ['stored', 'b']], error: 'w' },
    { name: 'failures: W missed, settled with the full count', w: 2, durability: 'one', events: ['own', ['failed', 'b'], ['failed', 'c']], settledAt: 2, error: 'w' },
    { name: 'the own copy failing to reach the disk never meets W under one (the operation answers unavailable)', w: 1, durability: 'one', events: ['ownFailed', ['stored', 'b'], ['stored', 'c']], settledAt: 2 },
    {
      name: 'a fallback\'s hint counts toward W for the primary it stands in for',
      w: 3,
      durability: 'buffered',
      sent: [['b', undefined], ['d', 'c']],
      events: ['own', ['stored', 'b'], ['stored', 'd']],
      metAt: 2,
      settledAt: 2,
    },
    {
      name: 'a silent primary that stores after its stand-in did is one copy, not two',
      w: 3,
      durability: 'buffered',
      sent: [['b', undefined], ['c', undefined], ['d', 'c']],
      events: ['own', ['stored', 'd'], ['stored', 'c'], ['failed', 'b']],
      settledAt: 3,
      error: 'w',
    },
    { name: 'pw = 2: a hint does not count toward pw', w: 2, pw: 2, durability: 'buffered', sent: [['d', 'b'], ['c', undefined]], events: ['own', ['stored', 'd']], error: 'pw' },
    { name: 'pw = 2: met once a second primary stores', w: 2, pw: 2, durability: 'buffered', sent: [['d', 'b'], ['c', undefined]], events: ['own', ['stored', 'd'], ['stored', 'c']], metAt: 2, settledAt: 2 },
    { name: 'a coordinator outside the list keeps an extra copy of its own: it counts toward W, not toward pw', w: 2, pw: 1, durability: 'buffered', own: ['e', false], events: ['own', ['stored', 'b']], metAt: 1 },
    { name: 'a reply from a node never sent the version is ignored', w: 2, durability: 'buffered', events: ['own', ['stored', 'x'], ['stored', 'b']], metAt: 2 },
  ];
  for (const row of table) {
    test(row.name, () => {
      const t = tally(row.w, row.durability, row.sent ?? bc, row.pw, row.own);
      const { metAt, settledAt } = play(t, row.events);
      assert.equal(metAt, row.metAt, 'when W was met');
      assert.equal(settledAt, row.settledAt, 'when it settled');
      if (row.error) assert.equal(t.quorumError().detail?.['quorum'], row.error);
    });
  }

  test('acknowledgements in every order: W is met at the W-th counted copy (the own one first under one)', () => {
    const events: Event[] = ['own', ['stored', 'b'], ['stored', 'c']];
    for (const durability of ['sync', 'one', 'buffered'] as const) {
      for (const w of [1, 2, 3]) {
        for (const order of permutations(events)) {
          const { metAt, settledAt } = play(tally(w, durability, bc), order);
          const ownAt = order.indexOf('own');
          const expected = durability === 'one' ? Math.max(w - 1, ownAt) : w - 1;
          assert.equal(metAt, expected, `${durability} w=${w} order ${JSON.stringify(order)}`);
          assert.equal(settledAt, 2);
        }
      }
    }
  });

  test('every order of stores, failures and duplicates reaches the same verdict', () => {
    const events: Event[] = ['own', ['stored', 'b'], ['failed', 'c'], ['stored', 'b']];
    const verdicts = new Set(permutations(events).map((order) => {
      const t = tally(2, 'one', bc);
      play(t, order);
      return `${t.met} ${t.settled}`;
    }));
    assert.deepEqual([...verdicts], ['true true']);
  });
});
