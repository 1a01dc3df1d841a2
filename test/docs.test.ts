/**
 * The commands of README.md and docs/membership.md, run exactly as written (issue 12 §2): the
 * quick start against `npm start`'s cluster, a node joining it as docs/membership.md shows —
 * with no cluster name of its own, it learns `kvorum-dev` from its seed — then a leave and the
 * removal of a dead node, and the README's real cluster grown by its commands. They name fixed
 * addresses (127.0.0.1:7001…, 10.0.0.1…), so they run in a network namespace of their own
 * (`unshare -n`, which needs root, as CI has), where those addresses are free whatever else runs
 * on the machine: test/helpers/docs-driver.ts. Without unshare the test is skipped, saying why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;

test('the documented commands work exactly as written', { skip: canUnshare ? false : 'needs `unshare -n` (root) for a network namespace of its own' }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'kvorum-docs-'));
  const driver = spawn('unshare', ['-n', process.execPath, '--import', 'tsx', join(root, 'test', 'helpers', 'docs-driver.ts'), work], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: everything it started is killed with it below
  });
  let output = '';
  driver.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  driver.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => driver.kill('SIGKILL'), 240_000);
  const status = await new Promise<number | null>((resolve) => driver.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  try {
    process.kill(-driver.pid!, 'SIGKILL');
  } catch {
    // the group is gone already
  }
  if (process.env.KVORUM_TEST_KEEP === '1') console.error(`kept the docs test's files in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  assert.equal(status, 0, output);
  assert.match(output, /every command ran as written/);
});
