/** `kvorum get | put | del`: one request through the TypeScript client. */
import { readFileSync } from 'node:fs';
import { connect } from '../../client/index.ts';
import { defaultUrl, integerFlag, parseCommand, UsageError } from '../args.ts';
import { cliConnectOptions } from '../credentials.ts';

const common = `
  --url URL        a node's HTTP API (default $KVORUM_URL or http://127.0.0.1:8001)
  --timeout MS     request deadline
A cluster that checks tokens or speaks TLS: KVORUM_TOKEN=kvt_… and KVORUM_CA=ca.pem (docs/security.md).`;

const getUsage = `
Usage: kvorum get BUCKET KEY [--r R] [--json] [--url URL]

Prints the value (or, with several siblings or --json, a JSON document of all of them) on stdout and
the context to pass to the next put on stderr as "context: …". Exit status 3 when not found.
  --r R            replies to wait for (default: the bucket's r)
  --json           always print JSON {context, siblings:[{value (utf8 or base64), contentType}]}${common}
`;

const putUsage = `
Usage: kvorum put BUCKET KEY VALUE|- [--context C] [--w W] [--content-type T] [--url URL]

Stores VALUE (or stdin for -) and prints the new version's context.
  --context C      context from the get this write supersedes (omit: concurrent with all)
  --w W            stores to wait for (default: the bucket's w)
  --content-type T (default text/plain; charset=utf-8)${common}
`;

const delUsage = `
Usage: kvorum del BUCKET KEY [--context C] [--w W] [--url URL]

Deletes the key (writes a tombstone that supersedes what the context covers).${common}
`;

const kvOptions = {
  url: { type: 'string' },
  timeout: { type: 'string' },
  r: { type: 'string' },
  w: { type: 'string' },
  json: { type: 'boolean' },
  context: { type: 'string' },
  'content-type': { type: 'string' },
} as const;

function bucketAndKey(positionals: string[], usage: string, extra = 0): [string, string] {
  if (positionals.length !== 2 + extra) throw new UsageError(`expected ${extra ? 'BUCKET KEY VALUE' : 'BUCKET KEY'}\n${usage.trim()}`);
  return [positionals[0] as string, positionals[1] as string];
}

function printable(value: Uint8Array): string | undefined {
  const text = Buffer.from(value).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(value)) ? text : undefined;
}

export async function getCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, kvOptions, getUsage);
  const [bucket, key] = bucketAndKey(positionals, getUsage);
  const client = connect({ nodes: [defaultUrl(values.url)], ...cliConnectOptions() });
  try {
    const result = await client.get(bucket, key, { r: integerFlag('r', values.r), timeoutMs: integerFlag('timeout', values.timeout) });
    if (result.context) process.stderr.write(`context: ${result.context}\n`);
    if (result.siblings.length === 0) {
      process.stderr.write(`not found: ${bucket}/${key}\n`);
      process.exitCode = 3;
    } else if (result.siblings.length === 1 && !values.json) {
      process.stdout.write(Buffer.from((result.siblings[0] as { value: Uint8Array }).value));
      if (process.stdout.isTTY) process.stdout.write('\n');
    } else {
      const siblings = result.siblings.map((s) => {
        const text = printable(s.value);
        return text !== undefined ? { value: text, contentType: s.contentType } : { valueBase64: Buffer.from(s.value).toString('base64'), contentType: s.contentType };
      });
      process.stdout.write(`${JSON.stringify({ context: result.context, siblings }, null, 2)}\n`);
    }
  } finally {
    await client.close();
  }
}

export async function putCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv, kvOptions, putUsage);
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
