/**
 * One node process: the node runtime plus its HTTP API and, when it has a client address, its
 * binary client protocol listener, started and stopped together. `kvorum start` calls this; so
 * can a test that wants a node in its own process.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { contextTokenKey } from '../core/version/context-token.ts';
import { bucketPropsOf, replicasNOf, type NodeSettings } from './config.ts';
import { ClientServer } from './client-protocol/client-server.ts';
import type { ClientBackend } from './client-protocol/connection.ts';
import { buildHttpApp, type HttpBackend } from './http/app.ts';
import { membershipBackendOf } from './membership-backend.ts';
import { NodeRuntime } from './node-runtime.ts';
import { describeRing } from './ring-description.ts';
import { MetricsExporter } from './metrics/registry.ts';
import type { ServerStatus } from './status.ts';
import { ActivityLog } from './dashboard/activity.ts';
import { ClusterFeed, type NodeReport } from './dashboard/cluster-feed.ts';
import { registerDashboardRoutes } from './dashboard/routes.ts';

export interface RunningNode {
  readonly runtime: NodeRuntime;
  readonly app: FastifyInstance;
  /** The URL the HTTP API listens on. */
  readonly httpUrl: string;
  /** host:port the binary client protocol listens on; undefined without a client address. */
  readonly clientAddress: string | undefined;
  close(): Promise<void>;
}

/** Preference lists as long as the largest N of any bucket, or the owners' count when fewer. */
function ringTargetNOf(runtime: NodeRuntime): number {
  return Math.min(replicasNOf(runtime.settings.cluster), new Set(runtime.ring.owners).size);
}

/** The node's status with its binary protocol listener's, when it has one. */
export function serverStatusOf(runtime: NodeRuntime, clientServer: ClientServer | undefined): () => ServerStatus {
  return () => ({ ...runtime.status(), binary: clientServer?.status() ?? null });
}

/** `report`: what GET /v1/status answers (the node's status, and its activity when it keeps one). */
export function httpBackendOf(runtime: NodeRuntime, status: () => ServerStatus, report: () => unknown = status): HttpBackend {
  const { cluster } = runtime.settings;
  const exporter = new MetricsExporter(runtime.settings.name, status, runtime.instruments);
  return {
    name: runtime.settings.name,
    clusterName: cluster.clusterName,
    requestLimits: cluster.requestLimits,
    contextTokenKey: contextTokenKey(cluster.clusterName, cluster.clusterSecret),
    get ringTargetN() {
      return ringTargetNOf(runtime);
    },
    ring: () => runtime.ring,
    request: (request) => runtime.request(request),
    nodeStatus: () => runtime.node.status(),
    bucketProps: bucketPropsOf(cluster),
    status: report,
    metrics: () => exporter.render(),
    membership: membershipBackendOf(runtime),
  };
}

export function clientBackendOf(runtime: NodeRuntime): ClientBackend {
  const { cluster } = runtime.settings;
  return {
    nodeName: runtime.settings.name,
    clusterName: cluster.clusterName,
    requestLimits: cluster.requestLimits,
    contextTokenKey: contextTokenKey(cluster.clusterName, cluster.clusterSecret),
    submit: (request, onResult) => runtime.submit(request, onResult),
    ring: () => describeRing(runtime.ring, ringTargetNOf(runtime)),
  };
}

export interface NodeOptions {
  /** Log every HTTP request at info (method, path, status, milliseconds). */
  readonly accessLog?: boolean;
}

export async function startNode(settings: NodeSettings, logger: Logger, options: NodeOptions = {}): Promise<RunningNode> {
  const runtime = await NodeRuntime.start(settings, logger);
  const { cluster, clientListen } = settings;
  const clientServer =
    clientListen === undefined
      ? undefined
      : new ClientServer({ ...clientListen, backend: clientBackendOf(runtime), logger, inflightMax: cluster.clientInflightMax, connectionsMax: cluster.clientConnectionsMax });
  const status = serverStatusOf(runtime, clientServer);
  const activity = new ActivityLog(status, runtime.instruments);
  const report = (): NodeReport => ({ ...status(), activity: activity.report() });
  const app = buildHttpApp(httpBackendOf(runtime, status, report), { timeouts: cluster.httpTimeouts, accessLog: options.accessLog ? logger : undefined });
  registerDashboardRoutes(app, new ClusterFeed(cluster.clusterName, report));
  let clientAddress: string | undefined;
  try {
    // The client port first: once /health answers, every protocol does.
    if (clientServer) {
      const listening = await clientServer.start();
      clientAddress = `${bracketed(listening.host)}:${listening.port}`;
    }
    await app.listen({ host: settings.httpHost, port: settings.httpPort });
    activity.start();
  } catch (error) {
    await clientServer?.close();
    await app.close();
    await runtime.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.httpPort;
  let closing: Promise<void> | undefined;
  return {
    runtime,
    app,
    httpUrl: `http://${bracketed(settings.httpHost)}:${port}`,
    clientAddress,
    close: () =>
      (closing ??= (async () => {
        activity.stop();
        await clientServer?.close();
        await app.close();
        await runtime.close();
      })()),
  };
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
