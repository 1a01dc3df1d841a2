import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWalGroup, encodeWalGroup, walGroupHeaderBytes, type LoggedWrite } from './wal-group.ts';

const salt = Buffer.from('saltsalt');

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const shown = (group: ReturnType<typeof decodeWalGroup>) =>
  group?.writes.map((write) => `${Buffer.from(write.key).toString()}=${write.type === 'put' ? Buffer.from(write.value).toString() : '(deleted)'}`);

const writes: LoggedWrite[] = [
  { key: bytes('a'), value: bytes('one') },
  { key: bytes('b'), value: null },
  { key: bytes('a'), value: new Uint8Array(0) },
];

describe('write-ahead log groups', () => {
  test('a group reads back as written: puts, deletes and empty values, in order, with its first ordinal', () => {
    const encoded = encodeWalGroup(41, writes, salt);
    const group = decodeWalGroup(encoded, 0);
    assert.equal(group?.firstOrdinal, 41);
    assert.ok(group?.salt.equals(salt));
    assert.deepEqual(shown(group), ['a=one', 'b=(deleted)', 'a=']);
    assert.equal(group?.end, encoded.length);
  });

  test('groups follow one another, and zeros after them end the log', () => {
    const log = Buffer.concat([encodeWalGroup(0, writes, salt), encodeWalGroup(3, writes.slice(0, 1), salt), Buffer.alloc(64)]);
    const first = decodeWalGroup(log, 0)!;
    const second = decodeWalGroup(log, first.end)!;
    assert.equal(second.firstOrdinal, 3);
    assert.deepEqual(shown(second), ['a=one']);
    assert.equal(decodeWalGroup(log, second.end), undefined);
  });

  test('a torn group, a changed byte anywhere or a group cut short is no group', () => {
    const encoded = encodeWalGroup(7, writes, salt);
    assert.equal(decodeWalGroup(encoded.subarray(0, encoded.length - 1), 0), undefined, 'torn');
    for (let at = 0; at < encoded.length; at++) {
      const damaged = Buffer.from(encoded);
      damaged[at]! ^= 0x10;
      assert.equal(decodeWalGroup(damaged, 0), undefined, `byte ${at} changed`);
    }
    assert.equal(decodeWalGroup(encoded.subarray(0, walGroupHeaderBytes - 1), 0), undefined, 'header cut short');
  });
});
