/**
 * `kvorum top`: the dashboard in a terminal. Once a second it reads GET /v1/dashboard of one
 * node (the cluster as that node sees it, with every member's own report) and redraws in place:
 * members and how the node sees them, requests per second, get and put latency, hints held and
 * draining, transfers of a membership change, and the latest events.
 */
import { KvorumError } from '../../core/errors.ts';
import type { ClusterSnapshot } from '../../runtime/dashboard/cluster-feed.ts';
import { defaultUrl, integerFlag, parseCommand } from '../args.ts';
import { cliFetch } from '../credentials.ts';
import { table } from './cluster.ts';

const usage = `
Usage: kvorum top [--url URL] [--interval MS] [--once]

A live view of the cluster as the node at URL (default $KVORUM_URL or http://127.0.0.1:8001) sees
it, redrawn in place every --interval milliseconds (default 1000) until Ctrl-C: each member, how
that node's failure detector sees it, requests per second, get and put latency (p50/p99 over the
last second), hints held for it and draining, partition transfers, and the latest events. --once
prints one view and exits (also what happens when stdout is not a terminal).

Where tokens are checked it needs one that may monitor: KVORUM_TOKEN, KVORUM_TOKEN_FILE, or
./data/dev-token (what kvorum dev writes); KVORUM_CA for TLS (docs/security.md).
`;

const eventsShown = 6;

export async function topCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, interval: { type: 'string' }, once: { type: 'boolean' } }, usage);
  const url = defaultUrl(values.url);
  const intervalMs = integerFlag('interval', values.interval) ?? 1000;
  const live = values.once !== true && process.stdout.isTTY === true;
  if (!live) {
    process.stdout.write(`${renderTop(await fetchSnapshot(url), url)}\n`);
    return;
  }
  // The alternate screen: redraws do not scroll, and the terminal is as it was after Ctrl-C.
  process.stdout.write('\x1b[?1049h\x1b[?25l');
  const restore = () => process.stdout.write('\x1b[?25h\x1b[?1049l');
  process.once('SIGINT', () => {
    restore();
    process.exit(0);
  });
  for (;;) {
    let frame: string;
    try {
      frame = renderTop(await fetchSnapshot(url), url);
    } catch (error) {
      frame = `kvorum top — ${url}\n\n${(error as Error).message}\n(retrying every ${intervalMs} ms; Ctrl-C quits)`;
    }
    process.stdout.write(`\x1b[H\x1b[2J${frame}\n`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function fetchSnapshot(url: string): Promise<ClusterSnapshot> {
  let response: Response;
  try {
    response = await cliFetch(`${url}/v1/dashboard`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new KvorumError('unavailable', `cannot reach ${url}: ${(error as Error).message}`);
  }
  if (response.status === 401 || response.status === 403) {
    const code = response.status === 401 ? 'unauthorized' : 'forbidden';
    throw new KvorumError(code, `${url}/v1/dashboard: HTTP ${response.status}: kvorum top needs a token that may monitor (KVORUM_TOKEN or KVORUM_TOKEN_FILE; docs/security.md)`);
  }
  if (!response.ok) throw new KvorumError('unavailable', `${url}/v1/dashboard: HTTP ${response.status}`);
  return (await response.json()) as ClusterSnapshot;
}

const fixed = (value: number | null | undefined, digits = 1): string => (value === null || value === undefined ? '-' : value.toFixed(digits));

/** One frame of `kvorum top` (exported for tests). */
export function renderTop(snapshot: ClusterSnapshot, url: string): string {
  const lines: string[] = [];
  const time = new Date(snapshot.atMs).toLocaleTimeString();
  const ring = snapshot.ring;
  lines.push(`kvorum top — cluster ${snapshot.clusterName} as ${snapshot.self} sees it (${url}) — ring v${ring.version}, ${ring.partitionCount} partitions${ring.transition ? ', changing' : ''} — ${time}`, '');
  const held = (name: string) => snapshot.nodes.reduce((sum, node) => sum + (node.report?.node.hints.pendingByOwner[name] ?? 0), 0);
  const rows = [['NODE', 'SEEN AS', 'MEMBERSHIP', 'OPS/S', 'GET P50/P99 MS', 'PUT P50/P99 MS', 'INFLIGHT', 'HINTS HELD', 'HINTS FOR IT']];
  for (const node of snapshot.nodes) {
    const history = node.report?.activity.history ?? [];
    const p = history[history.length - 1];
    const ops = p ? p.getPerSecond + p.putPerSecond + p.deletePerSecond : null;
    rows.push([
      node.name,
      node.reachability + (node.report ? '' : ' (no status)'),
      node.membership,
      fixed(ops),
      `${fixed(p?.getP50Ms, 2)}/${fixed(p?.getP99Ms, 2)}`,
      `${fixed(p?.putP50Ms, 2)}/${fixed(p?.putP99Ms, 2)}`,
      node.report ? String(node.report.node.inflight) : '-',
      node.report ? `${node.report.node.hints.pending}${p && p.hintsDelivered > 0 ? ` (-${p.hintsDelivered}/s)` : ''}` : '-',
      String(held(node.name)),
    ]);
  }
  lines.push(table(rows), '');
  const self = snapshot.nodes.find((node) => node.name === snapshot.self)?.report;
  const pending = self?.node.transfers.pending ?? [];
  if (pending.length > 0) {
    const done = pending.filter((t) => t.completed).length;
    const width = 30;
    const filled = Math.round((width * done) / pending.length);
    lines.push(`transfers: ${done}/${pending.length} done [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
    for (const node of snapshot.nodes) {
      for (const t of node.report?.node.transfers.local ?? []) if (t.state !== 'done') lines.push(`  partition ${t.partition} ${t.from} → ${t.to}: ${t.state}, ${t.keysSent} keys sent`);
    }
  } else lines.push('transfers: none running');
  for (const node of snapshot.nodes) if (node.report === null) lines.push(`${node.name}: no status (${node.error ?? 'unreachable'})`);
  lines.push('', 'latest events:');
  for (const event of snapshot.events.slice(-eventsShown).reverse()) lines.push(`  ${new Date(event.atMs).toLocaleTimeString()} ${event.node}  ${event.text}`);
  return lines.join('\n');
}
