import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureDetector, heartbeatMeanMsMin, phiUnreachableMin } from './failure-detector.ts';

describe('failure detector (phi accrual)', () => {
  test('a peer never seen is reachable until evidence says otherwise, and unknown on status pages', () => {
    const detector = new FailureDetector();
    assert.equal(detector.isReachable('n2', 0), true);
    assert.equal(detector.reachability('n2', 0), 'unknown');
    detector.watch('n2', 0);
    assert.equal(detector.reachability('n2', 10), 'unknown');
  });

  test('silence grows suspicion until the peer is unreachable; a heartbeat brings it back', () => {
    const detector = new FailureDetector();
    for (let t = 0; t <= 2_500; t += 250) detector.heard('n2', t);
    assert.equal(detector.isReachable('n2', 2_600), true);
    // phi = silence / mean · log10(e): unreachable once silence passes phiUnreachableMin / log10(e) means.
    const silenceMs = Math.ceil((phiUnreachableMin / Math.LOG10E) * heartbeatMeanMsMin) + 1;
    assert.ok(detector.phi('n2', 2_500 + silenceMs) >= phiUnreachableMin);
    assert.equal(detector.isReachable('n2', 2_500 + silenceMs), false);
    assert.equal(detector.reachability('n2', 2_500 + silenceMs), 'down');
    detector.heard('n2', 2_500 + silenceMs + 1);
    assert.equal(detector.isReachable('n2', 2_500 + silenceMs + 2), true);
  });

  test('it adapts: a peer heard only every 2 s is given proportionally longer before suspicion', () => {
    const fast = new FailureDetector();
    const slow = new FailureDetector();
    for (let t = 0; t <= 20_000; t += 250) fast.heard('p', t);
    for (let t = 0; t <= 20_000; t += 2_000) slow.heard('p', t);
    assert.ok(slow.phi('p', 25_000) < fast.phi('p', 25_000));
    assert.equal(fast.isReachable('p', 25_000), false);
    assert.equal(slow.isReachable('p', 25_000), true);
  });

  test('a failed delivery marks the peer unreachable at once, until it is heard from again', () => {
    const detector = new FailureDetector();
    detector.heard('n3', 0);
    detector.failed('n3', 1);
    assert.equal(detector.isReachable('n3', 2), false);
    detector.heard('n3', 3);
    assert.equal(detector.isReachable('n3', 4), true);
  });
});
