/**
 * One node of the floor store: the least a 3-process replicated key-value store in Node must do
 * for YCSB (issue 10: "a minimal 3-process replicated store … framed client, N=3 W=2 R=2,
 * LMDB"), so that the benchmark measures, in the same run and on the same box, what kvorum's
 * server CPU per operation could at best be. It is a yardstick, not a store to use: no failure
 * handling (a lost peer ends the process), no membership, no siblings, no limits.
 *
 * Every node holds every key (N = 3 on three nodes). A put reads its coordinator's copy, writes
 * the value to LMDB under a newer version, sends it to both peers, and answers once its own write
 * and one peer's are done (W = 2, the coordinator's copy among them, as in kvorum); a replica
 * keeps an incoming value only if its version is newer (read-merge-write). A get reads its
 * coordinator's copy and one peer's (R = 2) and answers with the newer. Versions are the
 * microseconds of the wall clock the three processes share (last write wins, as in Cassandra): a
 * put made after another was acknowledged is newer wherever it lands, even on a node its
 * predecessor has not reached yet. A request names the durability: `sync` writes wait for an
 * LMDB commit with fdatasync, `nosync` ones for a commit without it (one LMDB environment each);
 * under `one` every copy is written as under `nosync`, and the coordinator's is also appended to
 * a log opened O_DSYNC, one append per event-loop turn (per 3 ms while busy, as kvorum's group
 * commit), before it counts (kvorum's `one`: one copy of the W on disk when the put is answered,
 * made so by a log append).
 *
 * Wire: kvorum's own framing (length-prefixed msgpack, batched per event-loop turn), so what it
 * measures beside kvorum is everything above the wire.
 *
 * Usage: node --import tsx bench/floor/floor-node.ts --dir DIR --client-port P --peer-port Q
 *        --peers HOST:PORT,HOST:PORT
 */
import { open, type Database } from 'lmdb';
import { constants, openSync, writeSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeMessageFrame } from '../../src/wire/codec.ts';
import type { BatchedWriter } from '../../src/wire/batched-writer.ts';
import { floorDurabilities, floorOp, floorStatus, framedSocket, type FloorRequest, type FloorStats } from './floor-protocol.ts';

/** Peer messages: [id, kind, durable, key, version?, value?] and replies [id, version, value?]. */
const peerKind = { read: 0, write: 1 } as const;
/** Bytes of the version (a float64 of microseconds) in front of each stored value. */
const versionBytes = 8;
const peerConnectAttemptsMax = 200;
const peerConnectRetryMs = 50;
/** Bytes of the `one` log's file, written again from its start when full: the floor never reads it back. */
const logFileBytes = 4 * 1024 * 1024;
/** Appends start at multiples of this, as kvorum's log groups do. */
const logAlignBytes = 4096;
/**
 * kvorum's group commit (core/limits.ts): while a node coordinates at least this many requests,
 * an append waits this long so that the writes of the requests in flight join it.
 */
const groupCommitBusyRequestsMin = 8;
const groupCommitWindowMs = 3;

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    'client-port': { type: 'string' },
    'peer-port': { type: 'string' },
    peers: { type: 'string' },
    // Tests only: holds every log append this long, as a slow disk would.
    'log-delay-ms': { type: 'string', default: '0' },
  },
});
if (!args.dir || !args['client-port'] || !args['peer-port'] || !args.peers) throw new Error('usage: floor-node --dir DIR --client-port P --peer-port Q --peers HOST:PORT,HOST:PORT');

const stats: { -readonly [K in keyof FloorStats]: number } = { puts: 0, gets: 0, writesSync: 0, writesNosync: 0, writesLogged: 0, logAppends: 0, peerWritesApplied: 0, peerWritesStale: 0, peerReads: 0 };
let stopping = false;
/** Requests this node coordinates that are not answered yet: what makes it busy. */
let requestsInFlight = 0;
const logDelayMs = Number(args['log-delay-ms']);
if (!(Number.isInteger(logDelayMs) && logDelayMs >= 0)) throw new Error(`--log-delay-ms: a whole number of ms, not ${args['log-delay-ms']}`);

/**
 * One LMDB environment of [version f64 BE | value] records. Versions of writes not yet committed
 * are kept beside it, so that two writes of a key in one commit's window keep the newer.
 */
class VersionedStore {
  private readonly db: Database<Buffer, string>;
  private readonly uncommitted = new Map<string, number>();

  constructor(
    path: string,
    readonly durable: boolean,
  ) {
    // Without overlapping sync, a put resolves only once its commit is on disk (fdatasync).
    this.db = durable ? open({ path, encoding: 'binary', overlappingSync: false }) : open({ path, encoding: 'binary', noSync: true });
  }

  /** The committed record: what a get answers. */
  read(key: string): { version: number; value: Buffer | undefined } {
    const stored = this.db.getBinary(key);
    return stored === undefined ? { version: 0, value: undefined } : { version: stored.readDoubleBE(0), value: stored.subarray(versionBytes) };
  }

