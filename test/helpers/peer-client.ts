/**
 * A hand-driven peer for attack tests: it dials a node's peer port, goes through the handshake
 * as a node of the cluster would (src/runtime/transport/handshake.ts), and then sends whatever
 * frames a test builds — well-formed messages with hostile fields, or raw bytes such as a frame
 * header followed by only part of its body.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';
import { helloProof, makeNonce } from '../../src/runtime/transport/handshake.ts';
import { asChallenge, asHelloAnswer, type HelloFrame } from '../../src/runtime/transport/wire-messages.ts';
import { protocolVersion } from '../../src/core/messages.ts';

export interface PeerIdentity {
  /** The name this client claims (any name the node's secret lets it prove). */
  readonly nodeName: string;
  /** The name of the node it dials, as the node's hello check wants it. */
  readonly peerName: string;
  readonly clusterName: string;
  /** The test clusters run without a secret: the proof is an HMAC under the empty key. */
  readonly clusterSecret?: string;
}

export class PeerClient {
  /** Resolves when the node closes the connection (or it fails). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Dials `address` ("host:port") and completes the handshake; rejects if the node refuses it. */
  static async connect(address: string, identity: PeerIdentity): Promise<PeerClient> {
    const [host, port] = address.split(':') as [string, string];
    const socket = connect({ host, port: Number(port) });
    socket.on('error', () => {}); // 'close' follows; the tests look at `closed`
    await once(socket, 'connect');
    const client = new PeerClient(socket);
    const frames = client.frames();
    const challenge = asChallenge(await frames.next());
    if (challenge === null) throw new Error('the node did not open with a challenge');
    const secret = identity.clusterSecret ?? '';
    const nonce = makeNonce();
    const hello: HelloFrame = {
      kind: 'hello',
      protocolVersion,
      clusterName: identity.clusterName,
      nodeName: identity.nodeName,
      proof: helloProof(secret, { protocolVersion, clusterName: identity.clusterName, dialer: identity.nodeName, dialed: identity.peerName, serverNonce: challenge.nonce, clientNonce: nonce }),
      peerName: identity.peerName,
      nonce,
    };
    socket.write(encodeMessageFrame(hello));
    const answer = asHelloAnswer(await frames.next());
    if (answer === null || answer.kind !== 'welcome') throw new Error(`the node refused the hello: ${answer?.kind === 'reject' ? answer.reason : 'no answer'}`);
    frames.stop();
    return client;
  }

  /** Sends one message as a frame, as a peer's transport would. */
  send(message: object): void {
    this.socket.write(encodeMessageFrame(message));
  }

  /** Writes raw bytes: a partial frame, garbage. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  /** The frames the node sends, one at a time, until `stop`. */
  private frames(): { next(): Promise<unknown>; stop(): void } {
    const decoder = new FrameDecoder(64 * 1024);
    const queue: unknown[] = [];
    let waiting: ((frame: unknown) => void) | null = null;
    const onData = (chunk: Buffer) =>
      decoder.push(chunk, (frames, start, end) => {
        const frame = decodeMessage(frames, start, end);
        if (waiting !== null) {
          const resolve = waiting;
          waiting = null;
          resolve(frame);
        } else queue.push(frame);
      });
    this.socket.on('data', onData);
    return {
      next: () =>
        queue.length > 0
          ? Promise.resolve(queue.shift())
          : new Promise((resolve, reject) => {
              waiting = resolve;
              this.closed.then(() => reject(new Error('the node closed the connection during the handshake')), reject);
            }),
      stop: () => {
        this.socket.off('data', onData);
        this.socket.resume(); // acks are read and dropped from here on
      },
    };
  }
}
