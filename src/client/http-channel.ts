/**
 * The client's HTTP side: requests to a node's HTTP API (docs/api.md) over undici keep-alive
 * connections, and the answers turned into the client's result types. A connection failure is
 * NodeUnreachable-like (node-unreachable.ts), so the client tries the next node.
 */
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import { KvorumError, isErrorCode } from '../core/errors.ts';
import type { RingDescription } from '../wire/client-protocol.ts';
import { replyGraceMs } from './settings.ts';
import type { BucketList, BucketProps, Credentials, GetResult, KeysPage, KvRequest, ListKeysOptions } from './types.ts';

const contextHeader = 'x-kvorum-context';

function encodePath(bucket: string, key: string): string {
  return `/v1/kv/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
}

function query(params: Record<string, number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
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

/** A result of a batch as the node answers it (runtime/http/batch-route.ts). */
interface BatchResultBody {
  readonly key: string;
  readonly siblings?: { value: string; contentType: string; lastModifiedMs?: number }[];
  readonly context?: string;
  readonly error?: { code: string; message: string; detail?: Record<string, unknown> };
}

export class HttpChannel {
  private readonly agent: Agent;
  private readonly authorization: Record<string, string>;
  /** With a CA the client speaks TLS only: a token must never travel over plaintext http://. */
  private readonly tlsOnly: boolean;

  /** `timeoutMs`: the node's deadline for requests that do not set their own. */
  constructor(
    private readonly timeoutMs: number,
    connectionsPerNode: number,
    credentials: Credentials,
  ) {
    const connect = credentials.ca === undefined ? undefined : { ca: Buffer.from(credentials.ca) };
    this.agent = new Agent({ connections: connectionsPerNode, keepAliveTimeout: 30_000, pipelining: 1, connect });
    this.authorization = credentials.token === undefined ? {} : { authorization: `Bearer ${credentials.token}` };
    this.tlsOnly = credentials.ca !== undefined;
  }

  /** Throws unless `url` may be used: with `tls`, only https://. */
  checkUrl(url: string): void {
    if (this.tlsOnly && !url.startsWith('https://')) throw new KvorumError('bad_request', `${url} is plaintext, and the client was told to use TLS (tls.ca): give the node's https:// URL`);
  }

  async get(url: string, request: KvRequest): Promise<GetResult> {
    const path = `${encodePath(request.bucket, request.key)}${query({ r: request.quorum, timeout: request.timeoutMs })}`;
    const response = await this.send(url, 'GET', path, {}, undefined, request.timeoutMs);
    const context = (response.headers[contextHeader] as string | undefined) || undefined;
    // The status says which shape the body has, never the body or its type: this client sends no
    // `Accept: application/json`, so a 200 is always one raw value — which may itself be JSON —
    // and only a 300 carries the siblings envelope (docs/api.md).
    if (response.statusCode === 200) {
      const value = new Uint8Array(await response.body.arrayBuffer());
      return { siblings: [{ value, contentType: String(response.headers['content-type'] ?? 'application/octet-stream') }], context };
    }
    if (response.statusCode === 300) {
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

  /** A put, or a delete when `request.value` is undefined. */
  async write(url: string, request: KvRequest): Promise<{ context: string }> {
    const { bucket, key, value, contentType, context, quorum, timeoutMs } = request;
    const headers: Record<string, string> = value === undefined ? {} : { 'content-type': contentType ?? 'application/octet-stream' };
    if (context) headers[contextHeader] = context;
    const path = `${encodePath(bucket, key)}${query({ w: quorum, timeout: timeoutMs })}`;
    const response = await this.send(url, value === undefined ? 'DELETE' : 'PUT', path, headers, value, timeoutMs);
    if (response.statusCode !== 204) throw await errorFrom(response.statusCode, response.body);
    await response.body.dump();
    return { context: String(response.headers[contextHeader]) };
  }

  async listKeys(url: string, bucket: string, options: ListKeysOptions): Promise<KeysPage> {
    const params = new URLSearchParams();
    if (options.after !== undefined) params.set('after', options.after);
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.timeoutMs !== undefined) params.set('timeout', String(options.timeoutMs));
    const search = params.size > 0 ? `?${params}` : '';
    const body = (await this.json(url, 'GET', `/v1/kv/${encodeURIComponent(bucket)}${search}`, undefined, options.timeoutMs)) as { keys: string[]; next?: string };
    return { keys: body.keys, next: body.next };
  }

  async listBuckets(url: string, timeoutMs: number | undefined): Promise<BucketList> {
    return (await this.json(url, 'GET', `/v1/buckets${query({ timeout: timeoutMs })}`, undefined, timeoutMs)) as BucketList;
  }

  async bucketProps(url: string, bucket: string): Promise<BucketProps> {
    return ((await this.json(url, 'GET', `/v1/buckets/${encodeURIComponent(bucket)}`)) as { props: BucketProps }).props;
  }

  async setBucketProps(url: string, bucket: string, change: Partial<BucketProps>): Promise<BucketProps> {
    return ((await this.json(url, 'PUT', `/v1/buckets/${encodeURIComponent(bucket)}`, change)) as { props: BucketProps }).props;
  }

  /**
   * One `POST /v1/kv/{bucket}/_batch` (docs/api.md): each request's result or error, in order.
   * The caller keeps a batch within limits.batchOpsMax and limits.batchBodyBytesMax.
   */
  async batch(url: string, bucket: string, requests: readonly KvRequest[], kind: 'get' | 'put', timeoutMs: number | undefined): Promise<(GetResult | { context: string } | KvorumError)[]> {
    const ops = requests.map(({ key, value, contentType, context, quorum }) =>
      kind === 'get'
        ? { op: 'get', key, ...(quorum === undefined ? {} : { r: quorum }) }
        : { op: 'put', key, value: Buffer.from(value ?? new Uint8Array()).toString('base64'), contentType, ...(context ? { context } : {}), ...(quorum === undefined ? {} : { w: quorum }) },
    );
    const body = (await this.json(url, 'POST', `/v1/kv/${encodeURIComponent(bucket)}/_batch`, { ops, ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) }, timeoutMs)) as { results: BatchResultBody[] };
    // Results are matched to keys by position: an answer of another length, or naming other keys
    // in turn, would give keys each other's results (and shift those of every later batch).
    if (!Array.isArray(body.results) || body.results.length !== requests.length || body.results.some((result, i) => result.key !== requests[i]!.key)) {
      throw new KvorumError('internal', `${url} answered a batch of ${requests.length} keys with results that do not match them one for one`);
    }
    return body.results.map((result) => {
      if (result.error !== undefined) {
        const { code, message, detail } = result.error;
        return new KvorumError(isErrorCode(code) ? code : 'internal', message, detail);
      }
      if (result.siblings === undefined) return { context: result.context ?? '' };
      const siblings = result.siblings.map((s) => ({ value: new Uint8Array(Buffer.from(s.value, 'base64')), contentType: s.contentType, lastModifiedMs: s.lastModifiedMs }));
      return { siblings, context: result.context };
    });
  }

  /** A JSON request whose answer is JSON; any status but 200 is the error it carries. */
  private async json(url: string, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, timeoutMs?: number): Promise<unknown> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const response = await this.send(url, method, path, headers, body === undefined ? undefined : Buffer.from(JSON.stringify(body)), timeoutMs);
    if (response.statusCode !== 200) throw await errorFrom(response.statusCode, response.body);
    return response.body.json();
  }

  async ring(url: string): Promise<RingDescription> {
    this.checkUrl(url);
    const response = await httpRequest(`${url.replace(/\/$/, '')}/v1/ring`, { headers: this.authorization, dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    if (response.statusCode !== 200) throw await errorFrom(response.statusCode, response.body);
    return (await response.body.json()) as RingDescription;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private send(url: string, method: 'GET' | 'PUT' | 'DELETE' | 'POST', path: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs = this.timeoutMs): Promise<Dispatcher.ResponseData> {
    this.checkUrl(url);
    return httpRequest(`${url}${path}`, { method, headers: { ...headers, ...this.authorization }, body, dispatcher: this.agent, headersTimeout: timeoutMs + replyGraceMs, bodyTimeout: timeoutMs + replyGraceMs });
  }
}
