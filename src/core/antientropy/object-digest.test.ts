import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { coordinateWrite } from '../version/object.ts';
import { encodeObject } from '../version/codec.ts';
import { keyHash } from '../ring/hash.ts';
import { HashTree } from './hash-tree.ts';
import { keyDigest, objectDigest, objectDigestInto } from './object-digest.ts';

const object = coordinateWrite(null, { value: Uint8Array.of(1, 2, 3), contentType: 'application/octet-stream', deleted: false, context: null }, 'n1', 1_000, 'siblings').object;

test('a digest is 8 bytes of the MD5 of the encoding XOR bytes 8-15 of the key hash, as hex', () => {
  const ofObject = createHash('md5').update(encodeObject(object)).digest();
  const ofKey = keyHash('b', 'k');
  const expected = Buffer.from(Array.from({ length: 8 }, (_, i) => ofObject[i]! ^ ofKey[8 + i]!)).toString('hex');
  assert.equal(objectDigest(ofKey, object), expected);
  assert.equal(keyDigest('b', 'k', object), expected);
  assert.match(expected, /^[0-9a-f]{16}$/);
});

test('no object, no digest; the same object under two keys digests differently', () => {
  assert.equal(keyDigest('b', 'k', null), null);
  assert.notEqual(keyDigest('b', 'k', object), keyDigest('b', 'k2', object));
});

test('the digest as words is the hex digest, for keys whose digests start with zeros or a set high bit; toggling either way is the same', () => {
  const words = new Uint32Array(2);
  const byHex = new HashTree();
  const byWords = new HashTree();
  for (let i = 0; i < 500; i++) {
    const ofKey = keyHash('b', `k${i}`);
    const ofObject = createHash('md5').update(encodeObject(object)).digest();
    const expected = Buffer.from(Array.from({ length: 8 }, (_, j) => ofObject[j]! ^ ofKey[8 + j]!)).toString('hex');
    assert.equal(objectDigest(ofKey, object), expected);
    assert.ok(objectDigestInto(ofKey, object, words, 0));
    assert.deepEqual([words[0], words[1]], [parseInt(expected.slice(0, 8), 16), parseInt(expected.slice(8), 16)]);
    byHex.toggle(i % 1024, expected);
    byWords.toggleWords(i % 1024, words[0]!, words[1]!);
  }
  assert.deepEqual(byHex.differingSegments(byWords), []);
  assert.equal(byHex.root(), byWords.root());
  assert.equal(objectDigestInto(keyHash('b', 'k'), null, words, 0), false);
});
