import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { IdTable, idTableSlotsMin } from './id-table.ts';
import { AssertionError } from './assert.ts';

type Command =
  | { readonly kind: 'set' | 'delete' | 'get'; readonly id: number }
  | { readonly kind: 'clear' | 'drain' }
  | { readonly kind: 'fill' | 'churn'; readonly id: number; readonly count: number };

/** Ids as the registries see them: a few that repeat (and collide), runs of consecutive ones, some near 2^53. */
const ids = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 1_000, max: 1_300 }),
  fc.integer({ min: Number.MAX_SAFE_INTEGER - 300, max: Number.MAX_SAFE_INTEGER }),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), id: ids }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: ids }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), id: ids }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  // A burst: a run of consecutive ids, past the floor's half so that the table grows; and its end.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fill' as const), id: ids, count: fc.integer({ min: 20, max: 150 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  // A light load for a while: one id set and deleted at a time, so that a grown table shrinks.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('churn' as const), id: ids, count: fc.integer({ min: 50, max: 600 }) }) },
);

test('an id table answers as a Map would, through sets, deletes, collisions, growth and shrinking', () => {
  // Odd multipliers: the default, and any other (a random one hashes ids a client chooses).
  const multipliers = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((half) => 2 * half + 1));
  fc.assert(
    fc.property(fc.array(command, { minLength: 100, maxLength: 800 }), multipliers, (commands, multiplier) => {
      const table = new IdTable<string>(multiplier);
      const model = new Map<number, string>();
      commands.forEach((step, index) => {
        if (step.kind === 'clear') {
          table.clear();
          model.clear();
        } else if (step.kind === 'fill') {
          for (let id = step.id; id < Math.min(step.id + step.count, Number.MAX_SAFE_INTEGER + 1); id++) {
            table.set(id, `v${index}`);
            model.set(id, `v${index}`);
          }
        } else if (step.kind === 'churn') {
          for (let id = step.id; id < Math.min(step.id + step.count, Number.MAX_SAFE_INTEGER + 1); id++) {
            table.set(id, `v${index}`);
            model.set(id, `v${index}`);
            assert.equal(table.delete(id), model.delete(id));
          }
        } else if (step.kind === 'drain') {
          for (const id of [...model.keys()]) assert.equal(table.delete(id), model.delete(id));
        } else if (step.kind === 'set') {
          table.set(step.id, `v${index}`);
          model.set(step.id, `v${index}`);
        } else if (step.kind === 'delete') {
          assert.equal(table.delete(step.id), model.delete(step.id));
        }
        if (step.kind === 'set' || step.kind === 'delete' || step.kind === 'get' || step.kind === 'fill' || step.kind === 'churn') {
          assert.equal(table.get(step.id), model.get(step.id));
          assert.equal(table.has(step.id), model.has(step.id));
        }
        assert.equal(table.size, model.size);
      });
      for (const [id, value] of model) assert.equal(table.get(id), value);
      assert.deepEqual(new Map(table.entries()), model);
    }),
    { numRuns: 300 },
  );
});

test('an id table holds thousands of consecutive ids and gives every one back as they leave in any order', () => {
  const table = new IdTable<number>();
  const first = 7_000_000_000; // op ids start at a random point of the safe integers
  for (let id = first; id < first + 5_000; id++) table.set(id, id * 2);
  assert.equal(table.size, 5_000);
  // Odd ones first, then the rest backwards: deletes that shift entries in both directions of a run.
  for (let id = first + 1; id < first + 5_000; id += 2) assert.equal(table.delete(id), true);
  for (let id = first + 4_998; id >= first; id -= 2) {
    assert.equal(table.get(id), id * 2);
    assert.equal(table.delete(id), true);
    assert.equal(table.get(id), undefined);
  }
  assert.equal(table.size, 0);
  assert.deepEqual(table.entries(), []);
  table.set(first, 1); // still usable after shrinking back
  assert.equal(table.get(first), 1);
});

test('an id table refuses ids that are not non-negative safe integers, undefined values, and even or out-of-range multipliers', () => {
  const table = new IdTable<string>();
  for (const id of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => table.set(id, 'x'), AssertionError);
  assert.throws(() => table.set(1, undefined as unknown as string), AssertionError);
  assert.equal(table.size, 0);
  for (const multiplier of [0, 2, 2 ** 32 + 1, -3, 1.5]) assert.throws(() => new IdTable<string>(multiplier), AssertionError);
});

