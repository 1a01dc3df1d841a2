/**
 * The node feeds its coordinated requests' latency to the background budget (budget.ts): when
 * requests it coordinates take long, anti-entropy's rate halves; when they are fast again, it
 * comes back to full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBucketProps } from '../limits.ts';
import { KvNode } from '../node.ts';
import { createRing } from '../ring/ring.ts';
import { defaultRequestLimits } from '../validate.ts';

const ring = createRing(['n1', 'n2', 'n3'].map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, 3);

test('slow coordinated requests back anti-entropy off; fast ones bring it back', () => {
  const antiEntropy = { foregroundLatencyMsMax: 50, rateAdjustIntervalMs: 1_000 };
  const kv = new KvNode({ name: 'n1', actor: 'n1.a', ring, bucketProps: () => defaultBucketProps, requestTimeoutMs: 300, requestLimits: defaultRequestLimits, firstOpId: 1, antiEntropy });
  let nowMs = 0;
  // Gets whose replicas never answer: each ends at its 300 ms deadline.
  for (let i = 1; i <= 20; i++) kv.step(nowMs, { type: 'request', requestId: i, request: { kind: 'get', bucket: 'b', key: `k${i}` } });
  for (; nowMs <= 2_500; nowMs += 10) kv.step(nowMs, { type: 'tick' });
  assert.ok(kv.antiEntropy.rateShare < 1, `rate ${kv.antiEntropy.rateShare} after slow requests`);
  assert.ok((kv.counters.get('aae.backoffs') ?? 0) >= 1);
  // Requests refused at once (bad bucket) are answered in 0 ms.
  for (let i = 100; i < 150; i++) kv.step(nowMs, { type: 'request', requestId: i, request: { kind: 'get', bucket: '', key: 'k' } });
  for (; nowMs <= 12_000; nowMs += 10) kv.step(nowMs, { type: 'tick' });
  assert.equal(kv.antiEntropy.rateShare, 1);
});
