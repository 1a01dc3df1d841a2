/**
 * Record values. YCSB's default record is 10 fields of 100 bytes (`fieldcount`, `fieldlength`)
 * filled by RandomByteIterator with printable ASCII; a key-value store without fields stores the
 * record as one value. Our default is one 100-byte value (`--value-layout single`); `--value-layout
 * ycsb` writes YCSB's 10 × 100-byte record, encoded `field0=<100 bytes>\u0001field1=…` (what
 * matters to the stores is its ~1 KB size). Updates write the whole record (YCSB's
 * `writeallfields=true`): a KV store cannot update one field without reading the record first.
 *
 * Values come from a pool built once from the seeded PRNG, so the timed loop allocates nothing
 * per request and the harness spends its share of the two cores on requests, not on bytes.
 */
import { assert } from '../../src/core/assert.ts';
import type { Random } from './prng.ts';

export type ValueLayout = 'single' | 'ycsb';

export const valueBytesDefault = 100;
export const ycsbFieldCount = 10;
export const ycsbFieldBytes = 100;
const valuePoolCount = 256;
/** RandomByteIterator's alphabet: the printable characters ' ' (32) to '~' (126). */
const printableFirst = 32;
const printableCount = 95;
const fieldSeparator = 1;
const equalsSign = 61;

function randomPrintable(random: Random, length: number, into: Uint8Array, at: number): void {
  for (let i = 0; i < length; i++) into[at + i] = printableFirst + random.nextInt(printableCount);
}

function singleValue(random: Random, bytes: number): Uint8Array {
  const value = new Uint8Array(bytes);
  randomPrintable(random, bytes, value, 0);
  return value;
}

function ycsbRecord(random: Random): Uint8Array {
  const parts: number[] = [];
  for (let field = 0; field < ycsbFieldCount; field++) {
    if (field > 0) parts.push(fieldSeparator);
    for (const char of `field${field}`) parts.push(char.charCodeAt(0));
    parts.push(equalsSign);
    const bytes = new Uint8Array(ycsbFieldBytes);
    randomPrintable(random, ycsbFieldBytes, bytes, 0);
    parts.push(...bytes);
  }
  return Uint8Array.from(parts);
}

export class ValuePool {
  private readonly values: readonly Uint8Array[];

  constructor(
    private readonly random: Random,
    layout: ValueLayout,
    valueBytes: number = valueBytesDefault,
  ) {
    assert(valueBytes > 0, 'valueBytes must be positive');
    this.values = Array.from({ length: valuePoolCount }, () =>
      layout === 'ycsb' ? ycsbRecord(random) : singleValue(random, valueBytes),
    );
  }

  next(): Uint8Array {
    return this.values[this.random.nextInt(this.values.length)]!;
  }

  get valueBytes(): number {
    return this.values[0]!.length;
  }
}
