/**
 * Carries out the core's hint ops (core/handoff/hint-op.ts) on the node's write buffer. A key's
 * hint record lives under hintKey(partition, bucket, key) in the hints namespace, apart from
 * owned data (storage/keys.ts), as msgpack [[owner, encoded object], …]. Ops on one key's record
 * are synchronous, as store ops are (store-executor.ts), so two read-merge-writes never
 * interleave; only the scans of the whole namespace wait (for the buffer's commit).
 */
import { Packr } from 'msgpackr';
import { assert, unreachable } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import { deleteHint, hintsCounted, hintsOf, objectWithHints, storeHint, tallyHints, type Hint, type HintOp, type HintOutcome, type HintRecord, type HintTarget } from '../core/handoff/hint-op.ts';
import { encodeObject } from '../core/version/codec.ts';
import { readStoredObject } from './stored-objects.ts';
import type { Resolution } from '../core/version/types.ts';
import { dataKey, decodeHintKey, hintKey, hintsRange } from '../storage/keys.ts';
import type { WriteBuffer } from '../storage/write-buffer.ts';

const packr = new Packr({ useRecords: false });

function encodeRecord(record: HintRecord): Uint8Array {
  return packr.pack([...record].map(([owner, object]) => [owner, encodeObject(object)]));
}

function decodeRecord(bytes: Uint8Array): HintRecord {
  const pairs = packr.unpack(bytes) as [string, Uint8Array][];
  assert(Array.isArray(pairs), 'a hint record is an array of [owner, object] pairs');
  return new Map(pairs.map(([owner, object]) => [owner, readStoredObject(object)]));
}

export class HintExecutor {
  constructor(private readonly buffer: WriteBuffer) {}

  /** The outcome at once, or — for the scans of the whole namespace — later. */
  run(op: HintOp): HintOutcome | Promise<HintOutcome> {
    try {
      switch (op.kind) {
        case 'store':
          return this.change(op.hint, (record) => storeHint(record, op.hint, op.resolution));
        case 'delete':
          return this.change(op.hint, (record) => deleteHint(record, op.hint));
        case 'readKey':
          return this.readKey(op.target, op.resolution);
        case 'scan':
          return this.scan(op.after, op.limit).catch(failed);
        case 'count':
          return this.count().catch(failed);
        case 'holds':
          return { kind: 'holds', held: this.buffer.get(hintKey(op.target.partition, op.target.bucket, op.target.key)) !== undefined };
        default:
          return unreachable(op, 'hint op');
      }
    } catch (error) {
      return failed(error);
    }
  }

  private change(target: HintTarget, apply: (record: HintRecord | null) => { outcome: HintOutcome; write?: HintRecord | null | undefined }): HintOutcome {
    const key = hintKey(target.partition, target.bucket, target.key);
    const bytes = this.buffer.get(key);
    const { outcome, write } = apply(bytes === undefined ? null : decodeRecord(bytes));
    if (write === null) this.buffer.write([{ type: 'delete', key }]);
    else if (write !== undefined) this.buffer.write([{ type: 'put', key, value: encodeRecord(write) }]);
    return outcome;
  }

  private readKey(target: HintTarget, resolution: Resolution): HintOutcome {
    const owned = this.buffer.get(dataKey(target.partition, target.bucket, target.key));
    const hints = this.buffer.get(hintKey(target.partition, target.bucket, target.key));
    const object = objectWithHints(owned === undefined ? null : readStoredObject(owned), hints === undefined ? null : decodeRecord(hints), resolution);
    return { kind: 'read', object };
  }

  private async scan(after: HintTarget | null, limit: number): Promise<HintOutcome> {
    const range = hintsRange(after === null ? undefined : hintKey(after.partition, after.bucket, after.key));
    const hints: Hint[] = [];
    let last: HintTarget | null = null;
    for await (const entry of this.buffer.scan({ ...range, limit })) {
      last = decodeHintKey(entry.key);
      hints.push(...hintsOf(last, decodeRecord(entry.value)));
    }
    return { kind: 'scanned', hints, last };
  }

  private async count(): Promise<HintOutcome> {
    const byOwner = new Map<string, number>();
    for await (const entry of this.buffer.scan(hintsRange())) tallyHints(byOwner, decodeRecord(entry.value));
    return hintsCounted(byOwner);
  }
}

function failed(error: unknown): HintOutcome {
  const wrapped = error instanceof KvorumError ? error : new KvorumError('internal', `hint storage failed: ${(error as Error).message}`);
  return { kind: 'failed', error: wrapped };
}
