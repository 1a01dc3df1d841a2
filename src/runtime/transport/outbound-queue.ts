/**
 * The frames of one outbound connection, oldest first, in three runs:
 *
 *   [head, written)   handed to the socket, not yet acknowledged by the peer
 *   [written, end)    pending: waiting for the handshake, the next flush, or 'drain'
 *
 * Messages are kept until acknowledged so that, if the connection drops, every one of them can
 * be reported as not delivered. Frame bytes are released as soon as they are written.
 */
import { assert, assertFailed } from '../../core/assert.ts';

/** Compact the arrays once this many acknowledged slots have piled up at the front. */
const compactSlotsMin = 1024;

export class OutboundQueue {
  private messages: unknown[] = [];
  private frames: (Buffer | undefined)[] = [];
  private head = 0;
  private written = 0;

  /** Frames accepted and not yet acknowledged. */
  get size(): number {
    return this.messages.length - this.head;
  }

  get pendingCount(): number {
    return this.messages.length - this.written;
  }

  get unackedCount(): number {
    return this.written - this.head;
  }

  push(message: unknown, frame: Buffer): void {
    this.messages.push(message);
    this.frames.push(frame);
  }

  /** Marks pending frames as written, oldest first, up to `bytesMax` (at least one frame). */
  takePending(bytesMax: number): Buffer[] {
    const taken: Buffer[] = [];
    let bytes = 0;
    while (this.written < this.frames.length) {
      const frame = this.frames[this.written];
      assert(frame !== undefined, 'pending frame already released');
      if (taken.length > 0 && bytes + frame.length > bytesMax) break;
      taken.push(frame);
      bytes += frame.length;
      this.frames[this.written] = undefined;
      this.written++;
    }
    return taken;
  }

  /** The peer has delivered `count` more of the written frames. */
  acknowledge(count: number): void {
    if (!(count >= 0 && count <= this.unackedCount)) assertFailed(`ack of ${count} frames with ${this.unackedCount} unacknowledged`);
    for (let i = this.head; i < this.head + count; i++) this.messages[i] = undefined;
    this.head += count;
    if (this.head >= compactSlotsMin && this.head * 2 >= this.messages.length) this.compact();
  }

  /** Empties the queue, returning every message not acknowledged, oldest first. */
  takeAll(): unknown[] {
    const remaining = this.messages.slice(this.head);
    this.messages = [];
    this.frames = [];
    this.head = 0;
    this.written = 0;
    return remaining;
  }

  private compact(): void {
    this.messages = this.messages.slice(this.head);
    this.frames = this.frames.slice(this.head);
    this.written -= this.head;
    this.head = 0;
  }
}
