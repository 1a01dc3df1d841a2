/**
 * Where a node's garbage comes from: V8's sampling heap profiler, with the objects that minor
 * and major GCs collected included (by default it reports only what is still alive, which hides
 * exactly the short-lived allocations that make young-generation GCs frequent). Loaded into each
 * node of one bench cell:
 *
 *   KVORUM_BENCH_NODE_FLAGS="--import $PWD/scripts/alloc-sample.mjs" npm run bench -- --systems kvorum \
 *     --drivers kvorum:binary --workloads a --concurrency 64 --duration-s 10 --warmup-s 3 --records 10000
 *   node --import tsx scripts/alloc-summary.ts /tmp/kvorum-alloc
 *
 * It waits ALLOC_SAMPLE_DELAY_S (default 7: past the load phase and warm-up), samples for
 * ALLOC_SAMPLE_SECONDS (default 5) and writes ALLOC_SAMPLE_DIR/<pid>.heapprofile (default
 * /tmp/kvorum-alloc). Sampling slows the node: compare shares and bytes per operation, not speed.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const delayMs = Number(process.env.ALLOC_SAMPLE_DELAY_S ?? 7) * 1000;
const sampleMs = Number(process.env.ALLOC_SAMPLE_SECONDS ?? 5) * 1000;
const dir = process.env.ALLOC_SAMPLE_DIR ?? '/tmp/kvorum-alloc';
/** Bytes between samples: small enough that a few seconds give every hot site many samples. */
const samplingIntervalBytes = 1024;

const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

setTimeout(async () => {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: samplingIntervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify({ sampledMs: sampleMs, profile }));
  }, sampleMs).unref();
}, delayMs).unref();
