import { test } from 'node:test';
import assert from 'node:assert/strict';
import { putResolvingSiblings, siblingResolutionRoundsMax } from './sibling-resolution.ts';

/** A key whose puts are refused `refusals` times: each attempt and read, in the order made. */
function keyRefusing(refusals: number): { steps: string[]; put: () => Promise<boolean>; read: () => Promise<void>; onRound: () => void } {
  const steps: string[] = [];
  let left = refusals;
  return {
    steps,
    put: async () => {
      steps.push('put');
      return left-- <= 0;
    },
    read: async () => {
      steps.push('read');
    },
    onRound: () => steps.push('round'),
  };
}

test('a put that is not refused is one put, with no read', async () => {
  const key = keyRefusing(0);
  assert.equal(await putResolvingSiblings(key.put, key.read, key.onRound), true);
  assert.deepEqual(key.steps, ['put']);
});

test('each refusal is answered by a read, then the put again, until it is stored', async () => {
  const key = keyRefusing(3);
  assert.equal(await putResolvingSiblings(key.put, key.read, key.onRound), true);
  assert.deepEqual(key.steps, ['put', ...Array(3).fill(['round', 'read', 'put']).flat()]);
});

test('a key still refused after the last round is given up: no endless loop', async () => {
  const key = keyRefusing(siblingResolutionRoundsMax);
  assert.equal(await putResolvingSiblings(key.put, key.read, key.onRound), true, 'the last round may still store it');
  const stuck = keyRefusing(Infinity);
  assert.equal(await putResolvingSiblings(stuck.put, stuck.read, stuck.onRound), false);
  assert.equal(stuck.steps.filter((step) => step === 'put').length, siblingResolutionRoundsMax + 1);
});

test('a failure other than a refusal ends the update with that failure', async () => {
  const failure = new Error('unavailable');
  await assert.rejects(putResolvingSiblings(async () => Promise.reject(failure), async () => undefined, () => undefined), failure);
  let reads = 0;
  const read = async (): Promise<void> => {
    reads++;
    throw failure;
  };
  await assert.rejects(putResolvingSiblings(async () => false, read, () => undefined), failure);
  assert.equal(reads, 1);
});
