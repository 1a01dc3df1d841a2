/**
 * Redis: one unreplicated server — the practical speed limit of a key-value server on this
 * machine. Debian's redis-server, started on a loopback port in its own directory with the
 * append-only file fsynced every second (its usual durable setting). RDB snapshots are off so a
 * background save does not fork in the middle of a timed run; the AOF is the durability.
 * Driven through ioredis with auto-pipelining (commands issued in one tick share a write), the
 * client's documented high-throughput mode.
 */
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RecordNotFoundError, asBuffer, type Driver, YcsbAdapter, type KvAdapter, type LaunchContext, type RunningSystem, type SystemLauncher } from './adapter.ts';
import { freePort, startProcess, waitUntil } from './processes.ts';

const startTimeoutMs = 15_000;

function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown';
}

class RedisAdapter extends YcsbAdapter {
  constructor(private readonly client: Redis) {
    super();
  }

  async read(key: string): Promise<void> {
    const value = await this.client.getBuffer(key);
    if (value === null) throw new RecordNotFoundError(key);
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await this.client.set(key, asBuffer(value));
  }

  async close(): Promise<void> {
    await this.client.quit();
  }
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}

export const redisLauncher: SystemLauncher = {
  name: 'redis',
  async start(context: LaunchContext): Promise<RunningSystem> {
    const port = await freePort();
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', context.workDir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', '',
    ];
    const server = startProcess('redis', 'redis-server', args, join(context.workDir, 'redis.log'));
    try {
      await waitUntil('redis to answer PING', () => ping(port), [server], startTimeoutMs);
    } catch (error) {
      await server.stop();
      throw error;
    }
    const driver: Driver = {
      name: 'ioredis',
      description: 'ioredis, one connection, auto-pipelining',
      dataset: 'default',
      async connect(): Promise<KvAdapter> {
        const client = new Redis({ host: '127.0.0.1', port, enableAutoPipelining: true, lazyConnect: true });
        await client.connect();
        return new RedisAdapter(client);
      },
    };
    return {
      name: 'redis',
      version: redisVersion(),
      description: `Redis ${redisVersion()}, 1 server, appendonly yes, appendfsync everysec`,
      drivers: [driver],
      serverProcesses: new Map([[server.pid, 'redis-server']]),
      stop: () => server.stop(),
    };
  },
};
