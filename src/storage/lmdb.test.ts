import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runStorageCompliance } from './compliance.ts';
import type { StorageEngine } from './engine.ts';
import { LmdbEngine } from './lmdb.ts';

const root = mkdtempSync(join(tmpdir(), 'kvorum-lmdb-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let opened = 0;
/** Each engine gets its own not-yet-existing directory, which the engine must create. */
function freshPath(): string {
  opened++;
  return join(root, `engine-${opened}`, 'data');
}

runStorageCompliance(
  'lmdb',
  () => LmdbEngine.open({ path: freshPath() }),
  (previous: StorageEngine) => LmdbEngine.open({ path: (previous as LmdbEngine).path }),
);

describe('LmdbEngine specifics', () => {
  it('grows its map far past the initial size', async () => {
    const path = freshPath();
    const engine = await LmdbEngine.open({ path, mapSizeInitialBytes: 1024 * 1024 });
    const value = new Uint8Array(1024 * 1024).fill(0x5a);
    try {
      for (let i = 0; i < 16; i++) await engine.put(Uint8Array.of(i + 1), value);
      assert.deepStrictEqual(engine.get(Uint8Array.of(16)), value);
    } finally {
      await engine.close();
    }
  });

  it('treats a path with a file extension as a directory too', async () => {
    const path = join(freshPath(), 'store.mdb');
    const engine = await LmdbEngine.open({ path });
    await engine.put(Uint8Array.of(1), Uint8Array.of(2));
    await engine.close();
    const reopened = await LmdbEngine.open({ path });
    assert.deepStrictEqual(reopened.get(Uint8Array.of(1)), Uint8Array.of(2));
    await reopened.close();
  });
});
