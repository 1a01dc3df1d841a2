/**
 * `kvorum join | leave | remove | plan | commit | transfers | abort`: membership changes as an
 * operator makes them (docs/membership.md). Changes are staged on one node, the plan shows what
 * would move, and commit applies it; partitions then transfer in the background, and abort ends a
 * change that cannot finish.
 */
import { KvorumError, isErrorCode } from '../../core/errors.ts';
import { defaultUrl, parseCommand, UsageError } from '../args.ts';
import { cliFetch } from '../credentials.ts';

const joinUsage = `
Usage: kvorum join --seed URL [--url URL]

Asks the cluster that the node at --seed (an HTTP URL of any member) belongs to, to let the node
at --url (default $KVORUM_URL or http://127.0.0.1:8001) join. The join is staged on the seed:
run 'kvorum plan --url SEED' to see what would move and 'kvorum commit --url SEED' to apply it.
Start the new node with --seed NAME=HOST:PORT so it learns the ring (and the cluster's name)
before it joins, and with the cluster's secret if it has one. A node that has not completed a
handshake with the cluster is refused, with the reason when one is known.

  kvorum start --name n4 --node-address 127.0.0.1:7004 --http-address 127.0.0.1:8004 --seed n1=127.0.0.1:7001
  kvorum join --seed http://127.0.0.1:8001 --url http://127.0.0.1:8004
`;

const leaveUsage = `
Usage: kvorum leave [--url URL]

Stages the node at URL to leave the cluster. After 'kvorum commit --url URL' its partitions are
transferred to the nodes that take them over, and only then does it leave the ring.
`;

const removeUsage = `
Usage: kvorum remove NODE [--url URL]

Stages taking a dead member out of the ring (a node is never removed automatically). Its
partitions are rebuilt on their new owners from the replicas that remain. Run plan and commit
against the same URL.
`;

const planUsage = `
Usage: kvorum plan [--url URL] [--json]

Shows what committing the changes staged on the node at URL would do: which partitions change
owner, which transfers run (sender, receiver) and how much data each moves (keys and bytes,
asked of the senders).
`;

const commitUsage = `
Usage: kvorum commit [--url URL]

Applies the changes staged on the node at URL. Partitions transfer in the background; the old
owners keep serving until every transfer is done ('kvorum transfers').
`;

const abortUsage = `
Usage: kvorum abort [--url URL]

Ends the running membership change without finishing it, for a change that cannot complete (a
joining node that died mid-transfer keeps it open). Nothing moves back: the old owners kept
serving and kept their data. Joining nodes are taken out again (they may join later); leaving
and removed nodes are members again. If every transfer had already completed, the change stands
instead. Then 'kvorum remove' a dead node, or stage the change again: the next commit is refused
until every reachable member has the abort (a moment).
`;

const clearUsage = `
Usage: kvorum clear [--url URL]

Drops the changes staged on the node at URL (joins, leaves, removes not yet committed), so that
nothing is applied. A committed change is ended with 'kvorum abort' instead.
`;

const transfersUsage = `
Usage: kvorum transfers [--url URL] [--json]

Shows the running membership change: every transfer and whether it is done, and the progress
(keys, bytes) of the transfers each node is sending now.
`;

async function requestJson(method: string, url: string, body?: unknown): Promise<unknown> {
  let response: Awaited<ReturnType<typeof cliFetch>>;
  try {
    response = await cliFetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new KvorumError('unavailable', `cannot reach ${url}: ${(error as Error).message}`);
  }
  const parsed = (await response.json()) as { error?: { code?: string; message?: string } };
  if (!response.ok) {
    const code = parsed.error?.code;
    throw new KvorumError(isErrorCode(code) ? code : 'internal', `${method} ${url}: ${parsed.error?.message ?? `HTTP ${response.status}`}`);
  }
  return parsed;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

function printStaged(result: unknown, url: string): void {
  const staged = (result as { staged: { action: string; name?: string; node?: { name: string } }[] }).staged;
  console.log(`staged on ${url}:`);
  for (const change of staged) console.log(`  ${change.action} ${change.name ?? change.node?.name ?? '?'}`);
  console.log(`\nnext: kvorum plan --url ${url}, then kvorum commit --url ${url} (or kvorum clear --url ${url} to drop them)`);
}

export async function joinCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { seed: { type: 'string' }, url: { type: 'string' } }, joinUsage);
  if (typeof values.seed !== 'string') throw new UsageError(`--seed is required\n${joinUsage}`);
  const seed = values.seed.replace(/\/$/, '');
  const url = defaultUrl(values.url);
  // A node that has not learned the ring never got through a handshake with a seed: say so here,
  // where the operator looks (the seed refuses the join too, as it cannot reach the node).
  const joiner = (await requestJson('GET', `${url}/v1/cluster`)) as { node: string; version: number; clusterName: string };
  if (joiner.version === 0) {
    throw new KvorumError(
      'unavailable',
      `node ${joiner.node} at ${url} has not learned the cluster's ring: it has not completed a handshake with a seed. ` +
        `Start it with --seed NAME=HOST:PORT naming a member's node address (it learns the cluster's name there) and with the ` +
        `cluster's secret if it has one; its log says why a handshake failed.`,
    );
  }
  const self = await requestJson('GET', `${url}/v1/cluster/self`);
  printStaged(await requestJson('POST', `${seed}/v1/cluster/join`, self), seed);
}

