# syntax=docker/dockerfile:1
# A kvorum node: built with the dev dependencies (TypeScript), run with the production ones only,
# as the unprivileged `node` user. Configure it with KVORUM_* variables or flags (docs/deploy.md):
#   docker build -t kvorum .
#   docker compose -f deploy/docker-compose.yml up        # three nodes, a volume each
# Every node serves its HTTP API, dashboard (/) and metrics (/metrics) on the HTTP port.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` builds dist/ (the `prepare` script); then the dev dependencies go.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    KVORUM_DATA_DIR=/var/lib/kvorum \
    KVORUM_BIND_HOST=0.0.0.0
WORKDIR /opt/kvorum
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY web ./web
# openssl: `kvorum certs` makes certificates with it (the Compose file's init service runs it here).
# /etc/kvorum belongs to the node user so that a volume mounted there starts out writable by init.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/kvorum /etc/kvorum \
    && chown node:node /var/lib/kvorum /etc/kvorum \
    && ln -s /opt/kvorum/bin/kvorum.js /usr/local/bin/kvorum
USER node
VOLUME ["/var/lib/kvorum"]
# Between nodes, HTTP (API, dashboard, metrics), binary client protocol.
EXPOSE 7001 8001 9001
# /health answers once the node serves; the port is the one KVORUM_HTTP_ADDRESS names. With TLS
# (KVORUM_TLS_CA set) it asks over HTTPS, trusting that CA: every node certificate names 127.0.0.1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ca = process.env.KVORUM_TLS_CA; const port = (process.env.KVORUM_HTTP_ADDRESS || ':8001').split(':').pop(); require(ca ? 'node:https' : 'node:http').get({ host: '127.0.0.1', port, path: '/health', ca: ca ? require('node:fs').readFileSync(ca) : undefined }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["kvorum"]
CMD ["start"]
