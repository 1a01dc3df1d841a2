import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limits } from '../limits.ts';
import { listBufferBytesMax, listChunkItemsMax, listChunkItemsMin, listChunkSizes, listKeysLimitMax } from './listing-limits.ts';

test('the chunks of every partition of a listing hold at most listBufferBytesMax, whatever the partition count', () => {
  for (let partitions = limits.partitionCountMin; partitions <= limits.partitionCountMax; partitions *= 2) {
    for (const limit of [1, 1_000, listKeysLimitMax]) {
      const { items, bytes } = listChunkSizes(limit, partitions);
      assert.ok(partitions * bytes <= listBufferBytesMax, `${partitions} partitions × ${bytes} bytes`);
      assert.ok(bytes >= limits.keyBytesMax, 'a chunk holds a key of the largest default size');
      assert.ok(items >= listChunkItemsMin && items <= listChunkItemsMax);
    }
  }
});
