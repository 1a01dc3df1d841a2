/**
 * Membership changes on real node processes (issue 4 §7c, §7d), through the CLI as an operator
 * runs it: (c) a node joins a running 3-node cluster under a write load — partitions move to
 * it, no acknowledged write is lost, and it serves its share; (d) a node leaves gracefully — its
 * data moves first, then it leaves the ring, and nothing is lost; after each, the copies a node
 * no longer replicates are handed off and dropped; and a join whose new node dies
 * before its transfers end is aborted by the operator. Every wait is bounded; no timing is
 * asserted.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvorum, kvorumFails } from './helpers/cli.ts';
import { TestCluster, waitFor, type TestNode } from './helpers/cluster.ts';

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as T;
}

interface ClusterBody {
  version: number;
  transition: boolean;
  removed: string[];
  nodes: { name: string; membership: string; partitions: number }[];
}

/** Writes distinct keys from 4 concurrent writers until stopped; remembers what was acknowledged. */
class WriteLoad {
  readonly acked = new Map<string, string>();
  private stopped = false;
  private next = 0;
  private readonly writers: Promise<void>[];

  constructor(private readonly urls: () => string[]) {
    this.writers = Array.from({ length: 4 }, () => this.writer());
  }

  private async writer(): Promise<void> {
    while (!this.stopped) {
      const i = this.next++;
      const urls = this.urls();
      const url = urls[i % urls.length]!;
      const key = `key-${i}`;
      const value = `value-${i}`;
      try {
        const response = await fetch(`${url}/v1/kv/load/${key}`, { method: 'PUT', body: value, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(5_000) });
        if (response.status === 204) this.acked.set(key, value);
      } catch {
        // not acknowledged: the test only holds the cluster to what it acknowledged
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.writers);
  }
}

async function assertAllReadable(urls: readonly string[], acked: ReadonlyMap<string, string>): Promise<void> {
  let i = 0;
  for (const [key, value] of acked) {
    const url = urls[i++ % urls.length]!;
    const response = await fetch(`${url}/v1/kv/load/${key}`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, `${key} (acknowledged) read from ${url}`);
    assert.equal(await response.text(), value, `${key} holds what was acknowledged`);
  }
}

async function settled(nodes: readonly TestNode[], check: (body: ClusterBody) => boolean): Promise<ClusterBody> {
  return waitFor(
    'every node to hold the same settled view',
    async () => {
      const bodies = await Promise.all(nodes.map((node) => json<ClusterBody>(`${node.httpUrl}/v1/cluster`)));
      const first = bodies[0]!;
      const agree = bodies.every((body) => body.version === first.version && !body.transition);
      return agree && check(first) ? first : undefined;
    },
    90_000,
  );
}

/**
 * Waits until no node of `nodes` stores keys of a partition it does not replicate under `ringOf`'s
 * ring: the copies a change left behind were handed off and dropped (stray-sweeper.ts).
 */
async function straysSwept(nodes: readonly TestNode[], ringOf: TestNode): Promise<void> {
  await waitFor(
    'copies of partitions a node no longer replicates to be handed off and dropped',
    async () => {
      const ring = await json<{ partitions: { partition: number; preferenceList: string[] }[] }>(`${ringOf.httpUrl}/v1/ring`);
      for (const node of nodes) {
        const held = await json<{ partitions: { partition: number; keys: number }[] }>(`${node.httpUrl}/v1/partitions`);
        for (const { partition, keys } of held.partitions) {
          if (keys > 0 && !ring.partitions[partition]!.preferenceList.includes(node.name)) return undefined;
        }
      }
      return true;
    },
    60_000,
  );
}

async function keysOn(node: TestNode): Promise<number> {
  const body = await json<{ partitions: { keys: number }[] }>(`${node.httpUrl}/v1/partitions`);
  return body.partitions.reduce((sum, p) => sum + p.keys, 0);
}

describe('membership on real processes', { concurrency: false }, () => {
  const clusters: TestCluster[] = [];
  after(async () => {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  });

  test('(c) a node joins under load: partitions move, nothing acknowledged is lost, it serves its share', async () => {
    const cluster = await TestCluster.start({ nodes: 3, partitionCount: 32 });
    clusters.push(cluster);
    const [n1] = cluster.nodes as [TestNode];
    const load = new WriteLoad(() => cluster.nodes.filter((node) => node.name !== 'n4').map((node) => node.httpUrl));
    await waitFor('some writes acknowledged', async () => (load.acked.size >= 200 ? true : undefined), 30_000);

    // A node of another cluster cannot talk to this one: its join is refused, naming why, and
    // nothing is staged (issue 12 §2: it used to be staged, committed, and stuck at 0 of 48).
    const stranger = await cluster.addNode('n5', [`n1=${n1.address}`], ['--cluster-name', 'elsewhere']);
    assert.match(await kvorumFails(['join', '--seed', n1.httpUrl, '--url', stranger.httpUrl]), /has not learned the cluster's ring/);
    const self = await json<Record<string, unknown>>(`${stranger.httpUrl}/v1/cluster/self`);
    const refused = await cluster.fetch(`${n1.httpUrl}/v1/cluster/join`, { method: 'POST', body: JSON.stringify(self), headers: { 'content-type': 'application/json' } });
    assert.equal(refused.status, 503);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'unavailable');
    // The seed is told only that n5 refused it (security.md: refusals tell the dialer nothing); n5's log says why.
    assert.match(error.message, /cannot stage the join of n5: the handshake with it failed at 127\.0\.0\.1:\d+ \(handshake refused: see the log of the node you dialled\)/);
    assert.match(readFileSync(join(cluster.dir, 'n5.log'), 'utf8'), /cluster name mismatch: node 'n5' is in cluster 'elsewhere', node 'n1' is in cluster 'test'/);
    assert.match(await kvorumFails(['plan', '--url', n1.httpUrl]), /nothing is staged/);
    await cluster.kill('n5');
    cluster.nodes.splice(cluster.nodes.indexOf(stranger), 1);

    const n4 = await cluster.addNode('n4', [`n1=${n1.address}`]);
    await waitFor('n4 to learn the ring from its seed', async () => {
      const body = await json<ClusterBody>(`${n4.httpUrl}/v1/cluster`);
      return body.version >= 1 && body.nodes.some((node) => node.name === 'n1') ? true : undefined;
    });
    assert.match(await kvorum(['join', '--seed', n1.httpUrl, '--url', n4.httpUrl]), /join n4/);
    const plan = await kvorum(['plan', '--url', n1.httpUrl]);
    assert.match(plan, /partitions change owner/);
    assert.match(plan, /total: \d+ keys/);
    assert.match(await kvorum(['commit', '--url', n1.httpUrl]), /committed: ring version/);
    assert.match(await kvorum(['transfers', '--url', n1.httpUrl]), /transfers|no membership change/);

    const view = await settled(cluster.nodes, (body) => body.nodes.some((node) => node.name === 'n4' && node.membership === 'valid'));
    await waitFor('more writes after the join', async () => (load.acked.size >= 400 ? true : undefined), 30_000);
    await load.stop();
    await straysSwept(cluster.nodes, n1);

    const n4Entry = view.nodes.find((node) => node.name === 'n4')!;
    assert.ok(n4Entry.partitions > 0, `n4 owns ${n4Entry.partitions} partitions`);
    assert.ok((await keysOn(n4)) > 0, 'n4 stores keys of the partitions it replicates');
    await assertAllReadable(cluster.urls, load.acked);
    // n4 serves: reads sent to it answer every key.
    await assertAllReadable([n4.httpUrl], new Map([...load.acked].slice(0, 100)));
  });

  test('a join whose new node dies mid-change holds it open until `kvorum abort`; then writes go on and the node may join again', async () => {
    const cluster = await TestCluster.start({ nodes: 3, partitionCount: 32 });
    clusters.push(cluster);
    const [n1] = cluster.nodes as [TestNode];
    const members = cluster.nodes.slice();
    const load = new WriteLoad(() => members.map((node) => node.httpUrl));
    await waitFor('some writes acknowledged', async () => (load.acked.size >= 200 ? true : undefined), 30_000);

    const n4 = await cluster.addNode('n4', [`n1=${n1.address}`]);
    await waitFor('n4 to learn the ring from its seed', async () => ((await json<ClusterBody>(`${n4.httpUrl}/v1/cluster`)).version >= 1 ? true : undefined));
    await kvorum(['join', '--seed', n1.httpUrl, '--url', n4.httpUrl]);
    await cluster.kill('n4'); // dies before it can take a single partition
    assert.match(await kvorum(['commit', '--url', n1.httpUrl]), /committed/);
    const stuck = await json<ClusterBody>(`${n1.httpUrl}/v1/cluster`);
    assert.equal(stuck.transition, true, 'the transfers to n4 cannot finish');
    assert.match(await kvorumFails(['remove', 'n4', '--url', n1.httpUrl]), /not a valid member/);

    assert.match(await kvorum(['abort', '--url', n1.httpUrl]), /aborted: ring version/);
    const view = await settled(members, (body) => body.removed.includes('n4'));
    assert.equal(view.version, stuck.version + 1);
    assert.deepEqual(view.nodes.map((node) => node.name).sort(), ['n1', 'n2', 'n3']);
    assert.match(await kvorum(['transfers', '--url', n1.httpUrl]), /no membership change running/);
    const ackedAtAbort = load.acked.size;
    await waitFor('writes acknowledged after the abort', async () => (load.acked.size >= ackedAtAbort + 200 ? true : undefined), 30_000);

    // The aborted joiner comes back and joins for real. The commit waits until every member holds
    // the abort (it is refused until then), which by now they all do.
    await cluster.startNode('n4');
    await kvorum(['join', '--seed', n1.httpUrl, '--url', n4.httpUrl]);
    assert.match(await kvorum(['commit', '--url', n1.httpUrl]), /committed/);
    await settled([...members, n4], (body) => body.nodes.some((node) => node.name === 'n4' && node.membership === 'valid'));
    await load.stop();
    await straysSwept(cluster.nodes, n1);
    await assertAllReadable(cluster.urls, load.acked);
  });

  test('(d) a node leaves gracefully: its data moves first, then it leaves the ring, nothing is lost', async () => {
    const cluster = await TestCluster.start({ nodes: 4, partitionCount: 32 });
    clusters.push(cluster);
    const n4 = cluster.node('n4');
    const stayers = cluster.nodes.filter((node) => node.name !== 'n4');
    const load = new WriteLoad(() => stayers.map((node) => node.httpUrl));
    await waitFor('some writes acknowledged', async () => (load.acked.size >= 300 ? true : undefined), 30_000);

    assert.match(await kvorum(['leave', '--url', n4.httpUrl]), /leave n4/);
    assert.match(await kvorum(['commit', '--url', n4.httpUrl]), /committed/);
    await settled(cluster.nodes, (body) => body.removed.includes('n4') && !body.nodes.some((node) => node.name === 'n4'));
    await load.stop();
    // The leaver hands everything it still holds to the replicas, then drops it: its disk empties.
    await waitFor('the leaver to hand off and drop every key', async () => ((await keysOn(n4)) === 0 ? true : undefined), 60_000);

    // The leaver is gone: every acknowledged key must be readable from the three that stay. With
    // N = 3 and three nodes each of them replicates every key, and between them they hold them all.
    await cluster.kill('n4');
    const held = await Promise.all(stayers.map((node) => keysOn(node)));
    assert.ok(held.every((keys) => keys > 0), `the stayers hold ${held.join(', ')} keys`);
    await assertAllReadable(stayers.map((node) => node.httpUrl), load.acked);
  });
});
