import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvorumError } from '../../core/errors.ts';
import { resolveNodeSettings, type StartFlags } from '../config.ts';
import { makeCertificates } from './certificates.ts';
import { ClientAuth, authorize, newToken, tokenSha256, type Permission } from './client-auth.ts';
import { clusterSecretCharsMin, isLoopback, listenPolicyProblems } from './listen-policy.ts';

function refused(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof KvorumError && error.code === code && pattern.test(error.message);
}

const read = (bucket: string): Permission => ({ action: 'read', bucket });
const write = (bucket: string): Permission => ({ action: 'write', bucket });

describe('client tokens', () => {
  const app = newToken();
  const admin = newToken();
  const monitor = newToken();
  const auth = new ClientAuth([
    { name: 'app', sha256: tokenSha256(app), roles: ['read:carts', 'write:carts', 'read:catalog'] },
    { name: 'ops', sha256: tokenSha256(admin), roles: ['admin'] },
    { name: 'grafana', sha256: tokenSha256(monitor), roles: ['monitor'] },
  ]);

  test('a token is kvt_ and 32 random bytes; the config keeps only its SHA-256', () => {
    assert.match(app, /^kvt_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newToken(), newToken());
    assert.match(tokenSha256(app), /^[0-9a-f]{64}$/);
  });

  test('a missing, unknown or oversized token is unauthorized, with the same words for each', () => {
    const messages = new Set<string>();
    for (const token of [undefined, '', 'kvt_nope', `${app}x`, 'x'.repeat(10_000), tokenSha256(app)]) {
      assert.throws(() => auth.caller(token), (error) => {
        assert.ok(error instanceof KvorumError && error.code === 'unauthorized');
        messages.add(error.message);
        return true;
      });
    }
    assert.equal(messages.size, 1, 'nothing is learned from which way a token was wrong');
  });

  test('roles grant what they name and nothing more', () => {
    const caller = auth.caller(app);
    assert.equal(caller.name, 'app');
    for (const granted of [read('carts'), write('carts'), read('catalog'), { action: 'ring' } as const]) assert.ok(caller.allows(granted), JSON.stringify(granted));
    for (const denied of [write('catalog'), read('cartsx'), read('cart'), { action: 'monitor' } as const, { action: 'admin' } as const]) assert.ok(!caller.allows(denied), JSON.stringify(denied));
    assert.throws(
      () => authorize(caller, write('catalog')),
      (error) => error instanceof KvorumError && error.code === 'forbidden' && error.httpStatus === 403 && /app may not write bucket catalog/.test(error.message),
    );
    const watcher = auth.caller(monitor);
    assert.ok(watcher.allows({ action: 'monitor' }));
    assert.ok(!watcher.allows(read('carts')) && !watcher.allows({ action: 'admin' }));
    const root = auth.caller(admin);
    for (const anything of [read('x'), write('y'), { action: 'admin' } as const, { action: 'monitor' } as const]) assert.ok(root.allows(anything));
  });

  test('with no tokens configured every request is allowed, token or not', () => {
    const open = new ClientAuth([]);
    assert.equal(open.enabled, false);
    assert.ok(open.caller(undefined).allows({ action: 'admin' }));
    assert.ok(open.caller('anything').allows(write('carts')));
  });
});

