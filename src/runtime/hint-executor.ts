/**
 * Carries out the core's hint ops (core/handoff/hint-op.ts) on a real StorageEngine. A key's
 * hint record lives under hintKey(partition, bucket, key) in the hints namespace, apart from
 * owned data (storage/keys.ts), as msgpack [[owner, encoded object], …]. Ops on one key's record
 * run under a per-key lock, as store ops do, so two read-merge-writes never interleave.
 */
import { Packr } from 'msgpackr';
import { assert, unreachable } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import { deleteHint, hintsOf, objectWithHints, storeHint, type Hint, type HintOp, type HintOutcome, type HintRecord, type HintTarget } from '../core/handoff/hint-op.ts';
import { encodeObject } from '../core/version/codec.ts';
import { readStoredObject } from './stored-objects.ts';
import type { Resolution } from '../core/version/types.ts';
import type { StorageEngine } from '../storage/engine.ts';
import { KeyedSerializer } from '../storage/keyed-lock.ts';
import { dataKey, decodeHintKey, hintKey, hintsRange } from '../storage/keys.ts';

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
  private readonly serializer = new KeyedSerializer();

  constructor(private readonly engine: StorageEngine) {}

  async run(op: HintOp): Promise<HintOutcome> {
    try {
      switch (op.kind) {
        case 'store':
          return await this.change(op.hint, (record) => storeHint(record, op.hint, op.resolution));
        case 'delete':
          return await this.change(op.hint, (record) => deleteHint(record, op.hint));
        case 'readKey':
          return await this.readKey(op.target, op.resolution);
        case 'scan':
          return await this.scan(op.after, op.limit);
        case 'count':
          return await this.count();
        case 'holds':
          return { kind: 'holds', held: (await this.engine.get(hintKey(op.target.partition, op.target.bucket, op.target.key))) !== undefined };
        default:
          return unreachable(op, 'hint op');
      }
    } catch (error) {
      const wrapped = error instanceof KvorumError ? error : new KvorumError('internal', `hint storage failed: ${(error as Error).message}`);
      return { kind: 'failed', error: wrapped };
    }
  }

  private async change(target: HintTarget, apply: (record: HintRecord | null) => { outcome: HintOutcome; write?: HintRecord | null | undefined }): Promise<HintOutcome> {
    const key = hintKey(target.partition, target.bucket, target.key);
    return this.serializer.run(lockName(key), async () => {
      const bytes = await this.engine.get(key);
      const { outcome, write } = apply(bytes === undefined ? null : decodeRecord(bytes));
      if (write === null) await this.engine.delete(key);
      else if (write !== undefined) await this.engine.put(key, encodeRecord(write));
      return outcome;
    });
  }

  private async readKey(target: HintTarget, resolution: Resolution): Promise<HintOutcome> {
    const key = hintKey(target.partition, target.bucket, target.key);
    const [owned, hints] = await Promise.all([this.engine.get(dataKey(target.partition, target.bucket, target.key)), this.engine.get(key)]);
    const object = objectWithHints(owned === undefined ? null : readStoredObject(owned), hints === undefined ? null : decodeRecord(hints), resolution);
    return { kind: 'read', object };
  }

  private async scan(after: HintTarget | null, limit: number): Promise<HintOutcome> {
    const range = hintsRange(after === null ? undefined : hintKey(after.partition, after.bucket, after.key));
    const hints: Hint[] = [];
    let last: HintTarget | null = null;
    for await (const entry of this.engine.scan({ ...range, limit })) {
      last = decodeHintKey(entry.key);
      hints.push(...hintsOf(last, decodeRecord(entry.value)));
    }
    return { kind: 'scanned', hints, last };
  }

  private async count(): Promise<HintOutcome> {
    let count = 0;
    for await (const entry of this.engine.scan(hintsRange())) count += decodeRecord(entry.value).size;
    return { kind: 'counted', count };
  }
}

function lockName(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
