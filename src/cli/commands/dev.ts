/**
 * `kvorum dev`: a local cluster of separate node processes on loopback — what `npm start` runs.
 * It never restarts a node by itself: when one dies the others keep running and dev says how to
 * start it again, so a user can watch the cluster ride out a failure (and kill nodes on purpose).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KvorumError } from '../../core/errors.ts';
import { newToken, tokenSha256 } from '../../runtime/security/client-auth.ts';
import { integerFlag, parseCommand, UsageError } from '../args.ts';
import { devTokenFile } from '../credentials.ts';

const usage = `
Usage: kvorum dev [--nodes 3] [--data-dir ./data] [--host 127.0.0.1] [--node-port 7001] [--http-port 8001]
                  [--client-port 9001] [--storage lmdb|memory] [--partitions 64]

Starts a local cluster of --nodes node processes, each as its own \`kvorum start\` command (printed, so
you can restart a node by hand), writing their cluster config to DATA_DIR/cluster.json and their logs,
one readable line per event, to DATA_DIR/NAME.log (warnings and errors are shown here too). Node i
listens on node-port + i - 1 (between nodes), http-port + i - 1 (HTTP API and dashboard) and
client-port + i - 1 (binary client protocol); dev refuses to start when any of them is in use. A node is
reported up once the process dev started answers (its /health names its pid) and is ready. A node that
exits is not restarted. Ctrl-C stops them all.

The nodes check tokens: dev makes a new admin token each time, writes it to DATA_DIR/dev-token (mode
0600; the kvorum CLI reads ./data/dev-token when KVORUM_TOKEN and KVORUM_TOKEN_FILE are unset) and
prints it, with the dashboard's URL carrying it (#token=…) and commands to try.
`;

/** How long dev waits for every node to answer /health before it reports the cluster up anyway. */
const readyTimeoutMs = 30_000;
/** How long dev waits for nodes to stop after SIGTERM before it kills them. */
const stopTimeoutMs = 10_000;
const nodesCountMax = 16;
/** Where, in the data dir, dev leaves its nodes' own token (its admin token: devTokenFile). */
const nodeTokenFile = 'node-token';

interface DevNode {
  readonly name: string;
  readonly httpUrl: string;
  readonly address: string;
  readonly clientAddress: string;
  readonly command: string[];
  child?: ChildProcess | undefined;
  exited: boolean;
}

const binPath = fileURLToPath(new URL('../../../bin/kvorum.js', import.meta.url));

/** A path as short as it can be said from here: relative below the working dir, else absolute. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Whether something already listens on host:port: bound by us for a moment, it is not. */
async function inUse(host: string, port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
  } catch {
    return true;
  }
  await new Promise((resolve) => server.close(resolve));
  return false;
}

/**
 * Every port dev is about to give a node that something already holds — an old node, another
 * dev — named with what it was for. Started over them, a node would die of EADDRINUSE while the
 * old process answered in its place.
 */
async function portsInUse(nodes: readonly DevNode[], host: string): Promise<string[]> {
  const wanted = nodes.flatMap((node) => [
    { port: Number(node.address.split(':').at(-1)), what: `${node.name}'s node port` },
    { port: Number(new URL(node.httpUrl).port), what: `${node.name}'s HTTP port` },
    { port: Number(node.clientAddress.split(':').at(-1)), what: `${node.name}'s client port` },
  ]);
  const busy = await Promise.all(wanted.map(({ port }) => inUse(host, port)));
  return wanted.filter((_, i) => busy[i]).map(({ port, what }) => `${host}:${port} (${what})`);
}

type Readiness = { readonly up: true } | { readonly up: false; readonly why: string };

/**
 * Up means answering as the process dev started — /health names its pid, so an old node still on
 * the port is not taken for it — and ready: knowing the ring and the partition epochs (a new node
 * takes replicas' writes only once it has heard from the others, core/tombstones/epoch-sync.ts).
 */
