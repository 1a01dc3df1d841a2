import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { strictTargets } from './strict-targets.ts';

const primaries = ['a', 'b', 'c'];

describe('strict quorum targets (hinted handoff off)', () => {
  test('the reachable primaries only: nobody stands in, no hint', () => {
    assert.deepEqual(strictTargets(primaries, (node) => node !== 'b', 'a'), [
      { node: 'a', hintFor: undefined },
      { node: 'c', hintFor: undefined },
    ]);
  });

  test('the coordinator is a target even when its detector doubts it', () => {
    assert.deepEqual(strictTargets(primaries, () => false, 'b'), [{ node: 'b', hintFor: undefined }]);
  });

  test('a coordinator outside the list (forwarded under another view) keeps an extra copy of its own after the reachable primaries, never a hint', () => {
    assert.deepEqual(strictTargets(primaries, (node) => node !== 'c', 'x'), [
      { node: 'a', hintFor: undefined },
      { node: 'b', hintFor: undefined },
      { node: 'x', hintFor: undefined },
    ]);
  });
});
