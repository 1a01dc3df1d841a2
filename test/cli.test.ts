/**
 * The `kvorum` command as a user runs it (bin/kvorum.js, the compiled CLI that `npm test` builds
 * first): help on every command, `dev` starting a local cluster of separate processes that keeps
 * running when one is killed and never restarts it, the kv and cluster commands against it, and
 * Ctrl-C stopping every node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from './helpers/cluster.ts';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin', 'kvorum.js');

/**
 * Where the CLI runs: the directory `kvorum dev` was started for (its data dir is ./data there),
 * so that the CLI finds dev's token in ./data/dev-token as it does after `npm start`.
 */
let cliCwd = root;

function kvorum(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: cliCwd, encoding: 'utf8', input, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kvorum --help', () => {
  test('lists the commands, and each command explains itself', () => {
    const top = kvorum(['--help']);
    assert.equal(top.status, 0);
    for (const command of ['dev', 'start', 'get', 'put', 'del', 'status', 'ring', 'top', 'join', 'leave', 'remove', 'plan', 'commit', 'clear', 'transfers', 'abort']) {
      assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
      const help = kvorum([command, '--help']);
      assert.equal(help.status, 0, `${command} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`Usage: kvorum ${command}`));
    }
  });

  test('del --help documents --context, --w and what a delete without a context does', () => {
    const help = kvorum(['del', '--help']);
    assert.match(help.stdout, /--context C/);
    assert.match(help.stdout, /--w W/);
    assert.match(help.stdout, /without --context/i);
  });

  test('--version prints the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const result = kvorum(['--version']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `kvorum ${version}\n`);
  });

  test('an unknown command or flag is a usage error, not a crash', () => {
    assert.equal(kvorum(['frobnicate']).status, 2);
    const bad = kvorum(['get', 'b', 'k', '--bogus']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /bogus/);
  });
});

describe('kvorum token --out', () => {
  test('writes the token and its config entry to files only the owner reads, printing neither', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kvorum-token-')), 'reader');
    const result = kvorum(['token', '--name', 'reader', '--role', 'read:b', '--out', file]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    const token = readFileSync(file, 'utf8').trim();
    const entry = JSON.parse(readFileSync(`${file}.entry`, 'utf8')) as { name: string; sha256: string; roles: string[] };
    assert.deepEqual(entry, { name: 'reader', sha256: createHash('sha256').update(token).digest('hex'), roles: ['read:b'] });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}.entry`).mode & 0o777, 0o600);
  });
});

describe('kvorum dev over ports in use', () => {
  test('refuses to start, naming each port in use and whose it would have been', async () => {
    const [nodePort, httpPort, clientPort] = await freePorts(3);
    // An old node still holds n2's HTTP port.
    const squatter = createServer().listen(httpPort! + 1, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'kvorum-dev-busy-'));
      const ports = ['--node-port', String(nodePort), '--http-port', String(httpPort), '--client-port', String(clientPort)];
      const result = spawnSync(process.execPath, [bin, 'dev', '--data-dir', dataDir, ...ports], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stderr, new RegExp(`ports in use: 127\\.0\\.0\\.1:${httpPort! + 1} \\(n2's HTTP port\\)`));
      assert.doesNotMatch(result.stdout, /nodes up/);
      assert.equal(existsSync(join(dataDir, 'cluster.json')), false, 'no node was started');
    } finally {
      squatter.close();
    }
  });
});

