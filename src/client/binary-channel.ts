/**
 * The client's binary-protocol side: one pipelined connection per node (binary-connection.ts),
 * opened on first use, and the protocol's replies turned into the client's result types.
 *
 * A node whose connection failed is backed off (jittered, doubling up to a cap): meanwhile its
 * requests fail at once with NodeUnreachable, so the client moves on to the next node of the
 * route instead of waiting on a dead one. A connection idle for half the node's idle timeout is
 * replaced before use, so that a request never races the node closing it.
 */
import { reconnectDelayMs } from '../wire/backoff.ts';
import type { BucketsFrame, DeleteFrame, GetFrame, KeysFrame, PutFrame, RingDescription, SiblingBody } from '../wire/client-protocol.ts';
import { BinaryConnection, type Reply, type RequestBody } from './binary-connection.ts';
import { NodeUnreachable } from './node-unreachable.ts';
import { connectTimeoutMsMax, reconnectBackoff, replyGraceMs } from './settings.ts';
import type { BucketList, Credentials, GetResult, KeysPage, KvRequest, ListKeysOptions } from './types.ts';

interface NodeLink {
  connection: BinaryConnection | null;
  opening: Promise<BinaryConnection> | null;
  failures: number;
  retryAtMs: number;
}

export class BinaryChannel {
  private readonly links = new Map<string, NodeLink>();
  private closed = false;

  /** `timeoutMs`: the node's deadline for requests that do not set their own. */
  constructor(
    private readonly timeoutMs: number,
    private readonly credentials: Credentials,
  ) {}

  async get(address: string, request: KvRequest): Promise<GetResult> {
    const body: Mutable<GetFrame> = { op: 'get', bucket: request.bucket, key: request.key };
    if (request.quorum !== undefined) body.r = request.quorum;
    const reply = await this.request(address, withTimeout(body, request.timeoutMs), request.timeoutMs);
    const siblings = (reply.siblings as readonly SiblingBody[] | undefined) ?? [];
    return { siblings: siblings.map(({ value, contentType, lastModifiedMs }) => ({ value: ownCopy(value), contentType, lastModifiedMs })), context: (reply.context as string | undefined) || undefined };
  }

  /** A put, or a delete when `request.value` is undefined. */
  async write(address: string, request: KvRequest): Promise<{ context: string }> {
    const { bucket, key, value, contentType, context, quorum, timeoutMs } = request;
    const body: Mutable<PutFrame> | Mutable<DeleteFrame> = value === undefined ? { op: 'delete', bucket, key } : { op: 'put', bucket, key, value, contentType };
    if (context) body.context = context;
    if (quorum !== undefined) body.w = quorum;
    const reply = await this.request(address, withTimeout(body, timeoutMs), timeoutMs);
    return { context: String(reply.context) };
  }

  async listKeys(address: string, bucket: string, options: ListKeysOptions): Promise<KeysPage> {
    const body: Mutable<KeysFrame> = { op: 'keys', bucket };
    if (options.after !== undefined) body.after = options.after;
    if (options.limit !== undefined) body.limit = options.limit;
    const reply = await this.request(address, withTimeout(body, options.timeoutMs), options.timeoutMs);
    return { keys: (reply.keys as string[] | undefined) ?? [], next: (reply.next as string | undefined) ?? undefined };
  }

  async listBuckets(address: string, timeoutMs: number | undefined): Promise<BucketList> {
    const reply = await this.request(address, withTimeout<Mutable<BucketsFrame>>({ op: 'buckets' }, timeoutMs), timeoutMs);
    return { buckets: (reply.buckets as string[] | undefined) ?? [], truncated: reply.truncated === true };
  }

  async ring(address: string): Promise<RingDescription> {
    return (await this.request(address, { op: 'ring' }, undefined)).ring as RingDescription;
  }

  close(): void {
    this.closed = true;
    for (const link of this.links.values()) link.connection?.close();
    this.links.clear();
  }

  private async request(address: string, body: RequestBody, timeoutMs: number | undefined): Promise<Reply> {
    const connection = await this.connectionTo(address);
    return connection.request(body, (timeoutMs ?? this.timeoutMs) + replyGraceMs);
  }

  private connectionTo(address: string): BinaryConnection | Promise<BinaryConnection> {
    if (this.closed) throw new NodeUnreachable('the client is closed');
    let link = this.links.get(address);
    if (link === undefined) {
      link = { connection: null, opening: null, failures: 0, retryAtMs: 0 };
      this.links.set(address, link);
    }
    const { connection } = link;
    if (connection !== null && connection.isOpen) {
      if (connection.idleMs(Date.now()) < connection.welcome.limits.idleTimeoutMs / 2) return connection;
      connection.close('idle: replaced before the node would close it');
    }
    link.connection = null;
    if (link.opening !== null) return link.opening;
    if (Date.now() < link.retryAtMs) throw new NodeUnreachable(`${address}: not retried for ${link.retryAtMs - Date.now()} ms after ${link.failures} failed connections`);
    link.opening = this.open(address, link);
    return link.opening;
  }

  private async open(address: string, link: NodeLink): Promise<BinaryConnection> {
    const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(address) ?? [];
    try {
      const connection = await BinaryConnection.open({ host: host ?? address, port: Number(port), connectTimeoutMs: Math.min(connectTimeoutMsMax, this.timeoutMs), ...this.credentials });
      link.failures = 0;
      if (this.closed) connection.close();
      else link.connection = connection;
      return connection;
    } catch (error) {
      link.failures++;
      link.retryAtMs = Date.now() + reconnectDelayMs(link.failures, reconnectBackoff, Math.random());
      throw error;
    } finally {
      link.opening = null;
    }
  }
}

type Mutable<T> = { -readonly [K in keyof Omit<T, 'id'>]: Omit<T, 'id'>[K] };

/** Absent fields stay off the wire rather than travel as nil. */
function withTimeout<T extends { timeoutMs?: number | undefined }>(body: T, timeoutMs: number | undefined): T {
  if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
  return body;
}

/**
 * A value in memory of its own. A decoded frame's bytes are views into one copy of the frame
 * (wire/codec.ts), which may share Node's 8 KiB pool slab with others: an application that keeps
 * a small value must not keep all of that alive with it.
 */
function ownCopy(value: Uint8Array): Buffer {
  const own = Buffer.allocUnsafeSlow(value.length);
  own.set(value);
  return own;
}
