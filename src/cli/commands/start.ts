import { flagsFromEnv, resolveNodeSettings, type StartFlags } from '../../runtime/config.ts';
import { startNode } from '../../runtime/server.ts';
import { parseCommand } from '../args.ts';
import { createLogger } from '../logger.ts';

const usage = `
Usage: kvorum start --config FILE --name NAME [options]
       kvorum start --name NAME --node-address HOST:PORT --http-address HOST:PORT --peer NAME=HOST:PORT,URL ... [options]

Starts one kvorum node in the foreground. Logs go to stdout as JSON lines (or readable lines with
--log-format pretty). SIGINT or SIGTERM stops it cleanly. Every node serves the dashboard at its
HTTP address (GET /) and Prometheus metrics at /metrics.

Options (each also read from the environment as KVORUM_<NAME>, e.g. KVORUM_DATA_DIR):
  --config FILE            cluster config (JSON: clusterName, partitionCount, nodes, buckets, storage)
  --name NAME              this node's name (must be in the config, or give the two addresses)
  --node-address H:P       node-to-node TCP listen address (default: from the config)
  --http-address H:P       HTTP API listen address (default: from the config)
  --client-address H:P     binary client protocol listen address (default: the node's clientAddress
                           in the config; none: no client port, clients use HTTP)
  --data-dir DIR           data directory (default: the node's dataDir in the config, else ./data/NAME)
  --storage lmdb|memory    storage engine (default lmdb; memory loses everything on exit)
  --peer NAME=H:P,URL[,CH:P]
                           another member (repeatable), e.g. n2=127.0.0.1:7002,http://127.0.0.1:8002;
                           the optional third part is its client address, e.g. ,127.0.0.1:9002
  --seed NAME=H:P          a seed node (repeatable): gossiped with now and then; a node started
                           with only seeds (no config listing the cluster) learns the ring from them
  --cluster-name NAME      nodes of other clusters are refused (default: a node started with only
                           --seed learns its seed's and keeps it; any other "kvorum")
  --cluster-secret S       shared secret that authenticates nodes to each other (never learned:
                           a joining node must be given it)
  --partitions Q           partitions in the ring, a power of two (default 64)
  --value-bytes-max B      largest value accepted (default 1048576)
  --bind-host HOST         listen on HOST (e.g. 0.0.0.0 in a container) instead of the addresses'
                           own hosts, which are still what the node advertises
  --log-format json|pretty JSON lines (default) or one readable line per event
  --log-level LEVEL        fatal, error, warn, info (default), debug, trace or silent
  --access-log             log every HTTP request (method, path, status, time)
  --tls-ca F, --tls-cert F, --tls-key F
                           TLS on every port, mutual between nodes: the cluster CA, and this node's
                           certificate (its common name the node's name) and key (\`kvorum certs\`)
  --insecure               listen beyond loopback without TLS, client tokens and a strong secret

Beyond loopback a node needs TLS, client tokens ("auth" in the config) and a cluster secret of 32+
characters, or --insecure; see docs/security.md.
`;

export async function startCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(
    argv,
    {
      config: { type: 'string' },
      name: { type: 'string' },
      'node-address': { type: 'string' },
      'http-address': { type: 'string' },
      'client-address': { type: 'string' },
      'data-dir': { type: 'string' },
      storage: { type: 'string' },
      peer: { type: 'string', multiple: true },
      seed: { type: 'string', multiple: true },
      'cluster-name': { type: 'string' },
      'cluster-secret': { type: 'string' },
      partitions: { type: 'string' },
      'value-bytes-max': { type: 'string' },
      'bind-host': { type: 'string' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
      'access-log': { type: 'boolean' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      insecure: { type: 'boolean' },
    },
    usage,
  );
  const { 'log-format': logFormat, 'log-level': logLevel, 'access-log': accessLog, ...flags } = values;
  const settings = resolveNodeSettings(flagsFromEnv(flags as StartFlags, process.env));
  const env = process.env;
  const logger = createLogger({ node: settings.name, format: String(logFormat ?? env.KVORUM_LOG_FORMAT ?? 'json'), level: String(logLevel ?? env.KVORUM_LOG_LEVEL ?? 'info') });
  const node = await startNode(settings, logger, { accessLog: accessLog === true || env.KVORUM_ACCESS_LOG === '1' || env.KVORUM_ACCESS_LOG === 'true' });
  logger.info({ httpUrl: node.httpUrl, nodeAddress: `${settings.listenHost}:${settings.listenPort}`, clientAddress: node.clientAddress }, 'ready');
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    node.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