describe('listen policy', () => {
  const strong = 's'.repeat(clusterSecretCharsMin);
  const everything = { clusterSecret: strong, tls: true, tokens: 1, insecure: false };

  test('loopback is 127.0.0.0/8, ::1 and localhost; nothing else', () => {
    for (const host of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', 'localhost']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '127.0.0.1.nip.io']) assert.ok(!isLoopback(host), host);
  });

  test('on loopback nothing is asked; beyond it, a strong secret, TLS and tokens, each named when missing', () => {
    assert.deepEqual(listenPolicyProblems({ hosts: ['127.0.0.1', '::1'], clusterSecret: undefined, tls: false, tokens: 0, insecure: false }), []);
    assert.deepEqual(listenPolicyProblems({ hosts: ['127.0.0.1', '0.0.0.0'], ...everything }), []);
    const problems = listenPolicyProblems({ hosts: ['127.0.0.1', '0.0.0.0'], clusterSecret: 'short', tls: false, tokens: 0, insecure: false });
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /0\.0\.0\.0.*cluster secret of at least 32/);
    assert.match(problems[1]!, /TLS/);
    assert.match(problems[2]!, /tokens/);
    assert.deepEqual(listenPolicyProblems({ hosts: ['10.0.0.5'], ...everything, tls: false }).length, 1);
    assert.deepEqual(listenPolicyProblems({ hosts: ['10.0.0.5'], clusterSecret: undefined, tls: false, tokens: 0, insecure: true }), [], 'insecure accepts the risk');
  });
});

