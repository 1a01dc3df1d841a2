/**
 * Authentication of a new connection (DESIGN §2.8: nothing outside the cluster gets in). Both
 * sides prove they know the cluster secret by an HMAC over both sides' nonces — the server's
 * challenge and the client's hello each bring 16 random bytes — so a recorded handshake cannot be
 * replayed, and neither side alone chooses what the other signs. The client's proof is
 * HMAC-SHA256(secret, "hello" ‖ serverNonce ‖ clientNonce ‖ clusterName ‖ nodeName); the
 * server's is the same over "welcome", the nonces the other way round and its own name, so one
 * side's proof can never be passed off as the other's. The server proves only to a client that
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

const helloLabel = Buffer.from('hello');
const welcomeLabel = Buffer.from('welcome');

export function makeNonce(): Buffer {
  return randomBytes(nonceBytes);
}

export function helloProof(secret: string, serverNonce: Uint8Array, clientNonce: Uint8Array, clusterName: string, nodeName: string): Buffer {
  return createHmac('sha256', secret).update(helloLabel).update(serverNonce).update(clientNonce).update(clusterName).update(nodeName).digest();
}

export function welcomeProof(secret: string, clientNonce: Uint8Array, serverNonce: Uint8Array, clusterName: string, nodeName: string): Buffer {
  return createHmac('sha256', secret).update(welcomeLabel).update(clientNonce).update(serverNonce).update(clusterName).update(nodeName).digest();
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
  const expected = helloProof(server.clusterSecret, server.nonce, hello.nonce, hello.clusterName, hello.nodeName);
  if (!proofsEqual(expected, hello.proof)) {
    return `authentication failed: node '${hello.nodeName}' does not know the cluster secret of cluster '${server.clusterName}'`;
  }
  return null;
}