test('a registry whose entries come and go in bursts does not resize per burst', () => {
  // Bursts of 1, 2, … `peak` entries in flight, each drained before the next, then again: what a
  // node's operations, store ops and flushes, and a connection's requests, do under load. When a
  // table shrank as soon as it fell below an eighth full, it grew and shrank on nearly every
  // burst (400 or more resizes in 1,000 bursts of up to 40). Allowed: per cycle of `peak`
  // bursts, as the load climbs from 1 to the peak and falls back, each doubling it needs, and
  // the halving back.
  for (const peak of [idTableSlotsMin / 2, 24, 40, 200]) {
    const table = new IdTable<number>();
    let next = 1;
    let resizes = 0;
    let slots = table.slots;
    const noteSlots = () => {
      if (table.slots !== slots) resizes++;
      slots = table.slots;
    };
    const bursts = 1_000;
    for (let burst = 0; burst < bursts; burst++) {
      const ids: number[] = [];
      for (let i = 0; i < 1 + (burst % peak); i++) {
        ids.push(next);
        table.set(next, next++);
        noteSlots();
      }
      for (const id of ids) {
        assert.equal(table.delete(id), true);
        noteSlots();
      }
    }
    // None for bursts that fit in the smallest table.
    const doublings = Math.ceil(Math.log2(peak / (idTableSlotsMin / 2)));
    assert.ok(resizes <= 2 * doublings * Math.ceil(bursts / peak), `peak ${peak}: ${resizes} resizes in ${bursts} bursts`);
  }
});

test('a table whose load has fallen gives its memory back, down to the floor', () => {
  const table = new IdTable<number>();
  for (let id = 0; id < 1_000; id++) table.set(id, id);
  const grown = table.slots;
  assert.ok(grown >= 2_048);
  for (let id = 0; id < 1_000; id++) table.delete(id);
  assert.equal(table.slots, grown, 'a drained burst keeps its table: the next may come at once');
  // Then a light load: one entry at a time, for long enough.
  for (let id = 1_000; id < 20_000; id++) {
    table.set(id, id);
    assert.equal(table.get(id), id);
    assert.equal(table.delete(id), true);
  }
  assert.equal(table.slots, idTableSlotsMin);
  assert.equal(table.size, 0);
});

test('setting a present id again replaces its value and keeps the size, also when the table is about to grow', () => {
  const table = new IdTable<string>();
  const half = idTableSlotsMin / 2;
  for (let id = 0; id < half; id++) table.set(id, 'a'); // half of the slots: the next new id grows it
  table.set(3, 'b');
  assert.equal(table.slots, idTableSlotsMin);
  assert.equal(table.size, half);
  assert.equal(table.get(3), 'b');
});

/**
 * The reason the table exists (id-table.ts): a registry that lives long and churns must not
 * promote what it once held. A child process with the GC traced churns a registry whose storage
 * is already in the old generation, then reports the bytes young collections promoted. A Map in
 * that state is the control: it must promote most of what passed through it, or this test no
 * longer shows what it claims to.
 */
test('an id table that lives in the old generation does not promote the values that pass through it; a Map does', () => {
  const promotedBytes = (registry: 'IdTable' | 'Map'): number => {
    const script = `
      const { IdTable } = await import(${JSON.stringify(join(import.meta.dirname, 'id-table.ts'))});
      const registry = ${registry === 'Map' ? 'new Map()' : 'new IdTable()'};
      // Entries that stay: the registry and its storage are in the old generation after two
      // collections, and stay there until the churn below makes them grow once more.
      for (let id = 0; id < 200; id++) registry.set(id, {});
      globalThis.gc(); globalThis.gc();
      console.log('churn begins');
      for (let id = 1000; id < 401000; id++) {
        registry.set(id, { id, parts: [{ a: 1 }, { b: 2 }, { c: 3 }, { d: 4 }] });
        registry.delete(id - 64);
      }`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    let promoted = 0;
    const lines = child.stdout.split('\n');
    const churnBegins = lines.indexOf('churn begins');
    assert.ok(churnBegins >= 0, child.stdout.slice(0, 400));
    for (const line of lines.slice(churnBegins)) {
      if (!/\bgc=s\b/.test(line)) continue; // young collections only
      promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
    }
    return promoted;
  };
  const map = promotedBytes('Map');
  const table = promotedBytes('IdTable');
  assert.ok(map > 4 * 1024 * 1024, `the control promoted only ${map} bytes: a Map no longer shows the problem here`);
  assert.ok(table < map / 50, `the id table promoted ${table} bytes, the Map ${map}`);
});
