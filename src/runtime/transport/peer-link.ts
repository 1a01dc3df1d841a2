/**
 * This node's one outbound connection to one peer: everything we send to that peer travels on
 * it, in order. It is opened lazily on the first send and lives through these states:
 *
 *   idle ──send──▶ connecting ──welcome──▶ open
 *                      │                    │ drop, protocol error, ack timeout
 *                      ▼ refused, timeout   ▼
 *                  backoff / rejected ◀─────┘   (timer fires → connecting again)
 *
 * While connecting, frames queue (up to peerQueueFramesMax); in backoff or rejected they fail
 * at once, so that a coordinator moves on to another replica instead of waiting (Dynamo §4.6:
 * sloppy quorum wants fast failure). Frames stay in the queue until the peer acknowledges that
 * it handed them to its node; if the connection drops first, each is reported undelivered.
 * A frame reported undelivered may still have been delivered (its ack was lost); a frame never
 * reported was delivered.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { assert } from '../../core/assert.ts';
import { reconnectDelayMs } from '../../wire/backoff.ts';
import { decodeMessage, encodeMessageFrame } from '../../wire/codec.ts';
import { FrameDecoder } from '../../wire/framing.ts';
import { helloProof, makeNonce, proofsEqual, welcomeProof, type Transcript } from './handshake.ts';
import { OutboundQueue } from './outbound-queue.ts';
import type { PeerAddress } from './peer-address.ts';
import { writeBatchBytesMax } from '../../wire/batched-writer.ts';
import { controlFrameBytesMax, keepAliveInitialDelayMs } from './settings.ts';
import { WireProtocolError } from '../../wire/wire-error.ts';
import { asAck, asChallenge, asHelloAnswer, type HelloFrame } from './wire-messages.ts';

export type PeerLinkState = 'idle' | 'connecting' | 'open' | 'backoff' | 'rejected' | 'closed';
export type DeliveryFailure = 'unreachable' | 'queue_full' | 'closed' | 'rejected';

export interface TransportLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  debug?(o: object, msg?: string): void;
}

/** What a link needs from its transport. */
export interface PeerLinkContext {
  readonly nodeName: string;
  /** The cluster this node is in; changes once, when a node that learns it from a seed does. */
  readonly clusterName: string;
  /** Whether this node has no cluster name yet and takes the one a peer's welcome names. */
  readonly learnsClusterName: boolean;
  /**
   * The peer proved, under the cluster name its welcome named, that it knows our secret: take
   * that name. False when the node took another one meanwhile (then the link is rejected).
   */
  adoptClusterName(name: string, from: string): boolean;
  readonly clusterSecret: string;
  readonly protocolVersion: number;
  readonly peerQueueFramesMax: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBackoffMsMin: number;
  readonly reconnectBackoffMsMax: number;
  readonly ackTimeoutMs: number;
  /** Mutual TLS (transport.ts `PeerTls`); undefined: plaintext. */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly logger: TransportLogger;
  /** Must not call back into the link synchronously (the transport defers the callbacks). */
  reportFailures(to: string, messages: readonly unknown[], reason: DeliveryFailure): void;
}

export interface PeerLinkStats {
  readonly state: PeerLinkState;
  /** Accepted and not yet written to the socket. */
  readonly queuedFrames: number;
  /** Written to the socket, not yet acknowledged by the peer. */
  readonly unackedFrames: number;
  readonly sentFrames: number;
  /** socket.write calls that carried those frames: sentFrames / socketWrites is the batching factor. */
  readonly socketWrites: number;
  /** Ack frames the peer sent (each covers every frame delivered since its last). */
  readonly acksReceived: number;
  readonly failedFrames: number;
  /** Connection attempts after the first (each backoff that ended). */
  readonly reconnects: number;
}

type HandshakeStep = 'challenge' | 'answer' | 'done';

