/**
 * The TypeScript client's own CPU per request, measured against a canned node (canned-node.ts)
 * in another process: half gets, half puts with the context of the key's last reply, C requests
 * in flight, over the binary protocol.
 *
 * Why apart from `npm run bench`: there the harness shares the machine's two cores with three
 * nodes, and what the client costs per operation moves with them (18–25 µs, where the client
 * alone costs ~6–8): a change of a few per cent in the client cannot be seen there. Here the
 * other process does next to nothing, so the figure moves with the machine's phase only: rounds
 * run together agree within ~10 %; compare trees in alternating rounds, not across phases.
 *
 *   npm run bench:client                           # 3 rounds of 5 s at C = 64
 *   npm run bench:client -- --seconds 10 --concurrency 1 --rounds 5
 */
import { parseArgs } from 'node:util';
import { connect, type KvorumClient } from '../../src/client/index.ts';
import { cannedContext, cannedValue, startCannedNode } from './canned-node.ts';

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

/** Starts a canned node, runs the load once, stops the node. */
export async function measureClientCost(options: ClientCostOptions): Promise<ClientCost> {
  const node = await startCannedNode();
  const kv = connect({ nodes: [`kvorum://127.0.0.1:${node.port}`] });
  try {
    return await load(kv, options);
  } finally {
    await kv.close();
    await node.stop();
  }
}

async function load(kv: KvorumClient, options: ClientCostOptions): Promise<ClientCost> {
  const contexts = new Map<string, string>();
  let answered = 0;
  let stopping = false;
  const worker = async (first: number): Promise<void> => {
    for (let i = first; !stopping; i += options.concurrency) {
      const key = `key${(i * 7_919) % keysCount}`;
      if (i % 2 === 0) {
        const { siblings, context } = await kv.get(bucket, key);
        // A wrong answer is not a measurement: the client must have read the node's reply.
        if (context !== cannedContext || siblings.length !== 1 || !cannedValue.equals(siblings[0]!.value)) throw new Error(`unexpected get result for ${key}`);
        contexts.set(key, context);
      } else {
        const { context } = await kv.put(bucket, key, cannedValue, { context: contexts.get(key) });
        if (context !== cannedContext) throw new Error(`unexpected put result for ${key}`);
        contexts.set(key, context);
      }
      answered++;
    }
  };
  const workers = Promise.all(Array.from({ length: options.concurrency }, (_, first) => worker(first)));
  // A worker that fails ends the measurement at once, not after the timers.
  const failed = workers.then(() => new Promise<never>(() => {}));
  failed.catch(() => {}); // the failure is thrown by `await workers` below
  await Promise.race([sleep(options.warmupSeconds * 1000), failed]);
  const answeredBefore = answered;
  const cpuBefore = process.cpuUsage();
  const startedMs = performance.now();
  await Promise.race([sleep(options.seconds * 1000), failed]);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedS = (performance.now() - startedMs) / 1000;
  const requests = answered - answeredBefore;
  stopping = true;
  await workers;
  return { requests, requestsPerSec: requests / elapsedS, cpuUsPerRequest: (cpu.user + cpu.system) / requests };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      'warmup-seconds': { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const options = { seconds: Number(values.seconds), warmupSeconds: Number(values['warmup-seconds']), concurrency: Number(values.concurrency) };
  const rounds = Number(values.rounds);
  if (!(options.seconds > 0 && options.warmupSeconds >= 0 && Number.isInteger(options.concurrency) && options.concurrency >= 1 && Number.isInteger(rounds) && rounds >= 1)) {
    throw new Error('--seconds must be > 0, --warmup-seconds >= 0, --concurrency and --rounds integers >= 1');
  }
  for (let round = 1; round <= rounds; round++) {
    const cost = await measureClientCost(options);
    console.log(`round ${round}: C=${options.concurrency} ${Math.round(cost.requestsPerSec)} requests/s, client CPU ${cost.cpuUsPerRequest.toFixed(2)} µs per request`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
