import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyTimeEstimate, speculativeAskMsMin } from './reply-time.ts';

const ceilingMs = 1_000;

test('before any reply, a get waits the whole ceiling (nothing says what is late yet)', () => {
  assert.equal(new ReplyTimeEstimate().askAnotherAfterMs(ceilingMs), ceilingMs);
});

test('steady fast replies: never sooner than speculativeAskMsMin', () => {
  const estimate = new ReplyTimeEstimate();
  for (let i = 0; i < 50; i++) estimate.observe(0.5);
  assert.equal(estimate.askAnotherAfterMs(ceilingMs), speculativeAskMsMin);
});

test('the wait follows the load: replies slowing from 1 to 40 ms move it past 40 ms, and back once they are fast again', () => {
  const estimate = new ReplyTimeEstimate();
  for (let i = 0; i < 50; i++) estimate.observe(1);
  const idle = estimate.askAnotherAfterMs(ceilingMs);
  for (let i = 0; i < 50; i++) estimate.observe(40);
  const loaded = estimate.askAnotherAfterMs(ceilingMs);
  assert.ok(loaded > 40 && loaded > idle, `${loaded} ms under load, ${idle} idle`);
  for (let i = 0; i < 100; i++) estimate.observe(1);
  assert.equal(estimate.askAnotherAfterMs(ceilingMs), idle);
});

test('scattered replies widen the wait beyond their mean (RFC 6298: mean plus four deviations)', () => {
  const estimate = new ReplyTimeEstimate();
  for (let i = 0; i < 200; i++) estimate.observe(i % 2 === 0 ? 2 : 18);
  const waitMs = estimate.askAnotherAfterMs(ceilingMs);
  assert.ok(waitMs >= 30 && waitMs <= 60, `${waitMs} ms for replies of 2 and 18 ms`);
});

test('never past the ceiling, however slow the replies', () => {
  const estimate = new ReplyTimeEstimate();
  estimate.observe(5_000);
  assert.equal(estimate.askAnotherAfterMs(ceilingMs), ceilingMs);
});

test('a reply time that is not a duration is a bug', () => {
  assert.throws(() => new ReplyTimeEstimate().observe(-1));
  assert.throws(() => new ReplyTimeEstimate().observe(Number.NaN));
});
