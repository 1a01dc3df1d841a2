/**
 * Issue 4 §7e: a network partition between real node processes. Five nodes (N=3, R=W=2), every
 * node-to-node link through a proxy the test cuts (test/helpers/link-proxy.ts); clients still
 * reach every node. Both sides of a 3|2 split accept writes to the same keys — the minority side
 * through sloppy quorum, with hints for the primaries it cannot reach (Dynamo §4.6) — and after
 * the partition heals the writes that did not see each other surface as siblings, with nothing
 * acknowledged lost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, waitFor } from './helpers/cluster.ts';

const sideA = ['n1', 'n2', 'n3'];
const sideB = ['n4', 'n5'];
const keys = Array.from({ length: 12 }, (_, i) => `cart-${i}`);
let cluster: TestCluster;

interface Sibling {
  readonly value: string;
}

async function put(node: string, key: string, value: string, context?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (context) headers['x-kvorum-context'] = context;
  return fetch(`${cluster.node(node).httpUrl}/v1/kv/carts/${key}`, { method: 'PUT', headers, body: value });
}

async function siblings(node: string, key: string, r: number): Promise<{ values: string[]; context: string }> {
  const response = await fetch(`${cluster.node(node).httpUrl}/v1/kv/carts/${key}?r=${r}`, { headers: { accept: 'application/json' } });
  assert.ok(response.status === 200 || response.status === 404, `get ${key} at ${node}: ${response.status} ${await response.clone().text()}`);
  const body = (await response.json()) as { context?: string; siblings?: Sibling[] };
  const values = (body.siblings ?? []).map((s) => Buffer.from(s.value, 'base64').toString()).sort();
  return { values, context: body.context ?? response.headers.get('x-kvorum-context') ?? '' };
}

/** Waits until `node` sees every node of `others` as down (its failure detector's verdict). */
async function waitSeesDown(node: string, others: readonly string[]): Promise<void> {
  await waitFor(`${node} to see ${others.join(', ')} down`, async () => {
    const view = (await (await fetch(`${cluster.node(node).httpUrl}/v1/cluster`)).json()) as { nodes: { name: string; status: string }[] };
    return others.every((other) => view.nodes.find((peer) => peer.name === other)?.status === 'down') ? true : undefined;
  }, 30_000);
}

before(async () => {
  cluster = await TestCluster.start({ nodes: 5, proxied: true });
  await cluster.waitConnected();
});

after(async () => {
  await cluster?.stop();
});

describe('a network partition (3 | 2)', () => {
  test('both sides accept writes to the same keys; after healing they are siblings, nothing lost', async () => {
    const base = new Map<string, string>();
    for (const key of keys) {
      assert.equal((await put('n1', key, `base-${key}`)).status, 204);
      base.set(key, (await siblings('n1', key, 2)).context);
    }

    cluster.proxy!.cut(sideA, sideB);
    // Every node must have concluded on its own that the other side is down: until it has, it
    // still sends to the far side and waits out the request deadline for replies that cannot
    // come (a coordinator, or the replica a put is forwarded to, may be any node of its side).
    for (const node of sideA) await waitSeesDown(node, sideB);
    for (const node of sideB) await waitSeesDown(node, sideA);

    for (const key of keys) {
      const a = await put('n1', key, `a-${key}`, base.get(key));
      assert.equal(a.status, 204, `side A put ${key}: ${await a.text()}`);
      const b = await put('n4', key, `b-${key}`, base.get(key));
      assert.equal(b.status, 204, `side B put ${key}: ${await b.text()}`);
    }
    // Each side reads its own write while cut off from the other.
    for (const key of keys) {
      assert.ok((await siblings('n2', key, 2)).values.includes(`a-${key}`));
      assert.ok((await siblings('n5', key, 2)).values.includes(`b-${key}`));
    }

    cluster.proxy!.heal();
    await cluster.waitConnected();
    for (const key of keys) {
      await waitFor(`${key} to show both sides' writes as siblings`, async () => {
        const { values } = await siblings('n3', key, 3);
        return values.length === 2 ? values : undefined;
      }, 30_000);
      // The base value was superseded by both writes; exactly the two concurrent ones remain.
      assert.deepEqual((await siblings('n5', key, 3)).values, [`a-${key}`, `b-${key}`]);
    }
  });
});
