import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinateWrite } from '../version/object.ts';
import { applyStoreOp } from './store-op.ts';

const write = (value: number, actor: string) => coordinateWrite(null, { value: new Uint8Array([value]), contentType: 'text/plain', deleted: false, context: null }, actor, 1, 'siblings').object;

describe('dropIfUnchanged', () => {
  const sent = write(1, 'n1.00000001');

  test('drops exactly the object a sweep handed off', () => {
    const result = applyStoreOp(sent, { kind: 'dropIfUnchanged', object: sent, reason: 'stray' });
    assert.equal(result.drop, true);
    assert.deepEqual(result.outcome, { ok: true, object: null, previous: sent });
  });

  test('keeps a copy a write changed since the scan, and does nothing to a missing one', () => {
    const changed = write(2, 'n2.00000002');
    const kept = applyStoreOp(changed, { kind: 'dropIfUnchanged', object: sent, reason: 'stray' });
    assert.equal(kept.drop, undefined);
    assert.equal(kept.write, undefined);
    assert.deepEqual(kept.outcome, { ok: true, object: changed, previous: changed });
    assert.equal(applyStoreOp(null, { kind: 'dropIfUnchanged', object: sent, reason: 'stray' }).drop, undefined);
  });
});
