/**
 * Frames leave a socket once per event-loop turn, several per write: one syscall carries what
 * a whole turn produced (the replies a node finished, the requests a client made), which is most
 * of what framed TCP saves over one write per message. While the socket does not drain, frames
 * wait here and the owner is told, so it can stop producing (stop reading its peer); they go on
 * at 'drain'. Between nodes, transport/peer-link.ts does the same with its acknowledged queue.
 */
import type { Socket } from 'node:net';

/** One socket write carries at most this many bytes of batched frames (a single larger frame goes alone). */
export const writeBatchBytesMax = 1024 * 1024;

export interface BatchedWriterHooks {
  /** Called after each socket write (for a metric of how well writes batch). */
  onWrite?(): void;
  /** The socket stopped draining (true), or drained again (false). */
  onBlocked?(blocked: boolean): void;
}

export class BatchedWriter {
  private frames: Buffer[] = [];
  private immediate: NodeJS.Immediate | null = null;
  private blocked = false;
  private stopped = false;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: BatchedWriterHooks = {},
  ) {
    socket.on('drain', () => this.onDrain());
  }

  /** Frames queued and not yet written. */
  get queuedCount(): number {
    return this.frames.length;
  }

  /** Queues a frame for the end of this turn (or for 'drain', while the socket is full). */
  push(frame: Buffer): void {
    if (this.stopped) return;
    this.frames.push(frame);
    if (this.immediate !== null || this.blocked) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.flush();
    });
  }

  /**
   * Writes everything queued now, full socket or not, and takes no more frames: for the last
   * frames before the owner ends the connection.
   */
  finish(): void {
    if (this.stopped) return;
    while (this.frames.length > 0) {
      const batch = this.takeBatch();
      this.hooks.onWrite?.();
      this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    }
    this.stop();
  }

  /** Drops what is queued and takes no more frames (the connection is gone). */
  stop(): void {
    this.stopped = true;
    this.frames = [];
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.immediate = null;
  }

  private flush(): void {
    while (!this.blocked && this.frames.length > 0 && !this.stopped) {
      const batch = this.takeBatch();
      this.hooks.onWrite?.();
      if (!this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch))) {
        this.blocked = true;
        this.hooks.onBlocked?.(true);
      }
    }
  }

  private takeBatch(): Buffer[] {
    let bytes = 0;
    let count = 0;
    for (const frame of this.frames) {
      if (count > 0 && bytes + frame.length > writeBatchBytesMax) break;
      bytes += frame.length;
      count++;
    }
    if (count === this.frames.length) {
      const batch = this.frames;
      this.frames = [];
      return batch;
    }
    const batch = this.frames.slice(0, count);
    this.frames = this.frames.slice(count);
    return batch;
  }

  private onDrain(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.hooks.onBlocked?.(false);
    this.flush();
  }
}
