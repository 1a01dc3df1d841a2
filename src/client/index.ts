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
import type { BucketList, BucketProps, ConnectOptions, DeleteOptions, GetOptions, GetResult, KeysPage, KvRequest, ListKeysOptions, ManyResult, PutItem, PutOptions } from './types.ts';
import { limits } from '../core/limits.ts';

export { KvorumError } from '../core/errors.ts';
export type { ErrorCode } from '../core/errors.ts';
export type { BucketList, BucketProps, ConnectOptions, DeleteOptions, GetOptions, GetResult, KeysPage, ListKeysOptions, ManyResult, PutItem, PutOptions, Sibling } from './types.ts';

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** A string is text; bytes are bytes. */
function defaultContentType(value: Uint8Array | string): string {
  return typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

function asKvorumError(error: unknown): KvorumError {
  return error instanceof KvorumError ? error : new KvorumError('unavailable', (error as Error).message ?? String(error));
}

/** A key's outcome as a getMany or putMany result: its value, or its error. */
async function settle<T extends object>(key: string, pending: Promise<T>): Promise<ManyResult<T>> {
  try {
    return { key, ...(await pending) };
  } catch (error) {
    return { key, error: asKvorumError(error) };
  }
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

/** An endpoint asked for over HTTP (`endpointOf(node, 'http')` always gives one). */
function httpUrlOf(to: Endpoint): string {
  if (to.kind !== 'http') throw new KvorumError('internal', `expected an HTTP endpoint, got ${to.address}`);
  return to.url;
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
  /** Where `sendToAny` starts next. */
  private nextAny = 0;

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

  /**
   * Stores `value` under `key`, superseding what `options.context` (from a get) saw. The value's
   * bytes are read when the request is sent, which may be before or after `put` returns: change
   * a buffer only after its put settles.
   */
  put(bucket: string, key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<{ context: string }> {
    const contentType = options.contentType ?? defaultContentType(value);
    const request: KvRequest = { bucket, key, value: toBytes(value), contentType, context: options.context, quorum: options.w, timeoutMs: options.timeoutMs };
    return this.send(bucket, key, (to) => (to.kind === 'binary' ? this.binary.write(to.address, request) : this.http.write(to.url, request)));
  }

  delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<{ context: string }> {
    const request: KvRequest = { bucket, key, context: options.context, quorum: options.w, timeoutMs: options.timeoutMs };
    return this.send(bucket, key, (to) => (to.kind === 'binary' ? this.binary.write(to.address, request) : this.http.write(to.url, request)));
  }

  /**
   * Gets many keys of a bucket at once, each with its own result or error (in the order of
   * `keys`). Over the binary protocol the gets are pipelined, each to a node of its key's
   * preference list; over HTTP they go in `POST /v1/kv/{bucket}/_batch` requests of at most
   * limits.batchOpsMax keys to one node, which coordinates each.
   */
  getMany(bucket: string, keys: readonly string[], options: GetOptions = {}): Promise<ManyResult<GetResult>[]> {
    if (this.protocol === 'binary') return Promise.all(keys.map((key) => settle(key, this.get(bucket, key, options))));
    const requests = keys.map((key): KvRequest => ({ bucket, key, quorum: options.r }));
    return this.httpBatches(bucket, requests, 'get', options.timeoutMs) as Promise<ManyResult<GetResult>[]>;
  }

  /** Puts many keys of a bucket at once, each with its own result (its new context) or error; as getMany. */
  putMany(bucket: string, items: readonly PutItem[], options: { readonly w?: number; readonly timeoutMs?: number } = {}): Promise<ManyResult<{ context: string }>[]> {
    if (this.protocol === 'binary') return Promise.all(items.map(({ key, value, contentType, context }) => settle(key, this.put(bucket, key, value, { contentType, context, w: options.w, timeoutMs: options.timeoutMs }))));
    const requests = items.map(({ key, value, contentType, context }): KvRequest => ({ bucket, key, value: toBytes(value), contentType: contentType ?? defaultContentType(value), context, quorum: options.w }));
    return this.httpBatches(bucket, requests, 'put', options.timeoutMs) as Promise<ManyResult<{ context: string }>[]>;
  }

  /** Sends `requests` as batches within the node's limits, in parallel, and puts the results back in order. */
  private async httpBatches(bucket: string, requests: readonly KvRequest[], kind: 'get' | 'put', timeoutMs: number | undefined): Promise<ManyResult<GetResult | { context: string }>[]> {
    const batches: KvRequest[][] = [];
    let bytes = 0;
    for (const request of requests) {
      // Base64 is 4/3 of the bytes; a kilobyte covers the key, the context and the JSON around them.
      const size = Math.ceil(((request.value?.byteLength ?? 0) * 4) / 3) + 1_024 + (request.context?.length ?? 0);
      const last = batches.at(-1);
      if (last === undefined || last.length >= limits.batchOpsMax || bytes + size > limits.batchBodyBytesMax) {
        batches.push([request]);
        bytes = size;
      } else {
        last.push(request);
        bytes += size;
      }
    }
    const answered = await Promise.all(
      batches.map((batch) =>
        this.sendToAny((to) => this.http.batch(httpUrlOf(to), bucket, batch, kind, timeoutMs), 'http').catch((error: unknown) => batch.map(() => asKvorumError(error))),
      ),
    );
    return answered.flat().map((result, i) => (result instanceof KvorumError ? { key: requests[i]!.key, error: result } : { key: requests[i]!.key, ...result }));
  }

  /**
   * A page of the bucket's keys, in order (UTF-8 byte order), from `after` on: pass the page's
   * `next` to get the next one (undefined on the last). A listing reads one replica of every
   * partition, however small the page: see docs/api.md for what it costs and sees.
   */
  listKeys(bucket: string, options: ListKeysOptions = {}): Promise<KeysPage> {
    return this.sendToAny((to) => (to.kind === 'binary' ? this.binary.listKeys(to.address, bucket, options) : this.http.listKeys(to.url, bucket, options)));
  }

  /** Every key of the bucket, in order, a page (`pageSize` keys, default 1,000) at a time. */
  async *keys(bucket: string, options: { readonly pageSize?: number; readonly timeoutMs?: number } = {}): AsyncGenerator<string> {
    let after: string | undefined;
    do {
      const page = await this.listKeys(bucket, { after, limit: options.pageSize, timeoutMs: options.timeoutMs });
      yield* page.keys;
      after = page.next;
    } while (after !== undefined);
  }

  /** The buckets that hold keys or have properties of their own, sorted (not paged: at most 10,000). */
  listBuckets(options: { readonly timeoutMs?: number } = {}): Promise<BucketList> {
    return this.sendToAny((to) => (to.kind === 'binary' ? this.binary.listBuckets(to.address, options.timeoutMs) : this.http.listBuckets(to.url, options.timeoutMs)));
  }

  /** A bucket's properties (over HTTP, as all administration). */
  bucketProps(bucket: string): Promise<BucketProps> {
    return this.sendToAny((to) => this.http.bucketProps(httpUrlOf(to), bucket), 'http');
  }

  /**
   * Sets some of a bucket's properties while the cluster runs; resolves with all of them. N may
   * change only while the bucket holds no keys (`bucket_not_empty`).
   */
  setBucketProps(bucket: string, change: Partial<BucketProps>): Promise<BucketProps> {
    return this.sendToAny((to) => this.http.setBucketProps(httpUrlOf(to), bucket, change), 'http');
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

  /**
   * For requests any node answers (listings, bucket properties): the nodes in turn, starting from
   * the next one each time so that listings spread over the cluster, skipping those that just
   * failed us.
   */
  private async sendToAny<T>(call: (to: Endpoint) => Promise<T>, protocol = this.protocol): Promise<T> {
    const ring = await this.ring();
    const all = [...ring.nodes.keys()];
    const start = this.nextAny++ % all.length;
    const names = this.upFirst([...all.slice(start), ...all.slice(0, start)]);
    let lastError: unknown;
    for (const name of names) {
      try {
        return await call(endpointOf(ring.nodes.get(name)!, protocol));
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        lastError = error;
        this.downUntilMs.set(name, Date.now() + nodeDownMs);
      }
    }
    throw new KvorumError('unavailable', `no node could be reached: ${(lastError as Error | undefined)?.message ?? 'no nodes'}`);
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
