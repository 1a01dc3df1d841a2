/**
 * The HTTP API of a node (DESIGN §10; the contract is in docs/api.md). Built apart from listen,
 * as fastify recommends, so tests can drive it with `inject` as well as over real sockets.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { KvorumError, errorCodes, isErrorCode } from '../../core/errors.ts';
import { limits, type BucketProps } from '../../core/limits.ts';
import type { ClientResult, NodeRequest } from '../../core/messages.ts';
import { listKeysLimitDefault } from '../../core/coverage/listing-limits.ts';
import type { Ring } from '../../core/ring/types.ts';
import { validateBucket, validateKey } from '../../core/validate.ts';
import { keyHash, partitionOfHash } from '../../core/ring/hash.ts';
import { preferenceList } from '../../core/ring/ring.ts';
import { decodeContextToken, encodeContextToken, type ContextTokenKey } from '../../core/version/context-token.ts';
import type { CausalContext, StoredObject } from '../../core/version/types.ts';
import { liveSiblings } from '../../core/version/object.ts';
import type { RequestLimits } from '../../core/validate.ts';
import type { NodeStatus } from '../../core/status.ts';
import { describeRing } from '../ring-description.ts';
import { batchOps, batchWrites, runBatch } from './batch-route.ts';
import { jsonObjectBody } from './json-body.ts';
import { registerMembershipRoutes, type MembershipBackend } from './membership-routes.ts';
import type { Socket } from 'node:net';
import { bearerToken, mayMonitor, permits, registerAuth } from './route-permissions.ts';
import { authorize, type ClientAuth } from '../security/client-auth.ts';
import { httpConnectionsMax, httpHeaderBytesMax, httpTimeoutCheckIntervalMs, httpTimeoutsDefault, type HttpTimeouts } from './settings.ts';

export const contextHeader = 'x-kvorum-context';

/** What the HTTP API needs of a node. */
export interface HttpBackend {
  readonly name: string;
  /**
   * What /health reports besides the name, so that whoever started the node can tell it is the
   * one answering and not an old process still on the port (`kvorum dev` checks the pid).
   */
  readonly pid: number;
  readonly incarnation: string;
  readonly clusterName: string;
  readonly requestLimits: RequestLimits;
  /** Signs the context tokens this node hands out and checks those it is given (core/version/context-token.ts). */
  readonly contextTokenKey: ContextTokenKey;
  /** The clients' tokens and their roles (security/client-auth.ts); none configured: no check. */
  readonly auth: ClientAuth;
  readonly ringTargetN: number;
  ring(): Ring;
  request(request: NodeRequest): Promise<ClientResult>;
  /**
   * The node's report of itself (KvNode.status: readiness, members as its failure detector sees
   * them); GET /v1/cluster is made from it.
   */
  nodeStatus(): NodeStatus;
  bucketProps(bucket: string): BucketProps;
  /**
   * Sets a bucket's properties at run time (any of n, r, w, pr, pw, resolution, durability over
   * its current ones); resolves with the new ones. Throws KvorumError: `bad_bucket`,
   * `bad_bucket_props`, `bucket_not_empty` (N of a bucket that holds keys).
   */
  setBucketProps(bucket: string, change: unknown): Promise<BucketProps>;
  /** What the node reports of itself, as plain data (GET /v1/status; runtime/status.ts). */
  status(): unknown;
  /** GET /metrics: Prometheus text (runtime/metrics/registry.ts). */
  metrics(): Promise<string>;
  readonly membership?: MembershipBackend | undefined;
}

type KvParams = { bucket: string; key: string };
type KvQuery = Record<string, string | undefined>;

const queryNames: Record<'get' | 'put' | 'delete', readonly string[]> = {
  get: ['r', 'timeout'],
  put: ['w', 'timeout'],
  delete: ['w', 'timeout'],
};

function errorBody(error: { code: string; message: string; detail?: unknown }): { error: Record<string, unknown> } {
  return { error: error.detail ? { code: error.code, message: error.message, detail: error.detail } : { code: error.code, message: error.message } };
}

