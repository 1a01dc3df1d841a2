/**
 * For tests of the binary protocol (server and client): a node that keeps every request until
 * the test answers it, so a test decides when, and in which order, replies happen. Requests to
 * bucket `now` are answered at once (not found).
 */
import type { ClientResult, NodeRequest } from '../../core/messages.ts';
import { testTokenKey } from '../../core/version/test-token.ts';
import { ClientAuth } from '../security/client-auth.ts';
import type { RingDescription } from '../../wire/client-protocol.ts';
import type { ClientBackend } from './connection.ts';
import { ClientServer, type ClientServerOptions } from './client-server.ts';

export class HeldBackend implements ClientBackend {
  readonly nodeName = 'n1';
  readonly clusterName = 'test';
  readonly requestLimits = { keyBytesMax: 64, valueBytesMax: 1024 };
  readonly contextTokenKey = testTokenKey;
  auth = new ClientAuth([]);
  readonly held: { request: NodeRequest; answer: (result: ClientResult) => void }[] = [];

  submit(request: NodeRequest, onResult: (result: ClientResult) => void): void {
    if ('bucket' in request && request.bucket === 'now') return onResult({ kind: 'got', object: null });
    this.held.push({ request, answer: onResult });
  }

  ring(): RingDescription {
    return { version: 3, partitionCount: 8, n: 1, nodes: [], partitions: [] };
  }
}

const silent = { info() {}, warn() {}, debug() {} };

/** A protocol server on a loopback port in front of a HeldBackend; close it when done. */
export async function heldServer(options: Partial<ClientServerOptions> = {}): Promise<{ server: ClientServer; backend: HeldBackend; port: number }> {
  const backend = new HeldBackend();
  const server = new ClientServer({ host: '127.0.0.1', port: 0, backend, logger: silent, ...options });
  const { port } = await server.start();
  return { server, backend, port };
}
