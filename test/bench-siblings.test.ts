/**
 * The benchmark's kvorum adapters against a real cluster: an update of a key the cluster refuses
 * for holding too many siblings does what the error tells an application to do (read the key, put
 * with that read's context), so a write-only load at high concurrency is measured, not failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../src/client/index.ts';
import { limits } from '../src/core/limits.ts';
import { benchBucket, defaultKvorumLaunch, defaultKvorumDrivers, kvorumLauncher } from '../bench/systems/kvorum.ts';

test('an update refused for too many siblings is resolved by a read and a put, over the binary client and over HTTP', { timeout: 120_000 }, async (t) => {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-bench-siblings-'));
  const drivers = defaultKvorumDrivers.filter((driver) => driver.name === 'binary' || driver.name === 'http');
  const system = await kvorumLauncher({ ...defaultKvorumLaunch, drivers }).start({ workDir, log: () => undefined });
  const client = connect({ nodes: [...system.httpUrls], protocol: 'binary' });
  t.after(async () => {
    await client.close();
    await system.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  assert.equal(system.drivers.length, 2);
  for (const driver of system.drivers) {
    const key = `hot-${driver.name}`;
    // Puts without a context are concurrent with everything stored: each is one more sibling.
    for (let i = 0; i < limits.siblingsCountMax; i++) await client.put(benchBucket, key, Buffer.from(`blind ${i}`));
    assert.equal((await client.get(benchBucket, key)).siblings.length, limits.siblingsCountMax);
    await assert.rejects(client.put(benchBucket, key, Buffer.from('one too many')), { code: 'too_many_siblings' });

    const adapter = await driver.connect(1);
    try {
      await adapter.update(key, Buffer.from(`resolved by ${driver.name}`));
      assert.deepEqual(adapter.counters?.(), { siblingResolutions: 1 }, driver.name);
    } finally {
      await adapter.close();
    }
    const after = await client.get(benchBucket, key);
    assert.deepEqual(after.siblings.map((sibling) => Buffer.from(sibling.value).toString()), [`resolved by ${driver.name}`]);
  }
});
