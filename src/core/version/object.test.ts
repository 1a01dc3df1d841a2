import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { AssertionError } from '../assert.ts';
import { addDot, contextsEqual, covers, emptyContext } from './causal-context.ts';
import { decodeTestToken, encodeTestToken } from './test-token.ts';
import { decodeObject, encodeObject } from './codec.ts';
import {
  assertStoredObject,
  coordinateWrite,
  isDeleted,
  liveSiblings,
  mergeMaybe,
  mergeObjects,
  objectsEqual,
  supersedes,
} from './object.ts';
import { tokenClockEntriesMax } from './prune.ts';
import type { Actor, CausalContext, ClockEntry, Dot, Resolution, Sibling, StoredObject } from './types.ts';

const text = new TextEncoder();
const utf8 = new TextDecoder();

interface PutOptions {
  readonly actor?: Actor;
  readonly nowMs?: number;
  readonly resolution?: Resolution;
  readonly deleted?: boolean;
}

function put(stored: StoredObject | null, value: string, context: CausalContext | null, options: PutOptions = {}) {
  const intent = { value: text.encode(value), contentType: 'text/plain', deleted: options.deleted ?? false, context };
  return coordinateWrite(stored, intent, options.actor ?? 'n1', options.nowMs ?? 1_000, options.resolution ?? 'siblings');
}

/** Values of the live siblings, sorted: what a get shows the application. */
function values(object: StoredObject): string[] {
  return liveSiblings(object)
    .map((sibling) => utf8.decode(sibling.value))
    .sort();
}

describe('the contract, case by case', () => {
  test('(a) a put with the context of the latest get supersedes what that get returned', () => {
    const first = put(null, 'v1', null).object;
    const read = { siblings: values(first), context: first.context }; // a get: siblings + context
    assert.deepEqual(read.siblings, ['v1']);
    const second = put(first, 'v2', read.context).object;
    assert.deepEqual(values(second), ['v2']);
    assert.equal(second.siblings.length, 1);
  });

  test('(b) two puts without context through one coordinator both survive as siblings', () => {
    const first = put(null, 'v1', null).object;
    const second = put(first, 'v2', null).object;
    assert.deepEqual(values(second), ['v1', 'v2']);
  });

  test('(b) two puts with the same stale context through one coordinator actor both survive', () => {
    // Both clients read v0 and got context {n1: 1}. With plain per-node version vectors
    // (Dynamo §4.4) the coordinator makes a version's clock from the context it is given:
    //   client A puts v1 with {n1:1} → the coordinator bumps its own entry: v1 = {n1:2}
    //   client B puts v2 with {n1:1} → the coordinator bumps again:          v2 = {n1:3}
    // {n1:3} descends from {n1:2}, so v2 "supersedes" v1 and v1 is silently lost, although
    // neither client saw the other's write. With dots, v1 is the event (n1,2) and v2 the event
    // (n1,3) whose history is only {n1:1}: v2's context does not cover (n1,2), so both stay.
    const v0 = put(null, 'v0', null).object;
    const staleContext = v0.context;
    const afterA = put(v0, 'v1', staleContext, { nowMs: 2_000 }).object;
    const afterB = put(afterA, 'v2', staleContext, { nowMs: 3_000 }).object;
    assert.deepEqual(values(afterB), ['v1', 'v2']);
    assert.deepEqual(afterB.siblings.map((sibling) => sibling.dot), [['n1', 2], ['n1', 3]]);
  });

  test('(c) a put whose context covers all siblings resolves them to one', () => {
    const onN1 = put(null, 'v1', null, { actor: 'n1' }).object;
    const onN2 = put(null, 'v2', null, { actor: 'n2' }).object;
    const merged = mergeObjects(onN1, onN2, 'siblings');
    assert.deepEqual(values(merged), ['v1', 'v2']);
    const resolved = put(merged, 'v1+v2', merged.context, { actor: 'n3' }).object;
    assert.deepEqual(values(resolved), ['v1+v2']);
    // And the other replicas drop their siblings when the resolution reaches them.
    assert.deepEqual(values(mergeObjects(onN1, resolved, 'siblings')), ['v1+v2']);
    assert.deepEqual(values(mergeObjects(resolved, onN2, 'siblings')), ['v1+v2']);
  });

  test('(d) a delete with a context is a tombstone, and an older replica copy does not bring the value back', () => {
    const written = put(null, 'v1', null, { actor: 'n1' }).object;
    const olderCopy = mergeMaybe(null, written, 'siblings').object; // replicated to n2 earlier
    const deleted = put(written, '', written.context, { actor: 'n1', deleted: true }).object;
    assert.equal(isDeleted(deleted), true);
    assert.deepEqual(liveSiblings(deleted), []);
    assert.equal(deleted.siblings.length, 1); // the tombstone is kept, with its context
    for (const merged of [mergeObjects(deleted, olderCopy, 'siblings'), mergeObjects(olderCopy, deleted, 'siblings')]) {
      assert.equal(isDeleted(merged), true);
      assert.deepEqual(values(merged), []);
    }
    // The stale copy arriving again, at a replica that already holds the tombstone, changes nothing.
    assert.equal(mergeMaybe(deleted, olderCopy, 'siblings').changed, false);
  });

  test('a put with its put-reply context does not supersede a sibling another client wrote concurrently through the same coordinator', () => {
    const byA = put(null, 'a1', null, { nowMs: 1_000 });
    const byB = put(byA.object, 'b1', null, { nowMs: 2_000 });
    assert.deepEqual(values(byB.object), ['a1', 'b1']);
    // A's reply context is the history of a1 alone, not the object's context (which has seen b1).
    assert.equal(covers(byA.context, byB.dot), false);
    const byAAgain = put(byB.object, 'a2', byA.context, { nowMs: 3_000 });
    assert.deepEqual(values(byAAgain.object), ['a2', 'b1']);
  });
});

