/**
 * Virtual time and the events that happen in it. The simulator is a discrete-event loop: it
 * pops the earliest event, moves the clock to it and runs it; running an event schedules more.
 * Time is in microseconds (integers) so that latencies below a millisecond still order events;
 * nodes see it in whole milliseconds, as the core requires.
 *
 * Events at the same instant run in the order they were scheduled (a sequence number breaks
 * ties), which is what makes a run a pure function of its seed.
 */
import { assertFailed } from '../core/assert.ts';

export type EventAction = () => void;

export const microsPerMs = 1000;

export class EventQueue {
  private nowUsValue = 0;
  private nextSeq = 0;
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly actions: EventAction[] = [];

  get nowUs(): number {
    return this.nowUsValue;
  }

  /** The current time in whole milliseconds, as nodes see it. */
  get nowMs(): number {
    return Math.floor(this.nowUsValue / microsPerMs);
  }

  get size(): number {
    return this.actions.length;
  }

  /** Runs `action` `delayUs` from now (rounded to whole microseconds, never in the past). */
  after(delayUs: number, action: EventAction): void {
    this.at(this.nowUsValue + Math.max(0, Math.round(delayUs)), action);
  }

  at(timeUs: number, action: EventAction): void {
    if (!(Number.isSafeInteger(timeUs) && timeUs >= this.nowUsValue)) assertFailed(`event at ${timeUs} us is in the past (now ${this.nowUsValue})`);
    this.times.push(timeUs);
    this.seqs.push(this.nextSeq++);
    this.actions.push(action);
    this.siftUp(this.actions.length - 1);
  }

  /** Runs every event up to and including `timeUs`, then leaves the clock at `timeUs`. */
  runUntil(timeUs: number): void {
    while (this.actions.length > 0 && this.times[0]! <= timeUs) {
      this.nowUsValue = this.times[0]!;
      const action = this.popTop();
      action();
    }
    this.nowUsValue = Math.max(this.nowUsValue, timeUs);
  }

  private popTop(): EventAction {
    const top = this.actions[0]!;
    const lastTime = this.times.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastAction = this.actions.pop()!;
    if (this.actions.length > 0) {
      this.times[0] = lastTime;
      this.seqs[0] = lastSeq;
      this.actions[0] = lastAction;
      this.siftDown(0);
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return this.times[i]! < this.times[j]! || (this.times[i] === this.times[j] && this.seqs[i]! < this.seqs[j]!);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    const count = this.actions.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < count && this.before(left, first)) first = left;
      if (right < count && this.before(right, first)) first = right;
      if (first === i) return;
      this.swap(i, first);
      i = first;
    }
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b]!, this.seqs[a]!];
    [this.actions[a], this.actions[b]] = [this.actions[b]!, this.actions[a]!];
  }
}
