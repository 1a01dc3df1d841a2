/**
 * One node process per data dir. LMDB lets processes share an environment, but the write-ahead
 * log (write-ahead-log.ts) must have one writer: a second process would apply it and reuse its
 * segments under the first, overwriting groups the first has acknowledged. A node started by
 * mistake on a data dir in use (a second config naming it, a restart overlapping the old
 * process) is refused before it opens anything.
 *
 * The lock is a file holding the owner's pid, created exclusively. A lock left by a process that
 * is gone (a crash) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KvorumError } from '../core/errors.ts';

export const dataDirLockFileName = 'kvorum.lock';

/** Data dirs locked by this process: a pid in the file cannot tell two runtimes of one process apart. */
const lockedHere = new Set<string>();

export interface DataDirLock {
  release(): Promise<void>;
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, dataDirLockFileName);
  if (lockedHere.has(path)) throw inUse(dir, process.pid);
  for (let attempt = 1; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 1) throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) throw inUse(dir, owner);
      await rm(path, { force: true });
    }
  }
  lockedHere.add(path);
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      lockedHere.delete(path);
      await rm(path, { force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists and belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(dir: string, pid: number): KvorumError {
  return new KvorumError('bad_config', `data dir ${dir} is in use by process ${pid}: one node per data dir (stop that process, or give this node another --data-dir)`, {
    dataDir: dir,
    pid,
  });
}
