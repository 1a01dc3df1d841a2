/**
 * Key names and key choice as YCSB's CoreWorkload does them.
 *
 * - `buildKeyName(keynum)` with `insertorder=hashed` (the default): "user" + the decimal of
 *   fnvhash64(keynum), zero padding 1 (none). Record 0 is "user6284781860667377211".
 * - `nextKeynum()` with `requestdistribution=zipfian`: a ScrambledZipfianGenerator over
 *   [0, recordcount] (YCSB sizes it insertstart + insertcount + expected new keys; our workloads
 *   insert nothing while timed) and redraws any number past the last inserted record.
 */
import { assert, assertFailed } from '../../src/core/assert.ts';
import { ycsbFnvHash64 } from './fnv.ts';
import type { Random } from './prng.ts';
import { ScrambledZipfianGenerator } from './scrambled-zipfian.ts';

const keyPrefix = 'user';

export function buildKeyName(recordNumber: number): string {
  if (!(Number.isSafeInteger(recordNumber) && recordNumber >= 0)) assertFailed(`record number ${recordNumber}`);
  return keyPrefix + ycsbFnvHash64(recordNumber).toString();
}

/** Picks the record a request goes to: scrambled zipfian, as YCSB's `nextKeynum`. */
export class KeyChooser {
  private readonly generator: ScrambledZipfianGenerator;
  /** Names of every loaded record, built once so the timed loop does not spend CPU on hashing names. */
  private readonly names: readonly string[];

  constructor(
    private readonly recordCount: number,
    random: Random,
  ) {
    assert(recordCount > 0, 'recordCount must be positive');
    this.generator = new ScrambledZipfianGenerator(0, recordCount, random);
    this.names = Array.from({ length: recordCount }, (_, i) => buildKeyName(i));
  }

  nextRecordNumber(): number {
    // YCSB: `do { keynum = keychooser.nextValue() } while (keynum > transactioninsertkeysequence.lastValue())`.
    let recordNumber: number;
    do recordNumber = this.generator.nextValue();
    while (recordNumber >= this.recordCount);
    return recordNumber;
  }

  nextKey(): string {
    return this.names[this.nextRecordNumber()]!;
  }

  keyOf(recordNumber: number): string {
    return this.names[recordNumber]!;
  }
}
