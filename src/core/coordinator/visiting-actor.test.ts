import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { covers } from '../version/causal-context.ts';
import { coordinateWrite } from '../version/object.ts';
import type { StoredObject, WriteIntent } from '../version/types.ts';
import { VisitingActor } from './visiting-actor.ts';

const blind = (value: string): WriteIntent => ({ value: new TextEncoder().encode(value), contentType: 'text/plain', deleted: false, context: null });

describe('visiting actor', () => {
  test('is the node actor plus a per-boot suffix: two boots never share one', () => {
    assert.equal(new VisitingActor('n1.ab12cd34', 35).actor, 'n1.ab12cd34/z');
    assert.notEqual(new VisitingActor('n1.ab12cd34', 1).actor, new VisitingActor('n1.ab12cd34', 2).actor);
  });

  test('a key written, dropped and written again gets a new dot, which does not cover the dropped ones', () => {
    const visiting = new VisitingActor('n1.ab12cd34', 7);
    const first = coordinateWrite(null, blind('v1'), visiting.actor, 1, 'siblings').object;
    const second = coordinateWrite(first, blind('v2'), visiting.actor, 2, 'siblings').object;
    assert.equal(visiting.counterFloor('b', 'k'), 0);
    assert.ok(visiting.reserveDrop('b', 'k', second));
    assert.equal(visiting.counterFloor('b', 'k'), 2);
    // The copy is gone; without the floor the next write would reuse (actor, 1).
    const again = coordinateWrite(null, blind('v3'), visiting.actor, 3, 'siblings', visiting.counterFloor('b', 'k'));
    assert.deepEqual(again.dot, [visiting.actor, 3]);
    for (const sibling of second.siblings) assert.ok(!covers(again.object.context, sibling.dot), 'a blind write supersedes nothing it did not see');
  });

  test('copies without its dots are always droppable and leave no floor', () => {
    const visiting = new VisitingActor('n1.ab12cd34', 7);
    const other: StoredObject = coordinateWrite(null, blind('v'), 'n2.00000000', 1, 'siblings').object;
    assert.ok(visiting.reserveDrop('b', 'k', other));
    assert.equal(visiting.counterFloor('b', 'k'), 0);
  });
});