describe('coordinateWrite', () => {
  test('the new dot is one past the highest counter of the actor its replica has seen', () => {
    const stored = put(put(null, 'v1', null).object, 'v2', null).object; // n1 at counter 2
    assert.equal(put(stored, 'v3', null).dot[1], 3);
    const fresh = put(stored, 'v3', stored.context);
    assert.deepEqual(fresh.dot, ['n1', 3]);
    assert.equal(fresh.clamped, false);
  });

  test("a context claiming more of the coordinator's counter than its copy knows is cut back to it (issue 11 §3)", () => {
    // Every dot of n1 is made on n1's copy first, so no issued context can be ahead of it: a claim
    // of 2^53 - 2 used to be joined in, and every later put of the key failed for good.
    const stored = put(put(null, 'v1', null).object, 'v2', null).object; // n1 at counter 2
    let forged: CausalContext = { clock: [['n1', 2 ** 53 - 2, 5]], dots: [] };
    forged = addDot(forged, ['n2', 4], 5);
    const written = put(stored, 'v3', forged);
    assert.deepEqual(written.dot, ['n1', 3]);
    assert.equal(written.clamped, true);
    assert.deepEqual(written.object.context.clock.map(([actor, counter]) => [actor, counter]), [['n1', 3]], 'no counter claimed for n1 is kept');
    assert.deepEqual(written.object.context.dots, [['n2', 4]], "another actor's claim is not this replica's to judge");
    assert.deepEqual(values(written.object), ['v3'], 'the clamped context still covers what the copy held');
    const next = put(written.object, 'v4', written.context);
    assert.deepEqual(next.dot, ['n1', 4], 'and the key stays writable');
    const cloud: CausalContext = { clock: [['n1', 1, 5]], dots: [['n1', 3], ['n1', 9]] };
    assert.deepEqual(put(stored, 'v3', cloud).object.context.dots, [], 'cloud dots above the copy go too');
  });

  test('the object context joins the stored context, the client context and the new dot', () => {
    const stored = put(null, 'v1', null, { actor: 'n1', nowMs: 100 }).object;
    const clientContext: CausalContext = { clock: [['n2', 4, 50]], dots: [] };
    const { object, dot } = put(stored, 'v2', clientContext, { actor: 'n1', nowMs: 777 });
    assert.deepEqual(object.context, { clock: [['n1', 2, 777], ['n2', 4, 50]], dots: [] });
    assert.ok(covers(object.context, dot), 'covers(object.context, dot)');
  });

  test('refuses a put that would make more than siblingsCountMax siblings, and a covering put still resolves them', () => {
    let object: StoredObject | null = null;
    for (let i = 0; i < limits.siblingsCountMax; i++) object = put(object, `v${i}`, null).object;
    assert.equal(object!.siblings.length, limits.siblingsCountMax);
    assert.throws(
      () => put(object, 'one too many', null),
      (error: unknown) => error instanceof KvorumError && error.code === 'too_many_siblings' && /more than 32/.test(error.message),
    );
    assert.deepEqual(values(put(object, 'merged', object!.context).object), ['merged']);
  });

  test('lww keeps only the new sibling, stamped after everything stored so the newest write wins here', () => {
    const stored = put(null, 'old', null, { actor: 'n2', nowMs: 5_000, resolution: 'lww' }).object;
    const { object, dot } = put(stored, 'new', null, { actor: 'n1', nowMs: 1_000, resolution: 'lww' });
    assert.deepEqual(values(object), ['new']);
    assert.equal(object.siblings[0]!.lastModifiedMs, 5_001);
    assert.ok(covers(object.context, dot) && covers(object.context, stored.siblings[0]!.dot), 'covers(object.context, dot) && covers(object.context, stored.siblings[0]!.dot)');
    assert.equal(put(stored, 'later', null, { nowMs: 9_000, resolution: 'lww' }).object.siblings[0]!.lastModifiedMs, 9_000);
  });

  test('prunes the idlest actors past clockEntriesMax, never an actor with a sibling, and reports it', () => {
    // Actors w0..w19 each overwrite the previous value with its context: one sibling at a time.
    let object: StoredObject | null = null;
    let pruned = 0;
    for (let i = 0; i < 20; i++) {
      const written = put(object, `v${i}`, object?.context ?? null, { actor: `w${String(i).padStart(2, '0')}`, nowMs: 1_000 + i });
      object = written.object;
      pruned += written.prunedEntries;
    }
    assert.equal(object!.context.clock.length, limits.clockEntriesMax);
    assert.equal(pruned, 20 - limits.clockEntriesMax);
    assert.deepEqual(object!.context.clock[0]![0], 'w04'); // w00..w03 were the idlest
    assert.deepEqual(values(object!), ['v19']);
  });

  test('does not prune actors that hold siblings, even past clockEntriesMax', () => {
    let object: StoredObject | null = null;
    for (let i = 0; i < 20; i++) object = put(object, `v${i}`, null, { actor: `w${i}`, nowMs: i }).object;
    assert.equal(object!.siblings.length, 20);
    assert.equal(object!.context.clock.length, 20);
    assertStoredObject(object!);
  });

  test('bounds the reply context so its token stays decodable', () => {
    const clock: ClockEntry[] = Array.from({ length: tokenClockEntriesMax }, (_, i) => [`c${String(i).padStart(2, '0')}`, 1, i + 10]);
    const clientContext = decodeTestToken(encodeTestToken({ clock, dots: [] }));
    const { context, prunedEntries } = put(null, 'v', clientContext, { actor: 'n1' });
    assert.equal(context.clock.length, tokenClockEntriesMax);
    assert.ok(covers(context, ['n1', 1]), 'covers(context, [\'n1\', 1])');
    assert.equal(covers(context, ['c00', 1]), false); // the idlest went
    assert.ok(prunedEntries >= 1, 'prunedEntries >= 1');
    assert.ok(contextsEqual(decodeTestToken(encodeTestToken(context)), context), 'contextsEqual(decodeTestToken(encodeTestToken(context)), context)');
  });

  test("bounds the reply context even when the client's context is full of the coordinator's own isolated dots", () => {
    // Concurrent updates of a hot key through one coordinator, each with the context of the
    // previous reply, leave the client's context a cloud of that coordinator's dots (the
    // benchmark's write-only workload: `bad context token: 65 dots, more than 64`).
    let clientContext: CausalContext = { clock: [['n1', 1, 1]], dots: [] };
    for (let i = 1; i <= limits.contextDotsMax; i++) clientContext = addDot(clientContext, ['n1', 2 * i + 1], i);
    clientContext = decodeTestToken(encodeTestToken(clientContext));
    assert.equal(clientContext.dots.length, limits.contextDotsMax);
    // n1's copy holds every dot n1 made (the context's), its siblings since superseded.
    const stored: StoredObject = { siblings: [], context: addDot(clientContext, ['n1', 2 * limits.contextDotsMax + 2], 1) };
    const { object, context, dot } = put(stored, 'v', clientContext, { actor: 'n1' });
    assert.ok(covers(context, dot), 'the reply covers the new version');
    assert.ok(contextsEqual(decodeTestToken(encodeTestToken(context)), context), 'and its token is accepted back');
    const next = put(object, 'w', context, { actor: 'n1' });
    assert.ok(next.dot[1] > dot[1], 'the actor never reuses a counter');
  });
});

