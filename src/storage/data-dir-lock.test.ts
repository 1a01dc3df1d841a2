import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'kvorum-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(root, `d${dirs++}`);
  mkdirSync(dir);
  return dir;
};

/** A child process holding the lock of `dir` until it is killed; resolves once it holds it. */
async function lockInChild(dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('${join(import.meta.dirname, 'data-dir-lock.ts')}').then(async (m) => { await m.lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  return child;
}

describe('data dir lock', () => {
  test('a second claim on a data dir in use is refused, however its path is spelled, even when both are made at once', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir);
    await assert.rejects(lockDataDir(dir), { code: 'bad_config', message: /in use by another node process/ });
    const link = join(root, `link-${dirs}`);
    symlinkSync(dir, link);
    await assert.rejects(lockDataDir(link), { code: 'bad_config' });
    await lock.release();
    const other = freshDir();
    const both = await Promise.allSettled([lockDataDir(other), lockDataDir(other)]);
    assert.deepEqual(both.map((claim) => claim.status).sort(), ['fulfilled', 'rejected']);
    for (const claim of both) if (claim.status === 'fulfilled') await claim.value.release();
  });

  test('held by another process, it is refused; once that process is killed (kill -9), it is free', async () => {
    const dir = freshDir();
    const child = await lockInChild(dir);
    await assert.rejects(lockDataDir(dir), { code: 'bad_config' });
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  test('released, it can be taken again', async () => {
    const dir = freshDir();
    await (await lockDataDir(dir)).release();
    await (await lockDataDir(dir)).release();
  });
});
