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
 */
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import { KvorumError, isErrorCode } from '../core/errors.ts';
import { partitionOf } from '../core/ring/hash.ts';

export { KvorumError } from '../core/errors.ts';
export type { ErrorCode } from '../core/errors.ts';

export interface ConnectOptions {
  /** HTTP URLs of one or more nodes; the rest of the cluster is learned from their ring. */
  readonly nodes: readonly string[];
  /** Deadline of each request, sent to the node and enforced here too. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** How long a fetched ring is trusted before it is fetched again. Default 30 s. */
  readonly ringRefreshMs?: number;
  /** Keep-alive connections per node. Default 64. */
  readonly connectionsPerNode?: number;
}

export interface Sibling {
  readonly value: Uint8Array;
  readonly contentType: string;
  /** Wall time the sibling was written (ms since epoch); absent when the node sent a single raw value. */
  readonly lastModifiedMs?: number | undefined;
}

export interface GetResult {
  /** Live concurrent values: none when the key is missing or deleted; several after concurrent writes. */
  readonly siblings: readonly Sibling[];
  /** Opaque causal context: pass it to the next put or delete of this key. */
  readonly context: string | undefined;
}

export interface GetOptions {
  readonly r?: number;
  readonly timeoutMs?: number;
}

export interface PutOptions {
  readonly context?: string | undefined;
  readonly w?: number;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface DeleteOptions {
  readonly context?: string | undefined;
  readonly w?: number;
  readonly timeoutMs?: number;
}

interface RingView {
  readonly partitionCount: number;
  readonly nodeUrls: ReadonlyMap<string, string>;
  /** For each partition, the HTTP URLs of its preference list then every other node. */
  readonly routes: readonly (readonly string[])[];
  readonly fetchedAtMs: number;
}

interface RingResponse {
  partitionCount: number;
  nodes: { name: string; httpUrl: string }[];
  partitions: { partition: number; preferenceList: string[] }[];
}

const contextHeader = 'x-kvorum-context';
const defaultTimeoutMs = 5_000;
const defaultRingRefreshMs = 30_000;
/** After a node refuses a connection, it is tried last for this long. */
const nodeDownMs = 2_000;

/** Errors that mean "this node is not there", after which another node is tried. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
}

function encodePath(bucket: string, key: string): string {
  return `/v1/kv/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
}

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

async function errorFrom(statusCode: number, body: Dispatcher.ResponseData['body']): Promise<KvorumError> {
  const text = await body.text();
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; detail?: Record<string, unknown> } };
    const code = parsed.error?.code;
    if (isErrorCode(code)) return new KvorumError(code, String(parsed.error?.message ?? code), parsed.error?.detail);
  } catch {
    // not JSON: fall through
  }
  return new KvorumError('internal', `HTTP ${statusCode}: ${text.slice(0, 200)}`);
}

export class KvorumClient {
  private ringView: RingView | undefined;
  private ringFetch: Promise<RingView> | undefined;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  /** Node URLs that refused a connection recently, with when to trust them again. */
  private readonly downUntilMs = new Map<string, number>();

