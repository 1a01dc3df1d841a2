/**
 * One pipelined connection to a node's binary client port (wire/client-protocol.ts). Many
 * requests travel at once, each with an id the reply echoes; replies are matched by id in
 * whatever order they come. Requests made during one event-loop turn leave in one socket write,
 * as the node batches its replies: that is most of what the binary protocol saves over HTTP.
 *
 * The node's welcome says how many requests it takes in flight; beyond that they wait here, in
 * order, rather than be refused. Each request has a deadline, checked by one sweep per
 * connection, not a timer each. While nothing is in flight the socket does not keep the process
 * alive, as an idle HTTP keep-alive connection does not.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { KvorumError, isErrorCode } from '../core/errors.ts';
import { clientProtocolName, clientProtocolVersion, type RequestFrame, type WelcomeFrame, type WireErrorBody } from '../wire/client-protocol.ts';
import { BatchedWriter } from '../wire/batched-writer.ts';
import { decodeMessage, encodeMessageFrame, frameBodyBytes } from '../wire/codec.ts';
import { FrameDecoder } from '../wire/framing.ts';
import { WireProtocolError } from '../wire/wire-error.ts';
import { NodeUnreachable } from './node-unreachable.ts';
import { IdTable } from '../core/id-table.ts';

export type Reply = Readonly<Record<string, unknown>>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as the caller builds it; the connection gives it an id. */
export type RequestBody = DistributiveOmit<RequestFrame, 'id'>;

export interface BinaryConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** From starting to connect to the welcome. */
  readonly connectTimeoutMs: number;
  /** The client token, sent in the hello (docs/security.md). */
  readonly token?: string | undefined;
  /** Connect over TLS, trusting certificates signed by this CA (PEM). */
  readonly ca?: string | Uint8Array | undefined;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
  readonly waitMs: number;
  /** Encoded, while it waits for a free slot under the node's in-flight limit. */
  frame?: Buffer | undefined;
}

/** The welcome is small; nothing larger is read before it. */
const welcomeFrameBytesMax = 64 * 1024;
/** How often deadlines are checked while requests are in flight. */
const deadlineSweepMs = 100;
/** Ids are uint32 (wire/client-protocol.ts requestIdMax). */
const idModulus = 2 ** 32;

