/**
 * Durability modes on real processes (docs/durability.md): acknowledged writes, then SIGKILL of
 * every node at once — no clean shutdown, nothing committed on the way out — then restart and
 * read. What each mode promises to keep, must be there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type KvorumClient } from '../src/client/index.ts';
import { contextTokenKey, decodeContextToken } from '../src/core/version/context-token.ts';
import { TestCluster } from './helpers/cluster.ts';

/** Longer than the first test takes: only what a mode forces to disk is there when it kills. */
const flushIntervalMs = 3_000;
const keysPerBucket = 40;

describe('durability modes survive kill -9 of every node as they promise', () => {
  let cluster: TestCluster;
  let client: KvorumClient;

  before(async () => {
    cluster = await TestCluster.start({
      nodes: 3,
      partitionCount: 16,
      buckets: {
        strict: { n: 3, r: 2, w: 2, durability: 'sync' },
        coordinator: { n: 3, r: 2, w: 2, durability: 'one' },
        memory: { n: 3, r: 2, w: 2, durability: 'buffered' },
      },
      extra: { flushIntervalMs },
    });
    client = connect({ nodes: cluster.urls });
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  const writeAll = async (bucket: string): Promise<void> => {
    for (let i = 0; i < keysPerBucket; i++) await client.put(bucket, `k${i}`, `value-${i}`);
  };

  const restartAll = async (): Promise<void> => {
    await Promise.all(cluster.nodes.map((node) => cluster.kill(node.name, 'SIGKILL')));
    for (const node of cluster.nodes) await cluster.startNode(node.name);
    await cluster.waitEpochsKnown();
    await cluster.waitConnected();
  };

  const present = async (bucket: string): Promise<number> => {
    let found = 0;
    for (let i = 0; i < keysPerBucket; i++) {
      const { siblings } = await client.get(bucket, `k${i}`, { r: 3 });
      if (siblings.some((sibling) => Buffer.from(sibling.value).toString() === `value-${i}`)) found++;
    }
    return found;
  };

  /** How much the metric `name`, summed over the nodes, grew while `write` ran. */
  const growthDuring = async (name: string, write: () => Promise<void>): Promise<number> => {
    const before = await cluster.metricSum(name);
    await write();
    return (await cluster.metricSum(name)) - before;
  };
  /** Appends to the nodes' write-ahead logs, and commits of their buffers to LMDB, while `write` runs. */
  const syncsDuring = async (write: () => Promise<void>): Promise<{ appends: number; commits: number }> => {
    let appends = 0;
    const commits = await growthDuring('kvorum_buffer_commits_total', async () => {
      appends = await growthDuring('kvorum_wal_appends_total', write);
    });
    return { appends, commits };
  };

  test('sync and one keep every acknowledged write through kill -9 of every node, before any writer ran', async () => {
    const strict = await syncsDuring(() => writeAll('strict'));
    const coordinator = await syncsDuring(() => writeAll('coordinator'));
    const memory = await syncsDuring(() => writeAll('memory'));
    await restartAll();
    assert.equal(await present('strict'), keysPerBucket, 'sync: every acknowledged write is on W disks');
    assert.equal(await present('coordinator'), keysPerBucket, "one: every acknowledged write is on its coordinator's disk");
    // What each write waited for, one after the other: W appends to a log, one, none. The writes
    // were durable in the logs alone: LMDB committed (almost) nothing before the kill.
    assert.ok(strict.appends >= 2 * keysPerBucket, `sync: at least W appends per write (${strict.appends})`);
    assert.ok(coordinator.appends >= keysPerBucket && coordinator.appends < strict.appends, `one: an append per write, fewer than sync (${coordinator.appends})`);
    assert.ok(memory.appends < keysPerBucket / 4, `buffered: no append per write (${memory.appends})`);
    for (const [mode, { commits }] of Object.entries({ strict, coordinator, memory })) {
      assert.ok(commits < keysPerBucket / 4, `${mode}: no LMDB commit per write (${commits})`);
    }
  });

  test('buffered writes survive kill -9 of every node once the writer has had flushIntervalMs', async () => {
    await writeAll('memory');
    await new Promise((resolve) => setTimeout(resolve, flushIntervalMs + 500));
    await restartAll();
    assert.equal(await present('memory'), keysPerBucket);
  });

  test('a node that crashed writes as a new actor generation; one stopped cleanly does not', async () => {
    // The test cluster has no secret: tokens are signed with a key from its name (context-token.ts).
    const tokenKey = contextTokenKey('test', undefined);
    const actorOf = (context: string): string[] => decodeContextToken(context, { bucket: 'coordinator', key: 'generation' }, tokenKey).clock.map(([actor]) => actor);
    const node = cluster.nodes[0]!;
    {
      const before = await putVia(node.httpUrl, 'coordinator', 'generation');
      await cluster.kill(node.name, 'SIGKILL');
      await cluster.startNode(node.name);
      await cluster.waitEpochsKnown();
      const afterCrash = await putVia(node.httpUrl, 'coordinator', 'generation', before);
      const newActors = actorOf(afterCrash).filter((actor) => !actorOf(before).includes(actor) && actor.startsWith(`${node.name}.`));
      assert.equal(newActors.length, 1, `the crashed node coordinates under a new actor (${actorOf(afterCrash).join(', ')})`);
      await cluster.kill(node.name, 'SIGTERM');
      await cluster.startNode(node.name);
      await cluster.waitEpochsKnown();
      const afterStop = await putVia(node.httpUrl, 'coordinator', 'generation', afterCrash);
      assert.deepEqual(actorOf(afterStop).sort(), actorOf(afterCrash).sort(), 'a clean stop keeps the actor');
    }
  });
});

/** A put coordinated by the node at `url` itself (the HTTP API of a replica coordinates there); returns the new context. */
async function putVia(url: string, bucket: string, key: string, context?: string): Promise<string> {
  const response = await fetch(`${url}/v1/kv/${bucket}/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain', ...(context ? { 'x-kvorum-context': context } : {}) },
    body: 'v',
  });
  assert.equal(response.status, 204, await response.text());
  return response.headers.get('x-kvorum-context')!;
}
