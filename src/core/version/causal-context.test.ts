import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AssertionError } from '../assert.ts';
import {
  addDot,
  assertCausalContext,
  clampCounter,
  causalContextProblem,
  contextCovers,
  contextsEqual,
  counterOf,
  covers,
  emptyContext,
  joinContexts,
} from './causal-context.ts';
import { pruneContext } from './prune.ts';
import type { CausalContext, Dot } from './types.ts';

function contextOf(dots: readonly Dot[], lastWriteMs = 100): CausalContext {
  return dots.reduce((ctx, dot) => addDot(ctx, dot, lastWriteMs), emptyContext);
}

describe('causal context basics', () => {
  test('the empty context has seen nothing', () => {
    assert.equal(covers(emptyContext, ['a', 1]), false);
    assert.equal(counterOf(emptyContext, 'a'), 0);
    assertCausalContext(emptyContext);
  });

  test('a first dot (actor, 1) becomes a clock entry stamped with its write time', () => {
    const ctx = addDot(emptyContext, ['a', 1], 500);
    assert.deepEqual(ctx, { clock: [['a', 1, 500]], dots: [] });
  });

  test('a dot past a gap stays in the cloud, and counterOf sees it', () => {
    const ctx = addDot(emptyContext, ['a', 3], 500);
    assert.deepEqual(ctx, { clock: [], dots: [['a', 3]] });
    assert.equal(covers(ctx, ['a', 3]), true);
    assert.equal(covers(ctx, ['a', 2]), false);
    assert.equal(covers(ctx, ['a', 1]), false);
    assert.equal(counterOf(ctx, 'a'), 3);
  });

  test('filling the gap folds the cloud into the clock, repeatedly', () => {
    let ctx = contextOf([['a', 3], ['a', 5]]);
    ctx = addDot(ctx, ['a', 1], 10);
    assert.deepEqual(ctx, { clock: [['a', 1, 10]], dots: [['a', 3], ['a', 5]] });
    ctx = addDot(ctx, ['a', 2], 20);
    assert.deepEqual(ctx, { clock: [['a', 3, 20]], dots: [['a', 5]] });
    ctx = addDot(ctx, ['a', 4], 30);
    assert.deepEqual(ctx, { clock: [['a', 5, 30]], dots: [] });
  });

  test('addDot keeps the latest write time and ignores dots already seen', () => {
    const ctx = addDot(addDot(emptyContext, ['a', 1], 50), ['a', 2], 40);
    assert.deepEqual(ctx.clock, [['a', 2, 50]]);
    assert.deepEqual(addDot(ctx, ['a', 1], 10), ctx);
  });

  test('join takes, per actor, the larger counter and the later time, and compacts', () => {
    const a: CausalContext = { clock: [['a', 3, 100], ['b', 1, 900]], dots: [['c', 4]] };
    const b: CausalContext = { clock: [['a', 1, 700], ['c', 2, 50]], dots: [['a', 5], ['b', 3]] };
    const joined = joinContexts(a, b);
    assert.deepEqual(joined, {
      clock: [['a', 3, 700], ['b', 1, 900], ['c', 2, 50]],
      dots: [['a', 5], ['b', 3], ['c', 4]],
    });
    const filled = joinContexts(joined, { clock: [['a', 4, 1], ['b', 2, 1], ['c', 3, 1]], dots: [] });
    assert.deepEqual(filled, { clock: [['a', 5, 700], ['b', 3, 900], ['c', 4, 50]], dots: [] });
  });

  test('contextCovers compares seen dots, clock and cloud', () => {
    const big: CausalContext = { clock: [['a', 3, 1]], dots: [['b', 2]] };
    assert.equal(contextCovers(big, { clock: [['a', 2, 9]], dots: [] }), true);
    assert.equal(contextCovers(big, { clock: [], dots: [['b', 2]] }), true);
    assert.equal(contextCovers(big, { clock: [['b', 1, 1]], dots: [] }), false);
    assert.equal(contextCovers(big, { clock: [['a', 4, 1]], dots: [] }), false);
    assert.equal(contextCovers(big, { clock: [], dots: [['a', 5]] }), false);
    assert.equal(contextCovers(big, emptyContext), true);
    assert.equal(contextCovers(emptyContext, big), false);
  });

  test('contextsEqual compares write times too', () => {
    assert.equal(contextsEqual(contextOf([['a', 1]], 1), contextOf([['a', 1]], 1)), true);
    assert.equal(contextsEqual(contextOf([['a', 1]], 1), contextOf([['a', 1]], 2)), false);
    assert.equal(contextsEqual(contextOf([['a', 1]]), contextOf([['a', 1], ['a', 3]])), false);
  });
});

