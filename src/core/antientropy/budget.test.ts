import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackgroundBudget } from './budget.ts';
import { defaultAntiEntropySettings } from './settings.ts';

const settings = { ...defaultAntiEntropySettings, keysPerSecondMax: 1_000, bytesPerSecondMax: 1_000_000, foregroundLatencyMsMax: 50, rateAdjustIntervalMs: 1_000, rateDivisorMax: 8 };

test('the budget refills at keys per second and banks at most one second of it', () => {
  const budget = new BackgroundBudget(settings, 0);
  assert.equal(budget.keysAvailable(), 1_000);
  budget.charge(1_000, 0);
  assert.equal(budget.keysAvailable(), 0);
  budget.advance(500);
  assert.equal(budget.keysAvailable(), 500);
  budget.advance(10_000);
  assert.equal(budget.keysAvailable(), 1_000);
});

test('overdrawn bytes stop every chunk until they refill', () => {
  const budget = new BackgroundBudget(settings, 0);
  budget.charge(1, 2_000_000);
  assert.equal(budget.keysAvailable(), 0);
  budget.advance(1_100);
  assert.ok(budget.keysAvailable() > 0);
});

test('slow foreground requests halve the rate each interval down to the floor; fast ones double it back', () => {
  const budget = new BackgroundBudget(settings, 0);
  for (let i = 0; i < 50; i++) budget.onForegroundLatency(200);
  const divisors: number[] = [];
  for (let t = 1_000; t <= 5_000; t += 1_000) {
    budget.advance(t);
    divisors.push(budget.divisor);
  }
  assert.deepEqual(divisors, [2, 4, 8, 8, 8]);
  budget.charge(budget.keysAvailable(), 0);
  budget.advance(6_000 - 1);
  assert.ok(budget.keysAvailable() <= 1_000 / 8 + 1, 'a backed-off budget refills at its reduced rate');
  for (let i = 0; i < 50; i++) budget.onForegroundLatency(1);
  for (let t = 6_000; t <= 9_000; t += 1_000) budget.advance(t);
  assert.equal(budget.divisor, 1);
});
