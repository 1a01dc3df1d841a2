/** `kvorum keys | buckets | bucket`: listing keys and buckets, and bucket properties, through the client. */
import { connect } from '../../client/index.ts';
import type { BucketProps } from '../../client/types.ts';
import { defaultUrl, integerFlag, parseCommand, UsageError } from '../args.ts';
import { cliConnectOptions } from '../credentials.ts';

const keysUsage = `
Usage: kvorum keys BUCKET [--after KEY] [--limit N] [--url URL]

Prints the bucket's keys, one per line, in order (UTF-8 byte order), a page at a time. A listing
reads one replica of every partition of the ring (the node asked coordinates it), so it costs
about a read of every partition however few keys it prints: fine for tools and small buckets, not
for a request path. It is not a snapshot: keys written or deleted meanwhile may or may not appear.
  --after KEY      start after this key
  --limit N        print at most N keys (default: all)
  --url URL        a node's HTTP API (default $KVORUM_URL or http://127.0.0.1:8001)
  --timeout MS     deadline of each page
`;

const bucketsUsage = `
Usage: kvorum buckets [--url URL]

Prints the names of the buckets that hold keys (tombstones included, until they are collected) or
have properties of their own, one per line. Like 'kvorum keys', it reads every partition.
`;

const bucketUsage = `
Usage: kvorum bucket BUCKET [--n N] [--r R] [--w W] [--pr PR] [--pw PW] [--resolution siblings|lww]
                            [--durability sync|one|buffered] [--url URL]

Prints the bucket's properties; with any option, sets those first (the others keep their values)
while the cluster runs: the change is gossiped to every node and kept on their disks. N may change
only while the bucket holds no keys (bucket_not_empty), and at most to the largest n of the
cluster config. See docs/api.md, "Buckets".
`;

/** Keys fetched per page when printing them all. */
const keysPageSize = 1_000;

export async function keysCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, { url: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' }, timeout: { type: 'string' } }, keysUsage);
  if (positionals.length !== 1) throw new UsageError(`expected BUCKET\n${keysUsage.trim()}`);
  const bucket = positionals[0] as string;
  const limit = integerFlag('limit', values.limit);
  const timeoutMs = integerFlag('timeout', values.timeout);
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    let after = values.after as string | undefined;
    let printed = 0;
    do {
      const pageSize = limit === undefined ? keysPageSize : Math.min(keysPageSize, limit - printed);
      const page = await client.listKeys(bucket, { after, limit: pageSize, timeoutMs });
      if (page.keys.length > 0) process.stdout.write(`${page.keys.join('\n')}\n`);
      printed += page.keys.length;
      after = page.next;
    } while (after !== undefined && (limit === undefined || printed < limit));
  } finally {
    await client.close();
  }
}

export async function bucketsCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { url: { type: 'string' }, timeout: { type: 'string' } }, bucketsUsage);
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const { buckets, truncated } = await client.listBuckets({ timeoutMs: integerFlag('timeout', values.timeout) });
    if (buckets.length > 0) process.stdout.write(`${buckets.join('\n')}\n`);
    if (truncated) process.stderr.write(`(only the first ${buckets.length} buckets: there are more)\n`);
  } finally {
    await client.close();
  }
}

export async function bucketCommand(argv: string[]): Promise<void> {
  const numeric = ['n', 'r', 'w', 'pr', 'pw'] as const;
  const options = {
    url: { type: 'string' },
    ...Object.fromEntries(numeric.map((name) => [name, { type: 'string' }])),
    resolution: { type: 'string' },
    durability: { type: 'string' },
  } as const;
  const { values, positionals } = parseCommand(argv, options, bucketUsage);
  if (positionals.length !== 1) throw new UsageError(`expected BUCKET\n${bucketUsage.trim()}`);
  const bucket = positionals[0] as string;
  const change: Record<string, unknown> = {};
  for (const name of numeric) {
    const value = values[name];
    if (value === undefined) continue;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} must be an integer (got ${String(value)})`);
    change[name] = number;
  }
  if (values.resolution !== undefined) change.resolution = values.resolution;
  if (values.durability !== undefined) change.durability = values.durability;
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const props = Object.keys(change).length > 0 ? await client.setBucketProps(bucket, change as Partial<BucketProps>) : await client.bucketProps(bucket);
    const { n, r, w, pr, pw, resolution, durability } = props;
    console.log(`bucket ${bucket}: n=${n} r=${r} w=${w} pr=${pr} pw=${pw} resolution=${resolution} durability=${durability}`);
  } finally {
    await client.close();
  }
}
