/**
 * Issue 14: the dashboard in a real browser and /metrics as Prometheus reads it, against one real
 * 3-node cluster (node processes on loopback). `promtool check metrics` (Debian's prometheus
 * package) lints the exposition; the test then checks the names, types and histograms it expects.
 * The browser is Debian's Chromium driven by playwright-core (both installed by .ci/run): the page
 * loads, draws the ring's Q partitions, shows puts in the ops chart, and shows a killed node down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { metricCatalogue } from '../src/runtime/metrics/catalogue.ts';
import { launchBrowser } from './helpers/browser.ts';
import { TestCluster, waitFor } from './helpers/cluster.ts';

const partitionCount = 32;
let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ nodes: 3, partitionCount });
  await cluster.waitConnected();
});

after(async () => {
  await cluster?.stop();
});

async function put(url: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${url}/v1/kv/dash/${key}`, { method: 'PUT', body: value, headers: { 'content-type': 'text/plain' } });
  assert.equal(response.status, 204, await response.text());
}

describe('metrics', () => {
  test('/metrics passes promtool check metrics, with the names, types and histograms of the catalogue', async () => {
    const [n1] = cluster.nodes;
    for (let i = 0; i < 10; i++) {
      await put(n1!.httpUrl, `m${i}`, 'v');
      assert.equal((await fetch(`${n1!.httpUrl}/v1/kv/dash/m${i}`)).status, 200);
    }
    await fetch(`${n1!.httpUrl}/v1/kv/dash/missing`);
    // The puts waited for the write-ahead log, not for LMDB, which the writer commits within
    // flushIntervalMs of them: scraped before that, the commit histogram would still be empty.
    const text = await waitFor('n1 to commit the writes to LMDB', async () => {
      const scraped = await (await fetch(`${n1!.httpUrl}/metrics`)).text();
      return /^kvorum_lmdb_commit_duration_seconds_count\{node="n1"\} [1-9]/m.test(scraped) ? scraped : undefined;
    });
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.ok(checked.error === undefined, `promtool could not run (apt-get install prometheus; .ci/run does): ${checked.error?.message}`);
    assert.equal(checked.status, 0, `promtool check metrics:\n${checked.stdout}${checked.stderr}`);

    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const metric of metricCatalogue) {
      if (metric.name.startsWith('kvorum_binary_') || types.has(metric.name)) assert.equal(types.get(metric.name) ?? metric.type, metric.type, metric.name);
      else assert.fail(`${metric.name} is not exported`);
      assert.match(text, new RegExp(`^# HELP ${metric.name} \\S`, 'm'), `${metric.name} has help`);
    }
    // Process and event-loop metrics (prom-client's defaults).
    assert.equal(types.get('process_cpu_seconds_total'), 'counter');
    assert.equal(types.get('process_resident_memory_bytes'), 'gauge');
    assert.equal(types.get('nodejs_eventloop_lag_seconds'), 'gauge');
    assert.equal(types.get('nodejs_gc_duration_seconds'), 'histogram');
    // Latency histograms: buckets up to +Inf, sum and count, labelled by op, request or nothing.
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.equal(value('kvorum_client_requests_total{op="put",node="n1"}'), 10);
    assert.equal(value('kvorum_client_request_duration_seconds_count{op="put",node="n1"}'), 10);
    assert.equal(value('kvorum_client_request_duration_seconds_bucket{op="put",le="+Inf",node="n1"}'), 10);
    assert.equal(value('kvorum_client_request_duration_seconds_count{op="get",node="n1"}'), 11);
    assert.ok(value('kvorum_client_request_duration_seconds_sum{op="get",node="n1"}') > 0);
    assert.ok(value('kvorum_store_op_duration_seconds_count{op="coordinate",node="n1"}') >= 1);
    assert.ok(value('kvorum_peer_round_trip_seconds_count{request="replica_write",node="n1"}') >= 1);
    assert.ok(value('kvorum_peer_round_trip_seconds_count{request="ping",node="n1"}') >= 1);
    assert.ok(value('kvorum_lmdb_commit_duration_seconds_count{node="n1"}') >= 1);
    assert.match(text, /^kvorum_member_up\{member="n2",node="n1"\} 1$/m);
    assert.match(text, /^kvorum_binary_connections\{node="n1"\} \d+$/m);
    // Names follow Prometheus' conventions throughout.
    for (const [name, type] of types) {
      assert.match(name, /^[a-z][a-z0-9_]*$/, `${name} is snake_case`);
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name} ends in _total`);
    }
  });
});

describe('dashboard in Chromium', () => {
  let page: Page;
  let closeBrowser: (() => Promise<void>) | undefined;

  before(async () => {
    const browser = await launchBrowser();
    closeBrowser = browser.close;
    page = await browser.context.newPage();
  });

  after(async () => {
    await closeBrowser?.();
  });

  test('the page loads and draws the ring with Q partitions', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(cluster.nodes[0]!.httpUrl);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.locator(`#ring[data-partitions="${partitionCount}"]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#ring .partition').count(), partitionCount);
    assert.equal(await page.locator('#members tr[data-member]').count(), 3);
    assert.equal(await page.textContent('#self'), 'n1');
    assert.deepEqual(errors, []);
  });

  test('a put shows in the ops chart', async () => {
    const series = page.locator('svg.spark[data-node="n2"][data-series="put-ops"]');
    assert.equal(Number(await series.getAttribute('data-max')), 0, 'no puts went through n2 yet');
    for (let i = 0; i < 20; i++) await put(cluster.nodes[1]!.httpUrl, `p${i}`, 'v');
    await waitFor('puts in n2\'s ops chart', async () => (Number(await series.getAttribute('data-max')) > 0 ? true : undefined), 10_000);
  });

  test('a killed node turns down on the page, which keeps working', async () => {
    await cluster.kill('n3');
    await page.locator('#members tr[data-member="n3"][data-status="down"]').waitFor({ timeout: 15_000 });
    await page.locator('#alerts [data-alert="n3"]').waitFor({ timeout: 5_000 });
    // The rest of the page is live: n1 and n2 still report, and a write still goes through.
    await put(cluster.nodes[0]!.httpUrl, 'after-kill', 'v');
    assert.equal(await page.getAttribute('#members tr[data-member="n2"]', 'data-report'), 'ok');
    assert.equal(await page.getAttribute('#members tr[data-member="n3"]', 'data-report'), 'unreachable');
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
  });
});

describe('dashboard where tokens are checked', () => {
  let secured: TestCluster;
  let closeBrowser: (() => Promise<void>) | undefined;
  let newPage: () => Promise<Page>;

  before(async () => {
    secured = await TestCluster.start({ nodes: 3, partitionCount, tokens: { watch: ['monitor'], app: ['read', 'write'] } });
    await secured.waitConnected();
    const browser = await launchBrowser();
    closeBrowser = browser.close;
    newPage = () => browser.context.newPage();
  });

  after(async () => {
    await closeBrowser?.();
    await secured?.stop();
  });

  const token = (name: string) => secured.credentials.tokens.get(name)!;

  test('without a token the page says the node checks tokens and how to give one', async () => {
    const page = await newPage();
    await page.goto(secured.nodes[0]!.httpUrl);
    await page.locator('#connection[data-state="denied"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#alerts [data-alert="auth"]').innerText(), /checks tokens.*#token=YOUR_TOKEN/s);
    await page.close();
  });

  test('a token from #token= is kept for the tab, dropped from the address, and every member reports through the node token', async () => {
    const page = await newPage();
    await page.goto(`${secured.nodes[0]!.httpUrl}/#token=${token('watch')}`);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    assert.doesNotMatch(page.url(), /token/, 'the token left the address bar');
    assert.equal(await page.evaluate("sessionStorage.getItem('kvorum-token')"), token('watch'));
    await page.locator(`#ring[data-partitions="${partitionCount}"]`).waitFor({ timeout: 10_000 });
    // n1 asked n2 and n3 for their reports with its node token: without it they would answer 401.
    for (const name of ['n2', 'n3']) await page.locator(`#members tr[data-member="${name}"][data-report="ok"]`).waitFor({ timeout: 10_000 });
    // The key search box asks /v1/ring/locate with the token too.
    await page.fill('#locate-key', 'greeting');
    await page.click('#locate button');
    await page.locator('#ring-info', { hasText: 'greeting' }).waitFor({ timeout: 10_000 });
    // A reload keeps the token: sessionStorage lives as long as the tab.
    await page.reload();
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('a token that may not monitor is told so', async () => {
    const page = await newPage();
    await page.goto(`${secured.nodes[1]!.httpUrl}/#token=${token('app')}`);
    await page.locator('#connection[data-state="denied"]').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#alerts [data-alert="auth"]').innerText(), /needs the monitor or admin role/);
    // Pasting a token that may monitor connects.
    await page.fill('#token-input', token('watch'));
    await page.click('#token-form button');
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('the page and its files are public; the cluster state is not', async () => {
    const url = secured.nodes[0]!.httpUrl;
    for (const path of ['/', '/app.js', '/style.css']) assert.equal((await fetch(`${url}${path}`)).status, 200, path);
    for (const path of ['/v1/status', '/v1/dashboard', '/v1/dashboard/events', '/v1/ring/locate?bucket=b&key=k']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 401, path);
      await response.body?.cancel();
      const forbidden = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token('app')}` } });
      assert.equal(forbidden.status, 403, path);
      await forbidden.body?.cancel();
    }
  });
});