export class PeerLink {
  private stateNow: PeerLinkState = 'idle';
  private socket: Socket | null = null;
  private decoder = new FrameDecoder(controlFrameBytesMax);
  private handshakeStep: HandshakeStep = 'challenge';
  /** The nonce of the challenge this connection answered: the server's proof covers it. */
  private serverNonce: Uint8Array | null = null;
  private clientNonce: Buffer = makeNonce();
  /** The cluster name this connection's hello claimed: ours, or none ('') while this node learns it. */
  private helloClusterName = '';
  private socketError: string | null = null;
  private readonly queue = new OutboundQueue();
  /** Acks are cumulative per connection. */
  private ackedOnConnection = 0;
  private lastAckProgressAtMs = 0;
  private waitingForDrain = false;
  private consecutiveFailures = 0;
  private lastFailureReason: string | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private flushImmediate: NodeJS.Immediate | null = null;
  /** Sockets destroyed and not yet closed, so that close() can wait until none is left. */
  private readonly closingSockets = new Set<Promise<void>>();
  private sentFrames = 0;
  private socketWrites = 0;
  private acksReceived = 0;
  private failedFrames = 0;
  private reconnects = 0;

  constructor(
    readonly peerName: string,
    private address: PeerAddress,
    private readonly ctx: PeerLinkContext,
  ) {}

  get state(): PeerLinkState {
    return this.stateNow;
  }

  get currentAddress(): PeerAddress {
    return this.address;
  }

  /** Why the last connection attempt failed, or null when the link is open or never failed. */
  get lastFailure(): string | null {
    return this.stateNow === 'open' ? null : this.lastFailureReason;
  }

  stats(): PeerLinkStats {
    return {
      state: this.stateNow,
      queuedFrames: this.queue.pendingCount,
      unackedFrames: this.queue.unackedCount,
      sentFrames: this.sentFrames,
      socketWrites: this.socketWrites,
      acksReceived: this.acksReceived,
      failedFrames: this.failedFrames,
      reconnects: this.reconnects,
    };
  }

  /** Takes a message and its encoded frame; failures are reported through the context. */
  send(message: unknown, frame: Buffer): void {
    switch (this.stateNow) {
      case 'closed':
        return this.fail([message], 'closed');
      case 'backoff':
        return this.fail([message], 'unreachable');
      case 'rejected':
        return this.fail([message], 'rejected');
      case 'idle':
      case 'connecting':
      case 'open':
        break;
    }
    if (this.queue.size >= this.ctx.peerQueueFramesMax) return this.fail([message], 'queue_full');
    this.queue.push(message, frame);
    if (this.stateNow === 'idle') this.connect();
    else this.scheduleFlush();
  }

  /** The peer moved: drop the connection to the old address; the next send dials the new one. */
  retarget(address: PeerAddress): void {
    if (address.host === this.address.host && address.port === this.address.port) return;
    if (this.stateNow === 'closed') return;
    this.ctx.logger.info({ peer: this.peerName, from: this.address, to: address }, `peer ${this.peerName} has a new address`);
    this.address = address;
    this.teardownSocket();
    this.clearBackoff();
    this.fail(this.queue.takeAll(), 'unreachable');
    this.consecutiveFailures = 0;
    this.stateNow = 'idle';
  }

  /** Fails what is queued with `reason` and releases the socket and every timer. */
  close(reason: DeliveryFailure = 'closed'): Promise<void> {
    if (this.stateNow !== 'closed') {
      this.stateNow = 'closed';
      this.teardownSocket();
      this.clearBackoff();
      this.fail(this.queue.takeAll(), reason);
    }
    return Promise.all(this.closingSockets).then(() => undefined);
  }