describe('kvorum dev', () => {
  let dev: ChildProcess;
  let output = '';
  let url = '';
  let dataDir = '';
  const pids = new Map<string, number>();

  before(async () => {
    const [nodePort, httpPort, clientPort] = await freePorts(3);
    // dev takes consecutive ports from each base; ports next to a free one are almost always free.
    cliCwd = mkdtempSync(join(tmpdir(), 'kvorum-dev-'));
    dataDir = join(cliCwd, 'data');
    const ports = ['--node-port', String(nodePort), '--http-port', String(httpPort), '--client-port', String(clientPort)];
    dev = spawn(process.execPath, [bin, 'dev', '--data-dir', dataDir, ...ports], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('dev to print its cluster', async () => (output.includes('Ctrl-C stops the cluster') ? true : undefined), 60_000);
    for (const match of output.matchAll(/^\s+(n\d)\s+up\s+http (\S+)\s+client kvorum:\/\/\S+\s+node \S+\s+pid (\d+)$/gm)) {
      pids.set(match[1]!, Number(match[3]));
      if (match[1] === 'n1') url = match[2]!;
    }
  });

  after(async () => {
    if (dev.exitCode === null) dev.kill('SIGKILL');
    for (const pid of pids.values()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  test('starts three node processes and prints how to start each by hand, and a curl example', () => {
    assert.equal(pids.size, 3, output);
    assert.match(output, /3 of 3 nodes up/);
    assert.equal(output.match(/node \S*bin\/kvorum\.js start --config \S+ --name n\d/g)?.length, 3);
    assert.match(output, /curl -i -X PUT .*\/v1\/kv\/demo\/greeting/);
    assert.match(output, new RegExp(`Dashboard: ${url}/#token=kvt_`));
  });

  test('a node started again while it runs is refused, because its data dir is in use, and the running one serves on', async () => {
    const command = /node (\S*bin\/kvorum\.js) start --config (\S+) --name n2/.exec(output);
    assert.ok(command, output);
    const again = spawnSync(process.execPath, [command[1]!, 'start', '--config', command[2]!, '--name', 'n2'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout + again.stderr, /data dir \S+ is in use by another node process/);
    assert.ok(isAlive(pids.get('n2')!), 'the running n2 was not disturbed');
  });

  test('dev made an admin token: printed, in DATA_DIR/dev-token for its owner only, and its nodes refuse a request without it', async () => {
    const token = readFileSync(join(dataDir, 'dev-token'), 'utf8').trim();
    assert.match(token, /^kvt_[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(join(dataDir, 'dev-token')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'node-token')).mode & 0o777, 0o600);
    assert.ok(output.includes(`Dashboard: ${url}/#token=${token}`), output);
    assert.ok(output.includes(`curl -i -X PUT -H "Authorization: Bearer ${token}"`), output);
    assert.doesNotMatch(readFileSync(join(dataDir, 'cluster.json'), 'utf8'), new RegExp(token), 'the config holds hashes only');
    for (const nodeUrl of [...output.matchAll(/^\s+n\d\s+up\s+http (\S+)/gm)].map((match) => match[1]!)) {
      // Refused before its body is read, a request's connection is closed: none is kept for the next.
      const refused = await fetch(`${nodeUrl}/v1/kv/demo/token-check`, { method: 'PUT', body: 'v', headers: { connection: 'close' } });
      assert.equal(refused.status, 401, `${nodeUrl} without a token`);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unauthorized');
      const wrong = await fetch(`${nodeUrl}/v1/kv/demo/token-check`, { method: 'PUT', body: 'v', headers: { authorization: 'Bearer kvt_not-the-token', connection: 'close' } });
      assert.equal(wrong.status, 401, `${nodeUrl} with another token`);
      const accepted = await fetch(`${nodeUrl}/v1/kv/demo/token-check`, { method: 'PUT', body: 'v', headers: { authorization: `Bearer ${token}` } });
      assert.equal(accepted.status, 204, `${nodeUrl} with dev's token`);
    }
    // The CLI reads ./data/dev-token by itself; elsewhere it has no token, and is refused.
    assert.equal(kvorum(['get', 'demo', 'token-check', '--url', url]).status, 0);
    const elsewhereDir = mkdtempSync(join(tmpdir(), 'kvorum-elsewhere-'));
    const elsewhere = spawnSync(process.execPath, [bin, 'get', 'demo', 'token-check', '--url', url], { cwd: elsewhereDir, encoding: 'utf8', env: { ...process.env, KVORUM_TOKEN: '', KVORUM_TOKEN_FILE: '' }, timeout: 30_000 });
    assert.notEqual(elsewhere.status, 0);
    assert.match(elsewhere.stderr, /unauthorized|token/);
    const byFile = spawnSync(process.execPath, [bin, 'get', 'demo', 'token-check', '--url', url], { cwd: elsewhereDir, encoding: 'utf8', env: { ...process.env, KVORUM_TOKEN: '', KVORUM_TOKEN_FILE: join(dataDir, 'dev-token') }, timeout: 30_000 });
    assert.equal(byFile.status, 0, byFile.stderr);
  });

  test('node logs are readable lines in dev, not JSON', () => {
    const log = readFileSync(join(dataDir, 'n1.log'), 'utf8');
    assert.match(log, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: n1: node started \{"actor":/m);
    assert.doesNotMatch(log, /^\{"level"/m);
  });

  test('kvorum top shows members, load, latency, hints and transfers', () => {
    for (let i = 0; i < 5; i++) assert.equal(kvorum(['put', 'demo', `top-${i}`, 'v', '--url', url]).status, 0);
    const top = kvorum(['top', '--once', '--url', url]);
    assert.equal(top.status, 0, top.stderr);
    assert.match(top.stdout, /kvorum top — cluster kvorum-dev as n1 sees it/);
    assert.match(top.stdout, /NODE\s+SEEN AS\s+MEMBERSHIP\s+OPS\/S\s+GET P50\/P99 MS\s+PUT P50\/P99 MS/);
    for (const name of ['n1', 'n2', 'n3']) assert.match(top.stdout, new RegExp(`^${name}\\s+(self|up)\\s+valid`, 'm'));
    assert.match(top.stdout, /^transfers: none running$/m);
    assert.match(top.stdout, /latest events:/);
  });

  test('each node it reports up is the process it started: /health names that pid', async () => {
    const urls = [...output.matchAll(/^\s+(n\d)\s+up\s+http (\S+)/gm)].map((match) => [match[1]!, match[2]!] as const);
    assert.equal(urls.length, 3);
    for (const [name, nodeUrl] of urls) {
      // The pid is shown to a caller that may monitor: dev's token may.
      const token = readFileSync(join(dataDir, 'dev-token'), 'utf8').trim();
      const health = (await (await fetch(`${nodeUrl}/health`, { headers: { authorization: `Bearer ${token}` } })).json()) as { node: string; pid: number; incarnation: string };
      assert.equal(health.node, name);
      assert.equal(health.pid, pids.get(name));
      assert.match(health.incarnation, /^[0-9a-f]{8}$/);
    }
  });

  test('put, get, del, status and ring work against it', () => {
    const put = kvorum(['put', 'demo', 'greeting', 'hello', '--url', url]);
    assert.equal(put.status, 0, put.stderr);
    const got = kvorum(['get', 'demo', 'greeting', '--url', url]);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout.trim(), 'hello');
    const context = /context: (\S+)/.exec(got.stderr)?.[1];
    assert.ok(context, got.stderr);
    assert.equal(kvorum(['del', 'demo', 'greeting', '--context', context, '--url', url]).status, 0);
    assert.equal(kvorum(['get', 'demo', 'greeting', '--url', url]).status, 3, 'not found after the delete');
    // Without --context, del reads the key and deletes what it read.
    assert.equal(kvorum(['put', 'demo', 'blind', 'hello', '--url', url]).status, 0);
    const blind = kvorum(['del', 'demo', 'blind', '--url', url]);
    assert.equal(blind.status, 0, blind.stderr);
    assert.equal(kvorum(['get', 'demo', 'blind', '--url', url]).status, 3, 'not found after a del without --context');
    const status = kvorum(['status', '--url', url]);
    assert.equal(status.status, 0, status.stderr);
    for (const name of ['n1', 'n2', 'n3']) assert.match(status.stdout, new RegExp(name));
    const ring = kvorum(['ring', '--url', url]);
    assert.equal(ring.status, 0, ring.stderr);
    assert.match(ring.stdout, /n1/);
  });

  test('get prints JSON, binary, empty and text values exactly as put', () => {
    const cases: [string, Buffer, string][] = [
      ['json', Buffer.from('{"a":1}\n'), 'application/json'],
      ['binary', Buffer.from([0, 0xff, 0xfe, 0x80]), 'application/octet-stream'],
      ['empty', Buffer.alloc(0), 'application/octet-stream'],
      ['text', Buffer.from('plain words'), 'text/plain'],
    ];
    for (const [key, value, type] of cases) {
      const put = spawnSync(process.execPath, [bin, 'put', 'values', key, '-', '--content-type', type, '--url', url], { cwd: cliCwd, input: value, timeout: 30_000 });
      assert.equal(put.status, 0, `${key}: ${put.stderr}`);
      const got = spawnSync(process.execPath, [bin, 'get', 'values', key, '--url', url], { cwd: cliCwd, timeout: 30_000 });
      assert.equal(got.status, 0, `${key}: ${got.stderr}`);
      assert.deepEqual(got.stdout, value, key);
    }
  });

  test('put --many and get of several keys write and read many keys at once, each with its own result', () => {
    const input = [
      JSON.stringify({ key: 'm1', value: 'one' }),
      JSON.stringify({ key: 'm2', valueBase64: Buffer.from([0, 255]).toString('base64'), contentType: 'application/octet-stream' }),
      JSON.stringify({ key: 'k'.repeat(2000), value: 'key too long' }),
    ].join('\n');
    const put = spawnSync(process.execPath, [bin, 'put', 'many', '--many', '--url', url], { cwd: cliCwd, input, encoding: 'utf8', timeout: 30_000 });
    assert.equal(put.status, 1, 'one key failed');
    const written = put.stdout.trim().split('\n').map((line) => JSON.parse(line) as { key: string; context?: string; error?: { code: string } });
    assert.deepEqual(written.map((line) => line.context !== undefined || line.error?.code), [true, true, 'bad_key']);
    const got = kvorum(['get', 'many', 'm1', 'm2', 'nothing', '--url', url]);
    assert.equal(got.status, 0, got.stderr);
    const lines = got.stdout.trim().split('\n').map((line) => JSON.parse(line) as { key: string; siblings: { value?: string; valueBase64?: string }[] });
    assert.deepEqual(lines.map((line) => [line.key, line.siblings]), [
      ['m1', [{ value: 'one', contentType: 'text/plain; charset=utf-8' }]],
      ['m2', [{ valueBase64: 'AP8=', contentType: 'application/octet-stream' }]],
      ['nothing', []],
    ]);
  });

  test('on a terminal, get ends its output with one newline', () => {
    // script(1) gives the command a pseudo-terminal; the terminal turns \n into \r\n.
    const onTerminal = (key: string) =>
      spawnSync('script', ['-qec', `${shellWord(process.execPath)} ${shellWord(bin)} get values ${key} --url ${url} 2>/dev/null`, '/dev/null'], { cwd: cliCwd, encoding: 'utf8', timeout: 30_000 });
    const text = onTerminal('text');
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stdout, 'plain words\r\n');
    const json = onTerminal('json');
    assert.equal(json.stdout, '{"a":1}\r\n', 'a value that ends with a newline gets no second one');
  });

  test('clear drops a staged change', () => {
    const leave = kvorum(['leave', '--url', url]);
    assert.equal(leave.status, 0, leave.stderr);
    assert.match(leave.stdout, /kvorum clear --url/);
    const clear = kvorum(['clear', '--url', url]);
    assert.equal(clear.status, 0, clear.stderr);
    const plan = kvorum(['plan', '--url', url]);
    assert.notEqual(plan.status, 0, 'nothing is staged any more');
    assert.match(plan.stderr, /nothing|no change/i);
  });

  test('a killed node is reported and not restarted; the others keep serving', async () => {
    const pid = pids.get('n2')!;
    process.kill(pid, 'SIGKILL');
    await waitFor('dev to report n2', async () => (output.includes('node n2 was killed by SIGKILL') ? true : undefined));
    assert.match(output, /n1, n3 keep running\. Restart n2 by hand with:/);
    assert.equal(kvorum(['put', 'demo', 'after-kill', 'still here', '--url', url]).status, 0);
    assert.equal(kvorum(['get', 'demo', 'after-kill', '--url', url]).stdout.trim(), 'still here');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const status = kvorum(['status', '--url', url]);
    assert.match(status.stdout, /n2\b.*down/, 'n2 stays down: dev did not restart it');
    assert.match(kvorum(['top', '--once', '--url', url]).stdout, /^n2\s+down \(no status\)/m);
  });

  test('Ctrl-C stops every node and dev exits cleanly', async () => {
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(output, /all nodes stopped/);
    for (const [name, pid] of pids) assert.equal(isAlive(pid), false, `${name} (pid ${pid}) still running`);
  });
});
