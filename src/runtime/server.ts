/**
 * One node process: the node runtime plus its HTTP API, started and stopped together.
 * `kvorum start` calls this; so can a test that wants a node in its own process.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { contextTokenKey } from '../core/version/context-token.ts';
import { bucketPropsOf, replicasNOf, type NodeSettings } from './config.ts';
import { buildHttpApp, type HttpBackend } from './http/app.ts';
import { membershipBackendOf } from './membership-backend.ts';
import { NodeRuntime } from './node-runtime.ts';

export interface RunningNode {
  readonly runtime: NodeRuntime;
  readonly app: FastifyInstance;
  /** The URL the HTTP API listens on. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

export function httpBackendOf(runtime: NodeRuntime): HttpBackend {
  const { cluster } = runtime.settings;
  return {
    name: runtime.settings.name,
    clusterName: cluster.clusterName,
    requestLimits: cluster.requestLimits,
    contextTokenKey: contextTokenKey(cluster.clusterName, cluster.clusterSecret),
    get ringTargetN() {
      return Math.min(replicasNOf(cluster), new Set(runtime.ring.owners).size);
    },
    ring: () => runtime.ring,
    request: (request) => runtime.request(request),
    peerStatus: (name) => runtime.peerStatus(name),
    epochsKnown: () => runtime.node.epochs.known,
    bucketProps: bucketPropsOf(cluster),
    metrics: () => runtime.metrics(),
    view: () => runtime.node.membership.view,
    membership: membershipBackendOf(runtime),
  };
}

export async function startNode(settings: NodeSettings, logger: Logger): Promise<RunningNode> {
  const runtime = await NodeRuntime.start(settings, logger);
  const app = buildHttpApp(httpBackendOf(runtime), { timeouts: settings.cluster.httpTimeouts });
  try {
    await app.listen({ host: settings.httpHost, port: settings.httpPort });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.httpPort;
  const host = settings.httpHost.includes(':') ? `[${settings.httpHost}]` : settings.httpHost;
  let closing: Promise<void> | undefined;
  return {
    runtime,
    app,
    httpUrl: `http://${host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await runtime.close();
      })()),
  };
}
