/**
 * The floor: issue 10's "minimal 3-process replicated store in Node" (bench/floor/floor-node.ts),
 * run beside kvorum so that kvorum's server CPU per operation is read against what this design
 * costs at least on the same box, in the same run, rather than against a figure measured once.
 * Three node processes on loopback ports, N = 3, W = 2, R = 2, read-merge-write on LMDB.
 * Drivers, one per durability of kvorum's: `framed-nosync` (every copy committed without
 * fdatasync: the floor under `buffered`), `framed-one` (the same, and the coordinator's copy
 * appended to a log with O_DSYNC before it counts: under `one`) and `framed-sync` (every copy
 * committed with fdatasync: under `sync`). `framed-sync` has records of its own; the other two
 * keep theirs in the same environment and share them.
 * The client routes each key to one node by a hash of it, as kvorum's sends each key to the
 * first node of its preference list, over one pipelined connection per node.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordNotFoundError, YcsbAdapter, type Driver, type KvAdapter, type LaunchContext, type RunningSystem, type SystemLauncher } from './adapter.ts';
import { acceptsConnections, benchNodeFlags, freePorts, startProcess, stopAll, waitUntil, type ServerProcess } from './processes.ts';
import { FloorConnection, type FloorDurability } from '../floor/floor-protocol.ts';

const floorNodes = 3;
const startTimeoutMs = 20_000;
const nodeScript = fileURLToPath(new URL('../floor/floor-node.ts', import.meta.url));

/** FNV-1a over the key's UTF-16 units: spreads keys over the nodes as coordinators. */
function nodeIndexOf(key: string, nodes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % nodes;
}

class FloorAdapter extends YcsbAdapter {
  constructor(
    private readonly connections: readonly FloorConnection[],
    private readonly durability: FloorDurability,
  ) {
    super();
  }

  private connectionFor(key: string): FloorConnection {
    return this.connections[nodeIndexOf(key, this.connections.length)]!;
  }

  async read(key: string): Promise<void> {
    const reply = await this.connectionFor(key).get(this.durability, key);
    if (!reply.found) throw new RecordNotFoundError(key);
  }

  update(key: string, value: Uint8Array): Promise<void> {
    return this.connectionFor(key).put(this.durability, key, value);
  }

  close(): Promise<void> {
    for (const connection of this.connections) connection.close();
    return Promise.resolve();
  }
}

/** The floor's node processes, started and answering on their client ports. */
export interface FloorNodes {
  readonly processes: readonly ServerProcess[];
  readonly clientPorts: readonly number[];
}

/**
 * `nodeArgs`: flags for each node's `node` (profiling), as kvorum's nodes get; `floorArgs`: more
 * options of floor-node.ts itself (tests: `--log-delay-ms`).
 */
export async function startFloorNodes(workDir: string, nodeArgs: readonly string[] = benchNodeFlags(), floorArgs: readonly string[] = []): Promise<FloorNodes> {
  const ports = await freePorts(2 * floorNodes);
  const clientPorts = ports.slice(0, floorNodes);
  const peerPorts = ports.slice(floorNodes);
  const processes: ServerProcess[] = [];
  try {
    for (let i = 0; i < floorNodes; i++) {
      const peers = peerPorts.filter((_, j) => j !== i).map((port) => `127.0.0.1:${port}`);
      const args = [...nodeArgs, '--import', 'tsx', nodeScript, '--dir', join(workDir, `n${i + 1}`), '--client-port', String(clientPorts[i]), '--peer-port', String(peerPorts[i]), '--peers', peers.join(','), ...floorArgs];
      processes.push(startProcess(`floor n${i + 1}`, process.execPath, args, join(workDir, `n${i + 1}.log`)));
    }
    // A node is ready once its client port takes a connection: it listens there only after reaching its peers.
    for (const port of clientPorts) await waitUntil(`floor node on port ${port}`, () => acceptsConnections(port), processes, startTimeoutMs);
  } catch (error) {
    await stopAll(processes);
    throw error;
  }
  return { processes, clientPorts };
}

export function floorLauncher(nodeArgs: readonly string[] = benchNodeFlags()): SystemLauncher {
  return {
    name: 'floor',
    start: (context) => startFloor(context, nodeArgs),
  };
}

async function startFloor(context: LaunchContext, nodeArgs: readonly string[]): Promise<RunningSystem> {
  const { processes, clientPorts } = await startFloorNodes(context.workDir, nodeArgs);
  const writes: Record<FloorDurability, string> = {
    nosync: 'committed without fdatasync',
    one: "committed without fdatasync, the coordinator's copy also appended to an O_DSYNC log",
    sync: 'committed with fdatasync on every copy',
  };
  const driver = (durability: FloorDurability): Driver => ({
    name: `framed-${durability}`,
    description: `the floor store's framed client, one pipelined connection per node; writes ${writes[durability]}`,
    dataset: durability === 'sync' ? 'floor-sync' : 'floor-nosync',
    async connect(): Promise<KvAdapter> {
      return new FloorAdapter(await Promise.all(clientPorts.map((port) => FloorConnection.open(port))), durability);
    },
  });
  return {
    name: 'floor',
    version: '1',
    description: "issue 10's floor: a minimal 3-process replicated store in Node (N = 3, W = 2, R = 2, read-merge-write on LMDB, kvorum's framing)",
    drivers: [driver('nosync'), driver('one'), driver('sync')],
    serverProcesses: new Map(processes.map((p) => [p.pid, p.label])),
    stop: () => stopAll(processes),
  };
}
