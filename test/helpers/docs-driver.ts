/**
 * Runs the commands of README.md and docs/membership.md exactly as written (issue 12 §2), inside
 * a network namespace of its own (test/docs.test.ts starts it under `unshare -n`): there the
 * documented addresses — 127.0.0.1:7001… of `npm start`, 10.0.0.1… of the README's real cluster —
 * are this run's alone, whatever else runs on the machine.
 *
 * The documented blocks are found by the marker comment before them
 * (`<!-- test/docs.test.ts: NAME -->`). A line `kvorum start …` runs in the background until the
 * node answers; every other line runs with `sh` and must exit 0. `kvorum` on the PATH is this
 * checkout's bin/kvorum.js. Between blocks the driver waits, as an operator would, for the
 * change to finish. Everything it starts it kills. Exit status 0 when every step passed; the
 * log on stdout says what ran.
 *
 *   node --import tsx test/helpers/docs-driver.ts WORK_DIR
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { waitFor } from './cluster.ts';

const root = new URL('../..', import.meta.url).pathname;
const work = process.argv[2] ?? '';
if (work === '') throw new Error('usage: docs-driver.ts WORK_DIR');

const started: ChildProcess[] = [];
const binDir = join(work, 'bin');
const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
for (const name of Object.keys(env)) if (name.startsWith('KVORUM_')) delete env[name]; // the docs' commands, and nothing else

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  throw new Error(message);
}

/** The lines of the code block after `<!-- test/docs.test.ts: NAME -->` in `file`, continuations joined. */
function block(file: string, name: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const marker = `<!-- test/docs.test.ts: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) fail(`${file} has no block marked ${name}`);
  const match = /```\w*\n([\s\S]*?)```/.exec(text.slice(at + marker.length));
  if (match === null) fail(`${file}: no code block after the marker ${name}`);
  return match[1]!
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

function sh(line: string, cwd: string, extraEnv: Record<string, string> = {}): string {
  log(`$ ${line}`);
  const result = spawnSync('sh', ['-c', line], { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  for (const out of output.trimEnd().split('\n')) log(`  ${out}`);
  if (result.status !== 0) fail(`"${line}" exited with ${result.status ?? result.signal}`);
  return result.stdout;
}

function background(line: string, cwd: string, logName: string, extraEnv: Record<string, string> = {}): ChildProcess {
  log(`$ ${line} &`);
  const child = spawn('sh', ['-c', `exec ${line} >${logName} 2>&1`], { cwd, env: { ...env, ...extraEnv }, stdio: 'ignore' });
  started.push(child);
  return child;
}

/** Waits for `probe` a minute at most: transitions of an empty cluster take seconds. */
function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, probe, 60_000);
}

interface ClusterBody {
  readonly node: string;
  readonly clusterName: string;
  readonly ready: boolean;
  readonly transition: boolean;
  readonly removed: readonly string[];
  readonly nodes: readonly { readonly name: string; readonly membership: string }[];
}

/** `kvorum dev`'s admin token, once it has made one: its nodes check tokens. */
let devToken: string | undefined;

async function cluster(url: string): Promise<ClusterBody> {
  const headers: Record<string, string> = devToken === undefined ? {} : { authorization: `Bearer ${devToken}` };
  return (await (await fetch(`${url}/v1/cluster`, { headers, signal: AbortSignal.timeout(5_000) })).json()) as ClusterBody;
}

/** Waits, as an operator would, until the node at `url` sees no change running and `check` holds. */
async function settled(url: string, what: string, check: (body: ClusterBody) => boolean): Promise<ClusterBody> {
  const body = await until(what, async () => {
    const seen = await cluster(url);
    return !seen.transition && check(seen) ? seen : undefined;
  });
  log(`  (${what}: ring of ${body.nodes.map((node) => `${node.name} ${node.membership}`).join(', ')})`);
  return body;
}

/**
 * Runs a block: `kvorum start` lines in the background (until the node answers `/v1/cluster`,
 * through `cluster`), the rest with sh.
 */
async function runBlock(lines: readonly string[], cwd: string, extraEnv: Record<string, string> = {}, asked: (url: string) => Promise<ClusterBody> = cluster): Promise<string> {
  let output = '';
  for (const line of lines) {
    if (/^kvorum start\b/.test(line)) {
      const name = /--name (\S+)/.exec(line)?.[1] ?? fail(`no --name in ${line}`);
      const http = /--http-address (\S+)/.exec(line)?.[1];
      const child = background(line, cwd, `${name}.log`, extraEnv);
      if (http !== undefined) {
        const url = http.includes('://') ? http : `http://${http}`;
        await until(`${name} to answer at ${url}`, async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${readFileSync(join(cwd, `${name}.log`), 'utf8').slice(-2000)}`);
          return (await asked(url)).node === name ? true : undefined;
        });
      }
    } else {
      output += sh(line, cwd, extraEnv);
    }
  }
  return output;
}

/** `npm start` (kvorum dev), the README's quick start, and every runnable block of docs/membership.md. */
async function devCluster(): Promise<void> {
  const dir = join(work, 'dev');
  mkdirSync(dir, { recursive: true });
  // What `npm start` runs (package.json), from a directory of its own rather than the checkout.
  log('$ kvorum dev &   (what npm start runs)');
  const dev = spawn('kvorum', ['dev'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(dev);
  let devOutput = '';
  dev.stdout?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  dev.stderr?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
  await until('kvorum dev to start its cluster', async () => (devOutput.includes('Ctrl-C stops the cluster') ? true : undefined));
  if (!devOutput.includes('3 of 3 nodes up')) fail(`kvorum dev:\n${devOutput}`);
  const pids = new Map([...devOutput.matchAll(/^\s+(n\d)\s+up\s.*\bpid (\d+)$/gm)].map((match) => [match[1]!, Number(match[2])]));

  devToken = readFileSync(join(dir, 'data', 'dev-token'), 'utf8').trim();
  if (!devOutput.includes(`#token=${devToken}`)) fail(`kvorum dev did not print its token in the dashboard's URL:\n${devOutput}`);

  const quickstart = await runBlock(block('README.md', 'readme-quickstart'), dir);
  if (!quickstart.includes('hello')) fail('the quick start did not read back "hello"');
  if (!/HTTP\/1\.1 401/.test(quickstart)) fail('the quick start\'s request without a token was not refused with 401');

  await runBlock(block('docs/membership.md', 'membership-join'), dir);
  const joined = await settled('http://127.0.0.1:8001', 'n4 to be a member', (body) => body.nodes.some((node) => node.name === 'n4' && node.membership === 'valid'));
  if (joined.clusterName !== 'kvorum-dev') fail(`the cluster is ${joined.clusterName}`);
  const n4 = await cluster('http://127.0.0.1:8004');
  if (n4.clusterName !== 'kvorum-dev') fail(`n4 did not learn the cluster's name: it says ${n4.clusterName}`);

  await runBlock(block('docs/membership.md', 'membership-leave'), dir);
  await settled('http://127.0.0.1:8001', 'n3 to have left', (body) => body.removed.includes('n3'));

  // "n2 is dead": kill it as a crash would.
  const n2 = pids.get('n2') ?? fail('no pid of n2 in the output of kvorum dev');
  log(`$ kill -9 ${n2}   (n2 dies)`);
  process.kill(n2, 'SIGKILL');
  await runBlock(block('docs/membership.md', 'membership-remove'), dir);
  await settled('http://127.0.0.1:8001', 'n2 to be removed', (body) => body.removed.includes('n2'));

  const greeting = sh('curl -s http://127.0.0.1:8004/v1/kv/demo/greeting', dir);
  if (greeting !== 'hello') fail(`after the changes the quick start's key reads ${JSON.stringify(greeting)}`);

  // Ctrl-C stops dev's nodes (n1, n3: n2 is dead); n4 is ours to stop.
  const exited = new Promise((resolve) => dev.once('exit', resolve));
  dev.kill('SIGINT');
  await exited;
  for (const child of started.splice(0)) child.kill('SIGKILL');
}

/** The README's real cluster on 10.0.0.1–3 (addresses of this namespace), secured and grown by its commands. */
async function readmeCluster(): Promise<void> {
  const dir = join(work, 'readme');
  mkdirSync(dir, { recursive: true });
  // The material, as the README makes it: a secret, certificates, an admin token.
  const material = block('README.md', 'readme-material');
  const secret = sh(material[0]!, dir).trim();
  sh(material[1]!, dir);
  const printed = sh(material[2]!, dir);
  const token = /token \(give it to the client; it is shown once\): (\S+)/.exec(printed)?.[1] ?? fail(`no token in: ${printed}`);
  const entry = JSON.parse(printed.trim().split('\n').at(-1)!) as { name: string; sha256: string; roles: string[] };
  // The README's config, its "…" filled in as it says, and a data dir per node: three "machines" share this disk.
  const config = JSON.parse(block('README.md', 'readme-config').join('\n')) as { clusterSecret: string; auth: { tokens: unknown[] }; nodes: { name: string; dataDir: string }[] };
  config.clusterSecret = secret;
  config.auth.tokens = [entry];
  for (const node of config.nodes) node.dataDir = join(dir, 'data', node.name);
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(config, null, 2));
  const [start] = block('README.md', 'readme-start');
  if (start === undefined || !start.includes('--name n1')) fail(`unexpected start block: ${start}`);
  for (const node of config.nodes) background(start.replace('--name n1', `--name ${node.name}`), dir, `${node.name}.log`);
  // The CLI's environment, as the README says; the driver's own requests present the same.
  const cli = { KVORUM_TOKEN: token, KVORUM_CA: 'certs/ca.pem' };
  const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'certs', 'ca.pem')) } });
  const secured = async (url: string): Promise<ClusterBody> =>
    (await (await undiciFetch(`${url}/v1/cluster`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) })).json()) as ClusterBody;
  const urls = [1, 2, 3].map((i) => `https://10.0.0.${i}:8001`);
  await until('the README cluster to be ready', async () => ((await Promise.all(urls.map(secured))).every((body) => body.ready) ? true : undefined));

  await runBlock(block('README.md', 'readme-grow'), dir, cli, secured);
  const grown = await until('n4 to be a member', async () => {
    const body = await secured(urls[0]!);
    return !body.transition && body.nodes.some((node) => node.name === 'n4' && node.membership === 'valid') ? body : undefined;
  });
  log(`  (n4 is a member: ring of ${grown.nodes.map((node) => `${node.name} ${node.membership}`).join(', ')})`);
  await agent.close();
}

async function main(): Promise<void> {
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'kvorum'), `#!/bin/sh\nexec '${process.execPath}' '${join(root, 'bin', 'kvorum.js')}' "$@"\n`);
  chmodSync(join(binDir, 'kvorum'), 0o755);
  sh('ip link set lo up', work);
  for (const i of [1, 2, 3, 4]) sh(`ip addr add 10.0.0.${i}/32 dev lo`, work);
  await devCluster();
  await readmeCluster();
}

main().then(
  () => {
    log('docs: every command ran as written');
    for (const child of started) child.kill('SIGKILL');
    process.exit(0);
  },
  (error: unknown) => {
    log(`docs: FAILED: ${(error as Error).message}`);
    for (const child of started) child.kill('SIGKILL');
    process.exit(1);
  },
);
