import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirLockFileName, lockDataDir } from './data-dir-lock.ts';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kvorum-lock-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('data dir lock', () => {
  test('a second claim on a data dir in use is refused, by this process or another live one', async () => {
    const dir = freshDir();
    const lock = await lockDataDir(dir);
    await assert.rejects(lockDataDir(dir), { code: 'bad_config', message: new RegExp(`in use by process ${process.pid}`) });
    await lock.release();
    assert.equal(existsSync(join(dir, dataDirLockFileName)), false);
    const other = freshDir();
    writeFileSync(join(other, dataDirLockFileName), `${process.ppid}\n`);
    await assert.rejects(lockDataDir(other), { code: 'bad_config', message: new RegExp(`in use by process ${process.ppid}`) });
  });

  test('a lock left by a process that is gone (a crash) is taken over', async () => {
    const dir = freshDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, dataDirLockFileName), `${gone}\n`);
    const lock = await lockDataDir(dir);
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });
});