describe('causal context invariants', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 7, /must be an object/],
    ['clock not an array', { clock: {}, dots: [] }, /clock must be an array/],
    ['entry of two', { clock: [['a', 1]], dots: [] }, /must be \[actor, counter, lastWriteMs\]/],
    ['empty actor', { clock: [['', 1, 0]], dots: [] }, /must not be empty/],
    ['lone surrogate in an actor', { clock: [['a\uD800', 1, 0]], dots: [] }, /well-formed/],
    ['actor of 129 bytes', { clock: [['é'.repeat(64) + 'x', 1, 0]], dots: [] }, /129 bytes/],
    ['counter 0', { clock: [['a', 0, 0]], dots: [] }, /positive safe integer/],
    ['fractional counter', { clock: [['a', 1.5, 0]], dots: [] }, /positive safe integer/],
    ['negative time', { clock: [['a', 1, -1]], dots: [] }, /lastWriteMs/],
    ['unsorted clock', { clock: [['b', 1, 0], ['a', 1, 0]], dots: [] }, /sorted/],
    ['duplicate actor', { clock: [['a', 1, 0], ['a', 2, 0]], dots: [] }, /sorted/],
    ['unsorted dots', { clock: [], dots: [['a', 5], ['a', 3]] }, /sorted/],
    ['duplicate dots', { clock: [], dots: [['a', 3], ['a', 3]] }, /sorted/],
    ['dot covered', { clock: [['a', 3, 0]], dots: [['a', 2]] }, /already covered/],
    ['dot to fold', { clock: [['a', 3, 0]], dots: [['a', 4]] }, /must be folded/],
    ['first dot in the cloud', { clock: [], dots: [['a', 1]] }, /must be folded/],
  ];
  for (const [name, value, message] of bad) {
    test(`rejects ${name}`, () => {
      assert.match(causalContextProblem(value) ?? '', message);
      assert.throws(() => assertCausalContext(value as CausalContext), AssertionError);
    });
  }
});

describe('pruning', () => {
  const ctx: CausalContext = {
    clock: [['a', 2, 300], ['b', 4, 100], ['c', 1, 200], ['d', 1, 100]],
    dots: [['b', 6], ['c', 3]],
  };

  test('drops the idlest entries first (ties by actor), with their cloud dots', () => {
    const pruned = pruneContext(ctx, () => new Set(), 2, 64);
    assert.deepEqual(pruned.context, { clock: [['a', 2, 300], ['c', 1, 200]], dots: [['c', 3]] });
    assert.equal(pruned.prunedEntries, 3); // b, d and the dot (b, 6)
    assertCausalContext(pruned.context);
  });

  test('never drops a kept actor, even when that leaves more than the bound', () => {
    const pruned = pruneContext(ctx, () => new Set(['b', 'd', 'c']), 2, 64);
    assert.deepEqual(pruned.context.clock.map((entry) => entry[0]), ['b', 'c', 'd']);
    assert.deepEqual(pruned.context.dots, [['b', 6], ['c', 3]]);
  });

  test('caps the cloud without touching kept actors', () => {
    const pruned = pruneContext(ctx, () => new Set(['b']), 16, 1);
    assert.deepEqual(pruned.context.dots, [['b', 6]]);
    assert.equal(pruned.prunedEntries, 1);
  });

  test('within the bounds it returns the context untouched', () => {
    assert.equal(pruneContext(ctx, () => new Set(), 4, 2).context, ctx);
  });
});

// ---- Properties against a naive model: a context is a plain set of dots. ----

const actors = ['a', 'b', 'c', 'd'];
const counterTop = 8;
const dotArb = fc.tuple(fc.constantFrom(...actors), fc.integer({ min: 1, max: counterTop })) as fc.Arbitrary<Dot>;
const timedDotsArb = fc.array(fc.tuple(dotArb, fc.integer({ min: 0, max: 1000 })), { maxLength: 24 });
const contextArb = timedDotsArb.map((timed) => timed.reduce((ctx, [dot, ms]) => addDot(ctx, dot, ms), emptyContext));
/**
 * Canonical contexts written out directly, not made by addDot (which some properties test): per
 * actor a clock entry (or none) and cloud dots above its next counter.
 */
