// How long anti-entropy takes to refill a wiped node (docs/anti-entropy.md):
//   node --import tsx scripts/aae-refill.ts [keys=5000] [exchangeIntervalMs=25] [valueBytes=1024]
// Starts 3 real nodes, writes the keys at W=3, wipes n3, restarts it and times until its
// kvorum_aae_keys_stored metric counts every key again (no reads are made).
import { rmSync } from 'node:fs';
import { nodeMetric, TestCluster, waitFor } from '../test/helpers/cluster.ts';
const keys = Number(process.argv[2] ?? 5000);
const intervalMs = Number(process.argv[3] ?? 25);
const valueBytes = Number(process.argv[4] ?? 1024);
const cluster = await TestCluster.start({ nodes: 3, extra: { antiEntropyExchangeIntervalMs: intervalMs } });
const metric = nodeMetric;
try {
  await cluster.waitConnected();
  const [n1, , n3] = cluster.nodes;
  const body = 'x'.repeat(valueBytes);
  for (let i = 0; i < keys; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, keys - i) }, (_, j) => fetch(`${n1!.httpUrl}/v1/kv/m/k${i + j}?w=3`, { method: 'PUT', body, headers: { 'content-type': 'text/plain' } }).then((r) => r.text())));
  }
  await waitFor('trees', async () => ((await metric(n3!.httpUrl, 'kvorum_aae_keys_stored')) >= keys ? true : undefined), 120_000);
  await cluster.kill(n3!.name);
  rmSync(n3!.dataDir, { recursive: true, force: true });
  const started = Date.now();
  await cluster.startNode(n3!.name);
  let last = -1;
  await waitFor('refill', async () => {
    const stored = await metric(n3!.httpUrl, 'kvorum_aae_keys_stored');
    if (stored !== last) { last = stored; }
    return stored >= keys ? true : undefined;
  }, 600_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(`keys=${keys} value=${valueBytes}B interval=${intervalMs}ms: refilled in ${seconds.toFixed(1)} s (restart included) = ${(keys / seconds).toFixed(0)} keys/s; n1 aae.exchanges=${await metric(n1!.httpUrl, 'kvorum_aae_exchanges_total')} keysRepaired=${await metric(n1!.httpUrl, 'kvorum_aae_keys_repaired_total')} segmentsCompared=${await metric(n1!.httpUrl, 'kvorum_aae_segments_compared_total')}; n3 exchanges=${await metric(n3!.httpUrl, 'kvorum_aae_exchanges_total')}`);
} finally {
  await cluster.stop();
}
