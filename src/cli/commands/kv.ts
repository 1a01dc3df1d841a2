/** `kvorum get | put | del`: a request through the TypeScript client (many keys with get and put --many). */
import { readFileSync } from 'node:fs';
import { connect, type PutItem } from '../../client/index.ts';
import { defaultUrl, integerFlag, parseCommand, UsageError } from '../args.ts';
import { cliConnectOptions } from '../credentials.ts';

const common = `
  --url URL        a node's HTTP API (default $KVORUM_URL or http://127.0.0.1:8001)
  --timeout MS     request deadline
A cluster that checks tokens or speaks TLS: KVORUM_TOKEN=kvt_… (or KVORUM_TOKEN_FILE=PATH; by default
./data/dev-token, which kvorum dev writes) and KVORUM_CA=ca.pem (docs/security.md).`;

const getUsage = `
Usage: kvorum get BUCKET KEY [KEY…] [--r R] [--json] [--url URL]

Prints the value (or, with several siblings or --json, a JSON document of all of them) on stdout and
the context to pass to the next put on stderr as "context: …". Exit status 3 when not found.
With several keys, gets them all at once (client getMany: one batch request per 256 keys over
HTTP, pipelined over the binary protocol) and prints one JSON line per key, in order:
{"key", "context", "siblings": [{value (utf8) or valueBase64, contentType}]} or {"key", "error"};
exit status 1 when any key failed.
  --r R            replies to wait for (default: the bucket's r)
  --json           always print JSON {context, siblings:[{value (utf8 or base64), contentType}]}${common}
`;

const putUsage = `
Usage: kvorum put BUCKET KEY VALUE|- [--context C] [--w W] [--content-type T] [--url URL]
       kvorum put BUCKET --many [--w W] [--url URL]

Stores VALUE (or stdin for -) and prints the new version's context. With --many, reads one JSON
object per line on stdin — {"key", "value" (text) or "valueBase64", "contentType"?, "context"?} —
puts them all at once (client putMany) and prints one JSON line per key, {"key", "context"} or
{"key", "error"}; exit status 1 when any key failed.
  --context C      context from the get this write supersedes (omit: concurrent with all)
  --w W            stores to wait for (default: the bucket's w)
  --content-type T (default text/plain; charset=utf-8)${common}
`;

const delUsage = `
Usage: kvorum del BUCKET KEY [--context C] [--w W] [--url URL]

Deletes the key: writes a tombstone that supersedes what the context covers, and prints the
tombstone's context. Without --context the node reads the key first (at the bucket's r) and
deletes exactly the versions that read saw; a value written concurrently that it did not see
survives as a sibling.
  --context C      context from the get whose versions to delete (omit: read the key, then delete
                   what the read returned)
  --w W            stores to wait for (default: the bucket's w)${common}
`;

const kvOptions = {
  url: { type: 'string' },
  timeout: { type: 'string' },
  r: { type: 'string' },
  w: { type: 'string' },
  json: { type: 'boolean' },
  context: { type: 'string' },
  'content-type': { type: 'string' },
  many: { type: 'boolean' },
} as const;

function bucketAndKey(positionals: string[], usage: string, extra = 0): [string, string] {
  if (positionals.length !== 2 + extra) throw new UsageError(`expected ${extra ? 'BUCKET KEY VALUE' : 'BUCKET KEY'}\n${usage.trim()}`);
  return [positionals[0] as string, positionals[1] as string];
}

function printable(value: Uint8Array): string | undefined {
  const text = Buffer.from(value).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(value)) ? text : undefined;
}

/** A value as JSON shows it: text when it is UTF-8, else base64. */
function jsonValue(value: Uint8Array): { value: string } | { valueBase64: string } {
  const text = printable(value);
  return text !== undefined ? { value: text } : { valueBase64: Buffer.from(value).toString('base64') };
}

function errorJson(error: { code: string; message: string }): { code: string; message: string } {
  return { code: error.code, message: error.message };
}

