/**
 * Smoke test of the benchmark harness (issue 5 §6): run it for a few seconds against a real
 * 3-node kvorum cluster only — every driver, one workload, C = 1 and 4, a few hundred records —
 * and check that it produced a well-formed result: every field present, operations done, no
 * errors, CPU accounted for the three node processes. Never asserts a timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench/result.ts';
import { resultSchema } from '../bench/result.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const harnessTimeoutMs = 90_000;

test('bench harness against kvorum writes a well-formed result', { timeout: harnessTimeoutMs + 10_000 }, () => {
  const outDir = mkdtempSync(join(tmpdir(), 'kvorum-bench-smoke-'));
  try {
    const args = [
      '--import', 'tsx', 'bench/run.ts',
      '--systems', 'kvorum', '--workloads', 'a', '--concurrency', '1,4',
      '--duration-s', '1', '--warmup-s', '0.3', '--records', '200', '--load-concurrency', '8',
      '--out-dir', outDir, '--no-setup', '--quiet',
    ];
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: harnessTimeoutMs });
    assert.equal(run.status, 0, `harness exited ${run.status}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);

    const files = readdirSync(outDir).sort();
    const jsonFile = files.find((f) => f.endsWith('.json'));
    assert.ok(jsonFile, `no JSON result in ${files.join(', ')}`);
    const stem = jsonFile.slice(0, -'.json'.length);
    assert.deepEqual(files, [`${stem}.json`, `${stem}.md`, `${stem}.svg`]);

    const result = JSON.parse(readFileSync(join(outDir, jsonFile), 'utf8')) as BenchResult;
    assert.equal(result.schema, resultSchema);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.options.workloads, ['a']);
    assert.deepEqual(result.options.concurrency, [1, 4]);
    assert.equal(result.systems.length, 1);
    assert.equal(result.systems[0]!.name, 'kvorum');

    // One load per bucket: the default durability's, sync's and buffered's.
    assert.deepEqual(result.loads.map((load) => load.dataset).sort(), ['ycsb', 'ycsb-buffered', 'ycsb-sync']);
    for (const load of result.loads) {
      assert.equal(load.records, 200);
      assert.equal(load.errors, 0, load.errorSamples.join('; '));
    }

    const cells = result.runs.map((r) => `${r.target} ${r.workload} ${r.concurrency}`).sort();
    const targets = ['kvorum/binary', 'kvorum/binary-buffered', 'kvorum/binary-sync', 'kvorum/client', 'kvorum/http'];
    assert.deepEqual(cells, targets.flatMap((target) => [`${target} a 1`, `${target} a 4`]));
    for (const run of result.runs) {
      const where = `${run.target} C=${run.concurrency}`;
      assert.equal(run.errors, 0, `${where}: ${run.errorSamples.join('; ')}`);
      assert.ok(run.ops > 0 && run.opsPerSec > 0, `${where}: no operations`);
      const l = run.latency;
      assert.equal(l.count, run.ops);
      for (const v of [l.meanMs, l.p50Ms, l.p99Ms, l.p999Ms, l.maxMs]) assert.ok(Number.isFinite(v) && v > 0, `${where}: latency ${JSON.stringify(l)}`);
      assert.ok(l.p50Ms <= l.p99Ms && l.p99Ms <= l.p999Ms && l.p999Ms <= l.maxMs, `${where}: percentiles out of order`);
      // YCSB-A is reads and updates only, and both were issued.
      assert.deepEqual(Object.keys(run.byOperation).sort(), ['read', 'update']);
      assert.equal(run.cpu.servers.length, 3, `${where}: CPU of the three node processes`);
      assert.ok(run.cpu.serversS > 0 && run.cpu.harnessS > 0, `${where}: CPU not accounted`);
      assert.ok(run.histogram.length > 0);
    }
    assert.ok(result.ratios.some((r) => r.numerator === 'kvorum/http' && r.denominator === 'kvorum/binary'));
    assert.ok(result.ratios.some((r) => r.numerator === 'kvorum/client' && r.denominator === 'kvorum/binary'));
    assert.equal(result.targets.length, 7);
    for (const t of result.targets) assert.ok(['pass', 'short', 'n/a'].includes(t.status));

    const markdown = readFileSync(join(outDir, `${stem}.md`), 'utf8');
    assert.match(markdown, /\| kvorum\/client \| 1 \|/);
    assert.match(readFileSync(join(outDir, `${stem}.svg`), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>$/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
