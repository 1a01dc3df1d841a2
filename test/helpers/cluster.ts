/**
 * Starts a cluster of real kvorum node processes on loopback through the CLI, each with its own
 * data dir, for integration and fault tests. Everything it starts it stops (by PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { makeCertificates } from '../../src/runtime/security/certificates.ts';
import { newToken, tokenSha256 } from '../../src/runtime/security/client-auth.ts';
import { LinkProxy } from './link-proxy.ts';

const root = new URL('../..', import.meta.url).pathname;
const cliPath = join(root, 'src', 'cli', 'main.ts');

export interface TestNode {
  readonly name: string;
  readonly address: string;
  readonly httpUrl: string;
  /** host:port of its binary client protocol port. */
  readonly clientAddress: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  /** Flags after `--config FILE --name NAME` (a node outside the config gives its addresses). */
  readonly args?: readonly string[];
}

export interface ClusterOptions {
  readonly nodes?: number;
  readonly partitionCount?: number;
  readonly buckets?: Record<string, unknown>;
  readonly storage?: 'lmdb' | 'memory';
  readonly extra?: Record<string, unknown>;
  /** Route every node-to-node link through a LinkProxy, so the test can cut and heal links. */
  readonly proxied?: boolean;
  /**
   * Client tokens to make, by name, with their roles (docs/security.md); the cluster then checks
   * tokens, and an `admin` token is added for the helper's own requests.
   */
  readonly tokens?: Record<string, readonly string[]>;
  /** TLS on every port: a CA and a certificate per node are made in the cluster's dir. */
  readonly tls?: boolean;
}

/** What the helper presents to a cluster that checks tokens or speaks TLS. */
export interface TestCredentials {
  /** Each token made, by name (`admin` among them). */
  readonly tokens: ReadonlyMap<string, string>;
  /** The cluster CA's PEM, when the cluster speaks TLS. */
  readonly ca: Buffer | undefined;
}

/**
 * Below Linux's ephemeral range (32768–60999): a port picked here is not handed out again by a
 * later bind to port 0 (a LinkProxy's listeners) or to an outgoing connection, which once took a
 * node's HTTP port between this pick and the node's start (EADDRINUSE).
 */
const testPortMin = 20_000;
const testPortMax = 32_000;

/** `count` distinct ports, each free right now (bound and closed again), outside the ephemeral range. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = testPortMin + Math.floor(Math.random() * (testPortMax - testPortMin));
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  await new Promise((resolve) => server.close(resolve));
  return true;
}

/**
 * A node's metric from /metrics: the sum of the series named `name` (full Prometheus name, e.g.
 * `kvorum_hints_delivered_total`) whose labels include `labels`; 0 when there is none yet.
 */
