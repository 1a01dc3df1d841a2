/**
 * One node process: the node runtime plus its HTTP API and, when it has a client address, its
 * binary client protocol listener, started and stopped together. `kvorum start` calls this; so
 * can a test that wants a node in its own process.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { contextTokenKey, type ContextTokenKey } from '../core/version/context-token.ts';
import { replicasNOf, type NodeSettings } from './config.ts';
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
import { ClientAuth } from './security/client-auth.ts';

export interface RunningNode {
  readonly runtime: NodeRuntime;
  readonly app: FastifyInstance;
  /** The URL the HTTP API listens on. */
  readonly httpUrl: string;
  /** host:port the binary client protocol listens on; undefined without a client address. */
  readonly clientAddress: string | undefined;
  close(): Promise<void>;
}

const tokenKeys = new WeakMap<NodeRuntime, { readonly clusterName: string; readonly key: ContextTokenKey }>();

/**
 * The key context tokens are signed with, derived from the cluster name and secret: a node that
 * learns its cluster's name from a seed signs with the cluster's key from then on (it serves no
 * request before: it is not a member yet).
 */
function tokenKeyOf(runtime: NodeRuntime): ContextTokenKey {
  const cached = tokenKeys.get(runtime);
  if (cached?.clusterName === runtime.clusterName) return cached.key;
  const key = contextTokenKey(runtime.clusterName, runtime.settings.cluster.clusterSecret);
  tokenKeys.set(runtime, { clusterName: runtime.clusterName, key });
  return key;
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
export function httpBackendOf(runtime: NodeRuntime, auth: ClientAuth, status: () => ServerStatus, report: () => unknown = status): HttpBackend {
  const { cluster } = runtime.settings;
  const exporter = new MetricsExporter(runtime.settings.name, status, runtime.instruments);
  return {
    name: runtime.settings.name,
    pid: process.pid,
    incarnation: runtime.incarnation,
    get clusterName() {
      return runtime.clusterName;
    },
    requestLimits: cluster.requestLimits,
    get contextTokenKey() {
      return tokenKeyOf(runtime);
    },
    auth,
    get ringTargetN() {
      return ringTargetNOf(runtime);
    },
    ring: () => runtime.ring,
    request: (request) => runtime.request(request),
    nodeStatus: () => runtime.node.status(),
    bucketProps: (bucket) => runtime.node.bucketProps(bucket),
    setBucketProps: (bucket, change) => runtime.setBucketProps(bucket, change),
    status: report,
    metrics: () => exporter.render(),
    membership: membershipBackendOf(runtime),
  };
}

export function clientBackendOf(runtime: NodeRuntime, auth: ClientAuth): ClientBackend {
  const { cluster } = runtime.settings;
  return {
    auth,
    nodeName: runtime.settings.name,
    get clusterName() {
      return runtime.clusterName;
    },
    requestLimits: cluster.requestLimits,
    get contextTokenKey() {
      return tokenKeyOf(runtime);
    },
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
  const { cluster, clientListen, security } = settings;
  if (security.insecure) logger.warn('insecure: this node listens beyond loopback without TLS, client tokens or a strong cluster secret as docs/security.md asks');
  const auth = new ClientAuth(security.clientTokens);
  const tls = security.tls === undefined ? undefined : { key: security.tls.key, cert: security.tls.cert };
  const clientServer =
    clientListen === undefined
      ? undefined
      : new ClientServer({ ...clientListen, backend: clientBackendOf(runtime, auth), logger, inflightMax: cluster.clientInflightMax, connectionsMax: cluster.clientConnectionsMax, tls });
  const status = serverStatusOf(runtime, clientServer);
  const activity = new ActivityLog(status, runtime.instruments);
  const report = (): NodeReport => ({ ...status(), activity: activity.report() });
  const app = buildHttpApp(httpBackendOf(runtime, auth, status, report), { timeouts: cluster.httpTimeouts, https: tls, accessLog: options.accessLog ? logger : undefined });
  // Peers' reports are asked for with the node token, and over HTTPS trusting the cluster CA.
  registerDashboardRoutes(app, new ClusterFeed(() => runtime.clusterName, report, { token: security.nodeToken, ca: security.tls?.ca }));
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
    httpUrl: `${tls ? 'https' : 'http'}://${bracketed(settings.httpHost)}:${port}`,
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
