// The dashboard screenshots in docs/ (README, docs/operations.md), taken the way the browser test
// drives the page: a real 3-node cluster on loopback under a light load, Debian's Chromium.
//   node --import tsx scripts/dashboard-screenshots.ts [outDir=docs]
// Writes dashboard.png (all up, a key placed on the ring) and dashboard-node-down.png (n3 killed:
// down on the page, a fallback holding hints for it — with four nodes, N = 3 has one to spare).
import { join } from 'node:path';
import { connect } from '../src/client/index.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { TestCluster, waitFor } from '../test/helpers/cluster.ts';

const outDir = process.argv[2] ?? 'docs';
const cluster = await TestCluster.start({ nodes: 4 });
const browser = await launchBrowser({ width: 1440, height: 1100 });
let loading = true;
try {
  await cluster.waitConnected();
  const client = connect({ nodes: cluster.urls, timeoutMs: 3_000 });
  // A light, steady load: 200 requests/s, a fifth of them puts, on 500 keys.
  const load = (async () => {
    for (let i = 0; loading; i++) {
      const key = `user-${i % 500}`;
      await Promise.allSettled(Array.from({ length: 20 }, (_, j) => (j < 4 ? client.put('demo', `${key}-${j}`, `v${i}`) : client.get('demo', `${key}-${j % 4}`))));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const page = await browser.context.newPage();
  await page.goto(cluster.nodes[0]!.httpUrl);
  await page.locator('#connection[data-state="live"]').waitFor();
  await page.waitForTimeout(12_000);
  await page.fill('#locate-key', 'greeting');
  await page.click('#locate button');
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: join(outDir, 'dashboard.png'), fullPage: true });
  await cluster.kill('n3');
  await page.locator('#members tr[data-member="n3"][data-status="down"]').waitFor({ timeout: 15_000 });
  await waitFor('hints for n3', async () => ((await cluster.metricSum('kvorum_hints_pending', { owner: 'n3' })) > 20 ? true : undefined), 30_000);
  await page.waitForTimeout(2_000);
  await page.screenshot({ path: join(outDir, 'dashboard-node-down.png'), fullPage: true });
  loading = false;
  await load;
  await client.close();
} finally {
  loading = false;
  await browser.close();
  await cluster.stop();
}
