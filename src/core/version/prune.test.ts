import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { limits } from '../limits.ts';
import { addDot, covers, emptyContext } from './causal-context.ts';
import { decodeTestToken, encodeTestToken } from './test-token.ts';
import { coordinateWrite, liveSiblings, mergeObjects } from './object.ts';
import { pruneForClient, tokenClockEntriesMax } from './prune.ts';
import type { CausalContext, Dot, Sibling, StoredObject } from './types.ts';

const bytes = new TextEncoder();

function sibling(dot: Dot): Sibling {
  return { dot, value: bytes.encode(`${dot[0]}:${dot[1]}`), contentType: 'text/plain', lastModifiedMs: 1, deleted: false };
}

/** A context of isolated dots: counters 2, 4, 6, … leave gaps, so none folds into the clock. */
function cloudOf(actor: string, count: number): CausalContext {
  let ctx = emptyContext;
  for (let i = 1; i <= count; i++) ctx = addDot(ctx, [actor, 2 * i], i);
  return ctx;
}

/** The context a client gets back, through the token it would send with its next put. */
function throughToken(object: StoredObject): CausalContext {
  return decodeTestToken(encodeTestToken(pruneForClient(object).context));
}

describe('contexts handed to clients', () => {
  test('a get joining replicas at the stored dot bound still yields a token the next put accepts', () => {
    // Three replicas, each with a full cloud of another actor's dots and one sibling of its own:
    // the bug the benchmark found (a get answered 65+ dots; the put was refused as bad_context).
    const replicas: StoredObject[] = ['a', 'b', 'c'].map((actor) => {
      const context = cloudOf(actor, limits.contextDotsMax);
      return { siblings: [sibling(context.dots[0]!)], context };
    });
    const merged = replicas.reduce((x, y) => mergeObjects(x, y, 'siblings'));
    assert.ok(merged.context.dots.length > limits.contextDotsMax, 'the join exceeds the token bound');
    const context = throughToken(merged);
    assert.ok(context.dots.length <= limits.contextDotsMax);
    for (const kept of merged.siblings) assert.ok(covers(context, kept.dot), `covers sibling ${kept.dot.join(':')}`);
    const written = coordinateWrite(merged, { value: bytes.encode('resolved'), contentType: 'text/plain', deleted: false, context }, 'n1', 10, 'siblings');
    assert.deepEqual(liveSiblings(written.object).map((kept) => kept.dot[0]), ['n1'], 'the put supersedes every sibling it was shown');
  });

  test('a context within the bounds is handed out unchanged', () => {
    const context = cloudOf('a', 3);
    const object = { siblings: [sibling(context.dots[1]!)], context };
    assert.equal(pruneForClient(object).context, context);
    assert.equal(pruneForClient(object).prunedEntries, 0);
  });

  test('property: any object with at most siblingsCountMax siblings gets a token within bounds that covers them all', () => {
    const actorArb = fc.constantFrom(...Array.from({ length: 48 }, (_, i) => `n${i}`));
    const dotArb = fc.tuple(actorArb, fc.integer({ min: 1, max: 200 })) as fc.Arbitrary<Dot>;
    fc.assert(
      fc.property(fc.array(dotArb, { maxLength: 400 }), fc.integer({ min: 0, max: limits.siblingsCountMax }), (dots, siblingCount) => {
        const context = dots.reduce((ctx, dot, i) => addDot(ctx, dot, i), emptyContext);
        const siblingDots = [...context.dots, ...context.clock.map(([actor, counter]): Dot => [actor, counter])].slice(0, siblingCount);
        const object: StoredObject = { siblings: siblingDots.map(sibling).sort((x, y) => (x.dot[0] < y.dot[0] ? -1 : x.dot[0] > y.dot[0] ? 1 : x.dot[1] - y.dot[1])), context };
        const handed = throughToken(object);
        assert.ok(handed.clock.length <= tokenClockEntriesMax && handed.dots.length <= limits.contextDotsMax);
        for (const kept of object.siblings) assert.ok(covers(handed, kept.dot));
      }),
      { numRuns: 200 },
    );
  });
});
