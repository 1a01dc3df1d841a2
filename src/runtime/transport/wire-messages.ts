/**
 * The transport's own frames. A connection starts with a handshake (challenge, hello, then
 * welcome or reject); after it, the client sends only the core's messages and the server sends
 * only acks. Because each phase admits a fixed set of frames, the transport's `kind`s never
 * collide with the core's (core/messages.ts).
 *
 *   server → client  challenge { protocolVersion, nonce }            16 random bytes
 *   client → server  hello     { protocolVersion, clusterName, nodeName, proof,
 *                                peerName, nonce }                     peerName: whom the client meant to reach;
 *                                                                      clusterName '': a new node learning it
 *   server → client  welcome   { nodeName, proof, clusterName? }      proves the server knows the secret too;
 *                                                                      names the cluster to a learning node
 *                  | reject    { reason }                              then the server closes
 *   server → client  ack       { delivered }                          core messages handed to onMessage so far
 */
/** Random bytes in a challenge or hello nonce. */
export const nonceBytes = 16;

export interface ChallengeFrame {
  readonly kind: 'challenge';
  readonly protocolVersion: number;
  readonly nonce: Uint8Array;
}

export interface HelloFrame {
  readonly kind: 'hello';
  readonly protocolVersion: number;
  readonly clusterName: string;
  readonly nodeName: string;
  readonly proof: Uint8Array;
  readonly peerName: string;
  readonly nonce: Uint8Array;
}

export interface WelcomeFrame {
  readonly kind: 'welcome';
  readonly nodeName: string;
  readonly proof: Uint8Array;
  /**
   * The server's cluster name, sent only to a hello that claimed none (a node started with only
   * seeds learning it) and proved the secret: an outsider never learns it (issue 12 §2).
   */
  readonly clusterName?: string | undefined;
}

export interface RejectFrame {
  readonly kind: 'reject';
  readonly reason: string;
}

export interface AckFrame {
  readonly kind: 'ack';
  /** Cumulative count on this connection: the sender forgets that many of its oldest frames. */
  readonly delivered: number;
}

/** What a server may answer to a hello. */
export type HelloAnswer = WelcomeFrame | RejectFrame;

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

export function asChallenge(value: unknown): ChallengeFrame | null {
  if (!isRecord(value) || value['kind'] !== 'challenge') return null;
  if (!Number.isInteger(value['protocolVersion']) || !isBytes(value['nonce'], nonceBytes)) return null;
  return value as unknown as ChallengeFrame;
}

export function asHello(value: unknown): HelloFrame | null {
  if (!isRecord(value) || value['kind'] !== 'hello') return null;
  if (!Number.isInteger(value['protocolVersion'])) return null;
  // An empty cluster name: a node that has none yet asks to learn it (handshake.ts helloRejection).
  if ((value['clusterName'] !== '' && !isName(value['clusterName'])) || !isName(value['nodeName']) || !isName(value['peerName'])) return null;
  if (!isBytes(value['proof']) || !isBytes(value['nonce'], nonceBytes)) return null;
  return value as unknown as HelloFrame;
}

export function asHelloAnswer(value: unknown): HelloAnswer | null {
  if (!isRecord(value)) return null;
  if (value['kind'] === 'welcome' && isName(value['nodeName']) && isBytes(value['proof']) && (value['clusterName'] === undefined || isName(value['clusterName']))) {
    return value as unknown as WelcomeFrame;
  }
  if (value['kind'] === 'reject' && typeof value['reason'] === 'string') return value as unknown as RejectFrame;
  return null;
}

export function asAck(value: unknown): AckFrame | null {
  if (!isRecord(value) || value['kind'] !== 'ack') return null;
  const delivered = value['delivered'];
  if (typeof delivered !== 'number' || !Number.isSafeInteger(delivered) || delivered < 0) return null;
  return value as unknown as AckFrame;
}