function sendError(reply: FastifyReply, error: KvorumError): FastifyReply {
  if (error.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="kvorum"');
  return reply.code(error.httpStatus).type('application/json').send(errorBody(error.toJSON()));
}

function requestTimedOut(requestTimeoutMs: number): KvorumError {
  return new KvorumError('request_timeout', `the request did not arrive within ${requestTimeoutMs} ms`);
}

/**
 * Errors the router raises before a route runs, in our shape (fastify's own has other fields).
 * The path is not echoed: it may be long, or the very bytes that were wrong.
 */
function frameworkError(error: Error & { code?: string }, requestLimits: RequestLimits): KvorumError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return new KvorumError('bad_key', `key is longer than ${requestLimits.keyBytesMax} bytes`, { keyBytesMax: requestLimits.keyBytesMax });
  if (error.code === 'FST_ERR_BAD_URL') return new KvorumError('bad_request', 'the path is not valid percent-encoded UTF-8');
  return new KvorumError('bad_request', error.message);
}

/**
 * Errors of the HTTP parser and the server's timeouts, which reach no route (fastify's
 * `clientErrorHandler`): answered in our shape, then the connection is closed — after such an
 * error the parser cannot tell where the next request would start.
 */
function onClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const server = this.server;
  const kvorumError =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimedOut(server.requestTimeout)
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new KvorumError('headers_too_large', `the request line and headers are larger than ${httpHeaderBytesMax} bytes`)
        : new KvorumError('bad_request', `not an HTTP/1.1 request this server understands (${error.code ?? 'parse error'})`);
  if (socket.writable) {
    const body = JSON.stringify(errorBody(kvorumError.toJSON()));
    const status = kvorumError.httpStatus;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

function parseQuery(kind: 'get' | 'put' | 'delete', query: KvQuery): { quorum?: number; timeoutMs?: number } {
  const allowed = queryNames[kind];
  const parsed: { quorum?: number; timeoutMs?: number } = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) throw new KvorumError('bad_query', `unknown query parameter ${JSON.stringify(name)} (allowed: ${allowed.join(', ')})`);
    if (typeof value !== 'string' || !/^\d{1,6}$/.test(value)) throw new KvorumError('bad_query', `${name} must be a positive integer (got ${JSON.stringify(value)})`);
    if (name === 'timeout') parsed.timeoutMs = Number(value);
    else parsed.quorum = Number(value);
  }
  return parsed;
}

/** A listing's query: `limit` and `timeout` integers, `after` any key (empty: none). */
function parseListQuery(query: KvQuery, allowed: readonly string[]): { limit?: number; after?: string; timeoutMs?: number } {
  const parsed: { limit?: number; after?: string; timeoutMs?: number } = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) throw new KvorumError('bad_query', `unknown query parameter ${JSON.stringify(name)} (allowed: ${allowed.join(', ')})`);
    if (typeof value !== 'string') throw new KvorumError('bad_query', `give ${name} once`);
    if (name === 'after') {
      if (value !== '') parsed.after = value;
      continue;
    }
    if (!/^\d{1,6}$/.test(value)) throw new KvorumError('bad_query', `${name} must be a positive integer (got ${JSON.stringify(value)})`);
    if (name === 'limit') parsed.limit = Number(value);
    else parsed.timeoutMs = Number(value);
  }
  return parsed;
}

function parseContext(request: FastifyRequest, target: KvParams, key: ContextTokenKey): CausalContext | null {
  const header = request.headers[contextHeader];
  if (header === undefined || header === '') return null;
  if (Array.isArray(header)) throw new KvorumError('bad_context', `send one ${contextHeader} header, not ${header.length}`);
  return decodeContextToken(header, target, key);
}

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

function throwIfError(result: ClientResult): asserts result is Exclude<ClientResult, { kind: 'error' }> {
  if (result.kind === 'error') throw new KvorumError(isErrorCode(result.code) ? result.code : 'internal', result.message, result.detail);
}

