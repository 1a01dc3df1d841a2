/**
 * The kvorum TypeScript client.
 *
 *   import { connect } from 'kvorum';
 *   const kv = connect({ nodes: ['http://127.0.0.1:8001'] });
 *   const { siblings, context } = await kv.get('carts', 'alice');
 *   await kv.put('carts', 'alice', JSON.stringify(merged), { context });
 *
 * Routing is client-driven (Dynamo §6.4): the client fetches the ring once, hashes each key to its
 * partition itself, and sends the request straight to a node of the key's preference list — no
 * forwarding hop — falling back to the next node when one cannot be reached.
 *
 * Requests go over the binary protocol (one pipelined TCP connection per node, docs/api.md
 * "Binary protocol") to every node that advertises a client address, and over HTTP to the
 * others or when `protocol: 'http'` is asked for. Results are the same either way, and so are
 * the context tokens: a context read over one protocol may be written back over the other.
 */
import { KvorumError } from '../core/errors.ts';
import { isHostPort } from '../core/host-port.ts';
import { partitionOf } from '../core/ring/hash.ts';
import { clientUrlScheme, type RingDescription } from '../wire/client-protocol.ts';
import { BinaryChannel } from './binary-channel.ts';
import { HttpChannel } from './http-channel.ts';
import { isUnreachable } from './node-unreachable.ts';
import { buildRingView, endpointOf, type Endpoint, type RingView } from './ring-view.ts';
import { clientDefaults, nodeDownMs } from './settings.ts';
import type { ConnectOptions, DeleteOptions, GetOptions, GetResult, KvRequest, PutOptions } from './types.ts';

export { KvorumError } from '../core/errors.ts';
export type { ErrorCode } from '../core/errors.ts';
export type { ConnectOptions, DeleteOptions, GetOptions, GetResult, PutOptions, Sibling } from './types.ts';

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** A node as `connect({ nodes })` names it: `kvorum://host:port`, else an HTTP URL. */
function seedEndpoint(node: string): Endpoint {
  if (!node.startsWith(`${clientUrlScheme}//`)) return { kind: 'http', url: node.replace(/\/$/, '') };
  const address = node.slice(clientUrlScheme.length + 2).replace(/\/$/, '');
  if (!isHostPort(address)) throw new KvorumError('bad_request', `${node} is not kvorum://host:port`);
  return { kind: 'binary', address };
}

function endpointKey(endpoint: Endpoint): string {
  return endpoint.kind === 'binary' ? `${clientUrlScheme}//${endpoint.address}` : endpoint.url;
}

export class KvorumClient {
  private ringView: RingView | undefined;
  private ringFetch: Promise<RingView> | undefined;
  private readonly protocol: 'binary' | 'http';
  private readonly seeds: readonly Endpoint[];
  private readonly http: HttpChannel;
  private readonly binary: BinaryChannel;
  /** Nodes that could not be reached recently, by name, with when to trust them again. */
  private readonly downUntilMs = new Map<string, number>();

  constructor(private readonly options: ConnectOptions) {
    if (options.nodes.length === 0) throw new KvorumError('bad_request', 'connect() needs at least one node URL');
    const protocol = options.protocol ?? 'binary';
    if (protocol !== 'binary' && protocol !== 'http') throw new KvorumError('bad_request', `protocol must be 'binary' or 'http', got ${JSON.stringify(protocol)}`);
    this.protocol = protocol;
    this.seeds = options.nodes.map(seedEndpoint);
    const timeoutMs = options.timeoutMs ?? clientDefaults.timeoutMs;
    const credentials = { token: options.token, ca: options.tls?.ca };
    this.http = new HttpChannel(timeoutMs, options.connectionsPerNode ?? clientDefaults.connectionsPerNode, credentials);
    this.binary = new BinaryChannel(timeoutMs, credentials);
    for (const seed of this.seeds) if (seed.kind === 'http') this.http.checkUrl(seed.url);
  }

  get(bucket: string, key: string, options: GetOptions = {}): Promise<GetResult> {
    const request: KvRequest = { bucket, key, quorum: options.r, timeoutMs: options.timeoutMs };
    return this.send(bucket, key, (to) => (to.kind === 'binary' ? this.binary.get(to.address, request) : this.http.get(to.url, request)));
  }

