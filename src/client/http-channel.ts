/**
 * The client's HTTP side: requests to a node's HTTP API (docs/api.md) over undici keep-alive
 * connections, and the answers turned into the client's result types. A connection failure is
 * NodeUnreachable-like (node-unreachable.ts), so the client tries the next node.
 */
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import { KvorumError, isErrorCode } from '../core/errors.ts';
import type { RingDescription } from '../wire/client-protocol.ts';
import { replyGraceMs } from './settings.ts';
import type { Credentials, GetResult, KvRequest } from './types.ts';

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

  async ring(url: string): Promise<RingDescription> {
    this.checkUrl(url);
    const response = await httpRequest(`${url.replace(/\/$/, '')}/v1/ring`, { headers: this.authorization, dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    if (response.statusCode !== 200) throw await errorFrom(response.statusCode, response.body);
    return (await response.body.json()) as RingDescription;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private send(url: string, method: 'GET' | 'PUT' | 'DELETE', path: string, headers: Record<string, string>, body: Uint8Array | undefined, timeoutMs = this.timeoutMs): Promise<Dispatcher.ResponseData> {
    this.checkUrl(url);
    return httpRequest(`${url}${path}`, { method, headers: { ...headers, ...this.authorization }, body, dispatcher: this.agent, headersTimeout: timeoutMs + replyGraceMs, bodyTimeout: timeoutMs + replyGraceMs });
  }
}