const directContextArb: fc.Arbitrary<CausalContext> = fc
  .tuple(...actors.map(() => fc.tuple(fc.integer({ min: 0, max: counterTop }), fc.integer({ min: 0, max: 1000 }), fc.subarray([2, 3, 4, 5]))))
  .map((perActor) => ({
    clock: perActor.flatMap(([counter, ms], i) => (counter > 0 ? [[actors[i]!, counter, ms] as const] : [])),
    dots: perActor.flatMap(([counter, , above], i) => above.map((gap): Dot => [actors[i]!, counter + gap])),
  }));

const key = (dot: Dot): string => `${dot[0]}:${dot[1]}`;
const universe: Dot[] = actors.flatMap((actor) => Array.from({ length: counterTop + 2 }, (_, i): Dot => [actor, i + 1]));

/** The naive meaning of a context: the set of dots it covers, enumerated from its parts. */
function naiveSet(ctx: CausalContext): Set<string> {
  const set = new Set<string>();
  for (const [actor, counter] of ctx.clock) for (let i = 1; i <= counter; i++) set.add(key([actor, i]));
  for (const dot of ctx.dots) set.add(key(dot));
  return set;
}

function setsEqual(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

const withoutTimes = (ctx: CausalContext): CausalContext => ({ clock: ctx.clock.map(([a, c]) => [a, c, 0]), dots: ctx.dots });

describe('causal context properties (naive set model)', () => {
  test('addDot builds a canonical context covering exactly the dots added', () => {
    fc.assert(
      fc.property(timedDotsArb, (timed) => {
        const ctx = timed.reduce((acc, [dot, ms]) => addDot(acc, dot, ms), emptyContext);
        assertCausalContext(ctx);
        const expected = new Set(timed.map(([dot]) => key(dot)));
        assert.ok(setsEqual(naiveSet(ctx), expected), 'setsEqual(naiveSet(ctx), expected)');
        for (const dot of universe) assert.equal(covers(ctx, dot), expected.has(key(dot)), key(dot));
        for (const actor of actors) {
          const counters = timed.filter(([dot]) => dot[0] === actor).map(([dot]) => dot[1]);
          assert.equal(counterOf(ctx, actor), Math.max(0, ...counters));
        }
      }),
    );
  });

  test("a coordinator's next dot moves its actor's entry on, with the later write time, and changes no other actor's", () => {
    fc.assert(
      fc.property(fc.oneof(contextArb, directContextArb), fc.constantFrom(...actors), fc.integer({ min: 0, max: 1000 }), (ctx, actor, ms) => {
        assertCausalContext(ctx);
        const dot: Dot = [actor, counterOf(ctx, actor) + 1];
        const added = addDot(ctx, dot, ms);
        assertCausalContext(added);
        assert.ok(setsEqual(naiveSet(added), new Set([...naiveSet(ctx), key(dot)])));
        const before = ctx.clock.find((entry) => entry[0] === actor);
        const hadCloud = ctx.dots.some((cloudDot) => cloudDot[0] === actor);
        // (With dots of its own in the cloud the general case folds what it can; the sets above say what it must.)
        if (!hadCloud) assert.deepEqual(added.clock.find((entry) => entry[0] === actor), [actor, dot[1], Math.max(before?.[2] ?? 0, ms)]);
        assert.deepEqual(added.clock.filter((entry) => entry[0] !== actor), ctx.clock.filter((entry) => entry[0] !== actor));
        assert.deepEqual(added.dots.filter((cloudDot) => cloudDot[0] !== actor), ctx.dots.filter((cloudDot) => cloudDot[0] !== actor));
      }),
    );
  });

  test("clampCounter drops exactly the actor's dots above the bound, and stays canonical", () => {
    fc.assert(
      fc.property(contextArb, fc.constantFrom(...actors), fc.integer({ min: 0, max: counterTop + 1 }), (ctx, actor, bound) => {
        const clamped = clampCounter(ctx, actor, bound);
        assertCausalContext(clamped);
        const expected = new Set([...naiveSet(ctx)].filter((dot) => !dot.startsWith(`${actor}:`) || Number(dot.split(':')[1]) <= bound));
        assert.ok(setsEqual(naiveSet(clamped), expected));
        assert.ok(counterOf(clamped, actor) <= bound);
        if (counterOf(ctx, actor) <= bound) assert.equal(clamped, ctx, 'untouched when within the bound');
      }),
    );
  });

  test('the order dots arrive in does not change which dots are covered', () => {
    fc.assert(
      fc.property(timedDotsArb, fc.infiniteStream(fc.nat()), (timed, randoms) => {
        const shuffled = timed.map((item) => [randoms.next().value as number, item] as const).sort((x, y) => x[0] - y[0]);
        const a = timed.reduce((acc, [dot]) => addDot(acc, dot, 0), emptyContext);
        const b = shuffled.reduce((acc, [, [dot]]) => addDot(acc, dot, 0), emptyContext);
        assert.ok(contextsEqual(a, b), 'contextsEqual(a, b)');
      }),
    );
  });

  test('join is the set union, canonical, with the later time per actor', () => {
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const joined = joinContexts(a, b);
        assertCausalContext(joined);
        assert.ok(setsEqual(naiveSet(joined), new Set([...naiveSet(a), ...naiveSet(b)])), 'setsEqual(naiveSet(joined), new Set([...naiveSet(a), ...naiveSet(b)]))');
        for (const [actor, , ms] of joined.clock) {
          const times = [...a.clock, ...b.clock].filter((entry) => entry[0] === actor).map((entry) => entry[2]);
          assert.equal(ms, Math.max(...times));
        }
      }),
    );
  });

  test('join is commutative, associative and idempotent (times included)', () => {
    fc.assert(
      fc.property(contextArb, contextArb, contextArb, (a, b, c) => {
        assert.ok(contextsEqual(joinContexts(a, b), joinContexts(b, a)), 'contextsEqual(joinContexts(a, b), joinContexts(b, a))');
        assert.ok(contextsEqual(joinContexts(joinContexts(a, b), c), joinContexts(a, joinContexts(b, c))), 'contextsEqual(joinContexts(joinContexts(a, b), c), joinContexts(a, joinContexts(b, c)))');
        assert.ok(contextsEqual(joinContexts(a, a), a), 'contextsEqual(joinContexts(a, a), a)');
      }),
    );
  });

  test('a join with a context already included answers the including one itself, not a copy', () => {
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const joined = joinContexts(a, b);
        assert.equal(joinContexts(joined, a), joined);
        assert.equal(joinContexts(b, joined), joined);
        assert.equal(joinContexts(a, a), a);
      }),
    );
  });

  test('a join with a context of the same dots but a later write time takes the later time', () => {
    fc.assert(
      fc.property(contextArb, fc.nat(), fc.integer({ min: 1, max: 1000 }), (a, which, later) => {
        if (a.clock.length === 0) return;
        const at = which % a.clock.length;
        const entry = a.clock[at]!;
        const bumped: CausalContext = { clock: a.clock.map((e, i) => (i === at ? [e[0], e[1], e[2] + later] : e)), dots: a.dots };
        assert.deepEqual(joinContexts(a, bumped), bumped, `the later time of ${entry[0]}`);
        assert.deepEqual(joinContexts(bumped, a), bumped);
      }),
    );
  });

  test('contextCovers is set inclusion and contextsEqual is set equality', () => {
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const setA = naiveSet(a);
        const setB = naiveSet(b);
        assert.equal(contextCovers(a, b), [...setB].every((item) => setA.has(item)));
        assert.equal(contextCovers(joinContexts(a, b), b), true);
        assert.equal(contextsEqual(withoutTimes(a), withoutTimes(b)), setsEqual(setA, setB));
      }),
    );
  });

  test('pruning only forgets, keeps what it must, and meets the bounds when it can', () => {
    fc.assert(
      fc.property(contextArb, fc.subarray(actors), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 8 }), (ctx, keep, entriesMax, dotsMax) => {
        const keepActors = new Set(keep);
        const { context, prunedEntries } = pruneContext(ctx, () => keepActors, entriesMax, dotsMax);
        assertCausalContext(context);
        assert.ok(contextCovers(ctx, context), 'contextCovers(ctx, context)');
        for (const dot of universe) if (keepActors.has(dot[0])) assert.equal(covers(context, dot), covers(ctx, dot));
        const kept = (xs: readonly (readonly [string, ...unknown[]])[]) => xs.filter((x) => keepActors.has(x[0])).length;
        assert.ok(context.clock.length <= Math.max(entriesMax, kept(ctx.clock)), 'context.clock.length <= Math.max(entriesMax, kept(ctx.clock))');
        assert.ok(context.dots.length <= Math.max(dotsMax, kept(ctx.dots)), 'context.dots.length <= Math.max(dotsMax, kept(ctx.dots))');
        assert.equal(prunedEntries, ctx.clock.length - context.clock.length + ctx.dots.length - context.dots.length);
      }),
    );
  });
});
