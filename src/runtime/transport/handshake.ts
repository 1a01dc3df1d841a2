/**
 * Authentication of a new connection (DESIGN §2.8: nothing outside the cluster gets in). Both
 * sides prove they know the cluster secret by an HMAC over the whole handshake (`Transcript`):
 * both sides' nonces — the server's challenge and the client's hello each bring 16 random bytes —
 * the protocol version, the cluster name, the node that dialled and the node it meant to reach.
 * So a recorded handshake cannot be replayed, neither side alone chooses what the other signs, and
 * a proof made for one node cannot be relayed to another: a process at an address a member dials
 * cannot pass the member's hello on to a third node as its own. Every field is length-prefixed, so
 * no two transcripts give the same bytes. The client's proof and the server's differ by a label,
 * so one can never be passed off as the other, and the server proves only to a client that
 * proved first.
 *
 * A node started with only seeds and no cluster name of its own claims the empty name: its proof
 * over it shows it knows the secret, and only then does the welcome name the cluster (under a
 * proof over that name). A refused peer learns nothing, as before; without a secret — loopback
 * only (security/listen-policy.ts) — any process that reaches the port may learn the name, which
 * was all it needed to join anyway.
 *
 * A proof over known nonces can still be attacked offline by whoever receives it — a server a
 * node was made to dial — which is why a secret must be long and random beyond loopback
 * (security/listen-policy.ts), and why nodes there talk over mutual TLS, which hides the
 * handshake from anyone without a certificate of the cluster's CA (docs/security.md).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { nonceBytes, type HelloFrame } from './wire-messages.ts';

/** What both proofs of a handshake cover. */
export interface Transcript {
  readonly protocolVersion: number;
  readonly clusterName: string;
  /** The node that dialled. */
  readonly dialer: string;
  /** The node it meant to reach (the hello's `peerName`; the server checks it is itself). */
  readonly dialed: string;
  readonly serverNonce: Uint8Array;
  readonly clientNonce: Uint8Array;
}

export function makeNonce(): Buffer {
  return randomBytes(nonceBytes);
}

function proof(secret: string, label: string, t: Transcript): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const field of [label, String(t.protocolVersion), t.clusterName, t.dialer, t.dialed, t.serverNonce, t.clientNonce]) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length).update(bytes);
  }
  return hmac.digest();
}

/** The dialler's proof, sent in its hello. */
export function helloProof(secret: string, transcript: Transcript): Buffer {
  return proof(secret, 'kvorum peer hello', transcript);
}

/** The server's proof, sent in its welcome. */
export function welcomeProof(secret: string, transcript: Transcript): Buffer {
  return proof(secret, 'kvorum peer welcome', transcript);
}

/** The transcript of a hello as the server that got it sees it. */
export function transcriptOf(hello: HelloFrame, serverNonce: Uint8Array): Transcript {
  return { protocolVersion: hello.protocolVersion, clusterName: hello.clusterName, dialer: hello.nodeName, dialed: hello.peerName, serverNonce, clientNonce: hello.nonce };
}

/**
 * What a refused peer is told: nothing about this cluster (its name, this node's name) that an
 * outsider could use; the node's own log says exactly why (`helloRejection`).
 */
export const refusalToPeer = 'handshake refused: see the log of the node you dialled';

export function proofsEqual(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** What the server knows when it judges a hello. */
export interface ServerIdentity {
  readonly protocolVersion: number;
  readonly clusterName: string;
  readonly nodeName: string;
  readonly clusterSecret: string;
  /** The nonce this server sent in its challenge. */
  readonly nonce: Uint8Array;
}

/**
 * Null when the hello is acceptable, else the reason, for this node's log: it names both sides'
 * values so that whoever reads it can fix the configuration. The peer is told only
 * `refusalToPeer` (or, for a protocol version it does not speak, the versions).
 */
export function helloRejection(hello: HelloFrame, server: ServerIdentity): string | null {
  if (hello.protocolVersion !== server.protocolVersion) {
    return `protocol version mismatch: node '${server.nodeName}' speaks version ${server.protocolVersion}, node '${hello.nodeName}' speaks version ${hello.protocolVersion}`;
  }
  // No cluster name: a node started with only seeds asks to learn it (issue 12 §2). It must prove
  // the secret all the same (over the empty name); only then does the welcome name the cluster.
  if (hello.clusterName !== server.clusterName && hello.clusterName !== '') {
    return `cluster name mismatch: node '${server.nodeName}' is in cluster '${server.clusterName}', node '${hello.nodeName}' is in cluster '${hello.clusterName}'`;
  }
  if (hello.peerName !== server.nodeName) {
    return `wrong node: node '${hello.nodeName}' wanted '${hello.peerName}' but reached '${server.nodeName}' (stale address in its peer list?)`;
  }
  if (hello.nodeName === server.nodeName) {
    return `name clash: the connecting node is also called '${server.nodeName}'`;
  }
  const expected = helloProof(server.clusterSecret, transcriptOf(hello, server.nonce));
  if (!proofsEqual(expected, hello.proof)) {
    return `authentication failed: node '${hello.nodeName}' does not know the cluster secret of cluster '${server.clusterName}'`;
  }
  return null;
}