  constructor(private readonly options: ConnectOptions) {
    if (options.nodes.length === 0) throw new KvorumError('bad_request', 'connect() needs at least one node URL');
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.agent = new Agent({ connections: options.connectionsPerNode ?? 64, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async get(bucket: string, key: string, options: GetOptions = {}): Promise<GetResult> {
    const query = this.query({ r: options.r, timeout: options.timeoutMs });
    const response = await this.send(bucket, key, 'GET', `${encodePath(bucket, key)}${query}`, {}, undefined, options.timeoutMs);
    const context = (response.headers[contextHeader] as string | undefined) || undefined;
    if (response.statusCode === 200 && !String(response.headers['content-type'] ?? '').startsWith('application/json')) {
      const value = new Uint8Array(await response.body.arrayBuffer());
      return { siblings: [{ value, contentType: String(response.headers['content-type'] ?? 'application/octet-stream') }], context };
    }
    if (response.statusCode === 200 || response.statusCode === 300) {
      const body = (await response.body.json()) as { context?: string; siblings: { value: string; contentType: string; lastModifiedMs?: number }[] };
      const siblings = body.siblings.map((s) => ({ value: new Uint8Array(Buffer.from(s.value, 'base64')), contentType: s.contentType, lastModifiedMs: s.lastModifiedMs }));
      return { siblings, context: body.context ?? context };
    }
    if (response.statusCode === 404) {
      const error = await errorFrom(404, response.body);
      if (error.code === 'not_found') return { siblings: [], context };
      throw error;
    }
    throw await errorFrom(response.statusCode, response.body);
  }

  async put(bucket: string, key: string, value: Uint8Array | string, options: PutOptions = {}): Promise<{ context: string }> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream') };
    if (options.context) headers[contextHeader] = options.context;
    const query = this.query({ w: options.w, timeout: options.timeoutMs });
    const response = await this.send(bucket, key, 'PUT', `${encodePath(bucket, key)}${query}`, headers, toBytes(value), options.timeoutMs);
    if (response.statusCode !== 204) throw await errorFrom(response.statusCode, response.body);
    await response.body.dump();
    return { context: String(response.headers[contextHeader]) };
  }

  async delete(bucket: string, key: string, options: DeleteOptions = {}): Promise<{ context: string }> {
    const headers: Record<string, string> = {};
    if (options.context) headers[contextHeader] = options.context;
    const query = this.query({ w: options.w, timeout: options.timeoutMs });
    const response = await this.send(bucket, key, 'DELETE', `${encodePath(bucket, key)}${query}`, headers, undefined, options.timeoutMs);
    if (response.statusCode !== 204) throw await errorFrom(response.statusCode, response.body);
    await response.body.dump();
    return { context: String(response.headers[contextHeader]) };
  }

  /** The HTTP URLs a request for this key goes to, in order of preference. */
  async route(bucket: string, key: string): Promise<readonly string[]> {
    const ring = await this.ring();
    return ring.routes[partitionOf(bucket, key, ring.partitionCount)] ?? [];
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Keeps the preference order but tries nodes that just refused us last. */
  private upFirst(urls: readonly string[]): readonly string[] {
    if (this.downUntilMs.size === 0) return urls;
    const now = Date.now();
    for (const [url, until] of this.downUntilMs) if (until <= now) this.downUntilMs.delete(url);
    const isDown = (url: string) => this.downUntilMs.has(url);
    return [...urls.filter((url) => !isDown(url)), ...urls.filter(isDown)];
  }

  private query(params: Record<string, number | undefined>): string {
    const parts = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    return parts.length > 0 ? `?${parts.join('&')}` : '';
  }

  private async send(bucket: string, key: string, method: 'GET' | 'PUT' | 'DELETE', path: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs = this.timeoutMs): Promise<Dispatcher.ResponseData> {
    const urls = this.upFirst(await this.route(bucket, key));
    let lastError: unknown;
    for (const url of urls) {
      try {
        return await httpRequest(`${url}${path}`, {
          method,
          headers,
          body,
          dispatcher: this.agent,
          headersTimeout: timeoutMs + 1_000,
          bodyTimeout: timeoutMs + 1_000,
        });
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        lastError = error;
        this.downUntilMs.set(url, Date.now() + nodeDownMs);
      }
    }
    throw new KvorumError('unavailable', `no node could be reached for ${bucket}/${key}: ${(lastError as Error | undefined)?.message ?? 'no nodes'}`);
  }

  private async ring(): Promise<RingView> {
    const view = this.ringView;
    if (view && Date.now() - view.fetchedAtMs < (this.options.ringRefreshMs ?? defaultRingRefreshMs)) return view;
    this.ringFetch ??= this.fetchRing().finally(() => {
      this.ringFetch = undefined;
    });
    if (view) return view; // refresh in the background; the old view still routes well
    return this.ringFetch;
  }

  private async fetchRing(): Promise<RingView> {
    const seeds = this.ringView ? [...this.ringView.nodeUrls.values(), ...this.options.nodes] : [...this.options.nodes];
    let lastError: unknown;
    for (const seed of new Set(seeds)) {
      try {
        const response = await httpRequest(`${seed.replace(/\/$/, '')}/v1/ring`, { dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
        if (response.statusCode !== 200) {
          lastError = await errorFrom(response.statusCode, response.body);
          continue;
        }
        const ring = (await response.body.json()) as RingResponse;
        this.ringView = buildRingView(ring);
        return this.ringView;
      } catch (error) {
        lastError = error;
      }
    }
    throw new KvorumError('unavailable', `could not fetch the ring from any of ${[...new Set(seeds)].join(', ')}: ${(lastError as Error | undefined)?.message ?? ''}`);
  }
}

function buildRingView(ring: RingResponse): RingView {
  const nodeUrls = new Map(ring.nodes.map((node) => [node.name, node.httpUrl]));
  const allNodes = [...nodeUrls.keys()];
  const routes = ring.partitions.map(({ preferenceList }) => {
    const order = [...preferenceList, ...allNodes.filter((name) => !preferenceList.includes(name))];
    return order.map((name) => nodeUrls.get(name) as string);
  });
  return { partitionCount: ring.partitionCount, nodeUrls, routes, fetchedAtMs: Date.now() };
}

export function connect(options: ConnectOptions): KvorumClient {
  return new KvorumClient(options);
}
