/**
 * kvorum: a 3-node cluster, each node its own process (`bin/kvorum.js start --config … --name nX`)
 * on loopback ports with its own LMDB data dir, configured by one cluster file. Drivers:
 *
 * - `binary` (client-driven, Dynamo §6.4): the TypeScript client fetches the ring and sends each
 *   request straight to a node of the key's preference list, over the binary protocol (one
 *   pipelined connection per node);
 * - `client`: the same client forced to HTTP (undici keep-alive), so the two protocols compare
 *   with the routing held equal;
 * - `http` (server-driven): the HTTP API of a node picked at random per request — what a
 *   load balancer in front of the cluster would do; a node outside the key's top N forwards.
 *
 * Updates carry the causal context last seen for the key (from its last get or put), as an
 * application using kvorum would: a blind put without context is concurrent with everything
 * stored and would pile up siblings (Dynamo §4.4). The contexts are kept per bucket, shared by
 * the drivers of that bucket, across runs. Concurrent updates of a hot key with the same context
 * still make siblings (correctly); when a put is refused with `too_many_siblings`, the adapter
 * does what the error tells an application to do — read the key and put again with the context
 * of that read, again while refused, up to a bound — inside the same operation, and counts each
 * round (`siblingResolutions`; sibling-resolution.ts).
 */
import { Pool } from 'undici';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KvorumError, connect, type KvorumClient } from '../../src/client/index.ts';
import type { BucketProps } from '../../src/core/limits.ts';
import { RecordNotFoundError, type Driver, YcsbAdapter, type KvAdapter, type LaunchContext, type RunningSystem, type SystemLauncher } from './adapter.ts';
import { putResolvingSiblings, siblingResolutionRoundsMax } from './sibling-resolution.ts';
import { freePorts, httpOk, startProcess, stopAll, waitUntil, type ServerProcess } from './processes.ts';
import { gcPausesOfMetrics, sumGcPauses, type GcPauses } from '../gc.ts';

export const kvorumNodesDefault = 3;
export const kvorumNodesMax = 9;
const startTimeoutMs = 60_000;
/** A node's /metrics answers in milliseconds; one that takes longer leaves the run without GC pauses. */
const metricsTimeoutMs = 2_000;
const contextHeader = 'x-kvorum-context';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kvorumBin = join(repoRoot, 'bin', 'kvorum.js');

/** The bucket of the default durability (`one`); the others hold the same records under `sync` and `buffered`. */
export const benchBucket = 'ycsb';
const benchProps: BucketProps = { n: 3, r: 2, w: 2, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' };
export const defaultBenchBuckets: Readonly<Record<string, BucketProps>> = {
  [benchBucket]: benchProps,
  'ycsb-sync': { ...benchProps, durability: 'sync' },
  'ycsb-buffered': { ...benchProps, durability: 'buffered' },
};

export interface KvorumDriverSpec {
  /** Driver name in results, e.g. `client`, `http`, `client-n3r1w3`. */
  readonly name: string;
  readonly bucket: string;
  /** `client`: the TypeScript client (client-driven) over `protocol`; `http-random-node`: server-driven HTTP. */
  readonly routing: 'client' | 'http-random-node';
  /** The client's protocol (routing `client` only). */
  readonly protocol?: 'binary' | 'http';
  /**
   * Something watching the first node while the driver runs (a browser on its dashboard, `kvorum
   * top`: bench/dashboard.ts), opened before the warm-up and closed after the timed part.
   */
  readonly watcher?: Watcher;
}

export interface Watcher {
  /** What watches, for the report: "a Chromium page on n1's dashboard". */
  readonly description: string;
  /** Starts watching the node at `httpUrl`; the returned function stops. */
  start(httpUrl: string): Promise<() => Promise<void>>;
}

/** The adapter of `connect`, with the spec's watcher (if any) open while the adapter is. */
async function watched(spec: KvorumDriverSpec, httpUrl: string, connect: () => KvAdapter): Promise<KvAdapter> {
  if (spec.watcher === undefined) return connect();
  const stop = await spec.watcher.start(httpUrl);
  const adapter = connect();
  const close = adapter.close.bind(adapter);
  adapter.close = async () => {
    await close();
    await stop();
  };
  return adapter;
}

/**
 * The binary protocol under each durability (docs/durability.md) — `binary` is the default,
 * `one` — then the same client over HTTP and server-driven HTTP, both under `one`.
 */
export const defaultKvorumDrivers: readonly KvorumDriverSpec[] = [
  { name: 'binary', bucket: benchBucket, routing: 'client', protocol: 'binary' },
  { name: 'binary-sync', bucket: 'ycsb-sync', routing: 'client', protocol: 'binary' },
  { name: 'binary-buffered', bucket: 'ycsb-buffered', routing: 'client', protocol: 'binary' },
  { name: 'client', bucket: benchBucket, routing: 'client', protocol: 'http' },
  { name: 'http', bucket: benchBucket, routing: 'http-random-node' },
];

export interface KvorumLaunchOptions {
  readonly buckets: Readonly<Record<string, BucketProps>>;
  readonly drivers: readonly KvorumDriverSpec[];
  readonly storage: 'lmdb' | 'memory';
  /** Extra arguments for each node's `node` process, e.g. `--cpu-prof` (the harness's `--cpu-prof DIR`). */
  readonly nodeArgs?: readonly string[];
  /**
   * Node processes (default 3). With 3 nodes and N=3 every node holds every key, so no request is
   * ever forwarded; more nodes than N is where client-driven routing saves a hop (Dynamo §6.4).
   */
  readonly nodes?: number;
}

type Contexts = Map<string, string>;

function propsText(props: BucketProps): string {
  return `N=${props.n} R=${props.r} W=${props.w} durability ${props.durability}`;
}

const tooManySiblings = 'too_many_siblings';

/** The code of an HTTP error body (`{"error": {"code": …}}`), or undefined for any other body. */
function errorCodeOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return undefined;
  }
}

