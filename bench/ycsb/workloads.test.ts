import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128 } from './prng.ts';
import { ValuePool, ycsbFieldBytes, ycsbFieldCount } from './values.ts';
import { OperationChooser, workloadByName, workloads, type OperationKind } from './workloads.ts';

function mix(name: string, count: number): Record<OperationKind, number> {
  const chooser = new OperationChooser(workloadByName(name), new Xoshiro128(1));
  const seen: Record<OperationKind, number> = { read: 0, update: 0, readModifyWrite: 0 };
  for (let i = 0; i < count; i++) seen[chooser.next()]++;
  return seen;
}

test('operation mixes follow YCSB proportions', () => {
  const count = 100_000;
  const slack = 0.01;
  for (const workload of Object.values(workloads)) {
    const seen = mix(workload.name, count);
    for (const kind of Object.keys(seen) as OperationKind[]) {
      const expected = workload.proportions[kind];
      const observed = seen[kind] / count;
      assert.ok(Math.abs(observed - expected) <= slack, `${workload.name} ${kind}: ${observed} vs ${expected}`);
      if (expected === 0) assert.equal(seen[kind], 0, `${workload.name} never issues ${kind}`);
    }
  }
});

test('workload names are case-insensitive and unknown ones are refused with bad_config', () => {
  assert.equal(workloadByName('A').name, 'a');
  assert.throws(() => workloadByName('e'), (error: Error & { code?: string }) => error.code === 'bad_config');
});

test('values: 100 printable bytes by default; YCSB layout holds 10 fields of 100 bytes', () => {
  const single = new ValuePool(new Xoshiro128(2), 'single');
  const value = single.next();
  assert.equal(value.length, 100);
  assert.ok(value.every((byte) => byte >= 32 && byte <= 126));
  const record = new ValuePool(new Xoshiro128(2), 'ycsb').next();
  const fields = Buffer.from(record).toString('latin1').split('\u0001');
  assert.equal(fields.length, ycsbFieldCount);
  fields.forEach((field, i) => {
    assert.ok(field.startsWith(`field${i}=`));
    assert.equal(field.length - `field${i}=`.length, ycsbFieldBytes);
  });
});

test('prng: same seed, same stream; doubles in [0, 1)', () => {
  const a = new Xoshiro128(1234);
  const b = new Xoshiro128(1234);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a.nextDouble();
    assert.equal(b.nextDouble(), x);
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
  assert.notEqual(new Xoshiro128(1).nextUint32(), new Xoshiro128(2).nextUint32());
});