export async function leaveCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' } }, leaveUsage);
  const url = defaultUrl(values.url);
  printStaged(await requestJson('POST', `${url}/v1/cluster/leave`, {}), url);
}

export async function removeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { url: { type: 'string' } }, removeUsage);
  if (positionals.length !== 1) throw new UsageError(`name exactly one node to remove\n${removeUsage}`);
  const url = defaultUrl(values.url);
  printStaged(await requestJson('POST', `${url}/v1/cluster/remove`, { node: positionals[0] }), url);
}

interface PlanBody {
  version: number;
  staged: { action: string; name?: string; node?: { name: string } }[];
  moves: { partition: number; from: string; to: string }[];
  transfers: { partition: number; from: string; to: string; keys: number | null; bytes: number | null }[];
  totals: { transfers: number; keys: number; bytes: number; unknownSizes: number };
}

export async function planCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, json: { type: 'boolean' } }, planUsage);
  const plan = (await requestJson('GET', `${defaultUrl(values.url)}/v1/cluster/plan`)) as PlanBody;
  if (values.json) return void process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  console.log(`plan from ring version ${plan.version}: ${plan.staged.map((c) => `${c.action} ${c.name ?? c.node?.name}`).join(', ')}\n`);
  console.log(`${plan.moves.length} partitions change owner:`);
  console.log(table([['PARTITION', 'OWNER NOW', 'OWNER NEXT'], ...plan.moves.map((m) => [String(m.partition), m.from, m.to])]));
  console.log(`\n${plan.totals.transfers} transfers (every new replica of a partition gets one):`);
  const rows = plan.transfers.map((t) => [String(t.partition), t.from, t.to, t.keys === null ? '?' : String(t.keys), t.bytes === null ? '?' : String(t.bytes)]);
  console.log(table([['PARTITION', 'FROM', 'TO', 'KEYS', 'BYTES'], ...rows]));
  const unknown = plan.totals.unknownSizes > 0 ? ` (${plan.totals.unknownSizes} transfers' senders did not answer)` : '';
  console.log(`\ntotal: ${plan.totals.keys} keys, ${plan.totals.bytes} bytes${unknown}`);
}

export async function commitCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' } }, commitUsage);
  const url = defaultUrl(values.url);
  const result = (await requestJson('POST', `${url}/v1/cluster/commit`)) as { version: number; transfers: number };
  console.log(`committed: ring version ${result.version}, ${result.transfers} transfers to run (kvorum transfers --url ${url})`);
}

export async function clearCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' } }, clearUsage);
  const url = defaultUrl(values.url);
  await requestJson('DELETE', `${url}/v1/cluster/staged`);
  console.log(`cleared: nothing is staged on ${url} now`);
}

export async function abortCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' } }, abortUsage);
  const url = defaultUrl(values.url);
  const result = (await requestJson('POST', `${url}/v1/cluster/abort`)) as { version: number };
  console.log(`aborted: ring version ${result.version}; the previous owners serve every partition`);
  console.log(`(had every transfer already completed somewhere, the change stands instead: kvorum status --url ${url} shows which)`);
}

interface TransfersBody {
  node: string;
  version: number;
  pending: { id: string; partition: number; from: string; to: string; completed: boolean }[];
  local: { id: string; state: string; keysSent: number; bytesSent: number; chunksSent: number }[];
}

export async function transfersCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, json: { type: 'boolean' } }, transfersUsage);
  const url = defaultUrl(values.url);
  const cluster = (await requestJson('GET', `${url}/v1/cluster`)) as { nodes: { name: string; httpUrl: string }[] };
  const reports = await Promise.all(cluster.nodes.map((node) => requestJson('GET', `${node.httpUrl}/v1/transfers`).catch(() => null)));
  const answered = reports.filter((report): report is TransfersBody => report !== null);
  if (values.json) return void process.stdout.write(`${JSON.stringify(answered, null, 2)}\n`);
  const own = answered.find((report) => report.node === cluster.nodes[0]?.name) ?? answered[0];
  const pending = own?.pending ?? [];
  if (pending.length === 0) console.log(`no membership change running (ring version ${own?.version ?? '?'})`);
  else console.log(`ring version ${own?.version}: ${pending.filter((t) => t.completed).length} of ${pending.length} transfers done`);
  const progress = new Map(answered.flatMap((report) => report.local.map((local) => [local.id, local] as const)));
  const rows = pending.map((t) => {
    const local = progress.get(t.id);
    return [String(t.partition), t.from, t.to, t.completed ? 'done' : (local?.state ?? 'waiting'), String(local?.keysSent ?? 0), String(local?.bytesSent ?? 0)];
  });
  if (rows.length > 0) console.log(`\n${table([['PARTITION', 'FROM', 'TO', 'STATE', 'KEYS SENT', 'BYTES SENT'], ...rows])}`);
  const silent = cluster.nodes.length - answered.length;
  if (silent > 0) console.log(`\n(${silent} nodes did not answer)`);
}
