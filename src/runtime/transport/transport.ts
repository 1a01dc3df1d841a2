/**
 * Node-to-node transport of the real runtime (DESIGN §9): moves the core's messages between
 * named nodes over TCP, in order per pair of nodes, and reports every message it could not
 * deliver. It knows nothing of message kinds; the core correlates requests and replies itself.
 *
 * Each node dials ONE outbound connection per peer, lazily, and sends everything for that
 * peer on it (PeerLink); it receives on the connections its peers dialled (InboundConnection).
 * So a reply travels on the replier's own outbound connection, every connection carries
 * traffic one way (plus acks), and there is never a race between two nodes dialling each
 * other at once to decide which of two connections survives.
 *
 * Delivery: a message is acknowledged once the receiving transport has handed it to its
 * node. A message that is never reported failed was delivered; one reported failed
 * ('unreachable') after its connection dropped may, rarely, have been delivered too (its ack
 * was lost), which the core tolerates as it tolerates any duplicate or late reply.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { assert, assertFailed } from '../../core/assert.ts';
import { KvorumError } from '../../core/errors.ts';
import { limits } from '../../core/limits.ts';
import { protocolVersion } from '../../core/messages.ts';
import { encodeMessageFrame, frameBodyBytes } from '../../wire/codec.ts';
import { InboundConnection, type InboundContext } from './inbound-connection.ts';
import { parsePeerAddress, type PeerAddress } from './peer-address.ts';
import { PeerLink, type DeliveryFailure, type PeerLinkContext, type PeerLinkStats, type TransportLogger } from './peer-link.ts';
import { ackDelayMs, transportDefaults } from './settings.ts';

export type { DeliveryFailure, PeerLinkState, TransportLogger } from './peer-link.ts';

export interface TransportOptions {
  readonly nodeName: string;
  readonly clusterName: string;
  /**
   * The node has no cluster name of its own (a new node started with only seeds): its hellos
   * claim none until a peer it dials, having checked its proof of the secret, names the cluster in
   * its welcome and proves the secret under that name; then it takes that name for good and
   * `onClusterNameLearned` is told (handshake.ts). Until then it answers dialers as `clusterName`.
   */
  readonly learnClusterName?: boolean;
  onClusterNameLearned?(name: string, from: string): void;
  /** Shared by every node of the cluster; without one, knowing the cluster name is enough to join. */
  readonly clusterSecret?: string;
  /**
   * Mutual TLS between nodes (docs/security.md): this node's certificate and key, and the cluster
   * CA every peer's certificate must be signed by; a peer's certificate must name the peer (its
   * common name is the node name). Undefined: plaintext (loopback, or an `insecure` cluster).
   */
  readonly tls?: PeerTls | undefined;
  readonly listenHost: string;
  /** 0 picks a free port; start() returns the one bound. */
  readonly listenPort: number;
  /** Node name → "host:port". */
  readonly peers: ReadonlyMap<string, string>;
  readonly frameBytesMax?: number;
  readonly peerQueueFramesMax?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectBackoffMsMin?: number;
  readonly reconnectBackoffMsMax?: number;
  readonly ackTimeoutMs?: number;
  readonly frameTimeoutMs?: number;
  readonly inboundConnectionsMax?: number;
  readonly inboundConnectionsPerPeerMax?: number;
  readonly inboundBufferedBytesMax?: number;
  /** Called synchronously for each message, in the order the peer sent them. */
  onMessage(from: string, message: unknown): void;
  /** Called asynchronously (never from inside send or close), in send order per peer. */
  onDeliveryFailed(to: string, message: unknown, reason: DeliveryFailure): void;
  readonly logger?: TransportLogger;
}

export interface PeerStats extends PeerLinkStats {
  /** Messages received from this peer and handed to onMessage, over all its connections. */
  readonly receivedFrames: number;
}

/** What the transport refused or cut off of peers' connections (settings.ts), since it started. */
export interface InboundCounters {
  /** Connections closed because a frame did not arrive whole within frameTimeoutMs. */
  readonly framesTimedOut: number;
  /**
   * Connections closed over inboundConnectionsMax, a peer's oldest over inboundConnectionsPerPeerMax,
   * and connections whose unfinished frame took the total past inboundBufferedBytesMax.
   */
  readonly connectionsRefused: number;
}

