/**
 * The dashboard's routes (DESIGN §10): GET / and the page's static files from web/ (plain
 * HTML, CSS and JavaScript: nothing to build), GET /v1/dashboard (one snapshot of the cluster,
 * cluster-feed.ts) and GET /v1/dashboard/events (the same as server-sent events, one a second).
 * The page is public, the cluster's state is not: the snapshots need a token that may monitor
 * (docs/security.md); the page sends the one it was opened with (web/app.js).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ClusterFeed } from './cluster-feed.ts';
import { permits } from '../http/route-permissions.ts';

/** web/ at the package root, from src/runtime/dashboard/ or dist/runtime/dashboard/ alike. */
export const webDir = fileURLToPath(new URL('../../../web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function registerDashboardRoutes(app: FastifyInstance, feed: ClusterFeed, dir = webDir): void {
  // The page's files are read once, at start: a handful of small files.
  for (const name of readdirSync(dir)) {
    const type = contentTypes[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    const path = name === 'index.html' ? '/' : `/${name}`;
    // Public: the page and its files hold no data; what they fetch needs a token that may monitor.
    app.get(path, { config: permits.public }, async (_request, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }

  app.get('/v1/dashboard', { config: permits.monitor }, async () => feed.snapshot());

  const streams = new Set<ServerResponse>();
  app.get('/v1/dashboard/events', { config: permits.monitor }, (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // A lost connection is retried after a second (EventSource does it by itself).
    raw.write('retry: 1000\n\n');
    streams.add(raw);
    const unsubscribe = feed.subscribe((snapshot) => raw.write(`data: ${JSON.stringify(snapshot)}\n\n`));
    request.raw.socket.on('close', () => {
      unsubscribe();
      streams.delete(raw);
    });
  });
  // Open streams would keep the server from closing.
  app.addHook('preClose', async () => {
    await feed.close();
    for (const raw of streams) raw.end();
  });
}
