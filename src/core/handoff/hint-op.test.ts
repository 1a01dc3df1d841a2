import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteHint, hintsOf, objectWithHints, storeHint, type Hint } from './hint-op.ts';
import { coordinateWrite } from '../version/object.ts';
import type { StoredObject } from '../version/types.ts';

const target = { partition: 3, bucket: 'b', key: 'k' };
const bytes = new TextEncoder();
function version(value: string, actor: string, stored: StoredObject | null = null): StoredObject {
  return coordinateWrite(stored, { value: bytes.encode(value), contentType: 't', deleted: false, context: stored?.context ?? null }, actor, 1, 'siblings').object;
}

describe('hint records', () => {
  test('a hint is kept per owner, and merging a newer version for the same owner replaces nothing else', () => {
    const v1 = version('one', 'n1');
    const hint: Hint = { ...target, owner: 'n2', object: v1 };
    const first = storeHint(null, hint, 'siblings');
    assert.deepEqual(first.outcome, { kind: 'stored', created: true });
    const record = first.write!;
    const again = storeHint(record, hint, 'siblings');
    assert.equal(again.write, undefined, 'storing the same version twice changes nothing');
    const v2 = version('two', 'n1', v1);
    const newer = storeHint(record, { ...hint, object: v2 }, 'siblings');
    assert.deepEqual(newer.outcome, { kind: 'stored', created: false });
    assert.deepEqual(newer.write!.get('n2'), v2);
    const other = storeHint(newer.write!, { ...hint, owner: 'n3' }, 'siblings');
    assert.deepEqual([...other.write!.keys()].sort(), ['n2', 'n3']);
    assert.equal(hintsOf(target, other.write!).length, 2);
  });

  test('a hint is deleted only if the record still holds exactly what was delivered', () => {
    const v1 = version('one', 'n1');
    const record = storeHint(null, { ...target, owner: 'n2', object: v1 }, 'siblings').write!;
    const v2 = version('two', 'n1', v1);
    const changed = storeHint(record, { ...target, owner: 'n2', object: v2 }, 'siblings').write!;
    assert.deepEqual(deleteHint(changed, { ...target, owner: 'n2', object: v1 }).outcome, { kind: 'deleted', deleted: false });
    const gone = deleteHint(changed, { ...target, owner: 'n2', object: v2 });
    assert.deepEqual(gone.outcome, { kind: 'deleted', deleted: true });
    assert.equal(gone.write, null, 'an empty record is removed');
  });

  test('a fallback answers a read with what it owns joined with its hints for the key', () => {
    const owned = version('owned', 'n4');
    const hinted = version('hinted', 'n1');
    const record = storeHint(null, { ...target, owner: 'n2', object: hinted }, 'siblings').write!;
    const joined = objectWithHints(owned, record, 'siblings')!;
    assert.equal(joined.siblings.length, 2);
    assert.equal(objectWithHints(null, null, 'siblings'), null);
  });
});
