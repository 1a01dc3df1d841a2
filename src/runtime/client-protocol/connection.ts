/**
 * One client's connection to the binary protocol (wire/client-protocol.ts), server side:
 *
 *   handshake ──hello──▶ open ──violation, timeout, idle──▶ closing ──grace──▶ destroyed
 *       └──bad hello, no hello in time─────────────────────────┘
 *
 * Open, every frame is a request, handed to the node as it is read; replies are queued as they
 * finish, in any order, and written once per event-loop turn in one socket write (as
 * transport/peer-link.ts batches frames between nodes): at 64 requests in flight that is one
 * syscall for many replies instead of one each. While the socket does not drain, the
 * connection stops reading, so a client that does not read its replies cannot make the node
 * buffer more than its in-flight limit of them.
 *
 * A request that cannot be answered — no id, an id already in flight, a frame that is not
 * msgpack or too long — breaks the protocol: the connection gets one closing frame saying why
 * and is closed. Nothing else is touched. A request that is merely wrong (bad bucket, a value
 * too large, over the in-flight limit) gets an error reply and the connection carries on.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { KvorumError } from '../../core/errors.ts';
import type { ClientResult, NodeRequest } from '../../core/messages.ts';
import type { ContextTokenKey } from '../../core/version/context-token.ts';
import { authorize, type Caller, type ClientAuth, type Permission } from '../security/client-auth.ts';
import type { RequestLimits } from '../../core/validate.ts';
import type { RingDescription, WelcomeLimits } from '../../wire/client-protocol.ts';
import { BatchedWriter } from '../../wire/batched-writer.ts';
import { decodeMessage, encodeMessageFrame, frameBodyBytes } from '../../wire/codec.ts';
import { FrameDecoder } from '../../wire/framing.ts';
import { WireProtocolError } from '../../wire/wire-error.ts';
import { keepAliveInitialDelayMs } from '../transport/settings.ts';
import { welcomeFor } from './handshake.ts';
import { closingFrame, errorReply, replyOf } from './replies.ts';
import { parseRequest, requestIdOf, type ParsedRequest } from './request-parse.ts';
import { helloFrameBytesMax } from './settings.ts';
import { IdTable } from '../../core/id-table.ts';

/** What the protocol needs of a node. */
export interface ClientBackend {
  readonly nodeName: string;
  readonly clusterName: string;
  readonly requestLimits: RequestLimits;
  /** What context tokens are signed with: the same tokens as HTTP's (core/version/context-token.ts). */
  readonly contextTokenKey: ContextTokenKey;
  /** Client tokens and roles (security/client-auth.ts): the hello's `auth` names the caller. */
  readonly auth: ClientAuth;
  /** Coordinates a request; `onResult` is called once, possibly before submit returns. */
  submit(request: NodeRequest, onResult: (result: ClientResult) => void): void;
  ring(): RingDescription;
}

/** Counts kept by the server over all its connections (metrics `binary.*`). */
export interface ClientCounters {
  requests: number;
  errors: number;
  protocolErrors: number;
  connectionsRefused: number;
  replyWrites: number;
}

export interface ConnectionContext {
  readonly backend: ClientBackend;
  readonly limits: WelcomeLimits;
  readonly handshakeTimeoutMs: number;
  readonly partialFrameTimeoutMs: number;
  readonly counters: ClientCounters;
  /** Logs a connection closed for a protocol violation (the server limits how many it logs). */
  onViolation(remote: string, code: string, message: string): void;
  onClosed(connection: ClientConnection): void;
}

type Phase = 'handshake' | 'open' | 'closing';

/** How long a closing connection may stay half-open for its last frame to reach the client. */
const closeGraceMs = 2_000;

