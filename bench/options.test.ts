import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from './options.ts';

test('defaults: four systems, all five workloads, C = 1, 16, 64, 256, 15 s after 3 s warm-up, 100k records', () => {
  const o = parseOptions([]);
  assert.deepEqual(o.systems, ['kvorum', 'redis', 'etcd', 'floor']);
  assert.deepEqual(o.workloads.map((w) => w.name), ['a', 'b', 'c', 'f', 'write']);
  assert.deepEqual(o.concurrency, [1, 16, 64, 256]);
  assert.equal(o.durationS, 15);
  assert.equal(o.warmupS, 3);
  assert.equal(o.records, 100_000);
  assert.equal(o.setup, true);
});

test('--quick shortens the run; explicit flags still win', () => {
  const quick = parseOptions(['--quick']);
  assert.equal(quick.records, 10_000);
  assert.equal(quick.durationS, 5);
  const mixed = parseOptions(['--quick', '--duration-s', '2.5', '--systems', 'redis', '--workloads', 'A,write', '--concurrency', '4', '--no-setup']);
  assert.equal(mixed.durationS, 2.5);
  assert.deepEqual(mixed.systems, ['redis']);
  assert.deepEqual(mixed.workloads.map((w) => w.name), ['a', 'write']);
  assert.deepEqual(mixed.concurrency, [4]);
  assert.equal(mixed.setup, false);
});

test('bad flags are refused with bad_config before anything starts', () => {
  const isBadConfig = (error: Error & { code?: string }) => error.code === 'bad_config';
  assert.throws(() => parseOptions(['--concurrency', '0']), isBadConfig);
  assert.throws(() => parseOptions(['--concurrency', '1.5']), isBadConfig);
  assert.throws(() => parseOptions(['--records', 'many']), isBadConfig);
  assert.throws(() => parseOptions(['--workloads', 'e']), isBadConfig);
  assert.throws(() => parseOptions(['--value-layout', 'json']), isBadConfig);
  assert.throws(() => parseOptions(['--bogus']), isBadConfig);
});