describe('merging and object queries', () => {
  const a = put(null, 'a', null, { actor: 'n1' }).object;
  const b = put(null, 'b', null, { actor: 'n2' }).object;

  test('mergeMaybe reports no change when the stored object already has everything', () => {
    const both = mergeObjects(a, b, 'siblings');
    const again = mergeMaybe(both, a, 'siblings');
    assert.equal(again.changed, false);
    assert.equal(again.object, both);
    assert.equal(mergeMaybe(a, b, 'siblings').changed, true);
    assert.equal(mergeMaybe(null, a, 'siblings').changed, true);
  });

  test('mergeMaybe into nothing keeps one sibling under lww', () => {
    const both = mergeObjects(a, b, 'siblings');
    assert.equal(mergeMaybe(null, both, 'lww').object.siblings.length, 1);
  });

  test('lww merge keeps the greatest (lastModifiedMs, actor, counter)', () => {
    const early = put(null, 'early', null, { actor: 'n9', nowMs: 100, resolution: 'lww' }).object;
    const late = put(null, 'late', null, { actor: 'n1', nowMs: 200, resolution: 'lww' }).object;
    const tieLow = put(null, 'tie-n1', null, { actor: 'n1', nowMs: 300, resolution: 'lww' }).object;
    const tieHigh = put(null, 'tie-n2', null, { actor: 'n2', nowMs: 300, resolution: 'lww' }).object;
    assert.deepEqual(values(mergeObjects(early, late, 'lww')), ['late']);
    assert.deepEqual(values(mergeObjects(tieHigh, tieLow, 'lww')), ['tie-n2']);
  });

  test('lww merge is order-independent even when a causal successor has an older timestamp', () => {
    // The example in object.ts: y overwrote x (its context covers x) with a lagging clock.
    const x = put(null, 'x', null, { actor: 'n1', nowMs: 10, resolution: 'lww' }).object;
    const y: StoredObject = {
      siblings: [{ dot: ['n2', 1], value: text.encode('y'), contentType: 'text/plain', lastModifiedMs: 5, deleted: false }],
      context: { clock: [['n1', 1, 10], ['n2', 1, 5]], dots: [] },
    };
    const z = put(null, 'z', null, { actor: 'n3', nowMs: 7, resolution: 'lww' }).object;
    const orders = [
      mergeObjects(mergeObjects(x, y, 'lww'), z, 'lww'),
      mergeObjects(mergeObjects(x, z, 'lww'), y, 'lww'),
      mergeObjects(mergeObjects(y, z, 'lww'), x, 'lww'),
    ];
    for (const merged of orders) assert.ok(objectsEqual(merged, orders[0]!), 'objectsEqual(merged, orders[0]!)');
  });

  test('supersedes compares what the two versions have seen', () => {
    const later = put(a, 'a2', a.context, { actor: 'n1' }).object;
    assert.equal(supersedes(later, a), true);
    assert.equal(supersedes(a, later), false);
    assert.equal(supersedes(a, b), false);
  });

  test('isDeleted needs at least one sibling, and all of them tombstones', () => {
    assert.equal(isDeleted({ siblings: [], context: emptyContext }), false);
    const tombstone = put(a, '', null, { actor: 'n1', deleted: true }).object; // concurrent with a
    assert.equal(isDeleted(tombstone), false);
    assert.deepEqual(values(tombstone), ['a']);
  });

  test('assertStoredObject rejects a sibling its context does not cover, and unsorted siblings', () => {
    const sibling: Sibling = { dot: ['n1', 2], value: new Uint8Array(), contentType: '', lastModifiedMs: 0, deleted: false };
    assert.throws(() => assertStoredObject({ siblings: [sibling], context: a.context }), AssertionError);
    const both = mergeObjects(a, b, 'siblings');
    assert.throws(() => assertStoredObject({ siblings: [...both.siblings].reverse(), context: both.context }), AssertionError);
  });
});

