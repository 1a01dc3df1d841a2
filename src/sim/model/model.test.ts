/**
 * The reference model (issue 13 §1) on its own definitions, then against the core's version
 * functions on random histories: replicas coordinate writes with contexts clients read earlier
 * (fresh, stale or none), merge each other's objects in any order, and clients read joins of
 * replicas. After every step the core's objects must be what the model says — the same siblings,
 * the same causal history (as a set of dots), exactly the live siblings of that history, in the
 * core's canonical vector-plus-cloud form — and `covers`, `contextCovers`, `joinContexts` and
 * `supersedes` must answer as the model does on every pair. A bug in either side shows here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { contextCovers, covers, emptyContext, joinContexts } from '../../core/version/causal-context.ts';
import { coordinateWrite, mergeObjects, supersedes as coreSupersedes } from '../../core/version/object.ts';
import type { CausalContext, StoredObject } from '../../core/version/types.ts';
import {
  compareVectors,
  coordinate,
  DotSet,
  dotId,
  joinObjects,
  judgeSiblings,
  liveSiblings,
  modelObject,
  modelVersion,
  nextDot,
  objectsAgree,
  splitHistory,
  supersedes,
  type ModelDot,
  type ModelObject,
  type ModelVersion,
} from './index.ts';

const actors = ['a', 'b', 'c'];
const dotArbitrary = fc.tuple(fc.constantFrom(...actors), fc.integer({ min: 1, max: 12 })) as fc.Arbitrary<ModelDot>;

/** The naive meaning of a set of dots: strings in a Set. */
function naive(dots: readonly ModelDot[]): Set<string> {
  return new Set(dots.map(dotId));
}

describe('the model on its own definitions', () => {
  test('a DotSet is the set of its dots: membership, inclusion, union, difference', () => {
    fc.assert(
      fc.property(fc.array(dotArbitrary, { maxLength: 30 }), fc.array(dotArbitrary, { maxLength: 30 }), dotArbitrary, (xs, ys, probe) => {
        const a = DotSet.of(xs);
        const b = DotSet.of(ys);
        const [na, nb] = [naive(xs), naive(ys)];
        assert.equal(a.has(probe), na.has(dotId(probe)));
        assert.equal(a.size, na.size);
        assert.equal(a.includes(b), [...nb].every((id) => na.has(id)));
        assert.deepEqual(naive(a.union(b).dots()), new Set([...na, ...nb]));
        assert.deepEqual(naive(a.minus(b)), new Set([...na].filter((id) => !nb.has(id))));
        assert.equal(a.equals(b), na.size === nb.size && [...na].every((id) => nb.has(id)));
      }),
    );
  });

  test('an encoded context stands for its clock entries 1..n and its cloud, whatever their order', () => {
    const set = DotSet.fromEncoded({ clock: [['b', 2, 0], ['a', 3, 9]], dots: [['b', 5], ['a', 2], ['c', 4]] });
    assert.deepEqual(set.dots(), [['a', 1], ['a', 2], ['a', 3], ['b', 1], ['b', 2], ['b', 5], ['c', 4]]);
    assert.equal(DotSet.fromEncoded({ clock: [], dots: [] }).size, 0);
  });

  test('a history splits into the vector of its leading runs and the dots past a gap', () => {
    const { vector, cloud } = splitHistory(DotSet.of([['a', 1], ['a', 2], ['a', 4], ['b', 2], ['c', 1]]));
    assert.deepEqual([...vector], [['a', 2], ['c', 1]]);
    assert.deepEqual(cloud, [['a', 4], ['b', 2]]);
    assert.equal(compareVectors(vector, new Map([['a', 2]])), 'after');
    assert.equal(compareVectors(new Map([['a', 1]]), new Map([['b', 1]])), 'concurrent');
  });

  test('live siblings: a version a seen version supersedes is not live; concurrent ones are', () => {
    const v1 = modelVersion(['a', 1], DotSet.empty);
    const v2 = modelVersion(['b', 1], DotSet.empty); // blind: concurrent with v1
    const v3 = modelVersion(['a', 2], DotSet.of([['a', 1]])); // supersedes v1 only
    const all = [v1, v2, v3];
    const live = (dots: ModelDot[]) => liveSiblings(all, DotSet.of(dots)).map((version) => dotId(version.dot));
    assert.deepEqual(live([['a', 1], ['b', 1]]), [dotId(['a', 1]), dotId(['b', 1])]);
    assert.deepEqual(live([['a', 1], ['a', 2], ['b', 1]]), [dotId(['b', 1]), dotId(['a', 2])]);
    assert.equal(supersedes(v3, v1.dot), true);
    assert.equal(supersedes(v3, v3.dot), false);
    const versionOf = (dot: ModelDot) => all.find((version) => dotId(version.dot) === dotId(dot));
    assert.deepEqual(judgeSiblings([['a', 2], ['b', 1]], DotSet.of([['a', 1], ['a', 2], ['b', 1]]), versionOf), { superseded: [], hidden: [] });
    // v1 kept beside v3, which superseded it; and v2 dropped though nothing had seen it.
    const bad = judgeSiblings([['a', 1], ['a', 2]], DotSet.of([['a', 1], ['a', 2], ['b', 1]]), versionOf);
    assert.deepEqual(bad.superseded, [{ sibling: ['a', 1], by: ['a', 2] }]);
    assert.deepEqual(bad.hidden, [['b', 1]]);
  });

  test('join is commutative, associative and idempotent, and keeps exactly the live siblings', () => {
    fc.assert(
      fc.property(historyArbitrary, (steps) => {
        const world = new ModelOnly();
        for (const step of steps) world.apply(step);
        const [x, y, z] = world.replicas.map((object) => object ?? { siblings: [], context: DotSet.empty });
        const same = (a: ModelObject, b: ModelObject) => objectsAgree(a, b, () => true);
        assert.ok(same(joinObjects(x!, y!), joinObjects(y!, x!)));
        assert.ok(same(joinObjects(joinObjects(x!, y!), z!), joinObjects(x!, joinObjects(y!, z!))));
        assert.ok(same(joinObjects(x!, x!), x!));
        const joined = joinObjects(joinObjects(x!, y!), z!);
        assert.deepEqual(naive(joined.siblings.map((sibling) => sibling.dot)), naive(liveSiblings(world.versions.values(), joined.context).map((version) => version.dot)));
      }),
    );
  });
});

