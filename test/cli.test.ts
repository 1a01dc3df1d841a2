/**
 * The `kvorum` command as a user runs it (bin/kvorum.js, the compiled CLI that `npm test` builds
 * first): help on every command, `dev` starting a local cluster of separate processes that keeps
 * running when one is killed and never restarts it, the kv and cluster commands against it, and
 * Ctrl-C stopping every node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from './helpers/cluster.ts';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin', 'kvorum.js');

function kvorum(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', input, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
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
    for (const command of ['dev', 'start', 'get', 'put', 'del', 'status', 'ring', 'top', 'join', 'leave', 'remove', 'plan', 'commit', 'transfers']) {
      assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
      const help = kvorum([command, '--help']);
      assert.equal(help.status, 0, `${command} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`Usage: kvorum ${command}`));
    }
  });

  test('an unknown command or flag is a usage error, not a crash', () => {
    assert.equal(kvorum(['frobnicate']).status, 2);
    const bad = kvorum(['get', 'b', 'k', '--bogus']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /bogus/);
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
    dataDir = mkdtempSync(join(tmpdir(), 'kvorum-dev-'));
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
    assert.match(output, new RegExp(`Dashboard: ${url}/`));
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
    const status = kvorum(['status', '--url', url]);
    assert.equal(status.status, 0, status.stderr);
    for (const name of ['n1', 'n2', 'n3']) assert.match(status.stdout, new RegExp(name));
    const ring = kvorum(['ring', '--url', url]);
    assert.equal(ring.status, 0, ring.stderr);
    assert.match(ring.stdout, /n1/);
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
