/**
 * Node settings: from a cluster config file, flags, or `KVORUM_*` environment variables, in that
 * order of precedence from lowest to highest. Validated at start with one clear message per bad
 * field (DESIGN §10), so a typo fails fast instead of half-starting a node.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defaultAntiEntropySettings } from '../core/antientropy/settings.ts';
import { KvorumError } from '../core/errors.ts';
import { defaultBucketProps, limits, type BucketProps } from '../core/limits.ts';
import { isHostPort } from '../core/host-port.ts';
import { capacityProblem, httpUrlProblem, nodeAddressProblem, zoneProblem } from '../core/membership/member-fields.ts';
import { isValidPartitionCount } from '../core/ring/hash.ts';
import type { RingNode } from '../core/ring/types.ts';
import { validateBucket, validateBucketProps, type RequestLimits } from '../core/validate.ts';
import type { EngineKind } from '../storage/engine.ts';
import { userKeyBytesMax } from '../storage/keys.ts';
import { clientProtocolDefaults } from './client-protocol/settings.ts';
import { httpTimeoutMsMax, httpTimeoutsDefault, type HttpTimeouts } from './http/settings.ts';
import { transportDefaults } from './transport/settings.ts';
import { parseSecuritySettings, type SecuritySettings } from './security/security-config.ts';
import { listenPolicyProblems } from './security/listen-policy.ts';

/** One member as the cluster config file lists it. */
export interface NodeEntry extends RingNode {
  /** Data directory of this node, when the config file says where (relative to the file). */
  readonly dataDir?: string | undefined;
  /**
   * Where THIS node dials some peers instead of their advertised `address` (peer name →
   * host:port): for a relay or proxy in between. Fault tests put a cuttable proxy on every link
   * this way (test/helpers/link-proxy.ts).
   */
  readonly dialAddresses?: ReadonlyMap<string, string> | undefined;
}

export interface ClusterSettings {
  readonly clusterName: string;
  readonly clusterSecret?: string | undefined;
  readonly partitionCount: number;
  readonly nodes: readonly NodeEntry[];
  /** Properties per bucket; buckets not listed get `defaultBucket`. */
  readonly buckets: ReadonlyMap<string, BucketProps>;
  readonly defaultBucket: BucketProps;
  readonly requestTimeoutMs: number;
  readonly requestLimits: RequestLimits;
  /**
   * How often each node starts an anti-entropy exchange (one partition with one peer,
   * core/antientropy/). Config field `antiEntropyExchangeIntervalMs`; tests shorten it.
   */
  readonly antiEntropyExchangeIntervalMs: number;
  /**
   * How long a write may wait in a node's object buffer before its writer commits it to disk
   * (Dynamo §6.1; storage/write-buffer.ts): what a crash can cost writes acknowledged from the
   * buffer (docs/durability.md). Config field `flushIntervalMs`.
   */
  readonly flushIntervalMs: number;
  /** Binary client protocol: requests in flight per connection (config field `clientInflightMax`). */
  readonly clientInflightMax: number;
  /** Binary client protocol: open connections per node (config field `clientConnectionsMax`). */
  readonly clientConnectionsMax: number;
  /** Timeouts of the HTTP API (config field `http`; tests shorten them): http/settings.ts. */
  readonly httpTimeouts: HttpTimeouts;
  /**
   * How long a peer's frame may take to arrive whole (config field `transport.frameTimeoutMs`;
   * tests shorten it): transport/settings.ts.
   */
  readonly peerFrameTimeoutMs: number;
}

export interface NodeSettings {
  readonly name: string;
  readonly dataDir: string;
  readonly storage: EngineKind;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly httpHost: string;
  readonly httpPort: number;
  /**
   * Where the binary client protocol listens (the node's `clientAddress`); undefined: no client
   * port, and clients reach this node over HTTP.
   */
  readonly clientListen: { readonly host: string; readonly port: number } | undefined;
  readonly cluster: ClusterSettings;
  /**
   * Seed nodes (name → node address): gossiped with now and then so the ring does not split, and
   * how a node started without a cluster config finds the cluster's ring (Dynamo §4.8.2).
   */
  readonly seeds: ReadonlyMap<string, string>;
  /** Peers this node dials somewhere other than their advertised address (NodeEntry.dialAddresses). */
  readonly dialAddresses: ReadonlyMap<string, string>;
  /**
   * Whether the config file or --peer flags list this node. A node that is not listed and has
   * seeds is a new node: it starts with no ring of its own and learns the cluster's from a seed
   * (it must not offer a ring of its own making, which could win against the cluster's).
   */
  readonly listed: boolean;
  /**
   * No cluster name was given (flag, environment or config file) to a node that is listed in no
   * config and has seeds: it takes its seeds' cluster name in the handshake (transport.ts) and
   * keeps it on its disk. It must still be given the cluster's secret, if it has one.
   */
  readonly learnsClusterName: boolean;
  /** Client tokens, TLS material, `insecure` (security/security-config.ts). */
  readonly security: SecuritySettings;
}