async function waitReady(node: DevNode, token: string, deadline: number): Promise<Readiness> {
  const headers = { authorization: `Bearer ${token}` };
  let why = 'it did not answer';
  while (Date.now() < deadline) {
    if (node.exited) return { up: false, why: 'it exited' };
    try {
      const health = (await (await fetch(`${node.httpUrl}/health`, { headers })).json()) as { pid?: unknown; incarnation?: unknown };
      if (health.pid !== node.child?.pid) {
        why = `another process (pid ${String(health.pid)}) answers at ${node.httpUrl}`;
      } else {
        const cluster = (await (await fetch(`${node.httpUrl}/v1/cluster`, { headers })).json()) as { ready?: unknown; notReadyBecause?: unknown };
        if (cluster.ready === true) return { up: true };
        why = `it is not ready: ${String(cluster.notReadyBecause)}`;
      }
    } catch {
      // not answering yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { up: false, why };
}

/**
 * Shows a node's warnings and errors (pretty log lines) in dev's own terminal, prefixed by its
 * name, once the cluster is up (`echoing`): while nodes start they cannot reach each other yet.
 */
function echoWarnings(name: string, child: ChildProcess, echoing: () => boolean): void {
  let partial = '';
  const scan = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    if (!echoing()) return;
    for (const line of lines) if (/\] (WARN|ERROR|FATAL): /.test(line)) console.log(`${name} | ${line}`);
  };
  child.stdout?.on('data', scan);
  child.stderr?.on('data', scan);
}

/** A new file only its owner may read (an old one, perhaps readable by others, is removed first). */
function writeSecret(path: string, text: string): void {
  rmSync(path, { force: true });
  writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'wx' });
}