async function getManyCommand(bucket: string, keys: readonly string[], values: Record<string, unknown>): Promise<void> {
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const results = await client.getMany(bucket, keys, { r: integerFlag('r', values.r), timeoutMs: integerFlag('timeout', values.timeout) });
    for (const result of results) {
      if (result.error !== undefined) {
        process.exitCode = 1;
        process.stdout.write(`${JSON.stringify({ key: result.key, error: errorJson(result.error) })}\n`);
        continue;
      }
      const siblings = result.siblings.map((s) => ({ ...jsonValue(s.value), contentType: s.contentType }));
      process.stdout.write(`${JSON.stringify({ key: result.key, context: result.context, siblings })}\n`);
    }
  } finally {
    await client.close();
  }
}

export async function getCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, kvOptions, getUsage);
  if (positionals.length > 2) return getManyCommand(positionals[0] as string, positionals.slice(1), values);
  const [bucket, key] = bucketAndKey(positionals, getUsage);
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const result = await client.get(bucket, key, { r: integerFlag('r', values.r), timeoutMs: integerFlag('timeout', values.timeout) });
    if (result.context) process.stderr.write(`context: ${result.context}\n`);
    if (result.siblings.length === 0) {
      process.stderr.write(`not found: ${bucket}/${key}\n`);
      process.exitCode = 3;
    } else if (result.siblings.length === 1 && !values.json) {
      const value = Buffer.from((result.siblings[0] as { value: Uint8Array }).value);
      process.stdout.write(value);
      // On a terminal the prompt must not run on after the value; piped, the bytes stay exact.
      if (process.stdout.isTTY && value.at(-1) !== 0x0a) process.stdout.write('\n');
    } else {
      const siblings = result.siblings.map((s) => ({ ...jsonValue(s.value), contentType: s.contentType }));
      process.stdout.write(`${JSON.stringify({ context: result.context, siblings }, null, 2)}\n`);
    }
  } finally {
    await client.close();
  }
}

/** One line of `put --many`'s input. */
function putItem(line: string, number: number): PutItem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new UsageError(`line ${number} is not JSON: ${line.slice(0, 80)}`);
  }
  const { key, value, valueBase64, contentType, context } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof key !== 'string') throw new UsageError(`line ${number}: "key" must be a string`);
  if (typeof value !== 'string' && typeof valueBase64 !== 'string') throw new UsageError(`line ${number}: give "value" (text) or "valueBase64"`);
  if (contentType !== undefined && typeof contentType !== 'string') throw new UsageError(`line ${number}: "contentType" must be a string`);
  if (context !== undefined && typeof context !== 'string') throw new UsageError(`line ${number}: "context" must be a string`);
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(valueBase64 as string, 'base64');
  return { key, value: bytes, contentType: contentType ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream'), context };
}

async function putManyCommand(bucket: string, values: Record<string, unknown>): Promise<void> {
  const lines = readFileSync(0, 'utf8').split('\n');
  const items = lines.flatMap((line, i) => (line.trim() === '' ? [] : [putItem(line, i + 1)]));
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const results = await client.putMany(bucket, items, { w: integerFlag('w', values.w), timeoutMs: integerFlag('timeout', values.timeout) });
    for (const result of results) {
      if (result.error !== undefined) process.exitCode = 1;
      const line = result.error !== undefined ? { key: result.key, error: errorJson(result.error) } : { key: result.key, context: result.context };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await client.close();
  }
}

export async function putCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, kvOptions, putUsage);
  if (values.many) {
    if (positionals.length !== 1) throw new UsageError(`expected BUCKET with --many\n${putUsage.trim()}`);
    return putManyCommand(positionals[0] as string, values);
  }
  const [bucket, key] = bucketAndKey(positionals, putUsage, 1);
  const raw = positionals[2] as string;
  const value = raw === '-' ? readFileSync(0) : Buffer.from(raw, 'utf8');
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const { context } = await client.put(bucket, key, value, {
      context: values.context as string | undefined,
      w: integerFlag('w', values.w),
      contentType: (values['content-type'] as string | undefined) ?? 'text/plain; charset=utf-8',
      timeoutMs: integerFlag('timeout', values.timeout),
    });
    process.stdout.write(`${context}\n`);
  } finally {
    await client.close();
  }
}

export async function delCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, kvOptions, delUsage);
  const [bucket, key] = bucketAndKey(positionals, delUsage);
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const { context } = await client.delete(bucket, key, { context: values.context as string | undefined, w: integerFlag('w', values.w), timeoutMs: integerFlag('timeout', values.timeout) });
    process.stdout.write(`${context}\n`);
  } finally {
    await client.close();
  }
}
