/**
 * Authentication of a new connection (DESIGN §2.8: nothing outside the cluster gets in). Both
 * sides prove they know the cluster secret by an HMAC over a nonce the other side chose, so a
 * recorded handshake cannot be replayed. The client's proof is HMAC-SHA256(secret, nonce ‖
 * clusterName ‖ nodeName); the server's is the same over the label "welcome" and the client's
 * nonce, so one side's proof can never be passed off as the other's.
 *
 * This authenticates; it does not encrypt, and a man in the middle can still relay a
 * handshake. TLS (DESIGN §2.8, later) is the answer to that.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { nonceBytes, type HelloFrame } from './wire-messages.ts';

const welcomeLabel = Buffer.from('welcome');

export function makeNonce(): Buffer {
  return randomBytes(nonceBytes);
}

export function helloProof(secret: string, serverNonce: Uint8Array, clusterName: string, nodeName: string): Buffer {
  return createHmac('sha256', secret).update(serverNonce).update(clusterName).update(nodeName).digest();
}

export function welcomeProof(secret: string, clientNonce: Uint8Array, clusterName: string, nodeName: string): Buffer {
  return createHmac('sha256', secret).update(welcomeLabel).update(clientNonce).update(clusterName).update(nodeName).digest();
}

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
 * Null when the hello is acceptable, else the reason to send back. Reasons name both sides'
 * values so that whoever reads either node's log can fix the configuration.
 */
export function helloRejection(hello: HelloFrame, server: ServerIdentity): string | null {
  if (hello.protocolVersion !== server.protocolVersion) {
    return `protocol version mismatch: node '${server.nodeName}' speaks version ${server.protocolVersion}, node '${hello.nodeName}' speaks version ${hello.protocolVersion}`;
  }
  if (hello.clusterName !== server.clusterName) {
    return `cluster name mismatch: node '${server.nodeName}' is in cluster '${server.clusterName}', node '${hello.nodeName}' is in cluster '${hello.clusterName}'`;
  }
  if (hello.peerName !== server.nodeName) {
    return `wrong node: node '${hello.nodeName}' wanted '${hello.peerName}' but reached '${server.nodeName}' (stale address in its peer list?)`;
  }
  if (hello.nodeName === server.nodeName) {
    return `name clash: the connecting node is also called '${server.nodeName}'`;
  }
  const expected = helloProof(server.clusterSecret, server.nonce, hello.clusterName, hello.nodeName);
  if (!proofsEqual(expected, hello.proof)) {
    return `authentication failed: node '${hello.nodeName}' does not know the cluster secret of cluster '${server.clusterName}'`;
  }
  return null;
}