/** PEM bytes of a node's certificate and key, and of the cluster CA. */
export interface PeerTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The common name of the peer's certificate: the node it was issued to. */
function certificateName(socket: TLSSocket): string {
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
  const name = subject?.CN;
  return typeof name === 'string' ? name : '';
}

const silentLogger: TransportLogger = { info() {}, warn() {} };
const nameBytesMax = 256;

export class Transport {
  private readonly nodeName: string;
  private readonly frameBytesMax: number;
  private readonly linkContext: PeerLinkContext;
  private readonly inboundContext: InboundContext;
  private peers: ReadonlyMap<string, PeerAddress>;
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<InboundConnection>();
  /** Authenticated inbound connections per peer, oldest first. */
  private readonly inboundByPeer = new Map<string, InboundConnection[]>();
  private readonly inboundConnectionsMax: number;
  private readonly inboundConnectionsPerPeerMax: number;
  private readonly inboundBufferedBytesMax: number;
  /** Bytes of unfinished frames each inbound connection holds, and their sum. */
  private readonly bufferedBytes = new Map<InboundConnection, number>();
  private bufferedBytesTotal = 0;
  private framesTimedOut = 0;
  private connectionsRefused = 0;
  private readonly receivedFrames = new Map<string, number>();
  /** Sockets of links removed by setPeers that are still closing. */
  private readonly retiring = new Set<Promise<void>>();
  private server: Server | null = null;
  private closing: Promise<void> | null = null;
  private clusterNameNow: string;
  private learnsClusterName: boolean;

  constructor(private readonly options: TransportOptions) {
    checkOptions(options);
    this.nodeName = options.nodeName;
    this.frameBytesMax = options.frameBytesMax ?? limits.frameBytesMax;
    this.peers = parsePeers(options.peers);
    const logger = options.logger ?? silentLogger;
    this.clusterNameNow = options.clusterName;
    this.learnsClusterName = options.learnClusterName === true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const transport = this;
    // Both contexts read the cluster name when they use it: a node that learns it changes it once.
    const common = {
      nodeName: options.nodeName,
      clusterSecret: options.clusterSecret ?? '',
      protocolVersion,
      logger,
    };
    this.linkContext = {
      ...common,
      get clusterName() {
        return transport.clusterNameNow;
      },
      get learnsClusterName() {
        return transport.learnsClusterName;
      },
      adoptClusterName: (name, from) => this.adoptClusterName(name, from),
      peerQueueFramesMax: options.peerQueueFramesMax ?? limits.peerQueueFramesMax,
      connectTimeoutMs: options.connectTimeoutMs ?? transportDefaults.connectTimeoutMs,
      reconnectBackoffMsMin: options.reconnectBackoffMsMin ?? transportDefaults.reconnectBackoffMsMin,
      reconnectBackoffMsMax: options.reconnectBackoffMsMax ?? transportDefaults.reconnectBackoffMsMax,
      ackTimeoutMs: options.ackTimeoutMs ?? transportDefaults.ackTimeoutMs,
      tls: options.tls,
      reportFailures: (to, messages, reason) => this.reportFailures(to, messages, reason),
    };
    this.inboundConnectionsMax = options.inboundConnectionsMax ?? transportDefaults.inboundConnectionsMax;
    this.inboundConnectionsPerPeerMax = options.inboundConnectionsPerPeerMax ?? transportDefaults.inboundConnectionsPerPeerMax;
    this.inboundBufferedBytesMax = options.inboundBufferedBytesMax ?? transportDefaults.inboundBufferedBytesMax;
    this.inboundContext = {
      ...common,
      get clusterName() {
        return transport.clusterNameNow;
      },
      get learnsClusterName() {
        return transport.learnsClusterName;
      },
      frameBytesMax: this.frameBytesMax,
      handshakeTimeoutMs: this.linkContext.connectTimeoutMs,
      frameTimeoutMs: options.frameTimeoutMs ?? transportDefaults.frameTimeoutMs,
      onMessage: (from, message) => this.onInboundMessage(from, message),
      onAuthenticated: (connection) => this.onAuthenticated(connection),
      onFrameTimeout: () => this.framesTimedOut++,
      onBuffered: (connection, bytes) => this.onBuffered(connection, bytes),
      onClosed: (connection) => this.onInboundClosed(connection),
    };
  }