type Step =
  /** Replica `at` coordinates a write with the context of read `context` (an index into the reads so far), or none. */
  | { readonly kind: 'put'; readonly at: number; readonly context: number | null }
  /** Replica `to` merges what replica `from` holds (replication, repair, handoff, anti-entropy). */
  | { readonly kind: 'merge'; readonly from: number; readonly to: number }
  /** A client reads the join of two replicas (a get with R = 2) and keeps the context. */
  | { readonly kind: 'read'; readonly from: readonly number[] };

const replicasCount = 3;
const replica = fc.integer({ min: 0, max: replicasCount - 1 });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), at: replica, context: fc.option(fc.nat(40), { nil: null, freq: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('merge' as const), from: replica, to: replica }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), from: fc.uniqueArray(replica, { minLength: 1, maxLength: 2 }) }) },
);
const historyArbitrary = fc.array(stepArbitrary, { minLength: 1, maxLength: 40 });

const sibling = (dot: ModelDot) => ({ dot });

/** The model alone: for its algebra. */
class ModelOnly {
  readonly replicas: (ModelObject | null)[] = Array.from({ length: replicasCount }, () => null);
  readonly versions = new Map<string, ModelVersion>();
  private readonly reads: DotSet[] = [];

  apply(step: Step): void {
    if (step.kind === 'put') {
      const stored = this.replicas[step.at]!;
      const sent = step.context === null || this.reads.length === 0 ? DotSet.empty : this.reads[step.context % this.reads.length]!;
      const dot = nextDot(stored, actors[step.at]!);
      this.versions.set(dotId(dot), modelVersion(dot, sent));
      this.replicas[step.at] = coordinate(stored, sent, sibling(dot));
    } else if (step.kind === 'merge') {
      const from = this.replicas[step.from];
      const to = this.replicas[step.to];
      if (from) this.replicas[step.to] = to ? joinObjects(to, from) : from;
    } else {
      let joined: ModelObject | null = null;
      for (const index of step.from) {
        const object = this.replicas[index];
        if (object) joined = joined ? joinObjects(joined, object) : object;
      }
      if (joined) this.reads.push(joined.context);
    }
  }
}

/** The core and the model side by side, replica by replica. */
class SideBySide {
  readonly core: (StoredObject | null)[] = Array.from({ length: replicasCount }, () => null);
  readonly model: (ModelObject | null)[] = Array.from({ length: replicasCount }, () => null);
  readonly versions = new Map<string, ModelVersion>();
  /** Contexts clients hold: the core's, and the model's history it must stand for. */
  readonly contexts: { readonly core: CausalContext; readonly model: DotSet }[] = [];
  private nowMs = 1;

  apply(step: Step): void {
    this.nowMs++;
    if (step.kind === 'put') this.put(step.at, step.context);
    else if (step.kind === 'merge') this.merge(step.from, step.to);
    else this.read(step.from);
  }

  private put(at: number, contextIndex: number | null): void {
    const held = contextIndex === null || this.contexts.length === 0 ? null : this.contexts[contextIndex % this.contexts.length]!;
    const actor = actors[at]!;
    const value = new TextEncoder().encode(`v${this.versions.size + 1}`);
    const written = coordinateWrite(this.core[at] ?? null, { value, contentType: 't', deleted: false, context: held?.core ?? null }, actor, this.nowMs, 'siblings');
    const expectedDot = nextDot(this.model[at] ?? null, actor);
    assert.deepEqual(written.dot, expectedDot, 'the new dot is the actor\'s next event past all this replica has seen');
    const sent = held?.model ?? DotSet.empty;
    const version = modelVersion(written.dot, sent);
    this.versions.set(dotId(written.dot), version);
    this.core[at] = written.object;
    this.model[at] = coordinate(this.model[at] ?? null, sent, sibling(written.dot));
    // The context handed back to the client is the new version's history: what it sent, and the new event.
    assert.ok(DotSet.fromEncoded(written.context).equals(version.history), 'a put answers with its version\'s history');
    this.contexts.push({ core: written.context, model: version.history });
  }

