/**
 * Which permission each HTTP route needs (runtime/security/client-auth.ts), declared beside the
 * route as its `config.permission`, and the hook that checks it before anything else runs. A
 * route that declares none needs `admin`: forgetting to declare one closes a route, never opens it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, type ClientAuth, type Permission } from '../security/client-auth.ts';

/** `public`: no token needed (liveness probes); otherwise the permission a request needs. */
export type RoutePermission = 'public' | ((request: FastifyRequest) => Permission);

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
  }
}

const bucketParam = (request: FastifyRequest): string => (request.params as { bucket?: string }).bucket ?? '';

/** Route configs, one per kind of access. */
export const permits = {
  public: { permission: 'public' as RoutePermission },
  read: { permission: ((request) => ({ action: 'read', bucket: bucketParam(request) })) as RoutePermission },
  write: { permission: ((request) => ({ action: 'write', bucket: bucketParam(request) })) as RoutePermission },
  ring: { permission: (() => ({ action: 'ring' })) as RoutePermission },
  monitor: { permission: (() => ({ action: 'monitor' })) as RoutePermission },
  admin: { permission: (() => ({ action: 'admin' })) as RoutePermission },
} as const;

/** The token of `Authorization: Bearer TOKEN`, if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+)$/i.exec(header);
  return match?.[1];
}

/** Whether the request's caller may monitor the cluster (any may, with no tokens configured); never throws. */
export function mayMonitor(auth: ClientAuth, request: FastifyRequest): boolean {
  if (!auth.enabled) return true;
  try {
    return auth.caller(bearerToken(request)).allows({ action: 'monitor' });
  } catch {
    return false;
  }
}

/** Checks every request against its route's permission; unknown routes (404s) need a valid token too. */
export function registerAuth(app: FastifyInstance, auth: ClientAuth): void {
  app.addHook('onRequest', async (request) => {
    if (!auth.enabled) return;
    const permission = request.routeOptions.config?.permission;
    if (permission === 'public') return;
    const caller = auth.caller(bearerToken(request));
    authorize(caller, permission === undefined ? { action: 'admin' } : permission(request));
  });
}