  /** The newest version written, committed or not: what a write must be newer than. Read in place, not copied. */
  newestVersion(key: string): number {
    const committed = this.db.getBinaryFast(key)?.readDoubleBE(0) ?? 0;
    return Math.max(committed, this.uncommitted.get(key) ?? 0);
  }

  write(key: string, version: number, value: Uint8Array): Promise<unknown> {
    const record = Buffer.allocUnsafe(versionBytes + value.length);
    record.writeDoubleBE(version, 0);
    record.set(value, versionBytes);
    this.uncommitted.set(key, version);
    if (this.durable) stats.writesSync++;
    else stats.writesNosync++;
    return this.db.put(key, record).then(() => {
      if (this.uncommitted.get(key) === version) this.uncommitted.delete(key);
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * The coordinator's copies under `one`: [version f64 BE | key length u16 BE | key | value]
 * records, the records of one event-loop turn — or, while the node is busy, of the group-commit
 * window — appended together with one pwrite to a file opened O_DSYNC (a write and an fdatasync in
 * one call), on the node's thread (no hop to libuv's pool, which kvorum makes under load: the
 * floor takes the cheaper way), after the turn's frames have gone to the peers. The file is
 * zero-filled when made, so an append overwrites allocated blocks and syncs no metadata —
 * kvorum's log does both (storage/write-ahead-log.ts).
 */
class DurableLog {
  private readonly fd: number;
  private appendAt = 0;
  private records: Buffer[] = [];
  private recordBytes = 0;
  private waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, 0o600);
    const zeros = Buffer.alloc(logFileBytes);
    writeSync(this.fd, zeros, 0, zeros.length, 0);
  }

  /** Appends the record this turn; `onDurable` runs once it is on disk. */
  append(key: string, version: number, value: Uint8Array, onDurable: () => void): void {
    const keyBytes = Buffer.byteLength(key);
    const record = Buffer.allocUnsafe(versionBytes + 2 + keyBytes + value.length);
    record.writeDoubleBE(version, 0);
    record.writeUInt16BE(keyBytes, versionBytes);
    record.write(key, versionBytes + 2);
    record.set(value, versionBytes + 2 + keyBytes);
    this.records.push(record);
    this.recordBytes += record.length;
    this.waiting.push(onDurable);
    stats.writesLogged++;
    if (this.scheduled) return;
    this.scheduled = true;
    if (logDelayMs > 0) setTimeout(() => this.appendTurn(), logDelayMs);
    else if (requestsInFlight >= groupCommitBusyRequestsMin) setTimeout(() => this.appendTurn(), groupCommitWindowMs);
    // After the BatchedWriters' own immediates, queued by this turn's sends: peers get the copies first.
    else setImmediate(() => this.appendTurn());
  }

  private appendTurn(): void {
    const group = Buffer.concat(this.records, this.recordBytes);
    const waiting = this.waiting;
    this.records = [];
    this.recordBytes = 0;
    this.waiting = [];
    this.scheduled = false;
    // A group larger than the file (never at the benchmark's value sizes) is written past its end.
    if (this.appendAt + group.length > logFileBytes) this.appendAt = 0;
    try {
      for (let written = 0; written < group.length; ) {
        const count = writeSync(this.fd, group, written, group.length - written, this.appendAt + written);
        if (count === 0) fail('the log took no bytes');
        written += count;
      }
    } catch (error) {
      fail(`log append failed: ${String(error)}`);
    }
    this.appendAt += Math.ceil(group.length / logAlignBytes) * logAlignBytes;
    stats.logAppends++;
    for (const onDurable of waiting) onDurable();
  }
}

const stores = { sync: new VersionedStore(join(args.dir, 'sync'), true), nosync: new VersionedStore(join(args.dir, 'nosync'), false) };
const log = new DurableLog(join(args.dir, 'one.log'));
/** A peer's message names the environment of its copy. */
const storeFor = (durable: unknown): VersionedStore => (durable === true ? stores.sync : stores.nosync);

/** The last version this node gave a put: two puts in one microsecond still get two versions. */
let lastVersion = 0;

function newVersion(after: number): number {
  lastVersion = Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), lastVersion + 1, after + 1);
  return lastVersion;
}

function fail(why: string): never {
  console.error(`floor node: ${why}`);
  process.exit(1);
}

/** An outbound link to one peer: requests out, replies back on the same socket. */
class PeerLink {
  private readonly writer: BatchedWriter;
  private readonly waiting = new Map<number, (version: number, value: Buffer | undefined) => void>();
  private nextId = 1;

  constructor(socket: Socket) {
    this.writer = framedSocket(socket, ([id, version, value]) => {
      const onReply = this.waiting.get(id as number);
      if (onReply === undefined) return fail(`a peer answered request ${String(id)}, which is not waiting`);
      this.waiting.delete(id as number);
      onReply(version as number, value as Buffer | undefined);
    });
    socket.on('close', () => {
      if (!stopping) fail('a peer connection closed');
    });
  }

