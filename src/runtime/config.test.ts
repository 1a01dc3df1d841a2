import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvorumError } from '../core/errors.ts';
import { bucketPropsOf, flagsFromEnv, resolveNodeSettings, type StartFlags } from './config.ts';
import { userKeyBytesMax } from '../storage/keys.ts';
import { limits } from '../core/limits.ts';
import { actorBytesMax } from '../core/version/actor.ts';
import { siblingFieldsBytes } from '../core/version/object-bytes.ts';
import { httpTimeoutsDefault } from './http/settings.ts';
import { transportDefaults } from './transport/settings.ts';

const oneNode: StartFlags = { name: 'n1', 'node-address': '127.0.0.1:7001', 'http-address': 'http://127.0.0.1:8001' };
const oneNodeEntry = { name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001' };

function configFile(body: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvorum-config-'));
  const path = join(dir, 'cluster.json');
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

function refusedFor(field: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof KvorumError && error.code === 'bad_config' && field.test(error.message);
}

describe('node settings', () => {
  test('flags alone make a one-node cluster with the documented defaults', () => {
    const settings = resolveNodeSettings({ ...oneNode, 'data-dir': '/tmp/kvorum-n1' });
    assert.equal(settings.listenPort, 7001);
    assert.equal(settings.httpPort, 8001);
    assert.equal(settings.storage, 'lmdb');
    assert.equal(settings.dataDir, '/tmp/kvorum-n1');
    assert.equal(settings.cluster.partitionCount, 64);
    assert.deepEqual(settings.cluster.requestLimits, { keyBytesMax: 1024, valueBytesMax: 1024 * 1024 });
    assert.deepEqual(bucketPropsOf(settings.cluster)('anything'), { n: 3, r: 2, w: 2, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' });
    assert.equal(settings.clientListen, undefined, 'no client port unless one is given');
    assert.equal(settings.cluster.clientInflightMax, 1024);
    assert.equal(settings.cluster.clientConnectionsMax, 1024);
  });

  test('the binary client address: from the config, --client-address (also kvorum://) or a --peer; each checked', () => {
    const path = configFile({
      nodes: [
        { name: 'a', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', clientAddress: '127.0.0.1:9001' },
        { name: 'b', address: '127.0.0.1:7002', httpUrl: 'http://127.0.0.1:8002' },
      ],
      clientInflightMax: 16,
    });
    const a = resolveNodeSettings({ config: path, name: 'a' });
    assert.deepEqual(a.clientListen, { host: '127.0.0.1', port: 9001 });
    assert.equal(a.cluster.clientInflightMax, 16);
    assert.deepEqual(a.cluster.nodes.map((node) => node.clientAddress), ['127.0.0.1:9001', undefined]);
    // Beyond loopback, hence insecure (security/listen-policy.ts).
    const b = resolveNodeSettings({ config: path, name: 'b', 'client-address': 'kvorum://0.0.0.0:9002', insecure: true });
    assert.deepEqual(b.clientListen, { host: '0.0.0.0', port: 9002 });
    assert.equal(b.cluster.nodes.find((node) => node.name === 'b')?.clientAddress, '0.0.0.0:9002');
    const peered = resolveNodeSettings({ ...oneNode, peer: ['n2=127.0.0.1:7002,http://127.0.0.1:8002,127.0.0.1:9002'] });
    assert.equal(peered.cluster.nodes.find((node) => node.name === 'n2')?.clientAddress, '127.0.0.1:9002');
    assert.equal(flagsFromEnv({}, { KVORUM_CLIENT_ADDRESS: '127.0.0.1:9009' })['client-address'], '127.0.0.1:9009');
    assert.throws(() => resolveNodeSettings({ ...oneNode, 'client-address': 'nowhere' }), refusedFor(/--client-address/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ nodes: [{ ...oneNodeEntry, clientAddress: 9001 }] }) }), refusedFor(/clientAddress/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ nodes: [{ ...oneNodeEntry, clientAddress: 'http://127.0.0.1:9001' }] }) }), refusedFor(/clientAddress/));
    const scheme = resolveNodeSettings({ name: 'n1', config: configFile({ nodes: [{ ...oneNodeEntry, clientAddress: 'kvorum://[::1]:9001' }] }) });
    assert.deepEqual(scheme.clientListen, { host: '::1', port: 9001 });
    assert.equal(scheme.cluster.nodes[0]!.clientAddress, '[::1]:9001');
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ clientInflightMax: 0 }) }), refusedFor(/clientInflightMax/));
  });

  test('a config file lists members, per-bucket quorums and a default bucket; flags pick the node', () => {
    const path = configFile({
      partitionCount: 128,
      nodes: [
        { name: 'a', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', dataDir: 'data/a' },
        { name: 'b', address: '127.0.0.1:7002', httpUrl: 'http://127.0.0.1:8002', zone: 'z2', capacity: 2 },
      ],
      buckets: { '*': { n: 2, r: 1, w: 1 }, carts: { w: 2 } },
    });
    const settings = resolveNodeSettings({ config: path, name: 'a' });
    assert.equal(settings.cluster.nodes.length, 2);
    assert.equal(settings.dataDir, join(path, '..', 'data/a'));
    const props = bucketPropsOf(settings.cluster);
    assert.deepEqual(props('carts'), { n: 2, r: 1, w: 2, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' });
    assert.deepEqual(props('other'), { n: 2, r: 1, w: 1, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' });
  });

  test('KVORUM_* variables fill flags that were not given', () => {
    const flags = flagsFromEnv({ name: 'n1' }, { KVORUM_NODE_ADDRESS: '127.0.0.1:7005', KVORUM_STORAGE: 'memory', KVORUM_NAME: 'ignored' });
    assert.equal(flags.name, 'n1');
    assert.equal(flags['node-address'], '127.0.0.1:7005');
    assert.equal(flags.storage, 'memory');
  });

  test('--bind-host listens on another host than the advertised addresses (a container or pod)', () => {
    // Beyond loopback: insecure here, to test the addresses alone (listen-policy.ts has its own tests).
    const flags = { name: 'kvorum-1', 'node-address': 'kvorum-1.kvorum:7001', 'http-address': 'kvorum-1.kvorum:8001', 'client-address': 'kvorum-1.kvorum:9001', insecure: true };
    const settings = resolveNodeSettings(flagsFromEnv(flags, { KVORUM_BIND_HOST: '0.0.0.0' }));
    assert.deepEqual([settings.listenHost, settings.httpHost, settings.clientListen?.host], ['0.0.0.0', '0.0.0.0', '0.0.0.0']);
    assert.deepEqual([settings.listenPort, settings.httpPort, settings.clientListen?.port], [7001, 8001, 9001]);
    const self = settings.cluster.nodes.find((node) => node.name === 'kvorum-1');
    assert.deepEqual([self?.address, self?.httpUrl, self?.clientAddress], ['kvorum-1.kvorum:7001', 'http://kvorum-1.kvorum:8001', 'kvorum-1.kvorum:9001']);
    assert.throws(() => resolveNodeSettings({ ...flags, 'bind-host': 'not a host' }), refusedFor(/--bind-host/));
  });

  test('each bad field is refused with bad_config naming it', () => {
    assert.throws(() => resolveNodeSettings({ ...oneNode, name: 'bad name' }), refusedFor(/--name/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, partitions: '100' }), refusedFor(/partitionCount/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, storage: 'rocks' }), refusedFor(/storage/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, 'node-address': 'nowhere' }), refusedFor(/--node-address/));
    assert.throws(() => resolveNodeSettings({ name: 'n9' }), refusedFor(/--node-address/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile('{nope') }), refusedFor(/not valid JSON/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ buckets: { carts: { n: 3, r: 4 } } }) }), refusedFor(/buckets\.carts/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, peer: ['n2=127.0.0.1:7002'] }), refusedFor(/--peer/));
  });

  test('keyBytesMax may not exceed what the storage engine can hold with the longest bucket name', () => {
    assert.equal(resolveNodeSettings({ ...oneNode, config: configFile({ keyBytesMax: userKeyBytesMax }) }).cluster.requestLimits.keyBytesMax, userKeyBytesMax);
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ keyBytesMax: userKeyBytesMax + 1 }) }), refusedFor(/keyBytesMax/));
  });

  test('dialAddresses: a node may dial a peer through another address (a proxy); each entry is checked', () => {
    const nodes = (dial: unknown) => [
      { name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', dialAddresses: dial },
      { name: 'n2', address: '127.0.0.1:7002', httpUrl: 'http://127.0.0.1:8002' },
    ];
    const settings = resolveNodeSettings({ name: 'n1', config: configFile({ nodes: nodes({ n2: '127.0.0.1:9002' }) }) });
    assert.deepEqual([...settings.dialAddresses], [['n2', '127.0.0.1:9002']]);
    assert.deepEqual([...resolveNodeSettings({ name: 'n2', config: configFile({ nodes: nodes({ n2: '127.0.0.1:9002' }) }) }).dialAddresses], []);
    assert.throws(() => resolveNodeSettings({ name: 'n1', config: configFile({ nodes: nodes({ n2: 'nowhere' }) }) }), refusedFor(/dialAddresses\.n2/));
    assert.throws(() => resolveNodeSettings({ name: 'n1', config: configFile({ nodes: nodes(['x']) }) }), refusedFor(/dialAddresses/));
  });

  test('valueBytesMax: siblingsHardMax values of the largest allowed size fit one frame (issue 11 §2)', () => {
    // 16 MiB was allowed: four puts of it to one key made an object over the 64 MiB frame limit.
    assert.throws(() => resolveNodeSettings({ ...oneNode, 'value-bytes-max': String(16 * 1024 * 1024) }), refusedFor(/valueBytesMax: expected an integer from 1 to 1310720/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ valueBytesMax: limits.valueBytesMaxLimit + 1 }) }), refusedFor(/valueBytesMax/));
    const largest = resolveNodeSettings({ ...oneNode, 'value-bytes-max': String(limits.valueBytesMaxLimit) });
    assert.equal(largest.cluster.requestLimits.valueBytesMax, limits.valueBytesMaxLimit);
    const sibling = siblingFieldsBytes + actorBytesMax + limits.contentTypeBytesMax + limits.valueBytesMaxLimit;
    assert.ok(limits.siblingsHardMax * sibling + 2 * 1024 * 1024 <= limits.objectBytesMax, 'room for the context is left');
    assert.ok(limits.objectBytesMax + 32 * 1024 <= limits.frameBytesMax, 'room for the message around an object is left');
  });

  test('members are held to what a gossiped view may hold (issue 11 §10)', () => {
    const member = (entry: Record<string, unknown>) => configFile({ nodes: [{ name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', ...entry }] });
    assert.throws(() => resolveNodeSettings({ name: 'n1', config: member({ capacity: 1e-300 }) }), refusedFor(/capacity/));
    assert.throws(() => resolveNodeSettings({ name: 'n1', config: member({ zone: 'z'.repeat(129) }) }), refusedFor(/zone/));
    assert.throws(() => resolveNodeSettings({ name: 'n1', config: member({ address: '127.0.0.1:0' }) }), refusedFor(/address/));
  });

  test('http timeouts and the peer frame timeout may be shortened in the config file, and are checked', () => {
    const defaults = resolveNodeSettings(oneNode).cluster;
    assert.deepEqual(defaults.httpTimeouts, httpTimeoutsDefault);
    assert.equal(defaults.peerFrameTimeoutMs, transportDefaults.frameTimeoutMs);
    const set = resolveNodeSettings({ ...oneNode, config: configFile({ http: { requestTimeoutMs: 1_000, headersTimeoutMs: 500 }, transport: { frameTimeoutMs: 200 } }) }).cluster;
    assert.deepEqual(set.httpTimeouts, { ...httpTimeoutsDefault, requestTimeoutMs: 1_000, headersTimeoutMs: 500 });
    assert.equal(set.peerFrameTimeoutMs, 200);
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ http: { requestTimeoutMs: 0 } }) }), refusedFor(/http\.requestTimeoutMs/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ http: { bodyTimeoutMs: 5 } }) }), refusedFor(/http\.bodyTimeoutMs: unknown/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ http: { requestTimeoutMs: 1_000 } }) }), refusedFor(/headersTimeoutMs: must not exceed/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ transport: { frameTimeoutMs: 'soon' } }) }), refusedFor(/transport\.frameTimeoutMs/));
    assert.throws(() => resolveNodeSettings({ ...oneNode, config: configFile({ transport: { inboundConnectionsMax: 5 } }) }), refusedFor(/transport\.inboundConnectionsMax: unknown/));
  });
});