class ClientAdapter extends YcsbAdapter {
  private siblingResolutions = 0;

  constructor(
    private readonly client: KvorumClient,
    private readonly bucket: string,
    private readonly contexts: Contexts,
  ) {
    super();
  }

  async read(key: string): Promise<void> {
    const result = await this.client.get(this.bucket, key);
    if (result.context) this.contexts.set(key, result.context);
    if (result.siblings.length === 0) throw new RecordNotFoundError(key);
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    const stored = await putResolvingSiblings(() => this.put(key, value), () => this.read(key), () => this.siblingResolutions++);
    if (!stored) throw new Error(`put ${this.bucket}/${key}: still ${tooManySiblings} after reading the key ${siblingResolutionRoundsMax} times`);
  }

  /** False when refused with too_many_siblings (the caller resolves); throws on any other failure. */
  private async put(key: string, value: Uint8Array): Promise<boolean> {
    try {
      const { context } = await this.client.put(this.bucket, key, value, { context: this.contexts.get(key) });
      this.contexts.set(key, context);
      return true;
    } catch (error) {
      if (error instanceof KvorumError && error.code === tooManySiblings) return false;
      throw error;
    }
  }

  counters(): Readonly<Record<string, number>> {
    return { siblingResolutions: this.siblingResolutions };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Server-driven: every request to a node picked at random, which forwards when it must. */
class HttpAdapter extends YcsbAdapter {
  private siblingResolutions = 0;

  constructor(
    private readonly pools: readonly Pool[],
    private readonly bucket: string,
    private readonly contexts: Contexts,
  ) {
    super();
  }

  private pool(): Pool {
    return this.pools[Math.floor(Math.random() * this.pools.length)]!;
  }

  private path(key: string): string {
    return `/v1/kv/${encodeURIComponent(this.bucket)}/${encodeURIComponent(key)}`;
  }

  async read(key: string): Promise<void> {
    const response = await this.pool().request({ method: 'GET', path: this.path(key) });
    await response.body.dump();
    const context = response.headers[contextHeader];
    if (typeof context === 'string' && context) this.contexts.set(key, context);
    if (response.statusCode === 404) throw new RecordNotFoundError(key);
    // 300 Multiple Choices: siblings — the record is there.
    if (response.statusCode !== 200 && response.statusCode !== 300) throw new Error(`GET ${this.path(key)}: HTTP ${response.statusCode}`);
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    const stored = await putResolvingSiblings(() => this.put(key, value), () => this.read(key), () => this.siblingResolutions++);
    if (!stored) throw new Error(`PUT ${this.path(key)}: still ${tooManySiblings} after reading the key ${siblingResolutionRoundsMax} times`);
  }

  /** False when refused with too_many_siblings (the caller resolves); throws on any other failure. */
  private async put(key: string, value: Uint8Array): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    const known = this.contexts.get(key);
    if (known) headers[contextHeader] = known;
    const response = await this.pool().request({ method: 'PUT', path: this.path(key), headers, body: value });
    const text = await response.body.text();
    if (response.statusCode !== 204) {
      if (response.statusCode === 409 && errorCodeOf(text) === tooManySiblings) return false;
      throw new Error(`PUT ${this.path(key)}: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
    }
    const context = response.headers[contextHeader];
    if (typeof context === 'string' && context) this.contexts.set(key, context);
    return true;
  }

  counters(): Readonly<Record<string, number>> {
    return { siblingResolutions: this.siblingResolutions };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

interface NodePlan {
  readonly name: string;
  readonly address: string;
  readonly httpUrl: string;
  readonly clientAddress: string;
  readonly dataDir: string;
}

function watchedText(spec: KvorumDriverSpec): string {
  return spec.watcher ? `; watched meanwhile by ${spec.watcher.description}` : '';
}

function driverOf(spec: KvorumDriverSpec, props: BucketProps, httpUrls: readonly string[], contexts: Contexts): Driver {
  if (spec.routing === 'client') {
    const protocol = spec.protocol ?? 'http';
    const over = protocol === 'binary' ? 'the binary protocol (one pipelined connection per node)' : 'HTTP (undici keep-alive)';
    return {
      name: spec.name,
      description: `TypeScript client over ${over}, client-driven routing to a top-N node; bucket ${spec.bucket} ${propsText(props)}${watchedText(spec)}`,
      dataset: spec.bucket,
      async connect(concurrency: number): Promise<KvAdapter> {
        return watched(spec, httpUrls[0]!, () => new ClientAdapter(connect({ nodes: [...httpUrls], protocol, connectionsPerNode: concurrency }), spec.bucket, contexts));
      },
    };
  }
  return {
    name: spec.name,
    description: `HTTP API of a random node per request (server-driven, undici keep-alive); bucket ${spec.bucket} ${propsText(props)}${watchedText(spec)}`,
    dataset: spec.bucket,
    async connect(concurrency: number): Promise<KvAdapter> {
      return watched(spec, httpUrls[0]!, () => new HttpAdapter(httpUrls.map((url) => new Pool(url, { connections: concurrency, pipelining: 1 })), spec.bucket, contexts));
    },
  };
}

export const defaultKvorumLaunch: KvorumLaunchOptions = { buckets: defaultBenchBuckets, drivers: defaultKvorumDrivers, storage: 'lmdb' };

/** A running kvorum cluster: the nodes' HTTP URLs too, for what watches them (bench/dashboard.ts). */
export interface RunningKvorum extends RunningSystem {
  readonly httpUrls: readonly string[];
}

export interface KvorumLauncher extends SystemLauncher {
  start(context: LaunchContext): Promise<RunningKvorum>;
}

export function kvorumLauncher(options: KvorumLaunchOptions = defaultKvorumLaunch): KvorumLauncher {
  return {
    name: 'kvorum',
    async start(context: LaunchContext): Promise<RunningKvorum> {
      const nodesCount = options.nodes ?? kvorumNodesDefault;
      const ports = await freePorts(nodesCount * 3);
      const nodes: NodePlan[] = Array.from({ length: nodesCount }, (_, i) => ({
        name: `n${i + 1}`,
        address: `127.0.0.1:${ports[3 * i]}`,
        httpUrl: `http://127.0.0.1:${ports[3 * i + 1]}`,
        clientAddress: `127.0.0.1:${ports[3 * i + 2]}`,
        dataDir: join(context.workDir, `n${i + 1}`),
      }));
      const configFile = join(context.workDir, 'cluster.json');
      const config = { clusterName: 'bench', partitionCount: 64, storage: options.storage, nodes, buckets: options.buckets };
      writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
      const processes: ServerProcess[] = [];
      try {
        for (const node of nodes) {
          mkdirSync(node.dataDir, { recursive: true });
          const args = [...(options.nodeArgs ?? []), kvorumBin, 'start', '--config', configFile, '--name', node.name];
          processes.push(startProcess(`kvorum ${node.name}`, process.execPath, args, join(context.workDir, `${node.name}.log`)));
        }
        for (const node of nodes) await waitUntil(`kvorum ${node.name} /health`, () => httpOk(`${node.httpUrl}/health`), processes, startTimeoutMs);
        // A node with a new disk takes replicas' writes once it knows the partition epochs.
        for (const node of nodes) await waitUntil(`kvorum ${node.name} to be ready`, () => ready(node.httpUrl), processes, startTimeoutMs);
      } catch (error) {
        await stopAll(processes);
        throw error;
      }
      const httpUrls = nodes.map((n) => n.httpUrl);
      const contextsByBucket = new Map<string, Contexts>();
      const drivers = options.drivers.map((spec) => {
        const props = options.buckets[spec.bucket];
        if (!props) throw new Error(`driver ${spec.name} uses bucket ${spec.bucket}, which the cluster config does not define`);
        if (!contextsByBucket.has(spec.bucket)) contextsByBucket.set(spec.bucket, new Map());
        return driverOf(spec, props, httpUrls, contextsByBucket.get(spec.bucket)!);
      });
      const bucketsText = Object.entries(options.buckets).map(([name, props]) => `${name} ${propsText(props)} ${props.resolution}`).join('; ');
      return {
        name: 'kvorum',
        version: 'working tree',
        description: `kvorum, ${nodesCount} node processes, ${options.storage}, 64 partitions; buckets: ${bucketsText}`,
        drivers,
        httpUrls,
        serverProcesses: new Map(processes.map((p) => [p.pid, p.label])),
        gcPauses: async () => sumGcPauses(await Promise.all(httpUrls.map(gcPausesOfNode))),
        stop: () => stopAll(processes),
      };
    },
  };
}

/** A node's GC pauses so far, from its /metrics. */
async function gcPausesOfNode(httpUrl: string): Promise<GcPauses> {
  const response = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(metricsTimeoutMs) });
  if (!response.ok) throw new Error(`GET ${httpUrl}/metrics: ${response.status}`);
  return gcPausesOfMetrics(await response.text());
}

async function ready(httpUrl: string): Promise<boolean> {
  const response = await fetch(`${httpUrl}/v1/cluster`, { signal: AbortSignal.timeout(1_000) });
  return response.ok && ((await response.json()) as { ready?: unknown }).ready === true;
}
