import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcPausesBetween, gcPausesOfMetrics, noGcPauses, sumGcPauses } from './gc.ts';

/** prom-client's exposition of the GC histogram, among other series, as a node serves it. */
const metrics = `# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 2
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 40
nodejs_gc_duration_seconds_sum{kind="minor"} 0.08
nodejs_gc_duration_seconds_count{kind="minor"} 40
nodejs_gc_duration_seconds_sum{kind="major"} 0.03
nodejs_gc_duration_seconds_count{kind="major"} 2
nodejs_gc_duration_seconds_sum{node="n1",kind="incremental"} 0.005
nodejs_gc_duration_seconds_count{node="n1",kind="incremental"} 9
nodejs_gc_duration_seconds_sum{kind="weakcb"} 0.25
nodejs_gc_duration_seconds_count{kind="weakcb"} 7
# HELP kvorum_requests_total Requests.
kvorum_requests_total{op="get"} 1000
nodejs_eventloop_lag_seconds 0.002
`;

test("a process's GC pauses are read from its metrics: young from minor, full from major plus incremental marking", () => {
  assert.deepEqual(gcPausesOfMetrics(metrics), { youngCount: 40, youngS: 0.08, fullCount: 2, fullS: 0.035 });
});

test('a process without the GC series reports no pauses, and garbage values are skipped', () => {
  assert.deepEqual(gcPausesOfMetrics('kvorum_requests_total 3\n'), noGcPauses);
  assert.deepEqual(gcPausesOfMetrics('nodejs_gc_duration_seconds_sum{kind="minor"} NaN\nnodejs_gc_duration_seconds_count{kind="minor"} 4\n'), { ...noGcPauses, youngCount: 4 });
});

test("a run's pauses are the processes' sum, after less before", () => {
  const before = sumGcPauses([gcPausesOfMetrics(metrics), noGcPauses]);
  const after = sumGcPauses([
    { youngCount: 50, youngS: 0.1, fullCount: 2, fullS: 0.035 },
    { youngCount: 12, youngS: 0.02, fullCount: 1, fullS: 0.004 },
  ]);
  assert.deepEqual(gcPausesBetween(before, after), { youngCount: 22, youngS: 0.04, fullCount: 1, fullS: 0.004 });
});
