/**
 * Issue 11, first part: no input crashes a node or bricks a key. The probes an attacker on the
 * network and a buggy peer used, against three real node processes: each must leave every node
 * up and every key writable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Packr } from 'msgpackr';
import { partitionOf } from '../src/core/ring/hash.ts';
import { nodeMetric, TestCluster } from './helpers/cluster.ts';
import { PeerClient } from './helpers/peer-client.ts';

const partitionCount = 64;
let cluster: TestCluster;

/** Short timeouts, so that waiting them out costs the test run little. */
const httpRequestTimeoutMs = 1_000;
const peerFrameTimeoutMs = 500;

before(async () => {
  const extra = { http: { requestTimeoutMs: httpRequestTimeoutMs, headersTimeoutMs: httpRequestTimeoutMs }, transport: { frameTimeoutMs: peerFrameTimeoutMs } };
  // Proxied links: the siblings test cuts the nodes apart.
  cluster = await TestCluster.start({ nodes: 3, partitionCount, extra, proxied: true });
});

/** Resolves with how long `closed` took, or null if it had not happened after `ms`. */
async function settledWithin(closed: Promise<void>, ms: number): Promise<number | null> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([closed.then(() => 'closed' as const), new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), ms)))]);
  clearTimeout(timer);
  return outcome === 'closed' ? Date.now() - started : null;
}

after(async () => {
  await cluster?.stop();
});

async function healthy(url: string): Promise<boolean> {
  return (await fetch(`${url}/health`)).ok;
}

