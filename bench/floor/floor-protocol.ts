/**
 * The floor store's client protocol (floor-node.ts), and its client: length-prefixed msgpack
 * frames over TCP, pipelined — a request is [id, op, durable, key, value?], its reply
 * [id, status, value?] — with kvorum's framing and per-turn batching on both sides.
 */
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { BatchedWriter } from '../../src/wire/batched-writer.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';

export const floorOp = { get: 0, put: 1 } as const;
export const floorStatus = { ok: 0, notFound: 1 } as const;

export type FloorRequest = [id: number, op: number, durable: boolean, key: string, value?: Uint8Array];

export interface FloorReply {
  readonly found: boolean;
  readonly value: Buffer | undefined;
}

/** One pipelined connection to a floor node. */
export class FloorConnection {
  private readonly writer: BatchedWriter;
  private readonly waiting = new Map<number, { resolve: (reply: FloorReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private closedBecause: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    this.writer = new BatchedWriter(socket);
    const decoder = new FrameDecoder();
    const onFrame = (frames: Buffer, start: number, end: number): void => {
      const [id, status, value] = decodeMessage(frames, start, end) as [number, number, Buffer | undefined];
      const waiting = this.waiting.get(id);
      if (waiting === undefined) return;
      this.waiting.delete(id);
      waiting.resolve({ found: status === floorStatus.ok, value });
    };
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, onFrame));
    socket.on('close', () => this.failAll(new Error('floor node connection closed')));
    socket.on('error', (error) => this.failAll(error));
  }

  static open(port: number): Promise<FloorConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new FloorConnection(socket)));
      socket.once('error', reject);
    });
  }

  request(op: number, durable: boolean, key: string, value?: Uint8Array): Promise<FloorReply> {
    if (this.closedBecause !== null) return Promise.reject(this.closedBecause);
    const id = this.nextId++;
    const request: FloorRequest = op === floorOp.put ? [id, op, durable, key, value] : [id, op, durable, key];
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.writer.push(encodeMessageFrame(request));
    });
  }

  close(): void {
    this.writer.finish();
    this.socket.end();
  }

  private failAll(error: Error): void {
    this.closedBecause ??= error;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
