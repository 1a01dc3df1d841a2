/**
 * Security on real node processes (docs/security.md): client tokens and roles over HTTP, the
 * binary protocol and the CLI; TLS on every port with mutual TLS between nodes; and a node that
 * refuses to listen beyond loopback without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, KvorumError, type KvorumClient } from '../src/client/index.ts';
import { BinaryConnection } from '../src/client/binary-connection.ts';
import { TestCluster, freePorts } from './helpers/cluster.ts';
import { PeerClient } from './helpers/peer-client.ts';

const root = new URL('..', import.meta.url).pathname;
const cliPath = join(root, 'src', 'cli', 'main.ts');

function kvorum(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, KVORUM_TOKEN: '', KVORUM_CA: '', ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof KvorumError, `expected KvorumError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

const text = (result: { siblings: readonly { value: Uint8Array }[] }) => result.siblings.map((s) => Buffer.from(s.value).toString());

describe('client tokens on a real cluster', () => {
  let cluster: TestCluster;
  const clients: KvorumClient[] = [];
  const client = (options: Partial<Parameters<typeof connect>[0]> & { protocol: 'binary' | 'http' }) => {
    const made = connect({ nodes: options.protocol === 'binary' ? cluster.clientUrls : cluster.urls, ...options });
    clients.push(made);
    return made;
  };
  const token = (name: string) => cluster.credentials.tokens.get(name)!;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, tokens: { app: ['read:carts', 'write:carts'], grafana: ['monitor'] } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  test('HTTP without a token: 401 with WWW-Authenticate on every route but /health', async () => {
    const url = cluster.urls[0]!;
    for (const [method, path] of [
      ['GET', '/v1/kv/carts/k'],
      ['PUT', '/v1/kv/carts/k'],
      ['GET', '/v1/ring'],
      ['GET', '/v1/cluster'],
      ['GET', '/metrics'],
      ['POST', '/v1/cluster/commit'],
      ['GET', '/v1/no-such-route'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method, body: method === 'PUT' ? 'x' : undefined, headers: { authorization: 'Bearer kvt_wrong' } });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
    }
    assert.equal((await fetch(`${url}/health`)).status, 200, 'liveness probes need no token');
  });

  test('a token does what its roles grant and gets 403 forbidden beyond them, over both protocols', async () => {
    for (const protocol of ['binary', 'http'] as const) {
      const app = client({ protocol, token: token('app') });
      await app.put('carts', `k-${protocol}`, 'v');
      assert.deepEqual(text(await app.get('carts', `k-${protocol}`, { r: 3 })), ['v']);
      await assert.rejects(app.put('orders', 'k', 'v'), rejectsWith('forbidden'));
      await assert.rejects(app.get('orders', 'k'), rejectsWith('forbidden'));
      const watcher = client({ protocol, token: token('grafana') });
      await assert.rejects(watcher.get('carts', `k-${protocol}`), rejectsWith('forbidden'));
      // Issue 12: a listing reads its bucket; bucket names are monitor's; a batch is each key's bucket's.
      assert.ok((await app.listKeys('carts')).keys.includes(`k-${protocol}`));
      await assert.rejects(app.listKeys('orders'), rejectsWith('forbidden'));
      await assert.rejects(watcher.listKeys('carts'), rejectsWith('forbidden'));
      await assert.rejects(app.listBuckets(), rejectsWith('forbidden'));
      assert.ok((await watcher.listBuckets()).buckets.includes('carts'));
      for (const result of await app.getMany('orders', ['a', 'b'])) assert.equal(result.error?.code, 'forbidden', `${protocol} getMany of another bucket`);
      for (const result of await app.putMany('orders', [{ key: 'a', value: 'v' }])) assert.equal(result.error?.code, 'forbidden', `${protocol} putMany to another bucket`);
      const admin = client({ protocol, token: token('admin') });
      await admin.put('orders', 'k', 'v');
      const anonymous = client({ protocol });
      await assert.rejects(anonymous.get('carts', `k-${protocol}`), rejectsWith('unauthorized'));
    }
  });

  test('the binary protocol refuses a hello with a wrong token', async () => {
    const [host, port] = cluster.nodes[0]!.clientAddress.split(':') as [string, string];
    await assert.rejects(BinaryConnection.open({ host, port: Number(port), connectTimeoutMs: 2_000, token: 'kvt_wrong' }), rejectsWith('unauthorized'));
    const connection = await BinaryConnection.open({ host, port: Number(port), connectTimeoutMs: 2_000, token: token('app') });
    await assert.rejects(connection.request({ op: 'get', bucket: 'orders', key: 'k' }, 2_000), rejectsWith('forbidden'));
    connection.close();
  });

  test('monitoring needs monitor, membership needs admin', async () => {
    const url = cluster.urls[0]!;
    const as = (name: string, path: string, method = 'GET') => fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token(name)}` } });
    assert.equal((await as('app', '/v1/cluster')).status, 403);
    assert.equal((await as('app', '/v1/ring')).status, 200, 'every token may read the ring: clients route by it');
    assert.equal((await as('grafana', '/v1/cluster')).status, 200);
    assert.equal((await as('grafana', '/metrics')).status, 200);
    const refused = await as('grafana', '/v1/cluster/abort', 'POST');
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /grafana may not admin/);
    assert.equal((await as('app', '/v1/cluster/staged', 'DELETE')).status, 403);
    assert.notEqual((await as('admin', '/v1/cluster/staged', 'DELETE')).status, 403);
  });

  test('the CLI presents KVORUM_TOKEN', async () => {
    const url = cluster.urls[1]!;
    const put = kvorum(['put', 'carts', 'cli', 'hello', '--url', url], { KVORUM_TOKEN: token('app') });
    assert.equal(put.status, 0, put.stderr);
    const got = kvorum(['get', 'carts', 'cli', '--url', url], { KVORUM_TOKEN: token('app') });
    assert.equal(got.stdout.trim(), 'hello');
    const anonymous = kvorum(['get', 'carts', 'cli', '--url', url]);
    assert.equal(anonymous.status, 1);
    assert.match(anonymous.stderr, /unauthorized/);
    const status = kvorum(['status', '--url', url], { KVORUM_TOKEN: token('app') });
    assert.equal(status.status, 1);
    assert.match(status.stderr, /forbidden/);
    assert.equal(kvorum(['status', '--url', url], { KVORUM_TOKEN: token('grafana') }).status, 0);
  });
});

describe('TLS on every port', () => {
  let cluster: TestCluster;
  const clients: KvorumClient[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, tls: true });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  test('clients trusting the cluster CA work over both protocols, and the nodes replicate over mutual TLS', async () => {
    for (const protocol of ['binary', 'http'] as const) {
      const client = connect({ nodes: protocol === 'binary' ? cluster.clientUrls : cluster.urls, protocol, tls: { ca: cluster.credentials.ca! } });
      clients.push(client);
      await client.put('carts', protocol, 'sealed', { w: 3 });
      assert.deepEqual(text(await client.get('carts', protocol, { r: 3 })), ['sealed']);
    }
    assert.match(cluster.urls[0]!, /^https:/);
    // A client told to use TLS never sends a request, or its token, to a plaintext URL.
    assert.throws(() => connect({ nodes: [cluster.urls[0]!.replace('https:', 'http:')], token: 'kvt_x', tls: { ca: cluster.credentials.ca! } }), rejectsWith('bad_request'));
  });

  test('plaintext gets nothing on any port, and a client that does not trust the CA is refused', async () => {
    const http = cluster.urls[0]!.replace('https:', 'http:');
    await assert.rejects(fetch(`${http}/health`));
    const [host, port] = cluster.nodes[0]!.clientAddress.split(':') as [string, string];
    await assert.rejects(BinaryConnection.open({ host, port: Number(port), connectTimeoutMs: 2_000 }));
    await assert.rejects(fetch(`${cluster.urls[0]!}/health`), 'the system CAs do not vouch for the cluster CA');
    const untrusting = connect({ nodes: cluster.clientUrls, tls: { ca: Buffer.from('not a CA') } });
    clients.push(untrusting);
    await assert.rejects(untrusting.get('carts', 'binary'));
    // A node-to-node connection in plaintext, even with the right cluster name and secret, is dropped.
    await assert.rejects(PeerClient.connect(cluster.nodes[0]!.address, { clusterName: 'test', nodeName: 'n2', peerName: 'n1' }));
  });

  test('the CLI trusts KVORUM_CA', () => {
    const url = cluster.urls[2]!;
    const got = kvorum(['get', 'carts', 'http', '--url', url], { KVORUM_CA: join(cluster.dir, 'certs', 'ca.pem') });
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout.trim(), 'sealed');
    assert.equal(kvorum(['status', '--url', url], { KVORUM_CA: join(cluster.dir, 'certs', 'ca.pem') }).status, 0);
    assert.notEqual(kvorum(['get', 'carts', 'http', '--url', url]).status, 0);
  });
});

test('a node told to listen beyond loopback without TLS, tokens and a strong secret does not start, and says why', async () => {
  const [nodePort, httpPort] = await freePorts(2);
  const started = kvorum(['start', '--name', 'n1', '--node-address', `0.0.0.0:${nodePort}`, '--http-address', `http://127.0.0.1:${httpPort}`, '--data-dir', join(tmpdir(), 'kvorum-never-started')]);
  assert.equal(started.status, 1);
  assert.match(started.stderr, /bad_config/);
  for (const missing of [/cluster secret of at least 32/, /needs TLS/, /clients need tokens/, /insecure/]) assert.match(started.stderr, missing);
});