  async start(): Promise<{ host: string; port: number }> {
    assert(this.server === null && this.closing === null, 'Transport.start called twice or after close');
    const { listenHost, listenPort } = this.options;
    const tls = this.options.tls;
    // Over TLS a connection is handed over once both certificates checked out ('secureConnection').
    const server =
      tls === undefined
        ? createServer((socket) => this.onConnection(socket))
        : createTlsServer(
            // The TLS handshake is held to the time a hello gets; sockets still in it count toward the cap.
            { ...tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', handshakeTimeout: this.linkContext.connectTimeoutMs },
            (socket) => this.onConnection(socket, certificateName(socket)),
          );
    if (tls !== undefined) {
      server.maxConnections = this.inboundConnectionsMax;
      // A failed handshake (no certificate, another CA's, plaintext, too slow) leaves the socket
      // open unless closed here.
      server.on('tlsClientError', (error, socket) => {
        socket.destroy();
        this.connectionsRefused++;
        if ((this.connectionsRefused & (this.connectionsRefused - 1)) === 0) {
          this.linkContext.logger.warn({ remote: socket.remoteAddress, refused: this.connectionsRefused }, `refused a connection: TLS handshake failed: ${error.message}`);
        }
      });
    }
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new KvorumError('bad_config', `cannot listen on ${listenHost}:${listenPort}: ${error.message}`)));
      server.listen(listenPort, listenHost, () => resolve());
    });
    server.on('error', (error) => this.linkContext.logger.warn({ error: error.message }, 'transport listener error'));
    const address = server.address() as AddressInfo;
    if (this.options.clusterSecret === undefined) {
      this.linkContext.logger.warn({ host: address.address }, 'no cluster secret: any process that can reach this port and knows the cluster name can join');
    }
    this.linkContext.logger.info({ host: address.address, port: address.port, node: this.nodeName }, `transport listening on ${address.address}:${address.port}`);
    return { host: address.address, port: address.port };
  }

  /**
   * Queues `message` for `to`, sent as `wireForm` (by default the message itself). Never throws
   * for network reasons: failures arrive through onDeliveryFailed, with `message`. Throws
   * KvorumError 'value_too_large' when the encoded message exceeds frameBytesMax (the receiver
   * would drop the connection), so the caller learns at once.
   */
  send(to: string, message: object, wireForm: object = message): void {
    if (to === this.nodeName) assertFailed(`send to self ('${to}'): a node handles its own messages without the transport`);
    assert(typeof message === 'object' && message !== null, 'a message is an object');
    const frame = encodeMessageFrame(wireForm);
    const bodyBytes = frameBodyBytes(frame);
    if (bodyBytes > this.frameBytesMax) {
      throw new KvorumError('value_too_large', `message to '${to}' encodes to ${bodyBytes} bytes, over the frame limit of ${this.frameBytesMax}`, {
        to,
        bodyBytes,
        frameBytesMax: this.frameBytesMax,
      });
    }
    if (this.closing !== null) return this.reportFailures(to, [message], 'closed');
    const link = this.linkFor(to);
    if (link === null) return this.reportFailures(to, [message], 'unreachable');
    link.send(message, frame);
  }

  /**
   * Replaces the peer list. A removed peer's queued messages fail as 'unreachable'; a peer
   * with a new address is re-dialled there on the next send. Throws KvorumError 'bad_config'
   * (and changes nothing) when an address is not host:port.
   */
  setPeers(peers: ReadonlyMap<string, string>): void {
    const parsed = parsePeers(peers);
    for (const [name, link] of this.links) {
      const address = parsed.get(name);
      if (address !== undefined) {
        link.retarget(address);
        continue;
      }
      this.links.delete(name);
      const closed = link.close('unreachable');
      this.retiring.add(closed);
      void closed.then(() => this.retiring.delete(closed));
    }
    this.peers = parsed;
  }

  stats(): ReadonlyMap<string, PeerStats> {
    const names = new Set([...this.peers.keys(), ...this.links.keys(), ...this.receivedFrames.keys()]);
    const result = new Map<string, PeerStats>();
    for (const name of names) {
      const link = this.links.get(name);
      const linkStats: PeerLinkStats = link?.stats() ?? { state: 'idle', queuedFrames: 0, unackedFrames: 0, sentFrames: 0, socketWrites: 0, acksReceived: 0, failedFrames: 0, reconnects: 0 };
      result.set(name, { ...linkStats, receivedFrames: this.receivedFrames.get(name) ?? 0 });
    }
    return result;
  }

  /**
   * Closes the listener and every connection and clears every timer; messages not yet
   * acknowledged fail with 'closed', and so does every later send. Resolves once every socket
   * has closed.
   */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const waits: Promise<void>[] = [...this.retiring];
    for (const link of this.links.values()) waits.push(link.close('closed'));
    for (const connection of this.inbound) waits.push(connection.destroy());
    const server = this.server;
    if (server !== null) waits.push(new Promise((resolve) => server.close(() => resolve())));
    await Promise.all(waits);
  }

  private linkFor(to: string): PeerLink | null {
    const existing = this.links.get(to);
    if (existing !== undefined) return existing;
    const address = this.peers.get(to);
    if (address === undefined) return null;
    const link = new PeerLink(to, address, this.linkContext);
    this.links.set(to, link);
    return link;
  }

  /** The cluster this node speaks for: the configured name, or the one it learned from a seed. */
  get clusterName(): string {
    return this.clusterNameNow;
  }

  /**
   * Why the last attempt to reach `peer` failed, and whether the peer refused our handshake (then
   * no retry soon will do better; a peer tells a refused dialer nothing more, its log says why);
   * null if it did not fail.
   */
  lastFailureOf(peer: string): { readonly reason: string; readonly rejected: boolean } | null {
    const link = this.links.get(peer);
    const reason = link?.lastFailure ?? null;
    return link === undefined || reason === null ? null : { reason, rejected: link.state === 'rejected' };
  }

  /** The address this node's link to `peer` is open at (its handshake done), or null when not open. */
  openAddressOf(peer: string): PeerAddress | null {
    const link = this.links.get(peer);
    return link !== undefined && link.state === 'open' ? link.currentAddress : null;
  }

  private adoptClusterName(name: string, from: string): boolean {
    if (!this.learnsClusterName) return name === this.clusterNameNow;
    this.learnsClusterName = false;
    this.clusterNameNow = name;
    this.linkContext.logger.info({ clusterName: name, from }, `learned the cluster name '${name}' from ${from}`);
    this.options.onClusterNameLearned?.(name, from);
    return true;
  }

  /** What was refused or cut off of peers' connections so far (metrics). */
  inboundCounters(): InboundCounters {
    return { framesTimedOut: this.framesTimedOut, connectionsRefused: this.connectionsRefused };
  }

  private onConnection(socket: Socket, certificateName?: string): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    if (this.inbound.size >= this.inboundConnectionsMax) {
      this.connectionsRefused++;
      // The 1st, 2nd, 4th… refusal is logged: a flood of connections cannot flood the log.
      if ((this.connectionsRefused & (this.connectionsRefused - 1)) === 0) {
        this.linkContext.logger.warn({ remote: socket.remoteAddress, open: this.inbound.size, refused: this.connectionsRefused }, `refused a connection: ${this.inbound.size} are open, the limit`);
      }
      socket.destroy();
      return;
    }
    this.inbound.add(new InboundConnection(socket, this.inboundContext, certificateName));
  }

  /** A peer holds at most inboundConnectionsPerPeerMax: its newest stay, its oldest go. */
  private onAuthenticated(connection: InboundConnection): void {
    const peer = connection.peer!;
    const open = this.inboundByPeer.get(peer) ?? [];
    open.push(connection);
    this.inboundByPeer.set(peer, open);
    while (open.length > this.inboundConnectionsPerPeerMax) {
      const oldest = open.shift()!;
      this.connectionsRefused++;
      this.linkContext.logger.info({ peer, open: open.length + 1 }, `closing the oldest connection from peer ${peer}: it holds more than ${this.inboundConnectionsPerPeerMax}`);
      void oldest.destroy();
    }
  }

  /** Keeps the sum of unfinished frames within inboundBufferedBytesMax: false drops `connection`. */
  private onBuffered(connection: InboundConnection, bytes: number): boolean {
    this.setBuffered(connection, bytes);
    if (this.bufferedBytesTotal <= this.inboundBufferedBytesMax) return true;
    this.connectionsRefused++;
    return false;
  }

  private setBuffered(connection: InboundConnection, bytes: number): void {
    this.bufferedBytesTotal += bytes - (this.bufferedBytes.get(connection) ?? 0);
    if (bytes === 0) this.bufferedBytes.delete(connection);
    else this.bufferedBytes.set(connection, bytes);
  }

  private onInboundClosed(connection: InboundConnection): void {
    this.setBuffered(connection, 0);
    this.inbound.delete(connection);
    const peer = connection.peer;
    const open = peer === null ? undefined : this.inboundByPeer.get(peer);
    if (open === undefined) return;
    const index = open.indexOf(connection);
    if (index >= 0) open.splice(index, 1);
    if (open.length === 0) this.inboundByPeer.delete(peer!);
  }

  private onInboundMessage(from: string, message: unknown): void {
    this.receivedFrames.set(from, (this.receivedFrames.get(from) ?? 0) + 1);
    this.options.onMessage(from, message);
  }

  /** Deferred so that send() and close() never call back into the node while it is running. */
  private reportFailures(to: string, messages: readonly unknown[], reason: DeliveryFailure): void {
    queueMicrotask(() => {
      for (const message of messages) this.options.onDeliveryFailed(to, message, reason);
    });
  }
}

