/**
 * The floor store's client protocol (floor-node.ts), and its client: length-prefixed msgpack
 * frames over TCP, pipelined — a request is [id, op, durability, key, value?], its reply
 * [id, status, value?] — with kvorum's framing and per-turn batching on both sides. A `stats`
 * request answers the node's counters, so tests can see the work it did.
 */
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { BatchedWriter } from '../../src/wire/batched-writer.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';

export const floorOp = { get: 0, put: 1, stats: 2 } as const;
export const floorStatus = { ok: 0, notFound: 1, badRequest: 2 } as const;

/**
 * What a put waits for, as kvorum's durability modes (docs/durability.md): `nosync`, every copy
 * committed without fdatasync (`buffered`); `one`, the coordinator's copy also appended to a log
 * with O_DSYNC, the peers' copies as `nosync` (`one`); `sync`, every copy committed with fdatasync
 * (`sync`). On the wire as its index here.
 */
export const floorDurabilities = ['nosync', 'one', 'sync'] as const;
export type FloorDurability = (typeof floorDurabilities)[number];

export type FloorRequest = [id: number, op: number, durability: number, key: string, value?: Uint8Array];

/** What a node counts: the work each request made it do. */
export interface FloorStats {
  /** Puts and gets this node coordinated. */
  readonly puts: number;
  readonly gets: number;
  /** Copies written to this node's LMDB, as coordinator or replica, by environment. */
  readonly writesSync: number;
  readonly writesNosync: number;
  /** Copies this node coordinated under `one` appended to its log, and the appends (groups) that carried them. */
  readonly writesLogged: number;
  readonly logAppends: number;
  /** Peers' writes taken (newer than this node's copy), and refused as not newer. */
  readonly peerWritesApplied: number;
  readonly peerWritesStale: number;
  /** Peers' reads answered. */
  readonly peerReads: number;
}

export interface FloorReply {
  readonly found: boolean;
  readonly value: Buffer | undefined;
}

interface Waiting {
  readonly resolve: (reply: [status: number, value: unknown]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A socket carrying frames both ways, as every connection of the floor's does: its messages are
 * handed to `handle` in order, and what is sent goes out in one write per turn. A socket error
 * ends only that connection.
 */
export function framedSocket(socket: Socket, handle: (message: unknown[]) => void): BatchedWriter {
  socket.setNoDelay(true);
  const writer = new BatchedWriter(socket);
  const decoder = new FrameDecoder();
  const onFrame = (frames: Buffer, start: number, end: number): void => handle(decodeMessage(frames, start, end) as unknown[]);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, onFrame));
  socket.on('error', () => socket.destroy());
  socket.on('close', () => writer.stop());
  return writer;
}

/** One pipelined connection to a floor node. */
export class FloorConnection {
  private readonly writer: BatchedWriter;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closedBecause: Error | null = null;

  private constructor(private readonly socket: Socket) {
    this.writer = framedSocket(socket, ([id, status, value]) => {
      const waiting = this.waiting.get(id as number);
      if (waiting === undefined) return;
      this.waiting.delete(id as number);
      waiting.resolve([status as number, value]);
    });
    socket.on('error', (error) => this.failAll(error));
    socket.on('close', () => this.failAll(new Error('floor node connection closed')));
  }

  static open(port: number): Promise<FloorConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new FloorConnection(socket)));
      socket.once('error', reject);
    });
  }

  async get(durability: FloorDurability, key: string): Promise<FloorReply> {
    const [status, value] = await this.send([this.nextId++, floorOp.get, floorDurabilities.indexOf(durability), key]);
    return { found: status === floorStatus.ok, value: value as Buffer | undefined };
  }

  async put(durability: FloorDurability, key: string, value: Uint8Array): Promise<void> {
    const [status] = await this.send([this.nextId++, floorOp.put, floorDurabilities.indexOf(durability), key, value]);
    if (status !== floorStatus.ok) throw new Error(`floor put of ${key} answered status ${status}`);
  }

  async stats(): Promise<FloorStats> {
    const [, stats] = await this.send([this.nextId++, floorOp.stats, 0, '']);
    return stats as FloorStats;
  }

  close(): void {
    this.writer.finish();
    this.socket.end();
  }

  private send(request: FloorRequest): Promise<[status: number, value: unknown]> {
    if (this.closedBecause !== null) return Promise.reject(this.closedBecause);
    return new Promise((resolve, reject) => {
      this.waiting.set(request[0], { resolve, reject });
      this.writer.push(encodeMessageFrame(request));
    });
  }

  private failAll(error: Error): void {
    this.closedBecause ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