// ---- Property tests ----

/**
 * Arbitrary valid objects over one shared universe of writes, so that one dot always names one
 * sibling content on every replica (as real writes do). Contexts are any set of dots of the
 * universe; siblings any subset of the context's dots (at most one under lww).
 */
const universeActors = ['p', 'q', 'r'];
function siblingOf(dot: Dot): Sibling {
  const [actor, counter] = dot;
  const ms = (actor.charCodeAt(0) * 7 + counter * 13) % 50;
  return { dot, value: text.encode(`${actor}${counter}`), contentType: 'text/plain', lastModifiedMs: ms, deleted: counter % 4 === 0 };
}
const universeDotArb = fc.tuple(fc.constantFrom(...universeActors), fc.integer({ min: 1, max: 6 })) as fc.Arbitrary<Dot>;

function objectArb(resolution: Resolution): fc.Arbitrary<StoredObject> {
  return fc
    .record({ seen: fc.array(fc.tuple(universeDotArb, fc.nat(1000)), { maxLength: 14 }), keep: fc.array(fc.boolean(), { maxLength: 14 }) })
    .map(({ seen, keep }) => {
      const context = seen.reduce((ctx, [dot, ms]) => addDot(ctx, dot, ms), emptyContext);
      const dots = [...new Map(seen.map(([dot]) => [`${dot[0]}:${dot[1]}`, dot])).values()];
      let chosen = dots.filter((_, i) => keep[i] === true).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
      if (resolution === 'lww') chosen = chosen.slice(0, 1);
      const object: StoredObject = { siblings: chosen.map(siblingOf), context };
      assertStoredObject(object);
      return object;
    });
}

