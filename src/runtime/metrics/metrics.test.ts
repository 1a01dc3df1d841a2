import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Histogram, quantile } from './histogram.ts';
import { metricCatalogue } from './catalogue.ts';
import { Instruments } from './instruments.ts';
import { MetricsExporter } from './registry.ts';
import type { ServerStatus } from '../status.ts';
import { coreCounterNames } from '../../core/counters.ts';

test('a histogram bucket holds values up to and including its bound (Prometheus le)', () => {
  const histogram = new Histogram([0.001, 0.01]);
  for (const value of [0.0005, 0.001, 0.002, 0.01, 5]) histogram.observe(value);
  assert.deepEqual([...histogram.counts], [2, 2, 1]);
  assert.equal(histogram.count, 5);
  assert.ok(Math.abs(histogram.sum - 5.0135) < 1e-12);
  assert.throws(() => new Histogram([0.01, 0.001]));
});

test('quantiles interpolate inside their bucket, as histogram_quantile does', () => {
  const bounds = [0.001, 0.002, 0.004];
  assert.equal(quantile(bounds, [0, 0, 0, 0], 0.5), null);
  // 10 observations in (1 ms, 2 ms]: the median is half way through that bucket.
  assert.equal(quantile(bounds, [0, 10, 0, 0], 0.5), 0.0015);
  assert.equal(quantile(bounds, [10, 0, 0, 0], 1), 0.001);
  // The p99 of 99 fast and 1 very slow observation lies in the first bucket; past the last bound, the last bound.
  assert.ok(quantile(bounds, [99, 0, 0, 1], 0.99)! <= 0.001);
  assert.equal(quantile(bounds, [0, 0, 0, 3], 0.5), 0.004);
});

test('the catalogue follows Prometheus naming and covers every core counter', () => {
  const names = new Set<string>();
  for (const metric of metricCatalogue) {
    assert.match(metric.name, /^kvorum_[a-z][a-z0-9_]*$/, `${metric.name} is snake_case under kvorum_`);
    assert.ok(!names.has(metric.name), `${metric.name} appears once`);
    names.add(metric.name);
    if (metric.type === 'counter') assert.match(metric.name, /_total$/, `counter ${metric.name} ends in _total`);
    else assert.doesNotMatch(metric.name, /_total$/, `${metric.type} ${metric.name} does not end in _total`);
    if (metric.type === 'histogram') assert.match(metric.name, /_seconds$/, `histogram ${metric.name} is in seconds`);
    for (const label of metric.labels) assert.match(label, /^[a-z][a-z0-9_]*$/);
    assert.ok(metric.help.length > 10);
  }
  // Every core counter is exported (the catalogue is typed to map each; this checks none is dropped).
  const status = fakeStatus();
  const exported = metricCatalogue
    .filter((metric) => metric.type === 'counter')
    .flatMap((metric) => (metric.type === 'counter' ? metric.samples(status) : []))
    .reduce((sum, sample) => sum + sample.value, 0);
  assert.ok(exported >= coreCounterNames.length, 'each core counter (set to 1) appears in some sample');
});

test('docs/operations.md lists every metric of the catalogue', () => {
  const docs = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
  for (const metric of metricCatalogue) assert.ok(docs.includes(`\`${metric.name}\``), `${metric.name} is documented`);
});

test('the exporter writes HELP, TYPE and cumulative histogram buckets with the node label', async () => {
  const instruments = new Instruments();
  instruments.onClientResult('put', 2, undefined);
  instruments.onClientResult('put', 40, 'quorum_not_met');
  const status = (): ServerStatus => ({
    ...fakeStatus(),
    client: { requests: { ...instruments.clientRequests }, errors: { get: {}, put: Object.fromEntries(instruments.clientErrors.put), delete: {}, list_keys: {}, list_buckets: {} }, pending: 0 },
  });
  const text = await new MetricsExporter('n1', status, instruments).render();
  assert.match(text, /^# HELP kvorum_client_requests_total /m);
  assert.match(text, /^# TYPE kvorum_client_request_duration_seconds histogram$/m);
  assert.match(text, /^kvorum_client_requests_total\{op="put",node="n1"\} 2$/m);
  assert.match(text, /^kvorum_client_errors_total\{op="put",code="quorum_not_met",node="n1"\} 1$/m);
  assert.match(text, /^kvorum_client_request_duration_seconds_bucket\{op="put",le="0\.002",node="n1"\} 1$/m);
  assert.match(text, /^kvorum_client_request_duration_seconds_bucket\{op="put",le="0\.05",node="n1"\} 2$/m);
  assert.match(text, /^kvorum_client_request_duration_seconds_bucket\{op="put",le="\+Inf",node="n1"\} 2$/m);
  assert.match(text, /^kvorum_client_request_duration_seconds_count\{op="put",node="n1"\} 2$/m);
  assert.match(text, /^kvorum_tombstone_rounds_failed_total\{reason="timeout",node="n1"\} 1$/m);
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  assert.doesNotMatch(text, /^nodejs_active_handles_total/m);
});

/** A status with every core counter at 1 and one member of each reachability. */
function fakeStatus(): ServerStatus {
  const member = (name: string, reachability: 'self' | 'up' | 'down') => ({ name, membership: 'valid' as const, reachability, address: `${name}:1`, httpUrl: `http://${name}:2`, clientAddress: null, zone: null, partitions: 8 });
  return {
    node: {
      name: 'n1',
      nowMs: 0,
      notReadyBecause: null,
      viewConfirmed: true,
      epochsKnown: true,
      ring: { version: 3, partitionCount: 16, transition: false },
      members: [member('n1', 'self'), member('n2', 'down')],
      counters: Object.fromEntries(coreCounterNames.map((name) => [name, 1])) as ServerStatus['node']['counters'],
      inflight: 0,
      hints: { pending: 2, pendingByOwner: { n2: 2 }, delivering: 0 },
      antiEntropy: { keysStored: 10, rateShare: 1 },
      transfers: { pending: [], local: [] },
    },
    client: { requests: { get: 0, put: 0, delete: 0, list_keys: 0, list_buckets: 0 }, errors: { get: {}, put: {}, delete: {}, list_keys: {}, list_buckets: {} }, pending: 0 },
    peers: { messagesRefused: 0, messagesTooLarge: 0, framesTimedOut: 0, connectionsRefused: 0 },
    buffer: { pendingWrites: 0, pendingBytes: 0, commits: 0, writesCommitted: 0, logAppends: 0 },
    binary: null,
  };
}
