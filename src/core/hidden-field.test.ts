import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hiddenField } from './hidden-field.ts';

describe('hiddenField', () => {
  test('keeps a value on the object that only its field reads', () => {
    const field = hiddenField<number>();
    const other = hiddenField<number>();
    const object = { a: 1 };
    assert.equal(field.get(object), undefined);
    field.setOnce(object, 7);
    assert.equal(field.get(object), 7);
    assert.equal(other.get(object), undefined, 'each field is its own');
    other.setOnce(object, 8);
    assert.equal(field.get(object), 7);
    assert.equal(other.get(object), 8);
  });

  test('is seen by nothing else: keys, symbols, JSON, spread, deep equality', () => {
    const field = hiddenField<string>();
    const object = { a: 1, b: [2] };
    field.setOnce(object, 'secret');
    assert.deepEqual(Object.keys(object), ['a', 'b']);
    assert.deepEqual(Reflect.ownKeys(object), ['a', 'b']);
    assert.equal(JSON.stringify(object), '{"a":1,"b":[2]}');
    assert.deepStrictEqual(object, { a: 1, b: [2] });
    const copy = { ...object };
    assert.equal(field.get(copy), undefined, 'a copy does not carry it');
    assert.equal(field.get(Object.assign({}, object)), undefined);
    assert.equal(field.get(structuredClone(object)), undefined);
  });

  test('is set once: a second value is ignored', () => {
    const field = hiddenField<number>();
    const object = {};
    field.setOnce(object, 1);
    field.setOnce(object, 2);
    assert.equal(field.get(object), 1);
  });

  test('a frozen or sealed object takes no value', () => {
    const field = hiddenField<number>();
    for (const object of [Object.freeze({ a: 1 }), Object.seal({ a: 1 }), Object.preventExtensions({ a: 1 })]) {
      field.setOnce(object, 1);
      assert.equal(field.get(object), undefined);
    }
  });

  test('works on arrays and class instances, and leaves their behaviour alone', () => {
    const field = hiddenField<boolean>();
    const array = [1, 2, 3];
    field.setOnce(array, true);
    assert.equal(field.get(array), true);
    assert.deepStrictEqual(array, [1, 2, 3]);
    assert.equal(array.length, 3);
    const map = new Map([[1, 2]]);
    field.setOnce(map, true);
    assert.equal(field.get(map), true);
    assert.equal(map.get(1), 2);
    assert.ok(map instanceof Map);
  });
});