  read(durable: boolean, key: string, onReply: (version: number, value: Buffer | undefined) => void): void {
    const id = this.nextId++;
    this.waiting.set(id, onReply);
    this.writer.push(encodeMessageFrame([id, peerKind.read, durable, key]));
  }

  write(durable: boolean, key: string, version: number, value: Uint8Array, onDone: () => void): void {
    const id = this.nextId++;
    this.waiting.set(id, onDone);
    this.writer.push(encodeMessageFrame([id, peerKind.write, durable, key, version, value]));
  }
}

async function connectPeer(address: string): Promise<PeerLink> {
  const [host, port] = address.split(':');
  for (let attempt = 0; attempt < peerConnectAttemptsMax; attempt++) {
    const socket = await new Promise<Socket | null>((resolve) => {
      const s = connect({ host: host!, port: Number(port) });
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (socket !== null) return new PeerLink(socket);
    await new Promise((resolve) => setTimeout(resolve, peerConnectRetryMs));
  }
  return fail(`could not reach peer ${address}`);
}

/** A replica's side: a peer's read, or its read-merge-write, answered on the socket it came on. */
function servePeers(socket: Socket): void {
  const writer = framedSocket(socket, ([id, kind, durable, key, version, value]) => {
    const store = storeFor(durable);
    if (kind === peerKind.read) {
      stats.peerReads++;
      const local = store.read(key as string);
      return writer.push(encodeMessageFrame([id, local.version, local.value]));
    }
    if (kind !== peerKind.write) return fail(`a peer sent a message of unknown kind ${String(kind)}`);
    const newest = store.newestVersion(key as string);
    if ((version as number) <= newest) {
      stats.peerWritesStale++;
      return writer.push(encodeMessageFrame([id, newest]));
    }
    stats.peerWritesApplied++;
    store.write(key as string, version as number, value as Uint8Array).then(
      () => writer.push(encodeMessageFrame([id, version])),
      (error: unknown) => fail(`LMDB write failed: ${String(error)}`),
    );
  });
}

function serveClients(socket: Socket, peers: readonly PeerLink[]): void {
  let nextPeer = 0;
  const writer = framedSocket(socket, (message) => {
    const [id, op, durabilityIndex, key, value] = message as FloorRequest;
    const durability = Number.isInteger(durabilityIndex) ? floorDurabilities[durabilityIndex] : undefined;
    if (durability === undefined) return writer.push(encodeMessageFrame([id, floorStatus.badRequest, `unknown durability ${String(durabilityIndex)}`]));
    // The environment every copy is in: only `sync` keeps them in the synced one.
    const durable = durability === 'sync';
    const reply = (status: number, answer?: unknown): void => writer.push(encodeMessageFrame(answer === undefined ? [id, status] : [id, status, answer]));
    switch (op) {
      case floorOp.get: {
        stats.gets++;
        requestsInFlight++;
        // R = 2: this node's copy and one peer's, taken in turn.
        const local = storeFor(durable).read(key);
        peers[nextPeer++ % peers.length]!.read(durable, key, (version, peerValue) => {
          const newer = version > local.version ? peerValue : local.value;
          requestsInFlight--;
          reply(newer === undefined ? floorStatus.notFound : floorStatus.ok, newer);
        });
        return;
      }
      case floorOp.put: {
        stats.puts++;
        requestsInFlight++;
        // W = 2: this node's write and at least one peer's; the other peer's lands later.
        const store = storeFor(durable);
        const version = newVersion(store.newestVersion(key));
        // The coordinator's copy counts once committed, and under `one` once logged as well. (kvorum's
        // counts on its log append alone, its reads seeing its buffer; the floor's reads see only
        // what LMDB committed, so a put waits for its commit too — no measurable cost at C = 1.)
        let ownPending = durability === 'one' ? 2 : 1;
        let peersDone = 0;
        let answered = false;
        const onStored = (): void => {
          if (answered || ownPending > 0 || peersDone === 0) return;
          answered = true;
          requestsInFlight--;
          reply(floorStatus.ok);
        };
        const onOwnDone = (): void => {
          ownPending--;
          onStored();
        };
        store.write(key, version, value!).then(onOwnDone, (error: unknown) => fail(`LMDB write failed: ${String(error)}`));
        for (const peer of peers) {
          peer.write(durable, key, version, value!, () => {
            peersDone++;
            onStored();
          });
        }
        if (durability === 'one') log.append(key, version, value!, onOwnDone);
        return;
      }
      case floorOp.stats:
        return reply(floorStatus.ok, stats);
      default:
        return reply(floorStatus.badRequest, `unknown op ${String(op)}`);
    }
  });
}

async function main(): Promise<void> {
  createServer(servePeers).listen(Number(args['peer-port']), '127.0.0.1');
  const peers = await Promise.all(args.peers!.split(',').map(connectPeer));
  createServer((socket) => serveClients(socket, peers)).listen(Number(args['client-port']), '127.0.0.1', () => console.log('floor node ready'));
}

process.on('SIGTERM', () => {
  stopping = true;
  void Promise.all([stores.sync.close(), stores.nosync.close()]).finally(() => process.exit(0));
});
void main();
