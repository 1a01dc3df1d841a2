/**
 * One node process per data dir. LMDB lets processes share an environment, but the write-ahead
 * log (write-ahead-log.ts) must have one writer: a second process would apply it and reuse its
 * segments under the first, overwriting groups the first has acknowledged. A node started by
 * mistake on a data dir in use (a second config naming it, a restart overlapping the old
 * process) is refused before it opens anything.
 *
 * The lock is a Unix socket in Linux's abstract namespace, named after the data dir's real path:
 * binding it is atomic, a second bind fails while the first lives (in this process or another),
 * and the kernel frees it when the process ends, however it ends — no file left behind to judge
 * stale by a pid that may since be reused. Its reach is the network namespace: containers that
 * share a volume but not a network are not kept apart by it.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { KvorumError } from '../core/errors.ts';

export interface DataDirLock {
  release(): Promise<void>;
}

/** The abstract socket name of a data dir (Linux allows 107 bytes; a digest keeps it short). */
async function dataDirLockName(dir: string): Promise<string> {
  const digest = createHash('sha256').update(await realpath(dir)).digest('hex').slice(0, 32);
  return `\0kvorum-data-dir-${digest}`;
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const name = await dataDirLockName(dir);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new KvorumError('bad_config', `data dir ${dir} is in use by another node process (one node per data dir): stop it, or give this node another --data-dir`, { dataDir: dir }));
      } else reject(error);
    });
    server.listen(name, () => resolve());
  });
  // The lock must not keep the process alive by itself.
  server.unref();
  return { release: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}