  private merge(from: number, to: number): void {
    const incoming = this.core[from];
    if (!incoming) return;
    const stored = this.core[to];
    this.core[to] = stored ? mergeObjects(stored, incoming, 'siblings') : incoming;
    const modelIncoming = this.model[from]!;
    const modelStored = this.model[to];
    this.model[to] = modelStored ? joinObjects(modelStored, modelIncoming) : modelIncoming;
  }

  private read(from: readonly number[]): void {
    let core: StoredObject | null = null;
    let model: ModelObject | null = null;
    for (const index of from) {
      const object = this.core[index];
      if (!object) continue;
      core = core ? mergeObjects(core, object, 'siblings') : object;
      model = model ? joinObjects(model, this.model[index]!) : this.model[index]!;
    }
    if (core && model) {
      this.agree(core, model, `a read of ${from.join(', ')}`);
      this.contexts.push({ core: core.context, model: model.context });
    }
  }

  /** The core's object is the model's, and holds exactly the live siblings of its history. */
  agree(core: StoredObject, model: ModelObject, where: string): void {
    const history = DotSet.fromEncoded(core.context);
    assert.ok(history.equals(model.context), `${where}: the core's context ${JSON.stringify(core.context)} is not the model's history ${JSON.stringify(model.context.dots())}`);
    const coreDots = core.siblings.map((each) => each.dot);
    assert.deepEqual(naive(coreDots), naive(model.siblings.map((each) => each.dot)), `${where}: siblings differ from the model's join`);
    const live = liveSiblings(this.versions.values(), history).map((version) => version.dot);
    assert.deepEqual(naive(coreDots), naive(live), `${where}: siblings are not the live siblings of the context`);
    assert.deepEqual(judgeSiblings(coreDots, history, (dot) => this.versions.get(dotId(dot))), { superseded: [], hidden: [] });
    // The compact form the core keeps is the canonical split of that history.
    const { vector, cloud } = splitHistory(history);
    assert.deepEqual(core.context.clock.map(([actor, counter]) => [actor, counter]), [...vector].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.deepEqual(core.context.dots.map(([actor, counter]) => [actor, counter]), cloud);
  }

  check(): void {
    for (let i = 0; i < replicasCount; i++) {
      const core = this.core[i];
      if (core) this.agree(core, this.model[i]!, `replica ${i}`);
    }
    const universe: ModelDot[] = [...this.versions.values()].map((version) => version.dot).concat([['a', 99], ['z', 1]]);
    const contexts = [{ core: emptyContext, model: DotSet.empty }, ...this.contexts.slice(-6), ...this.core.flatMap((object, i) => (object ? [{ core: object.context, model: this.model[i]!.context }] : []))];
    for (const context of contexts) {
      for (const dot of universe) assert.equal(covers(context.core, dot), context.model.has(dot), `covers ${JSON.stringify(context.core)} ${JSON.stringify(dot)}`);
    }
    for (const a of contexts) {
      for (const b of contexts) {
        assert.equal(contextCovers(a.core, b.core), a.model.includes(b.model), 'contextCovers');
        assert.ok(DotSet.fromEncoded(joinContexts(a.core, b.core)).equals(a.model.union(b.model)), 'joinContexts');
      }
    }
    const objects = this.core.flatMap((object, i) => (object ? [{ core: object, model: this.model[i]! }] : []));
    for (const a of objects) for (const b of objects) assert.equal(coreSupersedes(a.core, b.core), a.model.context.includes(b.model.context), 'supersedes');
  }
}

describe('the core against the model, on random histories', () => {
  test('coordinateWrite, mergeObjects, covers, contextCovers, joinContexts and supersedes agree with the model', () => {
    fc.assert(
      fc.property(historyArbitrary, (steps) => {
        const both = new SideBySide();
        for (const step of steps) {
          both.apply(step);
          both.check();
        }
      }),
      { numRuns: 300 },
    );
  });

  test('merging in any order converges to the model\'s join of every replica', () => {
    fc.assert(
      fc.property(historyArbitrary, fc.array(fc.tuple(replica, replica), { maxLength: 12 }), (steps, merges) => {
        const both = new SideBySide();
        for (const step of steps) both.apply(step);
        for (const [from, to] of merges) both.apply({ kind: 'merge', from, to });
        const models = both.model.filter((object) => object !== null);
        if (models.length === 0) return;
        const joined = models.reduce((a, b) => joinObjects(a, b));
        let core: StoredObject | null = null;
        for (const object of both.core) if (object) core = core ? mergeObjects(core, object, 'siblings') : object;
        both.agree(core!, joined, 'the join of every replica');
        assert.ok(objectsAgree(modelObject(core!), joined, () => true));
      }),
      { numRuns: 200 },
    );
  });
});
