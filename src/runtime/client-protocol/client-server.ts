/**
 * The binary client protocol's listener on a node's client port (`--client-address`): accepts
 * connections up to its limit, sweeps them for timeouts once a second, counts what they do for
 * the node's metrics, and closes them all on close().
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { assert } from '../../core/assert.ts';
import { KvorumError } from '../../core/errors.ts';
import type { WelcomeLimits } from '../../wire/client-protocol.ts';
import { encodeMessageFrame } from '../../wire/codec.ts';
import { limits } from '../../core/limits.ts';
import type { TransportLogger } from '../transport/peer-link.ts';
import { ClientConnection, type ClientBackend, type ClientCounters, type ConnectionContext } from './connection.ts';
import { closingFrame } from './replies.ts';
import { clientProtocolDefaults, clientSweepIntervalMs, requestFrameBytesMax } from './settings.ts';

export interface ClientServerOptions {
  readonly host: string;
  readonly port: number;
  readonly backend: ClientBackend;
  readonly logger: TransportLogger;
  readonly inflightMax?: number;
  readonly connectionsMax?: number;
  readonly handshakeTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly partialFrameTimeoutMs?: number;
  /** How often timeouts are checked; tests shorten it with the timeouts. */
  readonly sweepIntervalMs?: number;
  /** Serve over TLS with this key and certificate (docs/security.md). */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer } | undefined;
}

/** The binary protocol's share of a node's status: connections and requests now and so far. */
export interface BinaryProtocolStatus extends Readonly<ClientCounters> {
  readonly connections: number;
  readonly inflight: number;
  readonly connectionsOpened: number;
}

export class ClientServer {
  private readonly connections = new Set<ClientConnection>();
  private readonly counters: ClientCounters = { requests: 0, errors: 0, protocolErrors: 0, connectionsRefused: 0, replyWrites: 0 };
  private connectionsOpened = 0;
  private readonly context: ConnectionContext;
  private readonly connectionsMax: number;
  private server: Server | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: ClientServerOptions) {
    const { backend } = options;
    const welcomeLimits: WelcomeLimits = {
      frameBytesMax: requestFrameBytesMax(backend.requestLimits),
      replyFrameBytesMax: limits.frameBytesMax,
      inflightMax: options.inflightMax ?? clientProtocolDefaults.inflightMax,
      keyBytesMax: backend.requestLimits.keyBytesMax,
      valueBytesMax: backend.requestLimits.valueBytesMax,
      idleTimeoutMs: options.idleTimeoutMs ?? clientProtocolDefaults.idleTimeoutMs,
    };
    this.connectionsMax = options.connectionsMax ?? clientProtocolDefaults.connectionsMax;
    assert(welcomeLimits.inflightMax >= 1 && this.connectionsMax >= 1, 'client protocol limits must be positive');
    this.context = {
      backend,
      limits: welcomeLimits,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? clientProtocolDefaults.handshakeTimeoutMs,
      partialFrameTimeoutMs: options.partialFrameTimeoutMs ?? clientProtocolDefaults.partialFrameTimeoutMs,
      counters: this.counters,
      onViolation: (remote, code, message) => this.logViolation(remote, code, message),
      onClosed: (connection) => this.connections.delete(connection),
    };
  }

  async start(): Promise<{ host: string; port: number }> {
    assert(this.server === null && this.closing === null, 'ClientServer.start called twice or after close');
    const { host, port } = this.options;
    const { tls } = this.options;
    // Over TLS a connection is handed over once its handshake is done ('secureConnection').
    // The TLS handshake is held to the hello's deadline; sockets still in it count toward the cap.
    const server =
      tls === undefined
        ? createServer((socket) => this.onConnection(socket))
        : createTlsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2', handshakeTimeout: this.context.handshakeTimeoutMs }, (socket) => this.onConnection(socket));
    if (tls !== undefined) {
      server.maxConnections = this.connectionsMax;
      // A failed handshake leaves the socket open unless closed here.
      server.on('tlsClientError', (_error, socket) => socket.destroy());
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new KvorumError('bad_config', `cannot listen for clients on ${host}:${port}: ${error.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.on('error', (error) => this.options.logger.warn({ error: error.message }, 'client listener error'));
    const sweepIntervalMs = this.options.sweepIntervalMs ?? clientSweepIntervalMs;
    this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweepTimer.unref();
    const address = server.address() as AddressInfo;
    this.options.logger.info({ host: address.address, port: address.port }, `binary client protocol listening on ${address.address}:${address.port}`);
    return { host: address.address, port: address.port };
  }

  /** Gauges and counters for the node's status and /metrics (`kvorum_binary_*`, docs/operations.md). */
  status(): BinaryProtocolStatus {
    let inflight = 0;
    for (const connection of this.connections) inflight += connection.inflightCount;
    return { connections: this.connections.size, inflight, connectionsOpened: this.connectionsOpened, ...this.counters };
  }

  /** Stops listening and closes every connection; replies still owed are dropped. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    const waits: Promise<void>[] = [...this.connections].map((connection) => connection.destroy());
    const server = this.server;
    if (server !== null) waits.push(new Promise((resolve) => server.close(() => resolve())));
    await Promise.all(waits);
  }

  private onConnection(socket: Socket): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.connectionsMax) {
      this.counters.connectionsRefused++;
      socket.on('error', () => {});
      socket.end(encodeMessageFrame(closingFrame('overloaded', `node has ${this.connections.size} client connections open, its limit`, { connectionsMax: this.connectionsMax })));
      // Whatever the client sends meanwhile is dropped; the socket goes once both sides ended.
      socket.resume();
      socket.setTimeout(this.context.handshakeTimeoutMs, () => socket.destroy());
      return;
    }
    this.connectionsOpened++;
    this.connections.add(new ClientConnection(socket, this.context, Date.now()));
  }

  private sweep(): void {
    const nowMs = Date.now();
    for (const connection of this.connections) connection.sweep(nowMs);
  }

  /** The 1st, 2nd, 4th, 8th… violation is logged: a client sending garbage cannot flood the log. */
  private logViolation(remote: string, code: string, message: string): void {
    const count = this.counters.protocolErrors;
    if ((count & (count - 1)) === 0) this.options.logger.warn({ remote, code, count }, `closing client connection from ${remote}: ${message}`);
  }
}