export class BinaryConnection {
  /** By request id; an IdTable, not a Map, because it churns with every request (core/id-table.ts says why). */
  private readonly pending = new IdTable<Pending>();
  /**
   * Ids sent whose caller gave up (deadline): the node still holds them in flight and will
   * answer, so they are neither reused nor mistaken for a broken node when the reply comes.
   */
  private readonly abandoned = new IdTable<true>();
  /** Requests written and not yet answered, abandoned ones included: the node's count of us. */
  private sentCount = 0;
  /** Requests beyond the node's in-flight limit, oldest first, from `waitingHead` on. */
  private waiting: number[] = [];
  private waitingHead = 0;
  private readonly writer: BatchedWriter;
  private sweepTimer: NodeJS.Timeout | null = null;
  private nextId = 0;
  private lastUsedMs = Date.now();
  private closedBecause: string | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly decoder: FrameDecoder,
    readonly welcome: WelcomeFrame,
    readonly address: string,
  ) {
    decoder.setFrameBytesMax(welcome.limits.replyFrameBytesMax);
    this.writer = new BatchedWriter(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose(this.closedBecause ?? 'connection closed by the node'));
    socket.unref();
  }

  /**
   * Connects and completes the handshake. Rejects with NodeUnreachable when the node cannot be
   * reached or drops the connection, and with KvorumError when it refuses the hello (the error
   * the node sent, e.g. a protocol version it does not speak).
   */
  static open(options: BinaryConnectionOptions): Promise<BinaryConnection> {
    const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    return new Promise((resolve, reject) => {
      const { host, port, ca, token } = options;
      // Over TLS the hello waits for the handshake ('secureConnect'); the node's certificate must
      // be signed by `ca` and name the host dialled, as an HTTPS server's must.
      const socket = ca === undefined ? connect({ host, port, noDelay: true }) : tlsConnect({ host, port, ca: Buffer.from(ca), servername: isIP(host) ? undefined : host }).setNoDelay(true);
      const decoder = new FrameDecoder(welcomeFrameBytesMax);
      let connection: BinaryConnection | null = null;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new NodeUnreachable(`no welcome from ${address} within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
      socket.on('error', (error) => fail(new NodeUnreachable(`cannot connect to ${address}: ${error.message}`)));
      socket.on('close', () => fail(new NodeUnreachable(`${address} closed the connection during the handshake`)));
      const hello = { op: 'hello', protocol: clientProtocolName, version: clientProtocolVersion, client: 'kvorum-ts', ...(token === undefined ? {} : { auth: token }) };
      socket.on(ca === undefined ? 'connect' : 'secureConnect', () => socket.write(encodeMessageFrame(hello)));
      const onData = (chunk: Buffer) => {
        try {
          decoder.push(chunk, (frames, start, end) => {
            // Frames behind the welcome in the same chunk belong to the connection.
            if (connection !== null) return connection.onFrame(decodeMessage(frames, start, end));
            if (settled) return;
            const frame = decodeMessage(frames, start, end);
            const welcome = asWelcome(frame);
            if (welcome === null) return fail(handshakeError(frame, address));
            settled = true;
            clearTimeout(timer);
            socket.off('data', onData);
            socket.removeAllListeners('error').removeAllListeners('close').on('error', () => {});
            connection = new BinaryConnection(socket, decoder, welcome, address);
            resolve(connection);
          });
        } catch (error) {
          if (connection !== null) connection.close(`the node broke the protocol: ${(error as Error).message}`);
          else fail(error instanceof WireProtocolError ? new NodeUnreachable(`${address} broke the protocol: ${error.message}`) : (error as Error));
        }
      };
      socket.on('data', onData);
    });
  }

  get isOpen(): boolean {
    return this.closedBecause === null;
  }

  /** Requests sent or waiting, not yet answered. */
  get inflightCount(): number {
    return this.pending.size;
  }

  /** Milliseconds since a request was last made or answered on this connection. */
  idleMs(nowMs: number): number {
    return this.pending.size > 0 ? 0 : nowMs - this.lastUsedMs;
  }

  /**
   * Sends a request and resolves with its reply frame; rejects with KvorumError for an error
   * reply (or a request too large to send), KvorumError 'timeout' when no reply came within
   * `waitMs`, and NodeUnreachable when the connection is lost first.
   */
  request(body: RequestBody, waitMs: number): Promise<Reply> {
    if (this.closedBecause !== null) return Promise.reject(new NodeUnreachable(`${this.address}: ${this.closedBecause}`));
    const id = this.takeId();
    const frame = encodeMessageFrame({ id, ...body });
    const bodyBytes = frameBodyBytes(frame);
    const { frameBytesMax, inflightMax } = this.welcome.limits;
    if (bodyBytes > frameBytesMax) {
      return Promise.reject(new KvorumError('value_too_large', `the request encodes to ${bodyBytes} bytes, over the node's frame limit of ${frameBytesMax}`, { bytes: bodyBytes, frameBytesMax }));
    }
    this.lastUsedMs = Date.now();
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject, deadlineMs: this.lastUsedMs + waitMs, waitMs };
      this.pending.set(id, entry);
      if (this.pending.size === 1) this.onBusy();
      if (this.sentCount < inflightMax && this.waitingHead === this.waiting.length) this.send(frame);
      else {
        entry.frame = frame;
        this.waiting.push(id);
      }
    });
  }

  /** Fails what is pending with NodeUnreachable and closes the socket. */
  close(reason = 'connection closed by the client'): void {
    this.onClose(reason);
    this.socket.destroy();
  }

  private takeId(): number {
    do this.nextId = (this.nextId + 1) % idModulus;
    while (this.pending.has(this.nextId) || this.abandoned.has(this.nextId));
    return this.nextId;
  }

  private send(frame: Buffer): void {
    this.sentCount++;
    this.writer.push(frame);
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (frames, start, end) => this.onFrame(decodeMessage(frames, start, end)));
    } catch (error) {
      if (!(error instanceof WireProtocolError)) throw error;
      this.close(`the node broke the protocol: ${error.message}`);
    }
  }

  private onFrame(frame: unknown): void {
    if (this.closedBecause !== null) return;
    const id = (frame as { id?: unknown } | null)?.id;
    if (typeof id === 'number' && this.abandoned.delete(id)) {
      this.sentCount--;
      return this.sendWaiting();
    }
    const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (entry === undefined || entry.frame !== undefined) {
      // A closing frame says why the node is about to close; anything else unmatched is a broken node.
      const closing = closingError(frame, this.address);
      return this.close(closing ? closing.message : `the node sent a reply to no request in flight (${typeof id === 'number' ? `id ${id}` : 'no id'})`);
    }
    this.pending.delete(id as number);
    this.sentCount--;
    this.lastUsedMs = Date.now();
    const error = (frame as { error?: unknown }).error;
    if (error === undefined) entry.resolve(frame as Reply);
    else entry.reject(kvorumErrorOf(error));
    this.sendWaiting();
    if (this.pending.size === 0) this.onIdle();
  }

  /** Slots under the in-flight limit came free: send the oldest waiting requests. */
  private sendWaiting(): void {
    while (this.waitingHead < this.waiting.length && this.sentCount < this.welcome.limits.inflightMax) {
      const id = this.waiting[this.waitingHead]!;
      this.waitingHead++;
      const entry = this.pending.get(id);
      if (entry?.frame === undefined) continue; // it timed out while waiting
      this.send(entry.frame);
      entry.frame = undefined;
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  private onBusy(): void {
    this.socket.ref();
    this.sweepTimer ??= setInterval(() => this.sweepDeadlines(), deadlineSweepMs);
    this.sweepTimer.unref();
  }

  private onIdle(): void {
    this.socket.unref();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private sweepDeadlines(): void {
    const nowMs = Date.now();
    for (const [id, entry] of this.pending.entries()) {
      if (entry.deadlineMs > nowMs) continue;
      this.pending.delete(id);
      if (entry.frame === undefined) this.abandoned.set(id, true);
      entry.frame = undefined;
      entry.reject(new KvorumError('timeout', `no reply from ${this.address} within ${entry.waitMs} ms`, { waitMs: entry.waitMs }));
    }
    // A node that holds every slot for requests nobody waits for any more has stopped answering.
    if (this.abandoned.size >= this.welcome.limits.inflightMax) return this.close(`${this.abandoned.size} requests went unanswered past their deadline`);
    if (this.pending.size === 0) this.onIdle();
  }

  private onClose(reason: string): void {
    if (this.closedBecause !== null) return;
    this.closedBecause = reason;
    this.writer.stop();
    const pending = this.pending.entries().map(([, entry]) => entry);
    this.pending.clear();
    this.abandoned.clear();
    this.sentCount = 0;
    this.waiting = [];
    this.waitingHead = 0;
    this.onIdle();
    for (const entry of pending) entry.reject(new NodeUnreachable(`${this.address}: ${reason}`));
  }
}

function asWelcome(frame: unknown): WelcomeFrame | null {
  const welcome = frame as Partial<WelcomeFrame> | null;
  const limits = welcome?.limits;
  if (welcome?.op !== 'welcome' || welcome.protocol !== clientProtocolName || welcome.version !== clientProtocolVersion || typeof limits !== 'object' || limits === null) return null;
  const positive = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
  const { frameBytesMax, replyFrameBytesMax, inflightMax, idleTimeoutMs } = limits;
  if (![frameBytesMax, replyFrameBytesMax, inflightMax, idleTimeoutMs].every(positive)) return null;
  return welcome as WelcomeFrame;
}

/**
 * Why a node did not welcome us. Its limit of connections, or its shutting down, sends the
 * request elsewhere (NodeUnreachable); any other refusal, such as a version it does not speak,
 * is the caller's to see.
 */
function handshakeError(frame: unknown, address: string): Error {
  const error = closingError(frame, address);
  if (error === null) return new NodeUnreachable(`${address} answered the hello with something other than a welcome`);
  return error.code === 'overloaded' || error.code === 'unavailable' ? new NodeUnreachable(error.message) : error;
}

/** The error of a closing frame (one with no id), or null when `frame` is not one. */
function closingError(frame: unknown, address: string): KvorumError | null {
  const error = (frame as { id?: unknown; error?: unknown } | null)?.error;
  if (error === undefined || (frame as { id?: unknown }).id !== undefined) return null;
  const found = kvorumErrorOf(error);
  return new KvorumError(found.code, `${address} closed the connection: ${found.message}`, found.detail);
}

function kvorumErrorOf(error: unknown): KvorumError {
  const body = error as Partial<WireErrorBody> | null;
  const message = typeof body?.message === 'string' ? body.message : 'no message';
  const detail = typeof body?.detail === 'object' && body.detail !== null ? body.detail : undefined;
  return isErrorCode(body?.code) ? new KvorumError(body.code, message, detail) : new KvorumError('internal', `unknown error code ${String(body?.code)}: ${message}`, detail);
}
