/**
 * The server side of a connection a peer opened to us: it challenges the peer, judges its
 * hello, and then hands every frame to the node, in order, synchronously, acknowledging what
 * it handed over soon after (`scheduleAck`). Nothing but a hello is read before the handshake
 * completes, and then only small frames, so an unauthenticated peer cannot make us buffer.
 */
import type { Socket } from 'node:net';
import { decodeMessage, encodeMessageFrame } from '../../wire/codec.ts';
import { FrameDecoder } from '../../wire/framing.ts';
import { helloRejection, makeNonce, refusalToPeer, transcriptOf, welcomeProof } from './handshake.ts';
import type { TransportLogger } from './peer-link.ts';
import { ackDelayMs, ackFramesMax, controlFrameBytesMax, keepAliveInitialDelayMs } from './settings.ts';
import { WireProtocolError } from '../../wire/wire-error.ts';
import { asHello, type AckFrame, type ChallengeFrame, type RejectFrame, type WelcomeFrame } from './wire-messages.ts';

export interface InboundContext {
  readonly nodeName: string;
  readonly clusterName: string;
  /** This node has no cluster name yet (it learns one from a seed): it has none to teach. */
  readonly learnsClusterName: boolean;
  readonly clusterSecret: string;
  readonly protocolVersion: number;
  readonly frameBytesMax: number;
  /** How long a connecting peer has to send its hello. */
  readonly handshakeTimeoutMs: number;
  /** How long a started frame may take to arrive whole (settings.ts). */
  readonly frameTimeoutMs: number;
  readonly logger: TransportLogger;
  onMessage(from: string, message: unknown): void;
  /** The peer proved who it is: the transport may now hold it to its per-peer cap. */
  onAuthenticated(connection: InboundConnection): void;
  /** A frame did not arrive whole in time; the connection is being dropped. */
  onFrameTimeout(connection: InboundConnection): void;
  /** The bytes of an unfinished frame this connection holds now; false: over the transport's total, drop it. */
  onBuffered(connection: InboundConnection, bufferedBytes: number): boolean;
  onClosed(connection: InboundConnection): void;
}

type Phase = 'handshake' | 'open' | 'rejected';

export class InboundConnection {
  private phase: Phase = 'handshake';
  private readonly decoder = new FrameDecoder(controlFrameBytesMax);
  private readonly nonce = makeNonce();
  private peerName: string | null = null;
  private delivered = 0;
  /** `delivered` as the last ack told the peer. */
  private deliveredAcked = 0;
  private ackImmediate: NodeJS.Immediate | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private ackAfterDrain = false;
  private handshakeTimer: NodeJS.Timeout | null;
  /** Runs while part of a frame is buffered: since the last whole frame, or the partial one's start. */
  private frameTimer: NodeJS.Timeout | null = null;
  private framesWhole = 0;
  readonly closed: Promise<void>;