/** Flags of `kvorum start`, each also readable from `KVORUM_<FLAG_IN_CAPS>`. */
export interface StartFlags {
  config?: string | undefined;
  name?: string | undefined;
  'node-address'?: string | undefined;
  'http-address'?: string | undefined;
  'client-address'?: string | undefined;
  'data-dir'?: string | undefined;
  storage?: string | undefined;
  peer?: string[] | undefined;
  seed?: string[] | undefined;
  'cluster-name'?: string | undefined;
  'cluster-secret'?: string | undefined;
  partitions?: string | undefined;
  'value-bytes-max'?: string | undefined;
  'bind-host'?: string | undefined;
  'tls-ca'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  insecure?: string | boolean | undefined;
}

export const startFlagNames = [
  'config',
  'name',
  'node-address',
  'http-address',
  'client-address',
  'data-dir',
  'storage',
  'peer',
  'seed',
  'cluster-name',
  'cluster-secret',
  'partitions',
  'value-bytes-max',
  'bind-host',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'insecure',
] as const;

/** The cluster name of a node given none (and learning none from its seeds). */
export const defaultClusterName = 'kvorum';

/** The longest anti-entropy exchange interval a config may set: one hour. */
const antiEntropyExchangeIntervalMsMax = 3_600_000;
/**
 * The most a config may set for the binary protocol's per-connection in-flight requests and
 * connections: the node coordinates at most limits.inflightRequestsMax requests in all anyway.
 */
const clientInflightMaxLimit = limits.inflightRequestsMax;
const clientConnectionsMaxLimit = 65_536;

function bad(field: string, message: string): never {
  throw new KvorumError('bad_config', `${field}: ${message}`);
}

/** Flags win over environment variables, which win over the config file. */
export function flagsFromEnv(flags: StartFlags, env: NodeJS.ProcessEnv): StartFlags {
  const merged: StartFlags = { ...flags };
  for (const name of startFlagNames) {
    const value = env[`KVORUM_${name.toUpperCase().replaceAll('-', '_')}`];
    if (value === undefined || merged[name] !== undefined) continue;
    if (name === 'peer' || name === 'seed') merged[name] = value.split(/\s+/).filter(Boolean);
    else merged[name] = value;
  }
  return merged;
}

export function parseHostPort(field: string, text: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || port > 65535) bad(field, `expected host:port, got ${JSON.stringify(text)}`);
  return { host: match[1], port };
}

/** An address the node advertises: the other members check it as they check any view (member-fields.ts). */
function parseAdvertisedAddress(field: string, text: string): void {
  parseHostPort(field, text);
  const problem = nodeAddressProblem(text);
  if (problem !== null) bad(field, problem);
}

