/**
 * A map from integer ids to values for the registries that gain and lose an entry with every
 * request: operations by op id, store ops, requests in flight.
 *
 * Why not a Map: V8 keeps a Map's entries in a table that it replaces when the Map grows, shrinks
 * or fills with deleted entries, and the replaced table keeps its entries and a link to its
 * successor. Once a long-lived Map's table is in the old generation, every successor is allocated
 * there too, and each replaced table — dead, but only a full collection knows it — holds every
 * value it held alive through young collections: all of them are promoted. A node flipped into
 * that state at random and stayed in it, promoting ~1.5 MB per young collection instead of
 * ~30 KB (docs/benchmarks.md, "The GC state, found"). Here the slots are two plain arrays that are
 * replaced only on a resize, a cleared slot holds nothing, and a replaced array is emptied.
 *
 * Open addressing with linear probing and multiplicative hashing (Knuth's, with the golden
 * ratio, for ids this process makes: it spreads consecutive ones over the slots; with a random
 * odd multiplier for ids a client chooses, so that it cannot pick ids that all collide —
 * Dietzfelbinger's multiply-shift family). At most half of the slots are used (it grows past
 * that, and shrinks only once it has stayed below an eighth full for a while: `quietDeletes`),
 * and a delete shifts the entries behind it back (no deleted markers, so the table never needs
 * rebuilding while its size holds).
 */
import { assert, assertFailed } from './assert.ts';

/** The smallest table: an idle registry, or one that holds a few entries at a time. */
export const idTableSlotsMin = 16;

/** 2^32 / φ: multiplying by it spreads consecutive ids (Knuth's Fibonacci hashing). */
export const idTableFibonacciMultiplier = 0x9e3779b9;
const twoTo32 = 2 ** 32;

export class IdTable<V> {
  private ids = new Float64Array(idTableSlotsMin);
  /** `undefined` marks a free slot: values are never undefined. */
  private values: (V | undefined)[] = new Array<V | undefined>(idTableSlotsMin).fill(undefined);
  /** log2 of the slot count. */
  private bits = Math.log2(idTableSlotsMin);
  private count = 0;
  /**
   * Deletes made since the count last stood at a quarter of the slots or more (or since the last
   * resize). The table shrinks only once it has stayed below an eighth full for as many deletes
   * as it has slots: a registry that drains at the end of each burst and fills again in the next
   * keeps its size, while one whose load has fallen gives its memory back after a while. Shrinking
   * as soon as the count fell below an eighth made a registry whose count swings between a few and
   * a dozen — a node's store ops and flushes in flight — resize on every burst: 0.56 % of the
   * nodes' CPU (docs/benchmarks.md); a step of such bursts took 118–260 ns, 17–21 now
   * (scripts/id-table-bench.ts).
   */
  private quietDeletes = 0;

  /** `hashMultiplier`: an odd 32-bit number; a random one where clients choose the ids. */
  constructor(private readonly hashMultiplier: number = idTableFibonacciMultiplier) {
    if (!(Number.isInteger(hashMultiplier) && hashMultiplier > 0 && hashMultiplier < twoTo32 && hashMultiplier % 2 === 1)) {
      assertFailed(`id table: hash multiplier ${hashMultiplier} is not an odd 32-bit number`);
    }
  }

  get size(): number {
    return this.count;
  }

  /** How many slots the table has now: it grows past half full, and shrinks after a while below an eighth. */
  get slots(): number {
    return this.values.length;
  }

  get(id: number): V | undefined {
    const { ids, values } = this;
    const mask = values.length - 1;
    for (let slot = this.home(id); ; slot = (slot + 1) & mask) {
      const value = values[slot];
      if (value === undefined || ids[slot] === id) return value;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, value: V): void {
    if (!Number.isSafeInteger(id) || id < 0) assertFailed(`id table: id ${id} is not a non-negative safe integer`);
    assert(value !== undefined, 'id table: a value may not be undefined');
    const { ids, values } = this;
    const mask = values.length - 1;
    for (let slot = this.home(id); ; slot = (slot + 1) & mask) {
      if (values[slot] === undefined) {
        if ((this.count + 1) * 2 > values.length) {
          this.resize(values.length * 2);
          return this.set(id, value);
        }
        ids[slot] = id;
        values[slot] = value;
        this.count += 1;
        if (this.count * 4 >= values.length) this.quietDeletes = 0;
        return;
      }
      if (ids[slot] === id) {
        values[slot] = value;
        return;
      }
    }
  }

  /** Removes `id`'s entry; false when there was none. */
  delete(id: number): boolean {
    const { ids, values } = this;
    const mask = values.length - 1;
    let free = this.home(id);
    for (; ; free = (free + 1) & mask) {
      if (values[free] === undefined) return false;
      if (ids[free] === id) break;
    }
    values[free] = undefined;
    this.count -= 1;
    // Backward shift: an entry further along the run whose home is not between the freed slot
    // and itself (cyclically) would be unreachable past the gap, so it moves into the gap.
    for (let slot = (free + 1) & mask; values[slot] !== undefined; slot = (slot + 1) & mask) {
      const home = this.home(ids[slot]!);
      const reachable = free <= slot ? free < home && home <= slot : free < home || home <= slot;
      if (reachable) continue;
      ids[free] = ids[slot]!;
      values[free] = values[slot];
      values[slot] = undefined;
      free = slot;
    }
    if (values.length > idTableSlotsMin && this.count * 8 < values.length && ++this.quietDeletes >= values.length) {
      this.resize(values.length / 2);
    }
    return true;
  }

  clear(): void {
    this.values.fill(undefined); // it may be in the old generation: it must not keep what it held
    this.ids = new Float64Array(idTableSlotsMin);
    this.values = new Array<V | undefined>(idTableSlotsMin).fill(undefined);
    this.bits = Math.log2(idTableSlotsMin);
    this.count = 0;
    this.quietDeletes = 0;
  }

  /** The entries as a new array (slot order, not insertion order): the table may change while the caller walks it. */
  entries(): [number, V][] {
    const entries: [number, V][] = [];
    for (let slot = 0; slot < this.values.length; slot++) {
      const value = this.values[slot];
      if (value !== undefined) entries.push([this.ids[slot]!, value]);
    }
    return entries;
  }

  /** The slot an id hashes to: both 32-bit halves of the id, mixed, then the top `bits` bits. */
  private home(id: number): number {
    const mixed = Math.imul((id >>> 0) ^ ((id / twoTo32) >>> 0), this.hashMultiplier);
    return mixed >>> (32 - this.bits);
  }

  private resize(slots: number): void {
    const { ids, values } = this;
    this.ids = new Float64Array(slots);
    this.values = new Array<V | undefined>(slots).fill(undefined);
    this.bits = Math.log2(slots);
    this.count = 0;
    this.quietDeletes = 0;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot];
      if (value !== undefined) this.set(ids[slot]!, value);
    }
    values.fill(undefined); // it may be in the old generation: it must not keep what it held
  }
}
