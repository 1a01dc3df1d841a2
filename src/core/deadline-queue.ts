/**
 * The (deadline, id) pairs of operations in flight, so that the node checks on every tick which
 * have run out of time without scanning all of them. Entries of finished operations are left in
 * place and skipped when they surface (lazy deletion), so finishing an operation costs nothing
 * here.
 *
 * Nearly every entry comes in deadline order: most operations share a timeout, and the core's
 * clock never goes back. So an entry no earlier than the last one in order joins a FIFO, where
 * adding and taking one costs a few array accesses; only the others (a request with a shorter
 * timeout of its own) go into a min-heap. A heap alone sifted through ~14 levels for every entry
 * taken out — the deadline queue holds every operation of the last `requestTimeoutMs` (5 s,
 * ~15,000 entries per node under load) — and a push and its pop cost ~110 ns against ~20 here
 * (scripts/hot-path-bench.ts).
 */
/** The ring's first size: a quiet node's operations in flight. */
const orderedSlotsMin = 256;

export class DeadlineQueue {
  /**
   * The entries in deadline order: a ring of `orderedCount` slots from `orderedHead`, in typed
   * arrays that the GC need not scan. (A FIFO of plain arrays, grown by `push` and cut back by
   * setting their length, measured slower than the heap.)
   */
  private orderedDeadlines = new Float64Array(orderedSlotsMin);
  private orderedIds = new Float64Array(orderedSlotsMin);
  private orderedHead = 0;
  private orderedCount = 0;
  /** The min-heap of entries that came out of order. */
  private readonly heapDeadlines: number[] = [];
  private readonly heapIds: number[] = [];

  get size(): number {
    return this.orderedCount + this.heapIds.length;
  }

  push(deadlineMs: number, id: number): void {
    if (this.orderedCount === 0 || deadlineMs >= this.orderedDeadlines[this.orderedSlot(this.orderedCount - 1)]!) {
      if (this.orderedCount === this.orderedIds.length) this.growOrdered();
      const slot = this.orderedSlot(this.orderedCount++);
      this.orderedDeadlines[slot] = deadlineMs;
      this.orderedIds[slot] = id;
      return;
    }
    this.heapDeadlines.push(deadlineMs);
    this.heapIds.push(id);
    this.siftUp(this.heapIds.length - 1);
  }

  /** Removes and returns the ids whose deadline is ≤ nowMs, earliest first. */
  popExpired(nowMs: number): number[] {
    const expired: number[] = [];
    const { heapDeadlines, heapIds } = this;
    for (;;) {
      const orderedFirst = this.orderedCount > 0 ? this.orderedDeadlines[this.orderedHead]! : Infinity;
      const heapFirst = heapIds.length > 0 ? heapDeadlines[0]! : Infinity;
      if (orderedFirst <= nowMs && orderedFirst <= heapFirst) {
        expired.push(this.orderedIds[this.orderedHead]!);
        this.orderedHead = this.orderedSlot(1);
        this.orderedCount--;
      } else if (heapFirst <= nowMs) {
        expired.push(heapIds[0]!);
        this.removeTop();
      } else break;
    }
    return expired;
  }

  /** The ring slot `offset` entries after the head (slots are a power of two). */
  private orderedSlot(offset: number): number {
    return (this.orderedHead + offset) & (this.orderedIds.length - 1);
  }

  /** Twice the slots, the entries moved to the start (a ring that grows stays grown, as a busy node's load comes back). */
  private growOrdered(): void {
    const deadlines = new Float64Array(this.orderedIds.length * 2);
    const ids = new Float64Array(this.orderedIds.length * 2);
    for (let i = 0; i < this.orderedCount; i++) {
      const slot = this.orderedSlot(i);
      deadlines[i] = this.orderedDeadlines[slot]!;
      ids[i] = this.orderedIds[slot]!;
    }
    this.orderedDeadlines = deadlines;
    this.orderedIds = ids;
    this.orderedHead = 0;
  }

  private removeTop(): void {
    const lastDeadline = this.heapDeadlines.pop()!;
    const lastId = this.heapIds.pop()!;
    if (this.heapIds.length === 0) return;
    this.heapDeadlines[0] = lastDeadline;
    this.heapIds[0] = lastId;
    this.siftDown(0);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heapDeadlines[parent]! <= this.heapDeadlines[i]!) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    const count = this.heapIds.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < count && this.heapDeadlines[left]! < this.heapDeadlines[smallest]!) smallest = left;
      if (right < count && this.heapDeadlines[right]! < this.heapDeadlines[smallest]!) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  /** With temporaries, not a destructuring swap: that made two arrays per swap, the node's largest source of garbage. */
  private swap(a: number, b: number): void {
    const { heapDeadlines: deadlines, heapIds: ids } = this;
    const deadline = deadlines[a]!;
    deadlines[a] = deadlines[b]!;
    deadlines[b] = deadline;
    const id = ids[a]!;
    ids[a] = ids[b]!;
    ids[b] = id;
  }
}