function parsePeers(peers: ReadonlyMap<string, string>): ReadonlyMap<string, PeerAddress> {
  const parsed = new Map<string, PeerAddress>();
  for (const [name, address] of peers) {
    checkName('peer name', name);
    parsed.set(name, parsePeerAddress(name, address));
  }
  return parsed;
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > nameBytesMax) {
    throw new KvorumError('bad_config', `${what} must be a string of 1 to ${nameBytesMax} bytes, got ${JSON.stringify(name)}`);
  }
}

function checkPositiveInteger(what: string, value: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new KvorumError('bad_config', `${what} must be an integer from 1 to ${max}, got ${value}`);
  }
}

function checkOptions(options: TransportOptions): void {
  checkName('nodeName', options.nodeName);
  checkName('clusterName', options.clusterName);
  if (!Number.isInteger(options.listenPort) || options.listenPort < 0 || options.listenPort > 65_535) {
    throw new KvorumError('bad_config', `listenPort must be an integer from 0 to 65535, got ${options.listenPort}`);
  }
  checkPositiveInteger('frameBytesMax', options.frameBytesMax, 0xffff_ffff);
  checkPositiveInteger('peerQueueFramesMax', options.peerQueueFramesMax);
  checkPositiveInteger('connectTimeoutMs', options.connectTimeoutMs);
  checkPositiveInteger('reconnectBackoffMsMin', options.reconnectBackoffMsMin);
  checkPositiveInteger('reconnectBackoffMsMax', options.reconnectBackoffMsMax);
  checkPositiveInteger('ackTimeoutMs', options.ackTimeoutMs);
  checkPositiveInteger('frameTimeoutMs', options.frameTimeoutMs);
  checkPositiveInteger('inboundConnectionsMax', options.inboundConnectionsMax);
  checkPositiveInteger('inboundConnectionsPerPeerMax', options.inboundConnectionsPerPeerMax);
  checkPositiveInteger('inboundBufferedBytesMax', options.inboundBufferedBytesMax);
  const min = options.reconnectBackoffMsMin ?? transportDefaults.reconnectBackoffMsMin;
  const max = options.reconnectBackoffMsMax ?? transportDefaults.reconnectBackoffMsMax;
  if (min > max) throw new KvorumError('bad_config', `reconnectBackoffMsMin (${min}) exceeds reconnectBackoffMsMax (${max})`);
  // A peer may hold its ack for ackDelayMs: a shorter timeout would drop every quiet connection.
  const ackTimeoutMs = options.ackTimeoutMs ?? transportDefaults.ackTimeoutMs;
  if (ackTimeoutMs <= 2 * ackDelayMs) throw new KvorumError('bad_config', `ackTimeoutMs must exceed ${2 * ackDelayMs} (twice the delay a peer may hold its acks), got ${ackTimeoutMs}`);
}
