/**
 * etcd: a 3-member Raft cluster from Debian's etcd-server, every member on loopback ports with its
 * own data dir — the replicated key-value store most users already run. Reads are linearizable
 * (etcd's default, a quorum read through the leader); writes commit through Raft (a majority
 * fsyncs each entry).
 *
 * Two drivers, because the npm `etcd3` client speaks gRPC in JavaScript (@grpc/grpc-js), which
 * may cost more CPU on the shared cores than etcd itself:
 * - `etcd3`: the official-style client, requests spread over the three members;
 * - `gateway`: etcd's HTTP/JSON gRPC-gateway (`POST /v3/kv/range`, `/v3/kv/put`, base64 keys
 *   and values) through undici keep-alive pools, round-robin over the members.
 */
import { Etcd3 } from 'etcd3';
import { Pool } from 'undici';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RecordNotFoundError, asBuffer, type Driver, YcsbAdapter, type KvAdapter, type LaunchContext, type RunningSystem, type SystemLauncher } from './adapter.ts';
import { freePorts, httpOk, startProcess, stopAll, waitUntil, type ServerProcess } from './processes.ts';

const membersCount = 3;
const startTimeoutMs = 30_000;
/** etcd's default 2 GB backend quota would be enough; raise it so a long run never hits the alarm. */
const quotaBackendBytes = 8 * 1024 * 1024 * 1024;

function etcdVersion(): string {
  const out = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
}

function memberArgs(member: Member, initialCluster: string): string[] {
  return [
    '--name', member.name,
    '--data-dir', member.dataDir,
    '--listen-client-urls', member.clientUrl,
    '--advertise-client-urls', member.clientUrl,
    '--listen-peer-urls', member.peerUrl,
    '--initial-advertise-peer-urls', member.peerUrl,
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', 'kvorum-bench',
    '--quota-backend-bytes', String(quotaBackendBytes),
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
}

class Etcd3Adapter extends YcsbAdapter {
  constructor(private readonly client: Etcd3) {
    super();
  }

  async read(key: string): Promise<void> {
    const value = await this.client.get(key).buffer();
    if (value === null) throw new RecordNotFoundError(key);
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key).value(asBuffer(value));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

interface RangeResponse {
  readonly kvs?: readonly unknown[];
}

class GatewayAdapter extends YcsbAdapter {
  private next = 0;

  constructor(private readonly pools: readonly Pool[]) {
    super();
  }

  private pool(): Pool {
    this.next = (this.next + 1) % this.pools.length;
    return this.pools[this.next]!;
  }

  private async post(path: string, body: object): Promise<unknown> {
    const response = await this.pool().request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed: unknown = await response.body.json();
    if (response.statusCode !== 200) throw new Error(`etcd gateway ${path}: HTTP ${response.statusCode} ${JSON.stringify(parsed)}`);
    return parsed;
  }

  async read(key: string): Promise<void> {
    const result = (await this.post('/v3/kv/range', { key: Buffer.from(key).toString('base64') })) as RangeResponse;
    if (!result.kvs || result.kvs.length === 0) throw new RecordNotFoundError(key);
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await this.post('/v3/kv/put', { key: Buffer.from(key).toString('base64'), value: asBuffer(value).toString('base64') });
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

export const etcdLauncher: SystemLauncher = {
  name: 'etcd',
  async start(context: LaunchContext): Promise<RunningSystem> {
    const ports = await freePorts(membersCount * 2);
    const members: Member[] = Array.from({ length: membersCount }, (_, i) => ({
      name: `e${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(context.workDir, `e${i + 1}`),
    }));
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    const processes: ServerProcess[] = [];
    try {
      for (const member of members) {
        mkdirSync(member.dataDir, { recursive: true });
        processes.push(startProcess(`etcd ${member.name}`, 'etcd', memberArgs(member, initialCluster), join(context.workDir, `${member.name}.log`)));
      }
      for (const member of members) {
        await waitUntil(`etcd ${member.name} /health`, () => httpOk(`${member.clientUrl}/health`), processes, startTimeoutMs);
      }
    } catch (error) {
      await stopAll(processes);
      throw error;
    }
    const clientUrls = members.map((m) => m.clientUrl);
    const drivers: Driver[] = [
      {
        name: 'etcd3',
        description: 'npm etcd3 (gRPC in JavaScript), requests spread over the 3 members',
        dataset: 'default',
        async connect(): Promise<KvAdapter> {
          return new Etcd3Adapter(new Etcd3({ hosts: clientUrls }));
        },
      },
      {
        name: 'gateway',
        description: "etcd's HTTP/JSON gRPC-gateway via undici keep-alive, round-robin over the members",
        dataset: 'default',
        async connect(concurrency: number): Promise<KvAdapter> {
          // Round-robin is not perfectly even at any instant: let each pool open up to C sockets
          // (lazily) so no request ever queues inside the client.
          return new GatewayAdapter(clientUrls.map((url) => new Pool(url, { connections: concurrency, pipelining: 1 })));
        },
      },
    ];
    const version = etcdVersion();
    return {
      name: 'etcd',
      version,
      description: `etcd ${version}, 3 members, linearizable reads`,
      drivers,
      serverProcesses: new Map(processes.map((p) => [p.pid, p.label])),
      stop: () => stopAll(processes),
    };
  },
};
