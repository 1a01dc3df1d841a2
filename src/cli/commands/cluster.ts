/** `kvorum status` and `kvorum ring`: what a node knows of its cluster. */
import { KvorumError, isErrorCode } from '../../core/errors.ts';
import { defaultUrl, parseCommand } from '../args.ts';
import { cliFetch } from '../credentials.ts';

const statusUsage = `
Usage: kvorum status [--url URL] [--json]

Lists the cluster's nodes as the node at URL sees them: name, status (reachable from that node),
membership (joining, valid, leaving), addresses, partitions owned; and the ring version.
`;

const ringUsage = `
Usage: kvorum ring [--url URL] [--json]

Prints every partition of the ring with its owner and preference list.
`;

async function fetchJson(url: string): Promise<unknown> {
  let response: Awaited<ReturnType<typeof cliFetch>>;
  try {
    response = await cliFetch(url);
  } catch (error) {
    throw new KvorumError('unavailable', `cannot reach ${url}: ${(error as Error).message}`);
  }
  const body = (await response.json()) as unknown;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } }).error;
    throw new KvorumError(isErrorCode(error?.code) ? error.code : 'internal', `${url}: HTTP ${response.status} ${error?.message ?? ''}`);
  }
  return body;
}

/** Rows as aligned columns (the first row is the header). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

export async function statusCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, json: { type: 'boolean' } }, statusUsage);
  const url = defaultUrl(values.url);
  const cluster = (await fetchJson(`${url}/v1/cluster`)) as {
    clusterName: string;
    node: string;
    version?: number;
    transition?: boolean;
    nodes: { name: string; status: string; membership?: string; httpUrl: string; address: string; partitions: number }[];
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(cluster, null, 2)}\n`);
    return;
  }
  const ring = cluster.version === undefined ? '' : `, ring version ${cluster.version}${cluster.transition ? ' (partitions transferring: kvorum transfers)' : ''}`;
  console.log(`cluster ${cluster.clusterName}, as seen by ${cluster.node}${ring}\n`);
  const rows = [['NODE', 'STATUS', 'MEMBERSHIP', 'HTTP', 'NODE ADDRESS', 'PARTITIONS']];
  for (const node of cluster.nodes) rows.push([node.name, node.status, node.membership ?? 'valid', node.httpUrl, node.address, String(node.partitions)]);
  console.log(table(rows));
}

export async function ringCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, json: { type: 'boolean' } }, ringUsage);
  const url = defaultUrl(values.url);
  const ring = (await fetchJson(`${url}/v1/ring`)) as {
    version: number;
    partitionCount: number;
    n: number;
    partitions: { partition: number; owner: string; preferenceList: string[] }[];
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(ring, null, 2)}\n`);
    return;
  }
  console.log(`ring version ${ring.version}: ${ring.partitionCount} partitions, preference lists of ${ring.n}\n`);
  const rows = [['PARTITION', 'OWNER', 'PREFERENCE LIST']];
  for (const p of ring.partitions) rows.push([String(p.partition), p.owner, p.preferenceList.join(' ')]);
  console.log(table(rows));
}