for (const resolution of ['siblings', 'lww'] as const) {
  describe(`mergeObjects is a join (${resolution})`, () => {
    const arb = objectArb(resolution);
    test('commutative', () => {
      fc.assert(fc.property(arb, arb, (a, b) => objectsEqual(mergeObjects(a, b, resolution), mergeObjects(b, a, resolution))));
    });
    test('associative', () => {
      fc.assert(
        fc.property(arb, arb, arb, (a, b, c) =>
          objectsEqual(
            mergeObjects(mergeObjects(a, b, resolution), c, resolution),
            mergeObjects(a, mergeObjects(b, c, resolution), resolution),
          ),
        ),
      );
    });
    test('idempotent, and the result is a valid object', () => {
      fc.assert(
        fc.property(arb, arb, (a, b) => {
          const merged = mergeObjects(a, b, resolution);
          assertStoredObject(merged);
          assert.ok(objectsEqual(mergeObjects(a, a, resolution), a), 'objectsEqual(mergeObjects(a, a, resolution), a)');
          assert.ok(objectsEqual(mergeObjects(merged, b, resolution), merged), 'objectsEqual(mergeObjects(merged, b, resolution), merged)');
          assert.equal(mergeMaybe(merged, a, resolution).changed, false);
        }),
      );
    });
  });
}

test('siblings merge keeps exactly the dots that nobody has seen superseded (naive formula)', () => {
  fc.assert(
    fc.property(objectArb('siblings'), objectArb('siblings'), (a, b) => {
      const merged = mergeObjects(a, b, 'siblings');
      const removedBy = (o: StoredObject, dot: Dot) => covers(o.context, dot) && !o.siblings.some((s) => s.dot[0] === dot[0] && s.dot[1] === dot[1]);
      const expected = [...a.siblings, ...b.siblings]
        .filter((s) => !removedBy(a, s.dot) && !removedBy(b, s.dot))
        .map((s) => `${s.dot[0]}:${s.dot[1]}`);
      assert.deepEqual(merged.siblings.map((s) => `${s.dot[0]}:${s.dot[1]}`), [...new Set(expected)].sort());
    }),
  );
});

