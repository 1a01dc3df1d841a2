/**
 * SortedByteMap: a map from byte-string keys to values, kept in ascending byte order, for the
 * memory engine. Entries live in a list of sorted blocks of at most `sortedBlockEntriesMax`
 * (the layout of Python's sortedcontainers): a lookup is a binary search over the blocks' first
 * keys and then within one block, and an insert or delete splices one small block instead of
 * moving every later entry of one big array. On 100k keys that makes a random insert cost
 * about as much as a lookup (one flat array spends ~20 µs per insert moving pointers). Nothing
 * is ever re-sorted.
 *
 * Keys are stored as given; the caller copies them if it must (MemoryEngine does).
 */
import { assert } from '../core/assert.ts';
import { compareBytes } from './bytes.ts';

/** A block splits in two when it grows past this many entries. */
export const sortedBlockEntriesMax = 1024;

interface Slot<V> {
  readonly key: Uint8Array;
  value: V;
}

interface Position {
  readonly block: number;
  /** Index of the first entry ≥ the key within the block (may equal the block's length). */
  readonly index: number;
}

export class SortedByteMap<V> {
  private readonly blocks: Slot<V>[][] = [];
  private count = 0;

  /** Tests pass tiny blocks, so that short op sequences split and empty many of them. */
  constructor(private readonly blockEntriesMax: number = sortedBlockEntriesMax) {
    assert(Number.isInteger(blockEntriesMax) && blockEntriesMax >= 2, 'a block holds at least 2 entries');
  }

  get size(): number {
    return this.count;
  }

  get(key: Uint8Array): V | undefined {
    return this.slotAt(this.locate(key), key)?.value;
  }

  set(key: Uint8Array, value: V): void {
    const position = this.locate(key);
    const slot = this.slotAt(position, key);
    if (slot !== undefined) {
      slot.value = value;
      return;
    }
    if (this.blocks.length === 0) this.blocks.push([]);
    const block = this.blocks[position.block]!;
    block.splice(position.index, 0, { key, value });
    this.count++;
    if (block.length > this.blockEntriesMax) this.blocks.splice(position.block + 1, 0, block.splice(block.length >>> 1));
  }

  delete(key: Uint8Array): boolean {
    const position = this.locate(key);
    if (this.slotAt(position, key) === undefined) return false;
    const block = this.blocks[position.block]!;
    block.splice(position.index, 1);
    this.count--;
    if (block.length === 0) this.blocks.splice(position.block, 1);
    return true;
  }

  /** Entries with key ≥ gte, ascending. The map must not change while this is iterated. */
  *entriesFrom(gte: Uint8Array): Generator<{ readonly key: Uint8Array; readonly value: V }> {
    const start = this.locate(gte);
    for (let block = start.block, index = start.index; block < this.blocks.length; block++, index = 0) {
      const slots = this.blocks[block]!;
      for (; index < slots.length; index++) yield slots[index]!;
    }
  }

  clear(): void {
    this.blocks.length = 0;
    this.count = 0;
  }

  private slotAt(position: Position, key: Uint8Array): Slot<V> | undefined {
    const slot = this.blocks[position.block]?.[position.index];
    return slot !== undefined && compareBytes(slot.key, key) === 0 ? slot : undefined;
  }

  /** The block that holds or would hold `key` (the last whose first key ≤ key), and the index in it. */
  private locate(key: Uint8Array): Position {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareBytes(this.blocks[middle]![0]!.key, key) <= 0) low = middle + 1;
      else high = middle;
    }
    const block = Math.max(0, low - 1);
    return { block, index: lowerBound(this.blocks[block] ?? [], key) };
  }
}

/** Index of the first slot whose key is ≥ `key`. */
function lowerBound<V>(slots: readonly Slot<V>[], key: Uint8Array): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareBytes(slots[middle]!.key, key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