function siblingsJson(object: StoredObject | null): { value: string; contentType: string; lastModifiedMs: number }[] {
  return object
    ? liveSiblings(object).map((s) => ({ value: Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength).toString('base64'), contentType: s.contentType, lastModifiedMs: s.lastModifiedMs }))
    : [];
}

/** Many keys in one request (batch-route.ts); its body may be larger than a value. */
const batchRoute = '/v1/kv/:bucket/_batch';

export interface HttpAppOptions {
  readonly logger?: boolean;
  /** Where to log each request answered (the access log); none by default. */
  readonly accessLog?: Logger | undefined;
  /** Serve HTTPS with this key and certificate (docs/security.md). */
  readonly https?: { readonly key: Buffer; readonly cert: Buffer } | undefined;
  /** Defaults: settings.ts `httpTimeoutsDefault`. */
  readonly timeouts?: Partial<HttpTimeouts> | undefined;
}

export function buildHttpApp(backend: HttpBackend, options: HttpAppOptions = {}): FastifyInstance {
  const timeouts = { ...httpTimeoutsDefault, ...options.timeouts };
  const app = Fastify({
    ...(options.https ? { https: { key: options.https.key, cert: options.https.cert, minVersion: 'TLSv1.2' as const, handshakeTimeout: timeouts.headersTimeoutMs } } : {}),
    logger: options.logger ?? false,
    bodyLimit: backend.requestLimits.valueBytesMax,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionTimeout: timeouts.idleTimeoutMs,
    http: { headersTimeout: timeouts.headersTimeoutMs, maxHeaderSize: httpHeaderBytesMax, connectionsCheckingInterval: httpTimeoutCheckIntervalMs },
    // A key of keyBytesMax bytes may take three times as many characters percent-encoded.
    routerOptions: { maxParamLength: backend.requestLimits.keyBytesMax * 3 + 16 },
    clientErrorHandler: onClientError,
    frameworkErrors: (error, _request, reply) => sendError(reply, frameworkError(error, backend.requestLimits)),
  });
  app.server.maxConnections = httpConnectionsMax;
  const accessLog = options.accessLog;
  if (accessLog !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      accessLog.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, remote: request.ip }, 'http');
      done();
    });
  }
  // Over HTTPS a failed handshake leaves the socket open unless closed here.
  if (options.https) app.server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  // Values are opaque bytes of any content type: keep the body raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof KvorumError) return sendError(reply, error);
    if (error.statusCode === 413 && request.routeOptions.url === batchRoute) {
      const { batchBodyBytesMax } = limits;
      return sendError(reply, new KvorumError('batch_too_large', `a batch's body is at most ${batchBodyBytesMax} bytes`, { batchBodyBytesMax }));
    }
    if (error.statusCode === 413) {
      return sendError(reply, new KvorumError('value_too_large', `value is larger than the limit of ${backend.requestLimits.valueBytesMax} bytes`, { valueBytesMax: backend.requestLimits.valueBytesMax }));
    }
    if (error.statusCode === 415) return sendError(reply, new KvorumError('unsupported_media_type', 'Content-Type is not a media type (type/subtype)'));
    if (error.statusCode === 408) return sendError(reply, requestTimedOut(timeouts.requestTimeoutMs));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, new KvorumError('bad_request', error.message));
    }
    return sendError(reply, new KvorumError('internal', error.message));
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new KvorumError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)));

  registerAuth(app, backend.auth);

  app.get<{ Params: KvParams; Querystring: KvQuery }>('/v1/kv/:bucket/:key', { config: permits.read }, async (request, reply) => {
    const { bucket, key } = request.params;
    const { quorum, timeoutMs } = parseQuery('get', request.query);
    const result = await backend.request({ kind: 'get', bucket, key, r: quorum, timeoutMs });
    throwIfError(result);
    if (result.kind !== 'got') throw new KvorumError('internal', `unexpected result ${result.kind}`);
    const object = result.object;
    const token = object ? encodeContextToken(object.context, request.params, backend.contextTokenKey) : undefined;
    if (token) reply.header(contextHeader, token);
    const siblings = siblingsJson(object);
    if (siblings.length === 0) {
      const notFound = new KvorumError('not_found', object ? `${bucket}/${key} was deleted` : `${bucket}/${key} not found`);
      const body = wantsJson(request) ? { context: token, siblings, ...errorBody(notFound.toJSON()) } : errorBody(notFound.toJSON());
      return reply.code(404).type('application/json').send(body);
    }
    if (siblings.length === 1 && !wantsJson(request)) {
      const only = liveSiblings(object as StoredObject)[0];
      return reply.code(200).type(only?.contentType || 'application/octet-stream').send(Buffer.from(only?.value ?? new Uint8Array()));
    }
    return reply.code(siblings.length === 1 ? 200 : wantsJson(request) ? 200 : 300).type('application/json').send({ context: token, siblings });
  });

  const write = async (request: FastifyRequest<{ Params: KvParams; Querystring: KvQuery }>, reply: FastifyReply, deleted: boolean) => {
    const { bucket, key } = request.params;
    const { quorum, timeoutMs } = parseQuery(deleted ? 'delete' : 'put', request.query);
    const context = parseContext(request, request.params, backend.contextTokenKey);
    const body = request.body;
    const value = deleted ? new Uint8Array() : Buffer.isBuffer(body) ? body : new Uint8Array();
    const contentType = deleted ? '' : (request.headers['content-type'] ?? 'application/octet-stream');
    const result = await backend.request({ kind: 'put', bucket, key, value, contentType, deleted, context, w: quorum, timeoutMs });
    throwIfError(result);
    if (result.kind !== 'stored') throw new KvorumError('internal', `unexpected result ${result.kind}`);
    return reply.code(204).header(contextHeader, encodeContextToken(result.context, request.params, backend.contextTokenKey)).send();
  };
  app.put<{ Params: KvParams; Querystring: KvQuery }>('/v1/kv/:bucket/:key', { config: permits.write }, (request, reply) => write(request, reply, false));
  app.delete<{ Params: KvParams; Querystring: KvQuery }>('/v1/kv/:bucket/:key', { config: permits.write }, (request, reply) => write(request, reply, true));

  // Gets need read, puts and deletes write: the hook checks read, the handler write (batch-route.ts).
  app.post<{ Params: { bucket: string } }>(batchRoute, { bodyLimit: limits.batchBodyBytesMax, config: permits.read }, async (request) => {
    const { bucket } = request.params;
    validateBucket(bucket);
    const { ops, timeoutMs } = batchOps(jsonObjectBody(request.body));
    if (batchWrites(ops)) authorize(backend.auth.caller(bearerToken(request)), { action: 'write', bucket });
    return { results: await runBatch(bucket, ops, timeoutMs, backend.contextTokenKey, (one) => backend.request(one)) };
  });

  app.get<{ Params: { bucket: string } }>('/v1/buckets/:bucket', { config: permits.ring }, async (request) => {
    validateBucket(request.params.bucket);
    return { bucket: request.params.bucket, props: backend.bucketProps(request.params.bucket) };
  });

  app.put<{ Params: { bucket: string } }>('/v1/buckets/:bucket', { config: permits.admin }, async (request) => {
    const { bucket } = request.params;
    validateBucket(bucket);
    return { bucket, props: await backend.setBucketProps(bucket, jsonObjectBody(request.body, 'bad_bucket_props')) };
  });

  // The names of every bucket are the cluster's state: monitor, as /v1/cluster.
  app.get<{ Querystring: KvQuery }>('/v1/buckets', { config: permits.monitor }, async (request) => {
    const { timeoutMs } = parseListQuery(request.query, ['timeout']);
    const result = await backend.request({ kind: 'listBuckets', timeoutMs });
    throwIfError(result);
    if (result.kind !== 'buckets') throw new KvorumError('internal', `unexpected result ${result.kind}`);
    return { buckets: result.buckets, truncated: result.truncated };
  });

  // A page of the bucket's keys in order: `next` names where the next page starts (docs/api.md).
  app.get<{ Params: { bucket: string }; Querystring: KvQuery }>('/v1/kv/:bucket', { config: permits.read }, async (request) => {
    const { bucket } = request.params;
    const { timeoutMs, limit, after } = parseListQuery(request.query, ['limit', 'after', 'timeout']);
    const result = await backend.request({ kind: 'listKeys', bucket, after: after ?? null, limit: limit ?? listKeysLimitDefault, timeoutMs });
    throwIfError(result);
    if (result.kind !== 'keys') throw new KvorumError('internal', `unexpected result ${result.kind}`);
    return result.next === null ? { keys: result.keys } : { keys: result.keys, next: result.next };
  });

  app.get('/v1/cluster', { config: permits.monitor }, async () => {
    const ring = backend.ring();
    const status = backend.nodeStatus();
    const members = new Map(status.members.map((member) => [member.name, member]));
    return {
      clusterName: backend.clusterName,
      node: backend.name,
      version: ring.version,
      transition: status.ring.transition,
      epochsKnown: status.epochsKnown,
      viewConfirmed: status.viewConfirmed,
      ready: status.notReadyBecause === null,
      notReadyBecause: status.notReadyBecause,
      removed: status.members.filter((member) => member.membership === 'removed').map((member) => member.name),
      nodes: [...ring.nodes.values()].map((node) => ({
        membership: members.get(node.name)?.membership ?? 'valid',
        name: node.name,
        address: node.address,
        httpUrl: node.httpUrl,
        clientAddress: node.clientAddress ?? null,
        zone: node.zone ?? null,
        capacity: node.capacity,
        status: members.get(node.name)?.reachability ?? 'unknown',
        partitions: ring.owners.filter((owner) => owner === node.name).length,
      })),
    };
  });

  app.get('/v1/ring', { config: permits.ring }, async () => describeRing(backend.ring(), backend.ringTargetN));

  // Where a key lives: its partition, its position on the ring (0 to 1, clockwise) and its
  // preference list — the dashboard's search box places it on the ring with this.
  app.get<{ Querystring: KvQuery }>('/v1/ring/locate', { config: permits.monitor }, async (request) => {
    const { bucket, key } = request.query;
    if (typeof bucket !== 'string' || typeof key !== 'string') throw new KvorumError('bad_query', 'give bucket and key: /v1/ring/locate?bucket=B&key=K');
    validateBucket(bucket);
    validateKey(key, backend.requestLimits);
    const ring = backend.ring();
    const hash = keyHash(bucket, key);
    const partition = partitionOfHash(hash, ring.partitionCount);
    const position = (hash[0]! * 2 ** 40 + hash[1]! * 2 ** 32 + hash[2]! * 2 ** 24 + hash[3]! * 2 ** 16 + hash[4]! * 2 ** 8 + hash[5]!) / 2 ** 48;
    return { bucket, key, partition, position, preferenceList: preferenceList(ring, partition, backend.ringTargetN) };
  });

  if (backend.membership) registerMembershipRoutes(app, backend.membership);

  // Public (liveness probes); who the process is, only to a caller that may monitor: whoever
  // started the node checks it is the one answering (kvorum dev compares the pid).
  app.get('/health', { config: permits.public }, async (request) => {
    const identity = { pid: backend.pid, incarnation: backend.incarnation };
    return mayMonitor(backend.auth, request) ? { status: 'ok', node: backend.name, ...identity } : { status: 'ok', node: backend.name };
  });

  app.get('/v1/status', { config: permits.monitor }, async () => backend.status());

  app.get('/metrics', { config: permits.monitor }, async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await backend.metrics()));

  return app;
}

/** For docs and tests: the HTTP status of every error code. */
export const httpStatusOfCode = errorCodes;