// ---- A naive reference model: replicas, clients and explicit causal histories ----

/**
 * Each write gets an id and an explicit causal history: the ids of every write its context had
 * seen, plus itself. w supersedes v iff v ∈ history(w). A replica has received a set of writes
 * (those it coordinated and those merged in from others); its correct sibling set is the
 * maximal ones: received writes that no other received write's history contains. With lww the
 * correct single sibling is the received write with the greatest (lastModifiedMs, dot).
 *
 * The model knows nothing of dots, clocks or compaction. Up to 4 replicas (actors): pruning
 * (clockEntriesMax = 16) is out of reach, so the model must match exactly.
 */
type Op =
  | { readonly kind: 'read'; readonly client: number; readonly replica: number }
  | { readonly kind: 'write'; readonly client: number; readonly replica: number; readonly withContext: boolean; readonly deleted: boolean; readonly skewMs: number }
  | { readonly kind: 'merge'; readonly from: number; readonly to: number };

const replicaCount = 4;
const clientCount = 3;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), client: fc.nat(clientCount - 1), replica: fc.nat(replicaCount - 1) }),
  fc.record({
    kind: fc.constant('write' as const),
    client: fc.nat(clientCount - 1),
    replica: fc.nat(replicaCount - 1),
    withContext: fc.boolean(),
    deleted: fc.boolean(),
    skewMs: fc.integer({ min: -50, max: 50 }),
  }),
  fc.record({ kind: fc.constant('merge' as const), from: fc.nat(replicaCount - 1), to: fc.nat(replicaCount - 1) }),
);

interface ModelReplica {
  object: StoredObject | null;
  readonly received: Set<number>;
  /** Every state this replica has stored, oldest first. */
  readonly history: StoredObject[];
}
interface ModelClient {
  context: CausalContext | null;
  seen: Set<number>;
}
interface ModelWrite {
  readonly dot: Dot;
  readonly history: Set<number>;
  readonly sibling: Sibling;
}

class Model {
  readonly replicas: ModelReplica[] = Array.from({ length: replicaCount }, () => ({ object: null, received: new Set<number>(), history: [] }));
  readonly clients: ModelClient[] = Array.from({ length: clientCount }, () => ({ context: null, seen: new Set<number>() }));
  readonly writes: ModelWrite[] = [];
  readonly writeByDot = new Map<string, number>();
  nowMs = 1_000;

  constructor(readonly resolution: Resolution) {}

  apply(op: Op): void {
    this.nowMs += 10;
    if (op.kind === 'read') this.read(op.client, op.replica);
    else if (op.kind === 'write') this.write(op);
    else this.merge(op.from, op.to);
  }

  /** A get from one replica: the client keeps the context (through its token) and what it saw. */
  read(client: number, replica: number): void {
    const object = this.replicas[replica]!.object;
    this.clients[client] = {
      context: object === null ? null : decodeTestToken(encodeTestToken(object.context)),
      seen: this.seenBy(replica),
    };
  }

  write(op: Extract<Op, { kind: 'write' }>): void {
    const client = this.clients[op.client]!;
    const replica = this.replicas[op.replica]!;
    const intent = { value: text.encode(`w${this.writes.length}`), contentType: 'text/plain', deleted: op.deleted, context: op.withContext ? client.context : null };
    const written = coordinateWrite(replica.object, intent, `r${op.replica}`, this.nowMs + op.skewMs, this.resolution);
    assert.equal(written.prunedEntries, 0);
    const id = this.writes.length;
    const dotKey = `${written.dot[0]}:${written.dot[1]}`;
    assert.equal(this.writeByDot.has(dotKey), false, `dot ${dotKey} reused`);
    this.writeByDot.set(dotKey, id);
    const history = new Set(op.withContext ? client.seen : []).add(id);
    const sibling = written.object.siblings.find((s) => s.dot[0] === written.dot[0] && s.dot[1] === written.dot[1])!;
    this.writes.push({ dot: written.dot, history, sibling });
    replica.received.add(id);
    this.store(replica, written.object);
    this.clients[op.client] = { context: decodeTestToken(encodeTestToken(written.context)), seen: history };
  }