  put(bucket: string, key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<{ context: string }> {
    const contentType = options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream');
    const request: KvRequest = { bucket, key, value: toBytes(value), contentType, context: options.context, quorum: options.w, timeoutMs: options.timeoutMs };
    return this.send(bucket, key, (to) => (to.kind === 'binary' ? this.binary.write(to.address, request) : this.http.write(to.url, request)));
  }

  delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<{ context: string }> {
    const request: KvRequest = { bucket, key, context: options.context, quorum: options.w, timeoutMs: options.timeoutMs };
    return this.send(bucket, key, (to) => (to.kind === 'binary' ? this.binary.write(to.address, request) : this.http.write(to.url, request)));
  }

  /** The nodes a request for this key goes to, in order of preference, named by their HTTP URLs. */
  async route(bucket: string, key: string): Promise<readonly string[]> {
    const ring = await this.ring();
    return (ring.routes[partitionOf(bucket, key, ring.partitionCount)] ?? []).map((name) => ring.nodes.get(name)!.httpUrl);
  }

  async close(): Promise<void> {
    this.binary.close();
    await this.http.close();
  }

  /** Keeps the preference order but tries nodes that just failed us last. */
  private upFirst(names: readonly string[]): readonly string[] {
    if (this.downUntilMs.size === 0) return names;
    const now = Date.now();
    for (const [name, until] of this.downUntilMs) if (until <= now) this.downUntilMs.delete(name);
    const isDown = (name: string) => this.downUntilMs.has(name);
    return [...names.filter((name) => !isDown(name)), ...names.filter(isDown)];
  }

  private async send<T>(bucket: string, key: string, call: (to: Endpoint) => Promise<T>): Promise<T> {
    const ring = await this.ring();
    const names = this.upFirst(ring.routes[partitionOf(bucket, key, ring.partitionCount)] ?? []);
    let lastError: unknown;
    for (const name of names) {
      try {
        return await call(endpointOf(ring.nodes.get(name)!, this.protocol));
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        lastError = error;
        this.downUntilMs.set(name, Date.now() + nodeDownMs);
      }
    }
    throw new KvorumError('unavailable', `no node could be reached for ${bucket}/${key}: ${(lastError as Error | undefined)?.message ?? 'no nodes'}`);
  }

  private ring(): RingView | Promise<RingView> {
    const view = this.ringView;
    if (view && Date.now() - view.fetchedAtMs < (this.options.ringRefreshMs ?? clientDefaults.ringRefreshMs)) return view;
    this.ringFetch ??= this.fetchRing().finally(() => {
      this.ringFetch = undefined;
    });
    if (view === undefined) return this.ringFetch;
    // Refreshed in the background: the old view still routes well, and a failed refresh is retried next time.
    this.ringFetch.catch(() => {});
    return view;
  }

  private async fetchRing(): Promise<RingView> {
    const known = this.ringView ? [...this.ringView.nodes.values()].map((node) => endpointOf(node, this.protocol)) : [];
    const candidates = new Map([...known, ...this.seeds].map((endpoint) => [endpointKey(endpoint), endpoint]));
    let lastError: unknown;
    for (const endpoint of candidates.values()) {
      try {
        const ring: RingDescription = endpoint.kind === 'binary' ? await this.binary.ring(endpoint.address) : await this.http.ring(endpoint.url);
        this.ringView = buildRingView(ring, Date.now());
        return this.ringView;
      } catch (error) {
        // Another node would refuse the same token: say so, not that no node could be reached.
        if (error instanceof KvorumError && (error.code === 'unauthorized' || error.code === 'forbidden')) throw error;
        lastError = error;
      }
    }
    throw new KvorumError('unavailable', `could not fetch the ring from any of ${[...candidates.keys()].join(', ')}: ${(lastError as Error | undefined)?.message ?? ''}`);
  }
}

export function connect(options: ConnectOptions): KvorumClient {
  return new KvorumClient(options);
}
