/**
 * The feed asks each peer for its report at most once per snapshotReuseMs, however many pages,
 * `kvorum top`s and GET /v1/dashboard callers there are. The peer is a real HTTP server on
 * loopback that counts the reports it is asked for.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ClusterFeed, type NodeReport } from './cluster-feed.ts';

let reportsAsked = 0;
let authorization: string | undefined;
const peer = createServer((request, response) => {
  assert.equal(request.url, '/v1/status');
  reportsAsked += 1;
  authorization = request.headers.authorization;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(reportOf('n2', peerUrl)));
});
peer.listen(0, '127.0.0.1');
await once(peer, 'listening');
const peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
after(() => new Promise<void>((resolve) => peer.close(() => resolve())));

/** A loopback port nobody listens on. */
const closed = createServer().listen(0, '127.0.0.1');
await once(closed, 'listening');
const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
await new Promise((resolve) => closed.close(resolve));

/**
 * The parts of a report the feed reads (the rest of a node's status does not matter here), as
 * node `name` reports itself, with n2 at `n2Url`.
 */
function reportOf(name: string, n2Url: string): NodeReport {
  const members = [
    { name: 'n1', membership: 'member', reachability: 'up', httpUrl: closedUrl },
    { name: 'n2', membership: 'member', reachability: 'up', httpUrl: n2Url },
  ];
  const events = [{ seq: 1, atMs: 1, node: name, kind: 'node', level: 'info', text: `${name} started` }];
  return { node: { name, members, ring: { version: 1, partitionCount: 8, transition: false } }, activity: { history: [], events } } as unknown as NodeReport;
}

const feed = new ClusterFeed(() => 'unit', () => reportOf('n1', peerUrl));

test('callers within snapshotReuseMs share one snapshot and one report per peer', async () => {
  reportsAsked = 0;
  const snapshots = await Promise.all([feed.snapshot(), feed.snapshot(), feed.snapshot(), feed.snapshot()]);
  assert.equal(reportsAsked, 1);
  for (const snapshot of snapshots) assert.equal(snapshot, snapshots[0]);
  const [first] = snapshots;
  assert.deepEqual(
    first!.nodes.map((node) => [node.name, node.report?.node.name, node.error]),
    [
      ['n1', 'n1', null],
      ['n2', 'n2', null],
    ],
  );
  assert.deepEqual(
    first!.events.map((event) => event.text),
    ['n1 started', 'n2 started'],
  );
  // A page's subscription in the same half second gets the same snapshot too.
  let unsubscribe = (): void => {};
  const pushed = await new Promise((resolve) => (unsubscribe = feed.subscribe(resolve)));
  unsubscribe();
  assert.equal(pushed, first);
  assert.equal(reportsAsked, 1);
});

test('a snapshot older than snapshotReuseMs is made anew', async () => {
  const first = await feed.snapshot();
  const asked = reportsAsked;
  await new Promise((resolve) => setTimeout(resolve, 550));
  const second = await feed.snapshot();
  assert.notEqual(second, first);
  assert.equal(reportsAsked, asked + 1);
});

test('a peer that does not answer is reported with the error, not thrown', async () => {
  const silent = new ClusterFeed(() => 'unit', () => reportOf('n1', closedUrl));
  const snapshot = await silent.snapshot();
  const n2 = snapshot.nodes.find((node) => node.name === 'n2')!;
  assert.equal(n2.report, null);
  assert.equal(n2.error, 'ECONNREFUSED');
});

test('peers are asked with the credentials the feed is given', async () => {
  const plain = await feed.snapshot();
  assert.ok(plain.nodes[1]!.report);
  assert.equal(authorization, undefined);
  const withToken = new ClusterFeed(() => 'unit', () => reportOf('n1', peerUrl), { token: 'kvn_test', ca: undefined });
  await withToken.snapshot();
  assert.equal(authorization, 'Bearer kvn_test');
  await withToken.close();
});
