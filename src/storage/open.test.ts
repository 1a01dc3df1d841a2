import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KvorumError } from '../core/errors.ts';
import { openStorage } from './open.ts';

const isBadConfig = (error: unknown): boolean => error instanceof KvorumError && error.code === 'bad_config';

describe('openStorage', () => {
  const root = mkdtempSync(join(tmpdir(), 'kvorum-open-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('opens a memory engine', async () => {
    const engine = await openStorage({ kind: 'memory' });
    assert.equal(engine.kind, 'memory');
    await engine.close();
  });

  it('opens an lmdb engine in a directory it creates', async () => {
    const path = join(root, 'nested', 'data');
    const engine = await openStorage({ kind: 'lmdb', path });
    assert.equal(engine.kind, 'lmdb');
    assert.ok(existsSync(path));
    await engine.close();
  });

  it('refuses lmdb without a path, and a kind it does not know, with bad_config', async () => {
    await assert.rejects(openStorage({ kind: 'lmdb' }), isBadConfig);
    await assert.rejects(openStorage({ kind: 'lmdb', path: '' }), isBadConfig);
    await assert.rejects(openStorage({ kind: 'rocksdb' as 'lmdb', path: root }), isBadConfig);
  });

  it('reports a path it cannot use as bad_config', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    await assert.rejects(openStorage({ kind: 'lmdb', path: join(file, 'data') }), isBadConfig);
  });
});
