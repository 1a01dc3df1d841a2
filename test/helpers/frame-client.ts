/**
 * A raw client of the binary protocol for tests: it sends exactly the bytes or frames a test
 * asks for (malformed ones included) and collects every frame the server sends, in order, so a
 * test can see replies arrive out of order, closing frames, and the socket closing.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';
import { limits } from '../../src/core/limits.ts';

export type Frame = Record<string, unknown>;

export class FrameClient {
  readonly frames: Frame[] = [];
  private readonly decoder = new FrameDecoder(limits.frameBytesMax);
  private waiters: (() => void)[] = [];
  /** Frames already handed out by next(). */
  private taken = 0;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk, (frames, start, end) => this.frames.push(decodeMessage(frames, start, end) as Frame));
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async connect(address: string): Promise<FrameClient> {
    const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(address)!;
    const socket = connect({ host: host!, port: Number(port) });
    await once(socket, 'connect');
    return new FrameClient(socket);
  }

  /** Connects and completes the handshake; resolves with the client and the welcome. */
  static async open(address: string): Promise<{ client: FrameClient; welcome: Frame }> {
    const client = await FrameClient.connect(address);
    client.send({ op: 'hello', protocol: 'kvorum', version: 1, client: 'test' });
    const [welcome] = await client.next(1);
    return { client, welcome: welcome! };
  }

  send(...frames: unknown[]): void {
    this.socket.write(Buffer.concat(frames.map((frame) => encodeMessageFrame(frame))));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits until `count` more frames arrived (after those already taken) and takes them. */
  async next(count: number, timeoutMs = 10_000): Promise<Frame[]> {
    await this.until(() => this.frames.length >= this.taken + count || this.closed, timeoutMs);
    if (this.frames.length < this.taken + count) throw new Error(`connection closed after ${this.frames.length - this.taken} of ${count} frames: ${JSON.stringify(this.frames.slice(this.taken))}`);
    const taken = this.frames.slice(this.taken, this.taken + count);
    this.taken += count;
    return taken;
  }

  /** Resolves once the server closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms; frames so far: ${JSON.stringify(this.frames, (_, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
