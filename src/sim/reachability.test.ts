import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reachability, silenceMsMin } from './reachability.ts';

test('a failed delivery is evidence until the peer is heard from again, and stays on record for the requests it fell in', () => {
  const reach = new Reachability();
  reach.onBoot('a', 0);
  assert.equal(reach.unreachable('a', 'b', 10), false, 'no evidence yet');
  reach.onFailed('a', 'b', 20);
  assert.equal(reach.unreachable('a', 'b', 21), true);
  reach.onHeard('a', 'b', 25);
  assert.equal(reach.unreachable('a', 'b', 26), false, 'heard from since');
  // A request that ran over [15, 30] was told of the failure, though b answers again by its end.
  assert.equal(reach.failedBetween('a', 'b', 15, 30), true);
  assert.equal(reach.failedBetween('a', 'b', 21, 30), false);
  assert.equal(reach.failedBetween('b', 'a', 15, 30), false, 'per direction');
});

test('silence is evidence only past what phi-accrual can call a failure; a process that is down reaches nobody', () => {
  const reach = new Reachability();
  reach.onBoot('a', 0);
  reach.onHeard('a', 'b', 100);
  assert.equal(reach.unreachable('a', 'b', 100 + silenceMsMin - 1), false);
  assert.equal(reach.unreachable('a', 'b', 100 + silenceMsMin), true);
  reach.onCrash('a');
  assert.equal(reach.unreachable('a', 'c', 101), true);
});