export async function devCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(
    argv,
    {
      nodes: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'node-port': { type: 'string' },
      'http-port': { type: 'string' },
      'client-port': { type: 'string' },
      storage: { type: 'string' },
      partitions: { type: 'string' },
    },
    usage,
  );
  const count = integerFlag('nodes', values.nodes) ?? 3;
  if (count > nodesCountMax) throw new UsageError(`--nodes is at most ${nodesCountMax} for a local cluster`);
  const dataDir = resolve(String(values['data-dir'] ?? 'data'));
  const host = String(values.host ?? '127.0.0.1');
  const nodePort = integerFlag('node-port', values['node-port']) ?? 7001;
  const httpPort = integerFlag('http-port', values['http-port']) ?? 8001;
  const clientPort = integerFlag('client-port', values['client-port']) ?? 9001;
  const storage = String(values.storage ?? 'lmdb');
  const partitionCount = integerFlag('partitions', values.partitions) ?? 64;

  const configPath = join(dataDir, 'cluster.json');
  const nodes: DevNode[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `n${i}`;
    const configArg = shortPath(configPath);
    nodes.push({
      name,
      address: `${host}:${nodePort + i - 1}`,
      httpUrl: `http://${host}:${httpPort + i - 1}`,
      clientAddress: `${host}:${clientPort + i - 1}`,
      command: [shortPath(binPath), 'start', '--config', configArg, '--name', name, '--log-format', 'pretty'],
      exited: false,
    });
  }
  const busy = await portsInUse(nodes, host);
  if (busy.length > 0) {
    throw new KvorumError(
      'unavailable',
      `ports in use: ${busy.join(', ')}.\nIs another kvorum dev or node still running? Stop it, or give other ports (--node-port, --http-port, --client-port).`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  // Tokens as a real cluster has them (docs/security.md), new each run: an admin token for the
  // user, and a monitor token the nodes show each other for the dashboard (node-token.ts). Their
  // files are the user's alone; the config holds only hashes.
  const token = newToken();
  const nodeToken = newToken();
  writeSecret(join(dataDir, devTokenFile), token);
  writeSecret(join(dataDir, nodeTokenFile), nodeToken);
  const config = {
    clusterName: 'kvorum-dev',
    partitionCount,
    storage,
    auth: {
      tokens: [
        { name: 'dev', sha256: tokenSha256(token), roles: ['admin'] },
        { name: 'dev-nodes', sha256: tokenSha256(nodeToken), roles: ['monitor'] },
      ],
      nodeTokenFile,
    },
    nodes: nodes.map(({ name, address, httpUrl, clientAddress }) => ({ name, address, httpUrl, clientAddress, dataDir: name })),
    buckets: { '*': { n: Math.min(3, count), r: Math.min(2, count), w: Math.min(2, count), resolution: 'siblings' } },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

  let stopping = false;
  let started = false;
  for (const node of nodes) {
    const log = createWriteStream(join(dataDir, `${node.name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, node.command, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    echoWarnings(node.name, child, () => started && !stopping);
    node.child = child;
    child.on('exit', (code, signal) => {
      node.exited = true;
      if (stopping) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const alive = nodes.filter((n) => !n.exited).map((n) => n.name);
      console.log(`\nkvorum dev: node ${node.name} ${how}; see ${shortPath(join(dataDir, `${node.name}.log`))}.`);
      console.log(alive.length > 0 ? `  ${alive.join(', ')} keep running. Restart ${node.name} by hand with:` : '  No node is running. Restart with:');
      console.log(`  node ${node.command.map(shellQuote).join(' ')}`);
    });
  }

  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nkvorum dev: ${signal}: stopping ${nodes.filter((n) => !n.exited).length} nodes…`);
    const exits = nodes.filter((n) => !n.exited && n.child).map((n) => new Promise<void>((r) => n.child?.once('exit', () => r())));
    for (const node of nodes) if (!node.exited) node.child?.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const node of nodes) if (!node.exited) node.child?.kill('SIGKILL');
    }, stopTimeoutMs);
    await Promise.all(exits);
    clearTimeout(timer);
    console.log('kvorum dev: all nodes stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));

  const deadline = Date.now() + readyTimeoutMs;
  const readiness = await Promise.all(nodes.map((node) => waitReady(node, token, deadline)));
  const upCount = readiness.filter((state) => state.up).length;
  console.log(`kvorum dev: ${upCount} of ${count} nodes up (config ${shortPath(configPath)}, data and logs in ${shortPath(dataDir)}/)\n`);
  nodes.forEach((node, i) => {
    const state = readiness[i] as Readiness;
    const pid = node.exited ? 'exited' : `pid ${node.child?.pid}`;
    console.log(`  ${node.name}  ${state.up ? 'up  ' : 'DOWN'}  http ${node.httpUrl}  client kvorum://${node.clientAddress}  node ${node.address}  ${pid}`);
    if (!state.up) console.log(`        DOWN: ${state.why}; see ${shortPath(join(dataDir, `${node.name}.log`))}`);
    console.log(`        node ${node.command.map(shellQuote).join(' ')}`);
  });
  const [first, second] = [nodes[0] as DevNode, nodes[1] ?? (nodes[0] as DevNode)];
  const bearer = `-H "Authorization: Bearer ${token}"`;
  console.log(`
Token (admin; in ${shortPath(join(dataDir, devTokenFile))}, which the kvorum CLI here reads by itself): ${token}

Dashboard: ${first.httpUrl}/#token=${token}
  (every node serves it; kvorum top --url ${first.httpUrl} in a terminal)

Try it:
  curl -i -X PUT ${bearer} -H 'Content-Type: text/plain' --data 'hello' ${first.httpUrl}/v1/kv/demo/greeting
  curl -i ${bearer} ${second.httpUrl}/v1/kv/demo/greeting
  kvorum get demo greeting --url ${second.httpUrl}
  kvorum status --url ${first.httpUrl}

From TypeScript (binary protocol): connect({ nodes: ['kvorum://${first.clientAddress}'], token: '…' }) from 'kvorum'.

Ctrl-C stops the cluster.`);
  started = true;
}
