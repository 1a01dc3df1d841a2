/**
 * The TypeScript client's own CPU per request, measured against a canned node (canned-node.ts:
 * the real protocol server, nothing behind it) in another process: half gets, half puts with the
 * context of the key's last reply, C requests in flight, over the binary protocol.
 *
 * Why apart from `npm run bench`: there the harness shares the machine's two cores with three
 * nodes, and what the client costs per operation moves with them (17–31 µs per operation in one
 * session, about two to three times what it costs alone): a change of a few per cent in the client
 * cannot be seen there. Here the other process does far less, yet the figure still moves with
 * the machine's phase and with how many requests each wake-up brings (8.5–10.6 µs in three rounds
 * run together): compare trees in alternating rounds, several of them. The figure includes the
 * load loop's own small work per request (its key, its map of contexts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type KvorumClient } from '../../src/client/index.ts';
import { cannedValue } from './canned-backend.ts';
import { acceptsConnections, freePort, logTail, startProcess, waitUntil, type ServerProcess } from '../systems/processes.ts';

const cannedNodeScript = fileURLToPath(new URL('./canned-node.ts', import.meta.url));
const startTimeoutMs = 10_000;
/** Keys the requests go to: as many as the benchmark's default record count. */
const keysCount = 10_000;
const bucket = 'client-cost';

export interface ClientCostOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrency: number;
}

export interface ClientCost {
  readonly requests: number;
  readonly requestsPerSec: number;
  /** This process's CPU (user + system) per request, in µs. */
  readonly cpuUsPerRequest: number;
}

export interface CannedNode {
  readonly port: number;
  /** The end of its log, for an error that needs it. */
  logTail(): string;
  /** Stops the process and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a canned node in a child process and waits until it takes connections. */
export async function startCannedNode(): Promise<CannedNode> {
  const port = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-canned-node-'));
  let child: ServerProcess | undefined;
  const stop = async () => {
    try {
      await child?.stop();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  };
  try {
    child = startProcess('canned node', process.execPath, ['--import', 'tsx', cannedNodeScript, '--port', String(port)], join(workDir, 'canned-node.log'));
    await waitUntil('the canned node', () => acceptsConnections(port), [child], startTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  const logFile = child.logFile;
  return { port, logTail: () => logTail(logFile), stop };
}

/** Starts a canned node, runs the load once, stops the node. */
export async function measureClientCost(options: ClientCostOptions): Promise<ClientCost> {
  const node = await startCannedNode();
  try {
    const kv = connect({ nodes: [`kvorum://127.0.0.1:${node.port}`] });
    try {
      return await load(kv, options);
    } finally {
      await kv.close();
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- canned node log\n${node.logTail()}`, { cause: error });
  } finally {
    await node.stop();
  }
}

async function load(kv: KvorumClient, options: ClientCostOptions): Promise<ClientCost> {
  const contexts = new Map<string, string>();
  let answered = 0;
  let stopping = false;
  const worker = async (first: number): Promise<void> => {
    try {
      // Each worker alternates get and put over its own walk of the keys, so a put usually
      // carries the context of an earlier get (the key walk and the alternation are independent).
      for (let i = first, turn = 0; !stopping; i += options.concurrency, turn++) {
        const key = `key${(i * 7_919) % keysCount}`;
        if (turn % 2 === 0) {
          const { siblings, context } = await kv.get(bucket, key);
          // A wrong answer is not a measurement: the client must have read the node's reply.
          if (context === undefined || siblings.length !== 1 || !cannedValue.equals(siblings[0]!.value)) throw new Error(`unexpected get result for ${key}`);
          contexts.set(key, context);
        } else {
          const { context } = await kv.put(bucket, key, cannedValue, { context: contexts.get(key) });
          contexts.set(key, context);
        }
        answered++;
      }
    } finally {
      stopping = true; // one worker failing ends the others' loops too
    }
  };
  // The workers end only once `stopping` is set (below, or by one that failed): a race with them
  // ends the measurement at once with a worker's failure, not after the timers.
  const workers = Promise.all(Array.from({ length: options.concurrency }, (_, first) => worker(first)));
  await Promise.race([sleep(options.warmupSeconds * 1000), workers]);
  const answeredBefore = answered;
  const cpuBefore = process.cpuUsage();
  const startedMs = performance.now();
  await Promise.race([sleep(options.seconds * 1000), workers]);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedS = (performance.now() - startedMs) / 1000;
  const requests = answered - answeredBefore;
  stopping = true;
  await workers;
  if (requests === 0) throw new Error(`no request was answered in ${options.seconds} s`);
  return { requests, requestsPerSec: requests / elapsedS, cpuUsPerRequest: (cpu.user + cpu.system) / requests };
}

/** A wait that does not keep the process alive (a failed run ends without waiting it out). */
function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}