export async function nodeMetric(url: string, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seriesLabels = new Map([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([label, value]) => seriesLabels.get(label) === value)) sum += Number(match[3]);
  }
  return sum;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export class TestCluster {
  private readonly agent: Agent | undefined;

  private constructor(
    readonly dir: string,
    readonly configPath: string,
    readonly nodes: TestNode[],
    /** The proxy on every link, when started with `proxied`. */
    readonly proxy: LinkProxy | undefined,
    readonly credentials: TestCredentials,
  ) {
    this.agent = credentials.ca === undefined ? undefined : new Agent({ connect: { ca: credentials.ca } });
  }

  /** fetch() as an admin: with the admin token, if any, trusting the cluster CA, if any. */
  fetch(url: string, init: Omit<RequestInit, 'dispatcher'> = {}): Promise<Response> {
    const token = this.credentials.tokens.get('admin');
    const headers = token === undefined ? init.headers : { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` };
    return undiciFetch(url, { ...init, headers, dispatcher: this.agent });
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const count = options.nodes ?? 3;
    const dir = mkdtempSync(join(tmpdir(), 'kvorum-test-'));
    const ports = await freePorts(count * 3);
    const scheme = options.tls ? 'https' : 'http';
    const nodes: TestNode[] = Array.from({ length: count }, (_, i) => ({
      name: `n${i + 1}`,
      address: `127.0.0.1:${ports[3 * i]}`,
      httpUrl: `${scheme}://127.0.0.1:${ports[3 * i + 1]}`,
      clientAddress: `127.0.0.1:${ports[3 * i + 2]}`,
      dataDir: join(dir, `n${i + 1}`),
      process: undefined,
    }));
    const configPath = join(dir, 'cluster.json');
    const proxy = options.proxied ? await LinkProxy.start(new Map(nodes.map((node) => [node.name, node.address]))) : undefined;
    const tokens = new Map<string, string>();
    const security: Record<string, unknown> = {};
    if (options.tokens !== undefined) {
      const roles = { admin: ['admin'], ...options.tokens };
      for (const name of Object.keys(roles)) tokens.set(name, newToken());
      // The nodes' own monitor token, shown to each other for the dashboard (security/node-token.ts).
      const nodeToken = newToken();
      writeFileSync(join(dir, 'node-token'), `${nodeToken}\n`, { mode: 0o600 });
      const entries = Object.entries(roles).map(([name, granted]) => ({ name, sha256: tokenSha256(tokens.get(name)!), roles: granted }));
      security.auth = { tokens: [...entries, { name: 'nodes', sha256: tokenSha256(nodeToken), roles: ['monitor'] }], nodeTokenFile: 'node-token' };
    }
    if (options.tls) {
      makeCertificates(join(dir, 'certs'), nodes.map((node) => node.name), []);
      security.tls = { ca: 'certs/ca.pem' };
    }
    const nodeTls = (name: string) => (options.tls ? { tls: { cert: `certs/${name}.pem`, key: `certs/${name}-key.pem` } } : {});
    const config = {
      clusterName: 'test',
      partitionCount: options.partitionCount ?? 64,
      storage: options.storage ?? 'lmdb',
      requestTimeoutMs: 2_000,
      nodes: nodes.map(({ name, address, httpUrl, clientAddress, dataDir }) => ({ name, address, httpUrl, clientAddress, dataDir, dialAddresses: proxy?.dialAddressesOf(name), ...nodeTls(name) })),
      buckets: options.buckets ?? {},
      ...security,
      ...options.extra,
    };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const credentials = { tokens, ca: options.tls ? readFileSync(join(dir, 'certs', 'ca.pem')) : undefined };
    const cluster = new TestCluster(dir, configPath, nodes, proxy, credentials);
    try {
      await Promise.all(nodes.map((node) => cluster.startNode(node.name)));
      await cluster.waitEpochsKnown();
    } catch (error) {
      await cluster.stop(); // nodes that did start would otherwise keep the test process alive
      throw error;
    }
    return cluster;
  }

  node(name: string): TestNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  get urls(): string[] {
    return this.nodes.map((node) => node.httpUrl);
  }

  /** The nodes' binary client addresses as `connect({ nodes })` takes them: kvorum://host:port. */
  get clientUrls(): string[] {
    return this.nodes.map((node) => `kvorum://${node.clientAddress}`);
  }

  /**
   * A node outside the cluster config, started with only seeds (`--seed`): it learns the ring
   * from them and can then be asked to join (`kvorum join`).
   */
  async addNode(name: string, seeds: readonly string[], extraArgs: readonly string[] = []): Promise<TestNode> {
    const [nodePort, httpPort, clientPort] = await freePorts(3);
    const node: TestNode = {
      name,
      address: `127.0.0.1:${nodePort}`,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      clientAddress: `127.0.0.1:${clientPort}`,
      dataDir: join(this.dir, name),
      process: undefined,
      args: [
        ...['--node-address', `127.0.0.1:${nodePort}`, '--http-address', `127.0.0.1:${httpPort}`, '--client-address', `127.0.0.1:${clientPort}`],
        ...['--data-dir', join(this.dir, name), ...seeds.flatMap((seed) => ['--seed', seed])],
        ...extraArgs,
      ],
    };
    this.nodes.push(node);
    await this.startNode(name);
    return node;
  }

  /** Starts (or restarts) a node through the CLI and waits until its HTTP API answers. */
  async startNode(name: string): Promise<void> {
    const node = this.node(name);
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath, 'start', '--config', this.configPath, '--name', name, ...(node.args ?? [])], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    node.process = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    await waitFor(`${name} to answer /health`, async () => {
      if (exited) throw new Error(`${name} exited during start; see ${join(this.dir, `${name}.log`)}`);
      const response = await this.fetch(`${node.httpUrl}/health`);
      // The process this call started, not an old one still on the port (the helper's admin token may see the pid).
      return response.ok && ((await response.json()) as { pid?: unknown }).pid === child.pid ? true : undefined;
    });
  }

  /** The sum of a node metric (`nodeMetric`) over the running nodes. */
  async metricSum(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    let sum = 0;
    for (const node of this.nodes) if (node.process) sum += await nodeMetric(node.httpUrl, name, labels);
    return sum;
  }

  /**
   * Waits until every running node is ready to coordinate requests, if it is a member: it
   * knows the partition epochs — a node with a new disk takes replicas' writes only once it has
   * heard from the other members (core/tombstones/epoch-sync.ts) — and a peer's view has reached
   * it since it started (core/membership/membership.ts `viewConfirmed`).
   */
  async waitEpochsKnown(): Promise<void> {
    const running = this.nodes.filter((node) => node.process);
    await waitFor('running nodes to be ready', async () => {
      for (const node of running) {
        const view = (await (await this.fetch(`${node.httpUrl}/v1/cluster`)).json()) as { epochsKnown: boolean; viewConfirmed: boolean };
        if (!view.epochsKnown || !view.viewConfirmed) return undefined;
      }
      return true;
    });
  }

  /**
   * Waits until no running node sees another running node as down, and each has heard a peer's
   * view since it started. A restarted node is reachable again only once its peers' reconnect
   * backoff has run out.
   */
  async waitConnected(): Promise<void> {
    const running = this.nodes.filter((node) => node.process);
    await waitFor('running nodes to see each other up', async () => {
      for (const node of running) {
        const view = (await (await this.fetch(`${node.httpUrl}/v1/cluster`)).json()) as { viewConfirmed: boolean; nodes: { name: string; status: string }[] };
        const down = view.nodes.filter((peer) => peer.status === 'down' && running.some((r) => r.name === peer.name));
        // A restarted node coordinates nothing until a peer's view has reached it (Membership.viewConfirmed).
        if (down.length > 0 || !view.viewConfirmed) return undefined;
      }
      return true;
    });
  }

  /** Kills a node's process (default SIGKILL: no clean shutdown) and waits until it is gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(name);
    const child = node.process;
    node.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.kill(node.name, 'SIGTERM')));
    await this.proxy?.close();
    await this.agent?.close();
    // KVORUM_TEST_KEEP=1 keeps the data dirs and node logs of a run for a post-mortem.
    if (process.env.KVORUM_TEST_KEEP === '1') console.error(`kept test cluster files in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
