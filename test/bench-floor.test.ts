/**
 * The floor store (bench/floor/floor-node.ts), which the benchmark runs beside kvorum as the least
 * this design costs: it must do the work it claims — replicate, answer from quorums — or it would
 * make kvorum look worse than it is. Real processes on loopback, both durabilities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floorLauncher, startFloorNodes } from '../bench/systems/floor.ts';
import { stopAll } from '../bench/systems/processes.ts';
import { FloorConnection, floorOp } from '../bench/floor/floor-protocol.ts';

test('the floor store answers a get on any node with the newest put made on any other (W = 2, R = 2 over N = 3)', { timeout: 60_000 }, async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-floor-'));
  const { processes, clientPorts } = await startFloorNodes(workDir);
  try {
    assert.equal(processes.length, 3);
    const nodes = await Promise.all(clientPorts.map((port) => FloorConnection.open(port)));
    for (const durable of [false, true]) {
      for (let k = 0; k < 20; k++) {
        const key = `k${k}`;
        await nodes[k % 3]!.request(floorOp.put, durable, key, Buffer.from(`first ${k}`));
        await nodes[(k + 1) % 3]!.request(floorOp.put, durable, key, Buffer.from(`second ${k}`));
        for (const reader of nodes) {
          const reply = await reader.request(floorOp.get, durable, key);
          assert.equal(reply.found, true, `${key} (durable ${durable}) not found`);
          assert.equal(reply.value?.toString(), `second ${k}`, `${key} (durable ${durable}): a get missed the newer put`);
        }
      }
      const missing = await nodes[0]!.request(floorOp.get, durable, 'never-written');
      assert.equal(missing.found, false);
    }
    for (const node of nodes) node.close();
  } finally {
    await stopAll(processes);
    rmSync(workDir, { recursive: true, force: true });
  }
});

test('the floor is a benchmark system with a driver per durability, its three processes accounted', { timeout: 60_000 }, async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-floor-'));
  const system = await floorLauncher.start({ workDir, log: () => {} });
  try {
    assert.deepEqual(system.drivers.map((driver) => [driver.name, driver.dataset]), [['framed', 'floor-nosync'], ['framed-sync', 'floor-sync']]);
    assert.equal(system.serverProcesses.size, 3);
    const adapter = await system.drivers[1]!.connect(4);
    await adapter.insert('user1', Buffer.from('v1'));
    await adapter.update('user1', Buffer.from('v2'));
    await adapter.read('user1');
    await assert.rejects(adapter.read('user2'), { name: 'RecordNotFoundError' });
    await adapter.close();
  } finally {
    await system.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
});