function parseHttpUrl(field: string, text: string): URL {
  try {
    const url = new URL(text.includes('://') ? text : `http://${text}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(field, `expected an http(s) URL, got ${text}`);
    const problem = httpUrlProblem(url.origin);
    if (problem !== null) bad(field, problem);
    return url;
  } catch (error) {
    if (error instanceof KvorumError) throw error;
    return bad(field, `expected an http(s) URL, got ${JSON.stringify(text)}`);
  }
}

function validName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    bad(field, `node names are 1-64 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(name)})`);
  }
  return name;
}

function positiveInteger(field: string, value: unknown, max: number): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > max) {
    bad(field, `expected an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/**
 * `siblingsHardMax` values of this size must fit one object a frame can carry (limits.ts
 * valueBytesMaxLimit): a larger limit let four 16 MiB puts make an object no node could send,
 * and the node that tried died, again after every restart (issue 11 §2).
 */
function parseValueBytesMax(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > limits.valueBytesMaxLimit) {
    bad(
      'valueBytesMax',
      `expected an integer from 1 to ${limits.valueBytesMaxLimit} (1.25 MiB: ${limits.siblingsHardMax} siblings of that size must fit ` +
        `one object of at most ${limits.objectBytesMax} bytes, under the ${limits.frameBytesMax}-byte frame between nodes), got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function parseNodeEntry(field: string, raw: unknown, baseDir: string): NodeEntry {
  if (typeof raw !== 'object' || raw === null) bad(field, 'expected an object');
  const entry = raw as Record<string, unknown>;
  const name = validName(`${field}.name`, entry.name);
  if (typeof entry.address !== 'string') bad(`${field}.address`, 'expected "host:port"');
  parseAdvertisedAddress(`${field}.address`, entry.address);
  if (typeof entry.httpUrl !== 'string') bad(`${field}.httpUrl`, 'expected a URL such as "http://127.0.0.1:8001"');
  const httpUrl = parseHttpUrl(`${field}.httpUrl`, entry.httpUrl).origin;
  const capacity = entry.capacity === undefined ? 1 : entry.capacity;
  const capacityWrong = capacityProblem(capacity);
  if (capacityWrong !== null) bad(`${field}.capacity`, capacityWrong);
  const zoneWrong = zoneProblem(entry.zone);
  if (zoneWrong !== null) bad(`${field}.zone`, zoneWrong);
  if (entry.dataDir !== undefined && typeof entry.dataDir !== 'string') bad(`${field}.dataDir`, 'expected a path');
  if (entry.clientAddress !== undefined && typeof entry.clientAddress !== 'string') bad(`${field}.clientAddress`, 'expected "host:port"');
  const clientAddress = typeof entry.clientAddress === 'string' ? parseClientAddress(`${field}.clientAddress`, entry.clientAddress) : undefined;
  const dialAddresses = parseDialAddresses(`${field}.dialAddresses`, entry.dialAddresses);
  return {
    name,
    address: entry.address,
    httpUrl,
    clientAddress,
    capacity: capacity as number,
    zone: typeof entry.zone === 'string' ? entry.zone : undefined,
    dataDir: typeof entry.dataDir === 'string' ? resolve(baseDir, entry.dataDir) : undefined,
    dialAddresses,
  };
}

function parseDialAddresses(field: string, raw: unknown): ReadonlyMap<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(field, 'expected an object of peer name → "host:port"');
  const addresses = new Map<string, string>();
  for (const [peer, address] of Object.entries(raw as Record<string, unknown>)) {
    validName(`${field}.${peer}`, peer);
    if (typeof address !== 'string') bad(`${field}.${peer}`, 'expected "host:port"');
    parseHostPort(`${field}.${peer}`, address);
    addresses.set(peer, address);
  }
  return addresses;
}

function parseBuckets(raw: unknown, base: BucketProps): { buckets: Map<string, BucketProps>; defaultBucket: BucketProps } {
  const buckets = new Map<string, BucketProps>();
  if (raw === undefined) return { buckets, defaultBucket: base };
  if (typeof raw !== 'object' || raw === null) bad('buckets', 'expected an object of bucket name → {n, r, w, resolution}');
  const entries = Object.entries(raw as Record<string, unknown>);
  const withProps = (name: string, value: unknown, from: BucketProps): BucketProps => {
    if (typeof value !== 'object' || value === null) bad(`buckets.${name}`, 'expected {n, r, w, resolution}');
    try {
      return validateBucketProps(value as Partial<BucketProps>, from);
    } catch (error) {
      if (error instanceof KvorumError) bad(`buckets.${name}`, error.message);
      throw error;
    }
  };
  const defaultRaw = (raw as Record<string, unknown>)['*'];
  const defaultBucket = defaultRaw === undefined ? base : withProps('*', defaultRaw, base);
  for (const [name, value] of entries) {
    if (name === '*') continue;
    try {
      validateBucket(name);
    } catch {
      bad(`buckets.${name}`, 'not a valid bucket name (A-Z a-z 0-9 _ . -, at most 64)');
    }
    buckets.set(name, withProps(name, value, defaultBucket));
  }
  return { buckets, defaultBucket };
}

/** Reads a cluster config file (JSON). Relative data dirs are relative to the file. */
export function readClusterFile(path: string): { raw: Record<string, unknown>; baseDir: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return bad('config', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const raw = JSON.parse(text) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('config', `${path} must hold a JSON object`);
    return { raw: raw as Record<string, unknown>, baseDir: dirname(resolve(path)) };
  } catch (error) {
    if (error instanceof KvorumError) throw error;
    return bad('config', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A binary client address as the config takes it: "host:port", or "kvorum://host:port" as clients write it. */
function parseClientAddress(field: string, text: string): string {
  const address = text.startsWith('kvorum://') ? text.slice('kvorum://'.length) : text;
  if (!isHostPort(address)) bad(field, `expected host:port (IPv6 in brackets), got ${JSON.stringify(text)}`);
  return address;
}

function parsePeerFlag(text: string, index: number): NodeEntry {
  // --peer name=host:port,http://host:port[,client host:port]
  const match = /^([^=]+)=([^,]+),([^,]+)(?:,(.+))?$/.exec(text);
  if (!match) bad(`--peer #${index + 1}`, `expected name=host:port,http://host:port[,client-host:port] (got ${JSON.stringify(text)})`);
  const [, name, address, http, client] = match as unknown as [string, string, string, string, string | undefined];
  parseAdvertisedAddress(`--peer ${name}`, address);
  const clientAddress = client === undefined ? undefined : parseClientAddress(`--peer ${name}`, client);
  return { name: validName(`--peer ${name}`, name), address, httpUrl: parseHttpUrl(`--peer ${name}`, http).origin, clientAddress, capacity: 1 };
}

/** --seed NAME=HOST:PORT, or a config file's "seeds": ["NAME=HOST:PORT", …]. */
function parseSeeds(field: string, texts: readonly unknown[]): Map<string, string> {
  const seeds = new Map<string, string>();
  texts.forEach((text, index) => {
    const match = typeof text === 'string' ? /^([^=]+)=(.+)$/.exec(text) : null;
    if (!match) bad(`${field} #${index + 1}`, `expected name=host:port (got ${JSON.stringify(text)})`);
    const [, name, address] = match as unknown as [string, string, string];
    parseHostPort(`${field} ${name}`, address);
    seeds.set(validName(`${field} ${name}`, name), address);
  });
  return seeds;
}

/** Builds and validates the settings of one node from flags (after `flagsFromEnv`). */
export function resolveNodeSettings(flags: StartFlags): NodeSettings {
  const file = flags.config ? readClusterFile(flags.config) : { raw: {} as Record<string, unknown>, baseDir: process.cwd() };
  const raw = file.raw;
  const name = validName('--name', flags.name);

  const nodes: NodeEntry[] = [];
  if (raw.nodes !== undefined) {
    if (!Array.isArray(raw.nodes)) bad('nodes', 'expected an array of {name, address, httpUrl}');
    raw.nodes.forEach((entry, index) => nodes.push(parseNodeEntry(`nodes[${index}]`, entry, file.baseDir)));
  }
  (flags.peer ?? []).forEach((text, index) => {
    const peer = parsePeerFlag(text, index);
    if (!nodes.some((node) => node.name === peer.name)) nodes.push(peer);
  });

  let self = nodes.find((node) => node.name === name);
  const listed = self !== undefined;
  if (flags['node-address'] || flags['http-address'] || !self) {
    const address = flags['node-address'] ?? self?.address ?? bad('--node-address', `node ${name} is not in the config; give --node-address`);
    const httpText = flags['http-address'] ?? self?.httpUrl ?? bad('--http-address', `node ${name} is not in the config; give --http-address`);
    parseAdvertisedAddress('--node-address', address);
    const updated: NodeEntry = { ...(self ?? { name, capacity: 1 }), address, httpUrl: parseHttpUrl('--http-address', httpText).origin };
    const index = nodes.findIndex((node) => node.name === name);
    if (index >= 0) nodes[index] = updated;
    else nodes.push(updated);
    self = updated;
  }
  if (flags['client-address']) {
    const updated: NodeEntry = { ...self, clientAddress: parseClientAddress('--client-address', flags['client-address']) };
    nodes[nodes.findIndex((node) => node.name === name)] = updated;
    self = updated;
  }
  const names = new Set<string>();
  for (const node of nodes) {
    if (names.has(node.name)) bad('nodes', `node name ${node.name} appears twice`);
    names.add(node.name);
  }
  if (nodes.length > limits.nodesCountMax) bad('nodes', `at most ${limits.nodesCountMax} nodes`);

  const partitionCount = positiveInteger('partitionCount', flags.partitions ?? raw.partitionCount ?? limits.partitionCountDefault, limits.partitionCountMax);
  if (!isValidPartitionCount(partitionCount)) {
    bad('partitionCount', `must be a power of two from ${limits.partitionCountMin} to ${limits.partitionCountMax} (got ${partitionCount})`);
  }
  const clusterNameGiven = flags['cluster-name'] !== undefined || raw.clusterName !== undefined;
  const clusterName = flags['cluster-name'] ?? raw.clusterName ?? defaultClusterName;
  if (typeof clusterName !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(clusterName)) bad('clusterName', 'expected 1-64 characters of A-Z a-z 0-9 _ . -');
  const secretGiven = flags['cluster-secret'] ?? raw.clusterSecret;
  if (secretGiven !== undefined && typeof secretGiven !== 'string') bad('clusterSecret', 'expected a string');
  // An empty secret is no secret: it must not pass for one (issue 11 §8).
  const clusterSecret = secretGiven === '' ? undefined : secretGiven;
  const storage = flags.storage ?? raw.storage ?? 'lmdb';
  if (storage !== 'lmdb' && storage !== 'memory') bad('storage', `expected "lmdb" or "memory" (got ${JSON.stringify(storage)})`);
  const dataDir = flags['data-dir'] ? resolve(flags['data-dir']) : (self.dataDir ?? resolve('data', name));
  const valueBytesMax = parseValueBytesMax(flags['value-bytes-max'] ?? raw.valueBytesMax ?? limits.valueBytesMax);
  const keyBytesMax = positiveInteger('keyBytesMax', raw.keyBytesMax ?? limits.keyBytesMax, userKeyBytesMax);
  const requestTimeoutMs = positiveInteger('requestTimeoutMs', raw.requestTimeoutMs ?? limits.requestTimeoutMsDefault, limits.requestTimeoutMsMax);
  const antiEntropyExchangeIntervalMs = positiveInteger(
    'antiEntropyExchangeIntervalMs',
    raw.antiEntropyExchangeIntervalMs ?? defaultAntiEntropySettings.exchangeIntervalMs,
    antiEntropyExchangeIntervalMsMax,
  );
  const flushIntervalMs = positiveInteger('flushIntervalMs', raw.flushIntervalMs ?? limits.flushIntervalMsDefault, limits.flushIntervalMsMax);
  const { buckets, defaultBucket } = parseBuckets(raw.buckets, defaultBucketProps);
  const clientInflightMax = positiveInteger('clientInflightMax', raw.clientInflightMax ?? clientProtocolDefaults.inflightMax, clientInflightMaxLimit);
  const clientConnectionsMax = positiveInteger('clientConnectionsMax', raw.clientConnectionsMax ?? clientProtocolDefaults.connectionsMax, clientConnectionsMaxLimit);

  if (raw.seeds !== undefined && !Array.isArray(raw.seeds)) bad('seeds', 'expected an array of "name=host:port"');
  const seeds = parseSeeds('seeds', [...((raw.seeds as unknown[] | undefined) ?? []), ...(flags.seed ?? [])]);
  seeds.delete(name);
  // A container or pod advertises its stable name but listens on every interface (--bind-host 0.0.0.0).
  const bindHost = flags['bind-host'];
  if (bindHost !== undefined && !/^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/.test(bindHost)) bad('--bind-host', `expected a host name or IP address, got ${JSON.stringify(bindHost)}`);
  const listen = parseHostPort('--node-address', self.address);
  const http = new URL(self.httpUrl);
  const client = self.clientAddress === undefined ? undefined : parseHostPort('clientAddress', self.clientAddress);
  const nodeRaw = Array.isArray(raw.nodes) ? (raw.nodes as unknown[]).find((entry) => (entry as { name?: unknown } | null)?.name === name) : undefined;
  const security = parseSecuritySettings(raw, nodeRaw, flags, file.baseDir);
  const problems = listenPolicyProblems({
    hosts: [listen.host, http.hostname, ...(client ? [client.host] : [])],
    clusterSecret,
    tls: security.tls !== undefined,
    tokens: security.clientTokens.length,
    insecure: security.insecure,
  });
  if (problems.length > 0) bad('security', `${problems.join('; ')}; or set "insecure": true (--insecure) to accept the risk on a network you trust (docs/security.md)`);
  if (security.tls !== undefined && http.protocol !== 'https:') bad('httpUrl', `with TLS the node's HTTP URL is https:// (got ${self.httpUrl})`);
  // Clients route by the ring's URLs: one plaintext URL would send them, and their tokens, in clear.
  const plaintextPeer = security.tls === undefined ? undefined : nodes.find((node) => !node.httpUrl.startsWith('https://'));
  if (plaintextPeer !== undefined) bad('nodes[].httpUrl', `with TLS every node's HTTP URL is https:// (${plaintextPeer.name} has ${plaintextPeer.httpUrl})`);
  // Peers check that a node's certificate names it: one that names another would be refused by all.
  if (security.tls !== undefined && security.tls.commonName !== name) bad('tls.cert', `the certificate is for '${security.tls.commonName}', not this node '${name}' (\`kvorum certs --node ${name}\`)`);
  return {
    name,
    dataDir,
    storage,
    dialAddresses: self.dialAddresses ?? new Map(),
    listenHost: bindHost ?? listen.host,
    listenPort: listen.port,
    httpHost: bindHost ?? http.hostname.replace(/^\[|\]$/g, ''),
    httpPort: Number(http.port || (http.protocol === 'https:' ? 443 : 80)),
    clientListen: client === undefined ? undefined : { host: bindHost ?? client.host, port: client.port },
    seeds,
    listed,
    learnsClusterName: !clusterNameGiven && !listed && seeds.size > 0,
    security,
    cluster: {
      clusterName,
      clusterSecret,
      partitionCount,
      nodes,
      buckets,
      defaultBucket,
      requestTimeoutMs,
      requestLimits: { keyBytesMax, valueBytesMax },
      antiEntropyExchangeIntervalMs,
      flushIntervalMs,
      clientInflightMax,
      clientConnectionsMax,
      httpTimeouts: parseHttpTimeouts(raw.http),
      peerFrameTimeoutMs: parsePeerFrameTimeout(raw.transport),
    },
  };
}

/** The config file's `transport`: only `frameTimeoutMs` may be set (the caps are fixed). */
function parsePeerFrameTimeout(raw: unknown): number {
  if (raw === undefined) return transportDefaults.frameTimeoutMs;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('transport', 'expected {"frameTimeoutMs": …}');
  for (const name of Object.keys(raw)) if (name !== 'frameTimeoutMs') bad(`transport.${name}`, 'unknown; expected frameTimeoutMs');
  const value = (raw as Record<string, unknown>).frameTimeoutMs;
  return value === undefined ? transportDefaults.frameTimeoutMs : positiveInteger('transport.frameTimeoutMs', value, httpTimeoutMsMax);
}

/** The config file's `http`: any of the timeouts of http/settings.ts, each 1 ms to an hour. */
function parseHttpTimeouts(raw: unknown): HttpTimeouts {
  if (raw === undefined) return httpTimeoutsDefault;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('http', 'expected an object of timeouts');
  const given = raw as Record<string, unknown>;
  const timeouts: Record<string, number> = { ...httpTimeoutsDefault };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(httpTimeoutsDefault, name)) bad(`http.${name}`, `unknown; expected one of ${Object.keys(httpTimeoutsDefault).join(', ')}`);
    timeouts[name] = positiveInteger(`http.${name}`, value, httpTimeoutMsMax);
  }
  const parsed = timeouts as unknown as HttpTimeouts;
  if (parsed.headersTimeoutMs > parsed.requestTimeoutMs) bad('http.headersTimeoutMs', `must not exceed http.requestTimeoutMs (${parsed.requestTimeoutMs})`);
  return parsed;
}

/** The N the ring is claimed for: replicas of any bucket must land on distinct nodes. */
export function ringTargetN(cluster: ClusterSettings): number {
  let n = cluster.defaultBucket.n;
  for (const props of cluster.buckets.values()) n = Math.max(n, props.n);
  return Math.min(n, cluster.nodes.length);
}

/** The largest N of any bucket: the ring is claimed so N consecutive partitions are distinct nodes. */
export function replicasNOf(cluster: ClusterSettings): number {
  let n = cluster.defaultBucket.n;
  for (const props of cluster.buckets.values()) n = Math.max(n, props.n);
  return n;
}

/** The smallest N of any bucket: past it in a partition's walk, a node holds only some buckets' keys. */
export function replicasNMinOf(cluster: ClusterSettings): number {
  let n = cluster.defaultBucket.n;
  for (const props of cluster.buckets.values()) n = Math.min(n, props.n);
  return n;
}

export function bucketPropsOf(cluster: ClusterSettings): (bucket: string) => BucketProps {
  return (bucket) => cluster.buckets.get(bucket) ?? cluster.defaultBucket;
}