describe('security settings of a node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvorum-security-'));
  makeCertificates(join(dir, 'certs'), ['n1', 'n2'], ['10.0.0.5']);
  const secret = 's'.repeat(clusterSecretCharsMin);
  const token = newToken();
  const exposed: StartFlags = { name: 'n1', 'node-address': '0.0.0.0:7001', 'http-address': 'https://10.0.0.5:8001', 'cluster-secret': secret };

  function config(body: Record<string, unknown>): string {
    const path = join(dir, `cluster-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(body));
    return path;
  }
  const auth = { tokens: [{ name: 'app', sha256: tokenSha256(token), roles: ['write:carts', 'read:carts'] }] };
  const tls = { ca: 'certs/ca.pem' };
  const nodeTls = (name: string) => ({ cert: `certs/${name}.pem`, key: `certs/${name}-key.pem` });
  const nodes = [{ name: 'n1', address: '0.0.0.0:7001', httpUrl: 'https://10.0.0.5:8001', tls: nodeTls('n1') }];

  test('a node beyond loopback with TLS, tokens and a strong secret starts; paths are relative to the config', () => {
    const settings = resolveNodeSettings({ ...exposed, config: config({ auth, tls, nodes }) });
    assert.equal(settings.security.clientTokens.length, 1);
    assert.equal(settings.security.tls?.commonName, 'n1');
    assert.ok(settings.security.tls?.ca.toString().includes('BEGIN CERTIFICATE'));
    assert.equal(settings.security.insecure, false);
  });

  test('beyond loopback without them it refuses to start, naming each; insecure lets it', () => {
    assert.throws(() => resolveNodeSettings({ ...exposed, 'http-address': 'http://10.0.0.5:8001', 'cluster-secret': 'short' }), refused('bad_config', /cluster secret.*TLS.*tokens.*insecure/s));
    assert.throws(() => resolveNodeSettings({ ...exposed, config: config({ tls, nodes }) }), refused('bad_config', /tokens/));
    const settings = resolveNodeSettings({ ...exposed, 'http-address': 'http://10.0.0.5:8001', 'cluster-secret': undefined, insecure: true });
    assert.equal(settings.security.insecure, true);
  });

  test('an empty cluster secret is no secret', () => {
    assert.equal(resolveNodeSettings({ name: 'n1', 'node-address': '127.0.0.1:7001', 'http-address': 'http://127.0.0.1:8001', 'cluster-secret': '' }).cluster.clusterSecret, undefined);
  });

  test('bad TLS material is refused at start: partial, unreadable, foreign CA, wrong key, another node, http URL', () => {
    const start = (body: Record<string, unknown>, flags: Partial<StartFlags> = {}) => () => resolveNodeSettings({ ...exposed, ...flags, config: config({ auth, ...body }) });
    assert.throws(start({ tls: { ca: 'certs/ca.pem', cert: 'certs/n1.pem' }, nodes: [{ ...nodes[0], tls: undefined }] }), refused('bad_config', /all three/));
    assert.throws(start({ tls, nodes: [{ ...nodes[0], tls: { cert: 'certs/missing.pem', key: 'certs/n1-key.pem' } }] }), refused('bad_config', /nodes\[\]\.tls\.cert: cannot read/));
    makeCertificates(join(dir, 'other'), ['n1'], []);
    assert.throws(start({ tls: { ca: 'other/ca.pem' }, nodes }), refused('bad_config', /not signed by the CA/));
    assert.throws(start({ tls, nodes: [{ ...nodes[0], tls: { cert: 'certs/n1.pem', key: 'certs/n2-key.pem' } }] }), refused('bad_config', /key does not belong/));
    assert.throws(start({ tls, nodes: [{ ...nodes[0], tls: nodeTls('n2') }] }), refused('bad_config', /certificate is for 'n2', not this node 'n1'/));
    assert.throws(start({ tls, nodes }, { 'http-address': 'http://10.0.0.5:8001' }), refused('bad_config', /https/));
    assert.throws(start({ tls, nodes: [...nodes, { name: 'n2', address: '10.0.0.6:7001', httpUrl: 'http://10.0.0.6:8001' }] }), refused('bad_config', /every node's HTTP URL is https:\/\/ \(n2/));
    assert.throws(start({ tls: { ...tls, caFile: 'x' }, nodes }), refused('bad_config', /tls: unknown field "caFile"/));
    assert.throws(start({ tls, nodes: [{ ...nodes[0], tls: { ...nodeTls('n1'), certificate: 'x' } }] }), refused('bad_config', /nodes\[\]\.tls: unknown field/));
    // A CA file of several certificates: the node's may be signed by any of them.
    writeFileSync(join(dir, 'bundle.pem'), Buffer.concat([readFileSync(join(dir, 'other/ca.pem')), readFileSync(join(dir, 'certs/ca.pem'))]));
    assert.equal(resolveNodeSettings({ ...exposed, config: config({ auth, tls: { ca: 'bundle.pem' }, nodes }) }).security.tls?.commonName, 'n1');
    // Flags win over the file, relative to the working directory.
    const settings = resolveNodeSettings({ ...exposed, config: config({ auth, tls, nodes }), 'tls-cert': join(dir, 'certs/n1.pem'), 'tls-key': join(dir, 'certs/n1-key.pem') });
    assert.equal(settings.security.tls?.commonName, 'n1');
  });

  test('token entries are checked: the token itself, unknown roles, per-bucket admin, duplicates', () => {
    const start = (entries: unknown[]) => () => resolveNodeSettings({ name: 'n1', 'node-address': '127.0.0.1:7001', 'http-address': 'http://127.0.0.1:8001', config: config({ auth: { tokens: entries } }) });
    const entry = { name: 'app', sha256: tokenSha256(token), roles: ['read'] };
    assert.throws(start([{ ...entry, sha256: token }]), refused('bad_config', /sha256/));
    assert.throws(start([{ ...entry, roles: ['root'] }]), refused('bad_config', /roles/));
    assert.throws(start([{ ...entry, roles: ['admin:carts'] }]), refused('bad_config', /not per bucket/));
    assert.throws(start([{ ...entry, roles: [] }]), refused('bad_config', /non-empty/));
    assert.throws(start([{ ...entry, roles: ['read:no way'] }]), refused('bad_config', /auth\.tokens\[0\]: roles: "read:no way"/));
    assert.throws(start([entry, { ...entry, sha256: tokenSha256(newToken()) }]), refused('bad_config', /appears twice/));
    assert.throws(start([entry, { ...entry, name: 'other' }]), refused('bad_config', /another entry's too/));
    assert.throws(() => resolveNodeSettings({ name: 'n1', 'node-address': '127.0.0.1:7001', 'http-address': 'http://127.0.0.1:8001', config: config({ auth: { tokens: [], users: [] } }) }), refused('bad_config', /unknown field "users"/));
  });
});