describe('hostile peer messages', () => {
  test('a replicaWrite or replicaRead naming a 300-byte bucket is dropped and counted; the node stays up', async () => {
    const target = cluster.node('n1');
    const refusedBefore = await nodeMetric(target.httpUrl, 'kvorum_peer_messages_refused_total');
    const peer = await PeerClient.connect(target.address, { nodeName: 'n2', peerName: 'n1', clusterName: 'test' });
    const bucket = 'b'.repeat(300);
    const partition = partitionOf(bucket, 'k', partitionCount);
    const object = {
      siblings: [{ dot: ['n2.x', 1], value: new Uint8Array([1]), contentType: 'text/plain', lastModifiedMs: 1, deleted: false }],
      context: { clock: [['n2.x', 1, 1]], dots: [] },
    };
    peer.send({ kind: 'replicaRead', opId: 1, partition, bucket, key: 'k' });
    peer.send({ kind: 'replicaWrite', opId: 2, partition, bucket, key: 'k', object, stamp: 0 });
    peer.send({ kind: 'replicaRead', opId: 3, partition: partitionOf('b', '\uD800', partitionCount), bucket: 'b', key: '\uD800' });
    // The frames after the hostile ones are still read: the connection was not the casualty either.
    peer.send({ kind: 'ping', opId: 4 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(await healthy(target.httpUrl), 'n1 is still up');
    assert.equal(target.process?.exitCode, null, 'n1 did not exit');
    assert.equal((await nodeMetric(target.httpUrl, 'kvorum_peer_messages_refused_total')) - refusedBefore, 3);
    await peer.close();
    const put = await fetch(`${target.httpUrl}/v1/kv/b/after-hostile`, { method: 'PUT', body: 'v' });
    assert.equal(put.status, 204);
  });
});

describe('siblings', () => {
  test('blind puts through every node while they are apart never make an object past siblingsHardMax (48)', async () => {
    // Each coordinator refuses a put past 32 siblings of its own copy, but puts through the others
    // pass that check — concurrent ones, or, as here, ones made while the nodes cannot reach each
    // other: 48 concurrent 1 MiB puts once made a 48 MiB object (issue 11 §4).
    const path = `/v1/kv/b/siblings-${process.pid}`;
    const [n1, n2, n3] = ['n1', 'n2', 'n3'];
    cluster.proxy!.cut([n1], [n2, n3]);
    cluster.proxy!.cut([n2], [n3]);
    let taken = 0;
    for (const url of cluster.urls) {
      for (let i = 0; i < 32; i++) if ((await fetch(`${url}${path}?w=1`, { method: 'PUT', body: `v${i}` })).status === 204) taken++;
    }
    cluster.proxy!.heal();
    assert.ok(taken > 48, `more puts than the hard limit were taken (${taken})`);
    await cluster.waitConnected();
    // Replicas exchange what they took (read repair, anti-entropy): every merge bounds its result.
    const urls = cluster.urls;
    for (const url of urls) await fetch(`${url}${path}?r=3`);
    for (const url of urls) {
      const response = await fetch(`${url}${path}?r=3`, { headers: { accept: 'application/json' } });
      const body = (await response.json()) as { siblings: unknown[] };
      assert.ok(body.siblings.length <= 48, `${url} answered ${body.siblings.length} siblings`);
    }
    assert.ok((await cluster.metricSum('kvorum_siblings_truncated_total')) > 0, 'the truncation was counted');
  });
});

describe('context tokens', () => {
  test('a forged context is refused as bad_context, and the key stays writable with a fresh read (issue 11 §3)', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/b/forged-${process.pid}`;
    assert.equal((await fetch(`${n1}${path}`, { method: 'PUT', body: 'v1' })).status, 204);
    // What the attacker sent: a well-formed token claiming counters of 2^53 - 2 for the actors
    // it had seen. Before, it was taken, and every later put of the key got "no write counters left".
    const packr = new Packr({ useRecords: false });
    const actors = ['n1', 'n2', 'n3'].map((name) => `${name}.forged`);
    const forgedBody = packr.pack([1, actors.map((actor) => [actor, 2 ** 53 - 2, 0]), []]);
    const forged = [Buffer.from(forgedBody).toString('base64url'), Buffer.concat([forgedBody, Buffer.alloc(16)]).toString('base64url')];
    const otherKey = (await (await fetch(`${n1}/v1/kv/b/other-${process.pid}`, { method: 'PUT', body: 'x' })).headers.get('x-kvorum-context'))!;
    for (const context of [...forged, otherKey]) {
      const response = await fetch(`${n2}${path}`, { method: 'PUT', body: 'evil', headers: { 'x-kvorum-context': context } });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'bad_context');
    }
    for (let i = 2; i <= 3; i++) {
      const fresh = (await fetch(`${n2}${path}?r=3`)).headers.get('x-kvorum-context')!;
      assert.equal((await fetch(`${n2}${path}`, { method: 'PUT', body: `v${i}`, headers: { 'x-kvorum-context': fresh } })).status, 204);
    }
    const last = await fetch(`${n1}${path}?r=3`);
    assert.equal(await last.text(), 'v3');
  });
});

describe('slow clients', () => {
  test('a request body that never finishes is answered 408 and closed after the request timeout (issue 11 §5)', async () => {
    // 200 connections each sending most of a 1 MiB body were held open for good.
    const url = new URL(cluster.urls[0]!);
    const started = Date.now();
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`PUT /v1/kv/b/slow HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 1048576\r\n\r\n`);
    socket.write(Buffer.alloc(900 * 1024, 'x'));
    const closedAfterMs = await settledWithin(closed, 10_000);
    socket.destroy();
    assert.notEqual(closedAfterMs, null, 'the node closed the connection');
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs >= httpRequestTimeoutMs - 100 && elapsedMs < httpRequestTimeoutMs + 4_000, `closed after ${elapsedMs} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"request_timeout"/);
    assert.equal((await fetch(`${cluster.urls[0]}/v1/kv/b/slow`)).status, 404, 'nothing was stored');
  });
});

describe('slow peers', () => {
  test('a peer frame that never finishes arriving is dropped after the frame timeout (issue 11 §5)', async () => {
    // 8 connections each holding 60 MiB of a frame took a node to 1.1 GB, held for good.
    const target = cluster.node('n2');
    const peer = await PeerClient.connect(target.address, { nodeName: 'n3', peerName: 'n2', clusterName: 'test' });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(8 * 1024 * 1024, 0);
    peer.sendRaw(Buffer.concat([header, Buffer.alloc(1024 * 1024)]));
    const closedAfterMs = await settledWithin(peer.closed, 10_000);
    await peer.close();
    assert.notEqual(closedAfterMs, null, 'the node dropped the connection');
    assert.ok(closedAfterMs! >= peerFrameTimeoutMs - 100, `not before the timeout (${closedAfterMs} ms)`);
    assert.equal(await nodeMetric(target.httpUrl, 'kvorum_peer_frames_timed_out_total'), 1);
    assert.ok(await healthy(target.httpUrl));
  });
});
