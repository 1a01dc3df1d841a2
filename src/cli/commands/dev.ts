/**
 * `kvorum dev`: a local cluster of separate node processes on loopback — what `npm start` runs.
 * It never restarts a node by itself: when one dies the others keep running and dev says how to
 * start it again, so a user can watch the cluster ride out a failure (and kill nodes on purpose).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerFlag, parseCommand, UsageError } from '../args.ts';

const usage = `
Usage: kvorum dev [--nodes 3] [--data-dir ./data] [--host 127.0.0.1] [--node-port 7001] [--http-port 8001]
                  [--client-port 9001] [--storage lmdb|memory] [--partitions 64]

Starts a local cluster of --nodes node processes, each as its own \`kvorum start\` command (printed, so
you can restart a node by hand), writing their cluster config to DATA_DIR/cluster.json and their logs,
one readable line per event, to DATA_DIR/NAME.log (warnings and errors are shown here too). Node i
listens on node-port + i - 1 (between nodes), http-port + i - 1 (HTTP API and dashboard) and
client-port + i - 1 (binary client protocol). A node that exits is not restarted. Ctrl-C stops them all.
`;

/** How long dev waits for every node to answer /health before it reports the cluster up anyway. */
const readyTimeoutMs = 30_000;
/** How long dev waits for nodes to stop after SIGTERM before it kills them. */
const stopTimeoutMs = 10_000;
const nodesCountMax = 16;

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

/**
 * Up means answering, and knowing the partition epochs: a new node takes replicas' writes only
 * once it has heard from the others (core/tombstones/epoch-sync.ts), a fraction of a second.
 */
async function waitReady(url: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/v1/cluster`);
      if (response.ok && ((await response.json()) as { ready?: unknown }).ready === true) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
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

  mkdirSync(dataDir, { recursive: true });
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
  const config = {
    clusterName: 'kvorum-dev',
    partitionCount,
    storage,
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
  const healthy = await Promise.all(nodes.map((node) => waitReady(node.httpUrl, deadline)));
  console.log(`kvorum dev: ${healthy.filter(Boolean).length} of ${count} nodes up (config ${shortPath(configPath)}, data and logs in ${shortPath(dataDir)}/)\n`);
  nodes.forEach((node, i) => {
    const state = healthy[i] ? 'up  ' : 'DOWN';
    console.log(`  ${node.name}  ${state}  http ${node.httpUrl}  client kvorum://${node.clientAddress}  node ${node.address}  pid ${node.child?.pid}`);
    console.log(`        node ${node.command.map(shellQuote).join(' ')}`);
  });
  const [first, second] = [nodes[0] as DevNode, nodes[1] ?? (nodes[0] as DevNode)];
  console.log(`
Dashboard: ${first.httpUrl}/  (every node serves it; kvorum top --url ${first.httpUrl} in a terminal)

Try it:
  curl -i -X PUT -H 'Content-Type: text/plain' --data 'hello' ${first.httpUrl}/v1/kv/demo/greeting
  curl -i ${second.httpUrl}/v1/kv/demo/greeting
  curl -s ${first.httpUrl}/v1/cluster

From TypeScript (binary protocol): connect({ nodes: ['kvorum://${first.clientAddress}'] }) from 'kvorum'.

Ctrl-C stops the cluster.`);
  started = true;
}
