/**
 * `npm run chaos`: a bounded soak against real node processes. A 5-node cluster (N=3, R=W=2)
 * with every node-to-node link behind a cuttable proxy takes a read-modify-write load through
 * the TypeScript client while nodes are killed with SIGKILL and restarted, and the network is
 * split and healed, at random. At the end everything heals, the cluster is given time to
 * converge, and every acknowledged write must be present or causally superseded: the final
 * context of its key, read at R=3, covers the whole context the put was acknowledged with.
 * Exits 1 on any violation. Not part of `npm test` (it runs for minutes).
 *
 *   npm run chaos                       2 minutes, seed from the clock
 *   npm run chaos -- --duration-s 30 --seed 7
 */
import { parseArgs } from 'node:util';
import { connect, type KvorumClient } from '../src/client/index.ts';
import { contextCovers } from '../src/core/version/causal-context.ts';
import { contextTokenKey, decodeContextToken } from '../src/core/version/context-token.ts';
import { TestCluster, waitFor } from '../test/helpers/cluster.ts';

const nodesCount = 5;
/** The test cluster has no secret: its nodes sign context tokens with a key from its name. */
const tokenKey = contextTokenKey('test', undefined);
const keysCount = 40;
const writersCount = 8;
/** A fault starts every so often; each lasts a few seconds. */
const faultEveryMsMin = 2_000;
const faultEveryMsMax = 6_000;
const faultLastsMsMax = 5_000;
/** After healing: how long the cluster has to bring every replica up to date. */
const convergeMsMax = 60_000;

const { values } = parseArgs({ options: { 'duration-s': { type: 'string' }, seed: { type: 'string' } } });
const durationMs = Number(values['duration-s'] ?? 120) * 1000;
let seed = Number(values.seed ?? Date.now() % 1_000_000);
const initialSeed = seed;
/** A small deterministic PRNG (mulberry32), so a run's fault choices can be repeated. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Acked {
  readonly key: string;
  readonly value: string;
  readonly context: string;
}

const acked: Acked[] = [];
const counts = { puts: 0, putsOk: 0, gets: 0, getsOk: 0, kills: 0, partitions: 0 };

async function writer(client: KvorumClient, id: number, untilMs: number): Promise<void> {
  let n = 0;
  while (Date.now() < untilMs) {
    const key = `k${Math.floor(random() * keysCount)}`;
    try {
      counts.gets++;
      const read = await client.get('chaos', key, { timeoutMs: 2_000 });
      counts.getsOk++;
      const value = `w${id}-${n++}`;
      counts.puts++;
      const { context } = await client.put('chaos', key, value, { context: read.context, timeoutMs: 2_000 });
      counts.putsOk++;
      acked.push({ key, value, context });
    } catch {
      await sleep(50); // failures are expected under faults; only acknowledged writes are judged
    }
  }
}

async function faults(cluster: TestCluster, untilMs: number): Promise<void> {
  const names = cluster.nodes.map((node) => node.name);
  while (Date.now() < untilMs) {
    await sleep(faultEveryMsMin + random() * (faultEveryMsMax - faultEveryMsMin));
    const lastsMs = 1_000 + random() * (faultLastsMsMax - 1_000);
    if (random() < 0.5) {
      const victim = pick(names);
      console.log(`chaos: kill -9 ${victim} for ${Math.round(lastsMs)} ms`);
      counts.kills++;
      await cluster.kill(victim);
      await sleep(lastsMs);
      await cluster.startNode(victim);
    } else {
      const shuffled = [...names].sort(() => random() - 0.5);
      const cut = 1 + Math.floor(random() * (names.length - 1));
      const [a, b] = [shuffled.slice(0, cut), shuffled.slice(cut)];
      console.log(`chaos: partition {${a.join(' ')}} | {${b.join(' ')}} for ${Math.round(lastsMs)} ms`);
      counts.partitions++;
      cluster.proxy!.cut(a, b);
      await sleep(lastsMs);
      cluster.proxy!.heal();
    }
  }
}

/** Keys whose final context does not yet cover every acknowledged write to them. */
async function uncovered(client: KvorumClient): Promise<Acked[]> {
  const finalContexts = new Map<string, string | undefined>();
  for (const key of new Set(acked.map((write) => write.key))) finalContexts.set(key, (await client.get('chaos', key, { r: 3, timeoutMs: 5_000 })).context);
  return acked.filter((write) => {
    const final = finalContexts.get(write.key);
    const target = { bucket: 'chaos', key: write.key };
    return final === undefined || !contextCovers(decodeContextToken(final, target, tokenKey), decodeContextToken(write.context, target, tokenKey));
  });
}

async function main(): Promise<void> {
  console.log(`chaos: seed ${initialSeed}, ${durationMs / 1000} s, ${nodesCount} nodes, ${writersCount} writers on ${keysCount} keys`);
  const cluster = await TestCluster.start({ nodes: nodesCount, proxied: true, extra: { antiEntropyExchangeIntervalMs: 1_000 } });
  const client = connect({ nodes: cluster.urls });
  try {
    await cluster.waitConnected();
    const untilMs = Date.now() + durationMs;
    await Promise.all([faults(cluster, untilMs), ...Array.from({ length: writersCount }, (_, id) => writer(client, id, untilMs))]);
    console.log('chaos: healing everything');
    cluster.proxy!.heal();
    for (const node of cluster.nodes) if (!node.process) await cluster.startNode(node.name);
    await cluster.waitConnected();
    let missing: Acked[] = [];
    try {
      await waitFor('every acknowledged write to be covered', async () => {
        missing = await uncovered(client);
        return missing.length === 0 ? true : undefined;
      }, convergeMsMax);
    } catch {
      // reported below
    }
    console.log(`chaos: ${counts.putsOk}/${counts.puts} puts and ${counts.getsOk}/${counts.gets} gets acknowledged; ${counts.kills} kills, ${counts.partitions} partitions`);
    if (missing.length > 0) {
      for (const write of missing.slice(0, 20)) console.log(`chaos: LOST ${write.key} = ${write.value}`);
      console.log(`chaos: FAILED — ${missing.length} acknowledged writes lost (seed ${initialSeed})`);
      process.exitCode = 1;
    } else {
      console.log(`chaos: ok — all ${acked.length} acknowledged writes present or superseded`);
    }
  } finally {
    await client.close();
    await cluster.stop();
  }
}

await main();