  merge(from: number, to: number): void {
    const source = this.replicas[from]!;
    const target = this.replicas[to]!;
    if (source.object === null) return;
    // What travels is the encoded object, as on the wire and on disk.
    const incoming = decodeObject(encodeObject(source.object));
    const before = target.object;
    const { object, changed } = mergeMaybe(before, incoming, this.resolution);
    assert.equal(changed, before === null || !objectsEqual(before, object));
    for (const id of source.received) target.received.add(id);
    this.store(target, object);
  }

  store(replica: ModelReplica, object: StoredObject): void {
    assertStoredObject(object);
    replica.object = object;
    replica.history.push(object);
  }

  seenBy(replica: number): Set<number> {
    const seen = new Set<number>();
    for (const id of this.replicas[replica]!.received) for (const seenId of this.writes[id]!.history) seen.add(seenId);
    return seen;
  }

  /** The reference answer: the received writes that no other received write supersedes. */
  maximal(replica: number): number[] {
    const received = [...this.replicas[replica]!.received];
    return received.filter((id) => !received.some((other) => other !== id && this.writes[other]!.history.has(id))).sort((x, y) => x - y);
  }

  lwwWinner(replica: number): number[] {
    const received = [...this.replicas[replica]!.received];
    const rank = (id: number): [number, string, number] => [this.writes[id]!.sibling.lastModifiedMs, this.writes[id]!.dot[0], this.writes[id]!.dot[1]];
    const greater = (x: number, y: number) => {
      const [a, b] = [rank(x), rank(y)];
      return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    };
    return received.length === 0 ? [] : [received.reduce((best, id) => (greater(id, best) ? id : best))];
  }

  check(): void {
    this.replicas.forEach((replica, index) => {
      const actual = (replica.object?.siblings ?? []).map((s) => this.writeByDot.get(`${s.dot[0]}:${s.dot[1]}`)!).sort((x, y) => x - y);
      const expected = this.resolution === 'lww' ? this.lwwWinner(index) : this.maximal(index);
      assert.deepEqual(actual, expected, `replica r${index} siblings`);
      // The context is exact: it covers a write iff the replica has seen it.
      const seen = this.seenBy(index);
      for (const [id, write] of this.writes.entries()) {
        assert.equal(covers(replica.object?.context ?? emptyContext, write.dot), seen.has(id), `replica r${index} context on write ${id}`);
      }
      for (const sibling of replica.object?.siblings ?? []) {
        const write = this.writes[this.writeByDot.get(`${sibling.dot[0]}:${sibling.dot[1]}`)!]!;
        assert.deepEqual(sibling, write.sibling, 'a sibling is the write that made it, unchanged');
      }
    });
  }
}

for (const resolution of ['siblings', 'lww'] as const) {
  test(`every replica holds exactly what the naive causal-history model says (${resolution})`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const model = new Model(resolution);
        for (const op of ops) {
          model.apply(op);
          model.check();
        }
      }),
      { numRuns: 150 },
    );
  });

  test(`a coordinated write survives merging with any older replica state (${resolution})`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.nat(replicaCount - 1), fc.boolean(), (ops, replica, withContext) => {
        const model = new Model(resolution);
        for (const op of ops) model.apply(op);
        // Under lww a newer write elsewhere may rightly win; the states this replica had seen may not.
        const older =
          resolution === 'siblings' ? model.replicas.flatMap((r) => r.history) : model.replicas[replica]!.history;
        model.write({ kind: 'write', client: 0, replica, withContext, deleted: false, skewMs: 0 });
        const written = model.replicas[replica]!.object!;
        const newDot = model.writes[model.writes.length - 1]!.dot;
        for (const state of older) {
          for (const merged of [mergeObjects(written, state, resolution), mergeObjects(state, written, resolution)]) {
            assert.ok(merged.siblings.some((s) => s.dot[0] === newDot[0] && s.dot[1] === newDot[1]), 'merged.siblings.some((s) => s.dot[0] === newDot[0] && s.dot[1] === newDot[1])');
          }
        }
      }),
      { numRuns: 150 },
    );
  });
}