  /** `certificateName`: over mutual TLS, the node the peer's certificate was issued to. */
  constructor(
    private readonly socket: Socket,
    private readonly ctx: InboundContext,
    private readonly certificateName?: string,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveInitialDelayMs);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {}); // 'close' follows; a peer that goes away is not our error.
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), ctx.handshakeTimeoutMs);
    const challenge: ChallengeFrame = { kind: 'challenge', protocolVersion: ctx.protocolVersion, nonce: this.nonce };
    socket.write(encodeMessageFrame(challenge));
  }

  /** Who the peer proved to be; null before the handshake completes. */
  get peer(): string | null {
    return this.peerName;
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    const wholeBefore = this.framesWhole;
    try {
      this.decoder.push(chunk, (frames, start, end) => this.onFrame(frames, start, end));
    } catch (error) {
      if (!(error instanceof WireProtocolError)) throw error;
      this.ctx.logger.warn({ remote: this.remote, peer: this.peerName, violation: error.violation }, `closing connection from ${this.peerName ?? this.remote}: ${error.message}`);
      this.socket.destroy();
      return;
    }
    if (!this.ctx.onBuffered(this, this.decoder.bufferedBytes)) {
      this.ctx.logger.warn({ remote: this.remote, peer: this.peerName, bufferedBytes: this.decoder.bufferedBytes }, `closing connection from ${this.peerName ?? this.remote}: unfinished frames from peers hold more than the limit`);
      this.socket.destroy();
      return;
    }
    this.watchPartialFrame(this.framesWhole !== wholeBefore);
  }

  /**
   * A buffered partial frame must be whole within frameTimeoutMs: the clock starts when it does,
   * and starts again whenever a frame completes, so a peer streaming frames back to back (the
   * buffer never empty between chunks) is never cut, and one that stalls mid-frame is.
   */
  private watchPartialFrame(frameCompleted: boolean): void {
    if (this.decoder.bufferedBytes === 0 || this.socket.destroyed) return this.clearFrameTimer();
    if (this.frameTimer !== null && !frameCompleted) return;
    this.clearFrameTimer();
    this.frameTimer = setTimeout(() => this.onFrameTimeout(), this.ctx.frameTimeoutMs);
  }

  private onFrameTimeout(): void {
    this.frameTimer = null;
    const who = this.peerName ?? this.remote;
    this.ctx.logger.warn({ remote: this.remote, peer: this.peerName, bufferedBytes: this.decoder.bufferedBytes }, `closing connection from ${who}: a frame did not arrive whole within ${this.ctx.frameTimeoutMs} ms`);
    this.ctx.onFrameTimeout(this);
    this.socket.destroy();
  }

  private clearFrameTimer(): void {
    if (this.frameTimer !== null) clearTimeout(this.frameTimer);
    this.frameTimer = null;
  }

  private onFrame(frames: Buffer, start: number, end: number): void {
    this.framesWhole++;
    // The node may close the transport from inside onMessage; the rest of this chunk then
    // stays undelivered (and unacknowledged, so the sender reports it).
    if (this.socket.destroyed) return;
    switch (this.phase) {
      case 'handshake':
        return this.onHello(decodeMessage(frames, start, end));
      case 'open':
        return this.deliver(decodeMessage(frames, start, end));
      case 'rejected':
        return; // Whatever the peer pipelined after a rejected hello is dropped unread.
    }
  }

  private onHello(frame: unknown): void {
    const hello = asHello(frame);
    const { nodeName, clusterName, clusterSecret, protocolVersion } = this.ctx;
    let reason = hello === null ? 'malformed hello' : helloRejection(hello, { nodeName, clusterName, clusterSecret, protocolVersion, nonce: this.nonce });
    // A node still learning its name holds only a placeholder: teaching it would leave the
    // learner in a cluster of that name for good (it keeps what it learns on disk).
    if (reason === null && hello!.clusterName === '' && this.ctx.learnsClusterName) {
      reason = `node '${hello!.nodeName}' asks to learn the cluster name, and node '${nodeName}' has no cluster name yet either: start it with --seed naming a member`;
    }
    if (reason === null && this.certificateName !== undefined && hello!.nodeName !== this.certificateName) {
      reason = `certificate mismatch: node '${hello!.nodeName}' connected with the certificate of '${this.certificateName}'`;
    }
    if (hello === null || reason !== null) return this.reject(reason ?? 'malformed hello');
    this.clearHandshakeTimer();
    this.phase = 'open';
    this.peerName = hello.nodeName;
    this.decoder.setFrameBytesMax(this.ctx.frameBytesMax);
    // A hello that claimed no cluster (a new node learning it) proved the secret: it is told the name.
    const learning = hello.clusterName === '' ? { clusterName } : {};
    const welcome: WelcomeFrame = { kind: 'welcome', nodeName, proof: welcomeProof(clusterSecret, { ...transcriptOf(hello, this.nonce), clusterName }), ...learning };
    this.socket.write(encodeMessageFrame(welcome));
    this.ctx.onAuthenticated(this);
    this.ctx.logger.debug?.({ peer: hello.nodeName, remote: this.remote }, `accepted connection from peer ${hello.nodeName}`);
  }

  /**
   * Logs why, tells the peer only that it was refused (or, for a version mismatch, the versions:
   * nothing of this cluster), then half-closes; the handshake timer destroys a peer that lingers.
   */
  private reject(reason: string): void {
    this.phase = 'rejected';
    this.ctx.logger.warn({ remote: this.remote, reason }, `rejected connection from ${this.remote}: ${reason}`);
    const told = reason.startsWith('protocol version mismatch') ? `protocol version mismatch: this node speaks version ${this.ctx.protocolVersion}` : refusalToPeer;
    const reject: RejectFrame = { kind: 'reject', reason: told };
    this.socket.end(encodeMessageFrame(reject));
  }

  private deliver(message: unknown): void {
    this.delivered++;
    this.ctx.onMessage(this.peerName!, message);
    this.scheduleAck();
  }

  /**
   * Acks are cumulative and on no request's path — they let the sender release frames, and tell
   * it which to report undelivered if the connection drops — so they wait: `ackDelayMs`, or the
   * end of the turn once `ackFramesMax` frames are unacknowledged. (An ack every turn cost each
   * burst of messages a socket write here and a wake-up of the sender.)
   */
  private scheduleAck(): void {
    if (this.ackImmediate !== null || this.ackAfterDrain) return;
    if (this.delivered - this.deliveredAcked >= ackFramesMax) {
      this.clearAckTimer();
      this.ackImmediate = setImmediate(() => {
        this.ackImmediate = null;
        this.sendAck();
      });
    } else if (this.ackTimer === null) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        this.sendAck();
      }, ackDelayMs);
    }
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  /** One cumulative ack; while the peer is not reading, the next one waits for 'drain'. */
  private sendAck(): void {
    this.clearAckTimer();
    if (this.socket.writableNeedDrain) {
      this.ackAfterDrain = true;
      return;
    }
    const ack: AckFrame = { kind: 'ack', delivered: this.delivered };
    this.deliveredAcked = this.delivered;
    this.socket.write(encodeMessageFrame(ack));
  }

  private onDrain(): void {
    if (!this.ackAfterDrain) return;
    this.ackAfterDrain = false;
    this.sendAck();
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this.phase === 'handshake') {
      this.ctx.logger.warn({ remote: this.remote }, `closing connection from ${this.remote}: no hello within ${this.ctx.handshakeTimeoutMs} ms`);
    }
    this.socket.destroy();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private onClose(): void {
    this.clearHandshakeTimer();
    this.clearFrameTimer();
    if (this.ackImmediate !== null) clearImmediate(this.ackImmediate);
    this.ackImmediate = null;
    this.clearAckTimer();
    this.ctx.onClosed(this);
  }
}
