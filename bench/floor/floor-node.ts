/**
 * One node of the floor store: the least a 3-process replicated key-value store in Node must do
 * for YCSB (issue 10: "a minimal 3-process replicated store … framed client, N=3 W=2 R=2,
 * LMDB"), so that the benchmark measures, in the same run and on the same box, what kvorum's
 * server CPU per operation could at best be. It is a yardstick, not a store to use: no failure
 * handling (a lost peer ends the process), no membership, no siblings, no limits.
 *
 * Every node holds every key (N = 3 on three nodes). A put reads the local copy, writes the
 * value to LMDB under a newer version, sends it to both peers, and answers once its own write
 * and one peer's are done (W = 2); a replica keeps an incoming value only if its version is
 * newer (read-merge-write). A get reads the local copy and one peer's (R = 2) and answers with
 * the newer. Versions are the microseconds of the wall clock the three processes share (last
 * write wins, as in Cassandra): a put made after another was acknowledged is newer wherever it
 * lands, even on the node its predecessor has not reached yet. A request names the durability: `sync` writes wait for an LMDB commit with
 * fdatasync, `nosync` for a commit without one (two LMDB environments, one per mode).
 *
 * Wire: kvorum's own framing (length-prefixed msgpack, batched per event-loop turn), so what it
 * measures beside kvorum is everything above the wire.
 *
 * Usage: node --import tsx bench/floor/floor-node.ts --dir DIR --client-port P --peer-port Q --peers HOST:PORT,HOST:PORT
 */
import { open, type Database } from 'lmdb';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { BatchedWriter } from '../../src/wire/batched-writer.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';
import { floorOp, floorStatus, type FloorRequest } from './floor-protocol.ts';

/** Peer messages: [id, kind, durable, key, version?, value?] and replies [id, version, value?]. */
const peerKind = { read: 0, write: 1 } as const;
/** Bytes of the version (a float64 of microseconds) in front of each stored value. */
const versionBytes = 8;
const peerConnectAttemptsMax = 200;
const peerConnectRetryMs = 50;

type Store = Database<Buffer, string>;

interface Waiting {
  readonly onReply: (version: number, value: Buffer | undefined) => void;
}

const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, 'client-port': { type: 'string' }, 'peer-port': { type: 'string' }, peers: { type: 'string' } },
});
if (!args.dir || !args['client-port'] || !args['peer-port'] || !args.peers) throw new Error('usage: floor-node --dir DIR --client-port P --peer-port Q --peers HOST:PORT,HOST:PORT');

const stores: Record<'sync' | 'nosync', Store> = {
  sync: open({ path: join(args.dir, 'sync'), encoding: 'binary', overlappingSync: false }),
  nosync: open({ path: join(args.dir, 'nosync'), encoding: 'binary', noSync: true }),
};

/** The stored [version f64 BE | value] of `key`, as version and value. */
function readLocal(store: Store, key: string): { version: number; value: Buffer | undefined } {
  const stored = store.getBinary(key);
  if (stored === undefined) return { version: 0, value: undefined };
  return { version: stored.readDoubleBE(0), value: stored.subarray(versionBytes) };
}

function writeLocal(store: Store, key: string, version: number, value: Uint8Array): Promise<boolean> {
  const stored = Buffer.allocUnsafe(versionBytes + value.length);
  stored.writeDoubleBE(version, 0);
  stored.set(value, versionBytes);
  return store.put(key, stored);
}

/** Reads each socket's frames as messages, in order. */
function onMessages(socket: Socket, handle: (message: unknown[]) => void): void {
  const decoder = new FrameDecoder();
  const onFrame = (frames: Buffer, start: number, end: number): void => handle(decodeMessage(frames, start, end) as unknown[]);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, onFrame));
}

function fail(why: string): never {
  console.error(`floor node: ${why}`);
  process.exit(1);
}

/** An outbound link to one peer: requests out, replies back on the same socket. */
class PeerLink {
  private readonly writer: BatchedWriter;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(socket: Socket) {
    socket.setNoDelay(true);
    this.writer = new BatchedWriter(socket);
    onMessages(socket, ([id, version, value]) => {
      const waiting = this.waiting.get(id as number);
      if (waiting === undefined) return;
      this.waiting.delete(id as number);
      waiting.onReply(version as number, value as Buffer | undefined);
    });
    socket.on('close', () => fail('a peer connection closed'));
  }

  ask(kind: number, durable: boolean, key: string, version: number, value: Uint8Array | undefined, onReply: Waiting['onReply']): void {
    const id = this.nextId++;
    this.waiting.set(id, { onReply });
    this.writer.push(encodeMessageFrame(kind === peerKind.write ? [id, kind, durable, key, version, value] : [id, kind, durable, key]));
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

/** A replica's side: a peer's read or read-merge-write, answered on the socket it came on. */
function servePeers(socket: Socket): void {
  socket.setNoDelay(true);
  const writer = new BatchedWriter(socket);
  onMessages(socket, ([id, kind, durable, key, version, value]) => {
    const store = durable ? stores.sync : stores.nosync;
    const local = readLocal(store, key as string);
    if (kind === peerKind.read) return writer.push(encodeMessageFrame([id, local.version, local.value]));
    if ((version as number) <= local.version) return writer.push(encodeMessageFrame([id, local.version]));
    writeLocal(store, key as string, version as number, value as Uint8Array).then(
      () => writer.push(encodeMessageFrame([id, version])),
      (error: unknown) => fail(`LMDB write failed: ${String(error)}`),
    );
  });
}

function serveClients(socket: Socket, peers: readonly PeerLink[]): void {
  socket.setNoDelay(true);
  const writer = new BatchedWriter(socket);
  let nextPeer = 0;
  const reply = (id: number, status: number, value?: Buffer): void => writer.push(encodeMessageFrame(value === undefined ? [id, status] : [id, status, value]));
  onMessages(socket, (message) => {
    const [id, op, durable, key, value] = message as FloorRequest;
    const store = durable ? stores.sync : stores.nosync;
    const local = readLocal(store, key);
    if (op === floorOp.get) {
      // R = 2: this node's copy and one peer's, taken in turn.
      const peer = peers[nextPeer++ % peers.length]!;
      peer.ask(peerKind.read, durable, key, 0, undefined, (version, peerValue) => {
        const newer = version > local.version ? peerValue : local.value;
        reply(id, newer === undefined ? floorStatus.notFound : floorStatus.ok, newer);
      });
      return;
    }
    // W = 2: this node's write and the first peer's; the other peer's lands later.
    const version = Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), local.version + 1);
    let stored = 0;
    const onStored = (): void => {
      if (++stored === 2) reply(id, floorStatus.ok);
    };
    writeLocal(store, key, version, value!).then(onStored, (error: unknown) => fail(`LMDB write failed: ${String(error)}`));
    for (const peer of peers) peer.ask(peerKind.write, durable, key, version, value, onStored);
  });
}

async function main(): Promise<void> {
  createServer(servePeers).listen(Number(args['peer-port']), '127.0.0.1');
  const peers = await Promise.all(args.peers!.split(',').map(connectPeer));
  createServer((socket) => serveClients(socket, peers)).listen(Number(args['client-port']), '127.0.0.1', () => console.log('floor node ready'));
}

process.on('SIGTERM', () => {
  void Promise.all([stores.sync.close(), stores.nosync.close()]).finally(() => process.exit(0));
});
void main();
