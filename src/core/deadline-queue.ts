/**
 * A min-heap of (deadline, id): the node checks on every tick which operations have run out of
 * time without scanning all of them. Entries of finished operations are left in place and
 * skipped when they surface (lazy deletion), so finishing an operation costs nothing here.
 */
export class DeadlineQueue {
  private readonly deadlines: number[] = [];
  private readonly ids: number[] = [];

  get size(): number {
    return this.ids.length;
  }

  push(deadlineMs: number, id: number): void {
    this.deadlines.push(deadlineMs);
    this.ids.push(id);
    this.siftUp(this.ids.length - 1);
  }

  /** Removes and returns the ids whose deadline is ≤ nowMs, earliest first. */
  popExpired(nowMs: number): number[] {
    const expired: number[] = [];
    while (this.ids.length > 0 && (this.deadlines[0] as number) <= nowMs) {
      expired.push(this.ids[0] as number);
      this.removeTop();
    }
    return expired;
  }

  private removeTop(): void {
    const lastDeadline = this.deadlines.pop() as number;
    const lastId = this.ids.pop() as number;
    if (this.ids.length === 0) return;
    this.deadlines[0] = lastDeadline;
    this.ids[0] = lastId;
    this.siftDown(0);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.deadlines[parent] as number) <= (this.deadlines[i] as number)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    const count = this.ids.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < count && (this.deadlines[left] as number) < (this.deadlines[smallest] as number)) smallest = left;
      if (right < count && (this.deadlines[right] as number) < (this.deadlines[smallest] as number)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  /** With temporaries, not a destructuring swap: that made two arrays per swap, the node's largest source of garbage. */
  private swap(a: number, b: number): void {
    const { deadlines, ids } = this;
    const deadline = deadlines[a] as number;
    deadlines[a] = deadlines[b] as number;
    deadlines[b] = deadline;
    const id = ids[a] as number;
    ids[a] = ids[b] as number;
    ids[b] = id;
  }
}