export class ClientConnection {
  private phase: Phase = 'handshake';
  /** The protocol version the hello asked for: ops added later are refused (request-parse.ts). */
  private version = 1;
  private readonly decoder = new FrameDecoder(helloFrameBytesMax);
  /**
   * Request ids in flight; an IdTable, not a Set, because it churns with every request
   * (core/id-table.ts says why). The client chooses the ids: a random multiplier of its own, so
   * that it cannot choose ids that all land in one slot.
   */
  private readonly inflight = new IdTable<true>(2 * randomInt(2 ** 31) + 1);
  private readonly writer: BatchedWriter;
  private readonly openedAtMs: number;
  private lastFrameAtMs: number;
  /** When the bytes of an incomplete frame began to arrive; -1 while none is incomplete. */
  private partialSinceMs = -1;
  private closingSinceMs = -1;
  /** Who the hello's token names; set when the hello is taken. */
  private caller: Caller | undefined;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
    nowMs: number,
  ) {
    this.openedAtMs = nowMs;
    this.lastFrameAtMs = nowMs;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveInitialDelayMs);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A client that does not read its replies is not read either: its requests wait in its socket.
    this.writer = new BatchedWriter(socket, {
      onWrite: () => ctx.counters.replyWrites++,
      onBlocked: (blocked) => {
        if (blocked) socket.pause();
        else if (this.phase === 'open') socket.resume();
      },
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // 'close' follows; a client that goes away is not our error.
    socket.on('close', () => this.onClose());
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Closes the connection now, without a closing frame (the node is stopping). */
  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  /**
   * Called by the server about once a second: timeouts are checked here, not with a timer per
   * connection, so that thousands of connections cost no timer churn.
   */
  sweep(nowMs: number): void {
    switch (this.phase) {
      case 'handshake':
        if (nowMs - this.openedAtMs >= this.ctx.handshakeTimeoutMs) this.fail('timeout', `no hello within ${this.ctx.handshakeTimeoutMs} ms`);
        return;
      case 'open':
        if (this.partialSinceMs >= 0 && nowMs - this.partialSinceMs >= this.ctx.partialFrameTimeoutMs) {
          return this.fail('timeout', `a frame stayed incomplete for ${this.ctx.partialFrameTimeoutMs} ms`, { bufferedBytes: this.decoder.bufferedBytes });
        }
        if (this.inflight.size === 0 && this.writer.queuedCount === 0 && this.partialSinceMs < 0 && nowMs - this.lastFrameAtMs >= this.ctx.limits.idleTimeoutMs) {
          this.close('timeout', `idle for ${this.ctx.limits.idleTimeoutMs} ms`);
        }
        return;
      case 'closing':
        if (nowMs - this.closingSinceMs >= closeGraceMs) this.socket.destroy();
        return;
    }
  }

  private get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closing') return; // Read and dropped, so the socket closes without a reset.
    const nowMs = Date.now();
    this.lastFrameAtMs = nowMs;
    try {
      this.decoder.push(chunk, (frames, start, end) => this.onFrame(frames, start, end));
    } catch (error) {
      if (!(error instanceof WireProtocolError)) throw error;
      // A frame over the limit is a request too large to read: say so with the code HTTP uses.
      const code = error.violation === 'frame_too_large' ? 'value_too_large' : error.code;
      return this.fail(code, error.message, error.detail);
    }
    if (this.decoder.bufferedBytes === 0) this.partialSinceMs = -1;
    else if (this.partialSinceMs < 0) this.partialSinceMs = nowMs;
  }

  private onFrame(frames: Buffer, start: number, end: number): void {
    if (this.phase === 'closing') return;
    this.partialSinceMs = -1;
    const message = decodeMessage(frames, start, end);
    if (this.phase === 'handshake') this.onHello(message);
    else this.onRequest(message);
  }

  private onHello(hello: unknown): void {
    const { backend, limits } = this.ctx;
    try {
      const welcome = welcomeFor(hello, backend.nodeName, backend.clusterName, limits);
      this.version = welcome.version;
      const token = (hello as { auth?: unknown }).auth;
      this.caller = backend.auth.caller(typeof token === 'string' ? token : undefined);
      this.phase = 'open';
      this.decoder.setFrameBytesMax(limits.frameBytesMax);
      this.writer.push(encodeMessageFrame(welcome));
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      this.ctx.counters.connectionsRefused++;
      this.fail(error.code, error.message, error.detail);
    }
  }

  private onRequest(message: unknown): void {
    const id = requestIdOf(message);
    if (id === null) return this.fail('bad_request', 'a request must be a map with an id: an integer from 0 to 2^32-1');
    if (this.inflight.has(id)) return this.fail('bad_request', `request id ${id} is already in flight on this connection`);
    this.ctx.counters.requests++;
    let parsed;
    try {
      parsed = parseRequest(message as Record<string, unknown>, this.ctx.backend.requestLimits, this.ctx.backend.contextTokenKey, this.version);
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      return this.replyError(id, error);
    }
    try {
      authorize(this.caller!, permissionOf(parsed));
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      return this.replyError(id, error);
    }
    switch (parsed.op) {
      case 'ping':
        return this.writer.push(encodeMessageFrame({ id }));
      case 'ring':
        return this.writer.push(this.encodeReply(id, { id, ring: this.ctx.backend.ring() }));
      default: {
        const { inflightMax } = this.ctx.limits;
        if (this.inflight.size >= inflightMax) {
          return this.replyError(id, new KvorumError('overloaded', `${inflightMax} requests are in flight on this connection, its limit: wait for replies`, { inflightMax }));
        }
        this.inflight.set(id, true);
        const { request } = parsed;
        this.ctx.backend.submit(request, (result) => this.onResult(id, request, result));
      }
    }
  }

  private onResult(id: number, request: NodeRequest, result: ClientResult): void {
    this.inflight.delete(id);
    if (this.phase === 'closing') return;
    if (result.kind === 'error') this.ctx.counters.errors++;
    // Context tokens are signed for the key they were read from; a listing has none.
    const target = 'key' in request ? request : { bucket: '', key: '' };
    this.writer.push(this.encodeReply(id, replyOf(id, result, target, this.ctx.backend.contextTokenKey)));
  }

  private replyError(id: number, error: KvorumError): void {
    this.ctx.counters.errors++;
    this.writer.push(encodeMessageFrame(errorReply(id, error)));
  }

  /** A reply the client could not read (over its frame limit) becomes an error reply. */
  private encodeReply(id: number, reply: object): Buffer {
    const frame = encodeMessageFrame(reply);
    const bytes = frameBodyBytes(frame);
    const { replyFrameBytesMax } = this.ctx.limits;
    if (bytes <= replyFrameBytesMax) return frame;
    this.ctx.counters.errors++;
    const error = new KvorumError('value_too_large', `the reply would be ${bytes} bytes, over the reply frame limit of ${replyFrameBytesMax}`, { bytes, replyFrameBytesMax });
    return encodeMessageFrame(errorReply(id, error));
  }

  /** A protocol violation or timeout: counted and logged, then closed. */
  private fail(code: string, message: string, detail?: Readonly<Record<string, unknown>>): void {
    this.ctx.counters.protocolErrors++;
    this.ctx.onViolation(this.remote, code, message);
    this.close(code, message, detail);
  }

  /**
   * Sends what is queued and a closing frame, then half-closes. The socket stays readable (and
   * what arrives is dropped) until the client closes or the grace ends: closing with unread
   * input would make the kernel reset the connection and lose the closing frame.
   */
  private close(code: string, message: string, detail?: Readonly<Record<string, unknown>>): void {
    if (this.phase === 'closing') return;
    this.phase = 'closing';
    this.closingSinceMs = Date.now();
    this.writer.push(encodeMessageFrame(closingFrame(code, message, detail)));
    this.writer.finish();
    this.socket.resume();
    this.socket.end();
  }

  private onClose(): void {
    this.phase = 'closing';
    this.writer.stop();
    this.ctx.onClosed(this);
  }
}

/** What a request needs of its caller's token (security/client-auth.ts). */
function permissionOf(parsed: ParsedRequest): Permission {
  switch (parsed.op) {
    case 'ping':
    case 'ring':
      return { action: 'ring' };
    case 'get':
    case 'keys':
      return { action: 'read', bucket: parsed.request.bucket };
    case 'buckets':
      // The names of every bucket: the cluster's state, not one bucket's keys.
      return { action: 'monitor' };
    case 'put':
    case 'delete':
      return { action: 'write', bucket: parsed.request.bucket };
  }
}