  private connect(): void {
    assert(this.socket === null, 'connect with a socket already open');
    this.stateNow = 'connecting';
    this.handshakeStep = 'challenge';
    this.decoder = new FrameDecoder(controlFrameBytesMax);
    this.clientNonce = makeNonce();
    this.socketError = null;
    this.ackedOnConnection = 0;
    const { host, port } = this.address;
    const { tls } = this.ctx;
    const socket: Socket =
      tls === undefined
        ? connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: keepAliveInitialDelayMs })
        : tlsConnect({
            host,
            port,
            ...tls,
            minVersion: 'TLSv1.3',
            // Nodes are known by name, not by host: the certificate must be the peer's own.
            checkServerIdentity: (_host, certificate) => (certificate.subject?.CN === this.peerName ? undefined : new Error(`the certificate at ${host}:${port} is for '${String(certificate.subject?.CN)}', not '${this.peerName}'`)),
          });
    if (tls !== undefined) {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, keepAliveInitialDelayMs);
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('drain', () => this.onDrain(socket));
    socket.on('error', (error) => {
      if (socket === this.socket) this.socketError = error.message;
    });
    socket.on('close', () => {
      if (socket === this.socket) this.drop('unreachable', this.socketError ?? 'connection closed by peer');
    });
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      this.drop('unreachable', `no handshake within ${this.ctx.connectTimeoutMs} ms`);
    }, this.ctx.connectTimeoutMs);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (frames, start, end) => {
        if (socket === this.socket) this.onFrame(socket, decodeMessage(frames, start, end));
      });
    } catch (error) {
      if (!(error instanceof WireProtocolError)) throw error;
      if (socket === this.socket) this.drop('unreachable', `protocol error from peer: ${error.message}`);
    }
  }

  private onFrame(socket: Socket, frame: unknown): void {
    switch (this.handshakeStep) {
      case 'challenge':
        return this.onChallenge(socket, frame);
      case 'answer':
        return this.onHelloAnswer(frame);
      case 'done':
        return this.onAck(frame);
    }
  }

  /** This connection's handshake as both proofs cover it (handshake.ts). */
  private transcript(serverNonce: Uint8Array, clusterName: string): Transcript {
    const { protocolVersion, nodeName } = this.ctx;
    return { protocolVersion, clusterName, dialer: nodeName, dialed: this.peerName, serverNonce, clientNonce: this.clientNonce };
  }

  private onChallenge(socket: Socket, frame: unknown): void {
    const challenge = asChallenge(frame);
    if (challenge === null) return this.drop('unreachable', 'peer did not open with a challenge');
    if (challenge.protocolVersion !== this.ctx.protocolVersion) {
      return this.drop('rejected', `protocol version mismatch: peer speaks version ${challenge.protocolVersion}, we speak ${this.ctx.protocolVersion}`);
    }
    const { nodeName, clusterSecret, protocolVersion } = this.ctx;
    // A node that knows no cluster name yet claims none: the server names its cluster in the
    // welcome, only to a hello that proved the secret, and proves it under that name (handshake.ts).
    const clusterName = this.ctx.learnsClusterName ? '' : this.ctx.clusterName;
    this.helloClusterName = clusterName;
    const hello: HelloFrame = {
      kind: 'hello',
      protocolVersion,
      clusterName,
      nodeName,
      proof: helloProof(clusterSecret, this.transcript(challenge.nonce, clusterName)),
      peerName: this.peerName,
      nonce: this.clientNonce,
    };
    socket.write(encodeMessageFrame(hello));
    this.serverNonce = challenge.nonce;
    this.handshakeStep = 'answer';
  }

  private onHelloAnswer(frame: unknown): void {
    const answer = asHelloAnswer(frame);
    if (answer === null) return this.drop('unreachable', 'peer answered our hello with neither welcome nor reject');
    if (answer.kind === 'reject') return this.drop('rejected', answer.reason);
    if (answer.nodeName !== this.peerName) {
      return this.drop('rejected', `wrong node: expected '${this.peerName}' at this address, found '${answer.nodeName}'`);
    }
    const learning = this.helloClusterName === '';
    const clusterName = learning ? answer.clusterName : this.ctx.clusterName;
    if (clusterName === undefined) return this.drop('rejected', 'the peer named no cluster in its welcome: it cannot teach this node its cluster name');
    // The welcome proves the name it teaches (or this node's own): the transcript carries it.
    const expected = welcomeProof(this.ctx.clusterSecret, this.transcript(this.serverNonce!, clusterName));
    if (!proofsEqual(expected, answer.proof)) {
      return this.drop('rejected', `authentication failed: the peer does not know our cluster secret`);
    }
    if (learning && !this.ctx.adoptClusterName(clusterName, this.peerName)) {
      return this.drop('rejected', `cluster name mismatch: peer '${this.peerName}' is in cluster '${clusterName}', this node in cluster '${this.ctx.clusterName}'`);
    }
    this.onOpen();
  }

  private onOpen(): void {
    this.handshakeStep = 'done';
    this.stateNow = 'open';
    this.clearConnectTimer();
    if (this.consecutiveFailures > 0) {
      this.ctx.logger.info({ peer: this.peerName, failedAttempts: this.consecutiveFailures }, `connected to peer ${this.peerName} after ${this.consecutiveFailures} failed attempts`);
    }
    this.consecutiveFailures = 0;
    this.lastFailureReason = null;
    this.scheduleFlush();
  }

  private onAck(frame: unknown): void {
    const ack = asAck(frame);
    const newlyDelivered = ack === null ? -1 : ack.delivered - this.ackedOnConnection;
    if (ack === null || newlyDelivered < 0 || newlyDelivered > this.queue.unackedCount) {
      return this.drop('unreachable', 'peer sent a frame that is not a valid ack');
    }
    this.queue.acknowledge(newlyDelivered);
    this.acksReceived++;
    this.ackedOnConnection = ack.delivered;
    this.lastAckProgressAtMs = performance.now();
  }

  private scheduleFlush(): void {
    if (this.flushImmediate !== null || this.stateNow !== 'open' || this.waitingForDrain) return;
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = null;
      this.flush();
    });
  }

  /**
   * Writes everything pending, several frames per write: one syscall carries what the node
   * produced during a whole event-loop turn. Stops when the socket's buffer is full and goes
   * on at 'drain', so a slow peer holds frames in our bounded queue, not in an unbounded
   * socket buffer.
   */
  private flush(): void {
    const socket = this.socket;
    if (this.stateNow !== 'open' || socket === null) return;
    if (this.queue.unackedCount === 0) this.lastAckProgressAtMs = performance.now();
    while (!this.waitingForDrain && this.queue.pendingCount > 0) {
      const frames = this.queue.takePending(writeBatchBytesMax);
      this.sentFrames += frames.length;
      this.socketWrites++;
      const flushed = socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
      if (!flushed) this.waitingForDrain = true;
    }
    this.armAckTimer();
  }

  private onDrain(socket: Socket): void {
    if (socket !== this.socket) return;
    this.waitingForDrain = false;
    this.scheduleFlush();
  }

  private armAckTimer(): void {
    if (this.ackTimer !== null || this.queue.unackedCount === 0) return;
    this.ackTimer = setTimeout(() => this.checkAckProgress(), this.ctx.ackTimeoutMs);
  }

  private checkAckProgress(): void {
    this.ackTimer = null;
    if (this.queue.unackedCount === 0) return;
    const silentMs = performance.now() - this.lastAckProgressAtMs;
    if (silentMs >= this.ctx.ackTimeoutMs) {
      return this.drop('unreachable', `no acknowledgement for ${Math.round(silentMs)} ms with ${this.queue.unackedCount} frames in flight`);
    }
    this.ackTimer = setTimeout(() => this.checkAckProgress(), this.ctx.ackTimeoutMs - silentMs);
  }

  /**
   * The connection failed or ended: report every frame not acknowledged, then wait out a
   * backoff before dialling again. After a rejection, sends fail with 'rejected' meanwhile.
   */
  private drop(cause: 'unreachable' | 'rejected', reason: string): void {
    if (this.stateNow !== 'connecting' && this.stateNow !== 'open') return;
    const wasOpen = this.stateNow === 'open';
    this.teardownSocket();
    this.fail(this.queue.takeAll(), cause);
    this.consecutiveFailures++;
    this.stateNow = cause === 'rejected' ? 'rejected' : 'backoff';
    const delayMs = reconnectDelayMs(this.consecutiveFailures, this.ctx, Math.random());
    this.logDrop(cause, reason, wasOpen, delayMs);
    this.lastFailureReason = reason;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      this.reconnects++;
      this.connect();
    }, delayMs);
  }

  /** The first failure of a streak is a warning; repeats of the same reason are debug noise. */
  private logDrop(cause: 'unreachable' | 'rejected', reason: string, wasOpen: boolean, retryInMs: number): void {
    const fields = { peer: this.peerName, address: `${this.address.host}:${this.address.port}`, reason, retryInMs, attempt: this.consecutiveFailures };
    const message =
      cause === 'rejected'
        ? `peer ${this.peerName} rejected us: ${reason}`
        : wasOpen
          ? `connection to peer ${this.peerName} lost: ${reason}`
          : `cannot connect to peer ${this.peerName}: ${reason}`;
    if (reason !== this.lastFailureReason) this.ctx.logger.warn(fields, message);
    else this.ctx.logger.debug?.(fields, message);
  }

  private fail(messages: readonly unknown[], reason: DeliveryFailure): void {
    if (messages.length === 0) return;
    this.failedFrames += messages.length;
    this.ctx.reportFailures(this.peerName, messages, reason);
  }

  private teardownSocket(): void {
    this.clearConnectTimer();
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    this.flushImmediate = null;
    this.waitingForDrain = false;
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    socket.destroy();
    if (socket.closed) return; // Torn down from inside its own 'close' event.
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    this.closingSockets.add(closed);
    void closed.then(() => this.closingSockets.delete(closed));
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearBackoff(): void {
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
  }
}
