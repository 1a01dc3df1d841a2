/**
 * The floor store (bench/floor/floor-node.ts), which the benchmark runs beside kvorum as the least
 * this design costs: it must do all the work it claims — replicate every put to both peers,
 * answer after its own copy and a peer's, read two copies — or it would make kvorum look worse
 * than it is. Real processes on loopback, every durability, real stopped processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floorLauncher, startFloorNodes, type FloorNodes } from '../bench/systems/floor.ts';
import { stopAll } from '../bench/systems/processes.ts';
import { FloorConnection, floorDurabilities, type FloorStats } from '../bench/floor/floor-protocol.ts';

const keysPerPhase = 20;
/** How long a put with no peer to store it must stay unanswered: far above a loopback round trip. */
const unansweredMs = 300;
/** A request the floor should answer that takes longer has failed (a hang must fail the test, not stall it). */
const answerWithinMs = 10_000;

function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${answerWithinMs} ms`)), answerWithinMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function withFloor(run: (floor: FloorNodes, nodes: FloorConnection[], workDir: string) => Promise<void>, floorArgs: readonly string[] = []): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-floor-'));
  const floor = await startFloorNodes(workDir, [], floorArgs);
  try {
    const nodes = await Promise.all(floor.clientPorts.map((port) => FloorConnection.open(port)));
    await run(floor, nodes, workDir);
    for (const node of nodes) node.close();
  } finally {
    for (const p of floor.processes) process.kill(p.pid, 'SIGCONT');
    await stopAll(floor.processes);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The three nodes' counters summed, once every copy sent has landed (the third copy of a put lands after its answer). */
async function settledStats(nodes: readonly FloorConnection[]): Promise<FloorStats> {
  for (let attempt = 0; ; attempt++) {
    const each = await within('stats', Promise.all(nodes.map((node) => node.stats())));
    const sum = Object.fromEntries(Object.keys(each[0]!).map((name) => [name, each.reduce((total, stats) => total + stats[name as keyof FloorStats], 0)])) as unknown as FloorStats;
    if (sum.peerWritesApplied + sum.peerWritesStale === 2 * sum.puts || attempt === 50) return sum;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a get on any node answers the newest put made through any other, and every put reaches both peers (N = 3, W = 2, R = 2)', { timeout: 60_000 }, async () => {
  await withFloor(async (_floor, nodes, workDir) => {
    let before = await settledStats(nodes);
    for (const durability of floorDurabilities) {
      // Keys of their own: `nosync` and `one` keep their copies in the same environment.
      for (let k = 0; k < keysPerPhase; k++) {
        const key = `${durability}-k${k}`;
        await within(`put ${key}`, nodes[k % 3]!.put(durability, key, Buffer.from(`first ${k}`)));
        await within(`put ${key}`, nodes[(k + 1) % 3]!.put(durability, key, Buffer.from(`second ${k}`)));
        for (const reader of nodes) {
          const reply = await within(`get ${key}`, reader.get(durability, key));
          assert.equal(reply.found, true, `${key} not found`);
          assert.equal(reply.value?.toString(), `second ${k}`, `${key}: a get missed the newer put`);
        }
      }
      assert.equal((await within('get never-written', nodes[0]!.get(durability, 'never-written'))).found, false);
      const after = await settledStats(nodes);
      const puts = 2 * keysPerPhase;
      const gets = 3 * keysPerPhase + 1;
      assert.equal(after.puts - before.puts, puts);
      assert.equal(after.gets - before.gets, gets);
      // Every put went to both peers, and every get read one peer's copy.
      assert.equal(after.peerWritesApplied + after.peerWritesStale - before.peerWritesApplied - before.peerWritesStale, 2 * puts);
      assert.equal(after.peerReads - before.peerReads, gets);
      // Each put's coordinator wrote its copy, and each newer copy a peer took was written — to the environment of its durability.
      const written = puts + after.peerWritesApplied - before.peerWritesApplied;
      const durable = durability === 'sync';
      assert.equal(durable ? after.writesSync - before.writesSync : after.writesNosync - before.writesNosync, written);
      assert.equal(durable ? after.writesNosync - before.writesNosync : after.writesSync - before.writesSync, 0);
      // Under `one` the coordinator's copy of every put, and no other, was also logged: one append per put, as these go one at a time.
      assert.equal(after.writesLogged - before.writesLogged, durability === 'one' ? puts : 0, `copies logged under ${durability}`);
      assert.equal(after.logAppends - before.logAppends, durability === 'one' ? puts : 0, `log appends under ${durability}`);
      before = after;
    }
    // And the records are in the log files: every `one` put's key and value, no other durability's key.
    const logs = Buffer.concat([1, 2, 3].map((n) => readFileSync(join(workDir, `n${n}`, 'one.log'))));
    for (let k = 0; k < keysPerPhase; k++) {
      for (const value of [`first ${k}`, `second ${k}`]) assert.ok(logs.includes(Buffer.concat([Buffer.from(`one-k${k}`), Buffer.from(value)])), `one-k${k} = ${value} not in a log`);
    }
    assert.equal(logs.includes('sync-k'), false, 'a nosync or sync put was logged'); // the key prefixes `nosync-k` and `sync-k` both end in it
  });
});

test('under `one` a put is answered only once its log append is done; a slow log does not hold nosync puts', { timeout: 60_000 }, async () => {
  const logDelayMs = 2 * unansweredMs;
  await withFloor(
    async (_floor, nodes) => {
      let answered = false;
      const put = nodes[0]!.put('one', 'o', Buffer.from('logged')).then(() => {
        answered = true;
      });
      await within('a nosync put', nodes[0]!.put('nosync', 'n', Buffer.from('not logged')));
      assert.equal(answered, false, 'the one put was answered with the nosync put, before its log append');
      await new Promise((resolve) => setTimeout(resolve, unansweredMs));
      assert.equal(answered, false, 'a one put was answered before its log append');
      await within('the one put once logged', put);
      assert.equal((await within('get o', nodes[1]!.get('one', 'o'))).value?.toString(), 'logged');
    },
    ['--log-delay-ms', String(logDelayMs)],
  );
});

test("a put is answered once its coordinator's copy and one peer's are stored, and not before", { timeout: 60_000 }, async () => {
  await withFloor(async (floor, nodes) => {
    const [, second, third] = floor.processes;
    process.kill(second!.pid, 'SIGSTOP');
    // One peer stopped: the coordinator's copy and the other peer's make W = 2.
    await within('a put with one peer up', nodes[0]!.put('sync', 'w', Buffer.from('one peer up')));
    process.kill(third!.pid, 'SIGSTOP');
    // Both peers stopped: only the coordinator's copy, which is not enough.
    let answered = false;
    const put = nodes[0]!.put('sync', 'w', Buffer.from('no peer up')).then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, unansweredMs));
    assert.equal(answered, false, 'a put was answered with no peer holding a copy');
    process.kill(third!.pid, 'SIGCONT');
    await within('the put once a peer is back', put);
    process.kill(second!.pid, 'SIGCONT');
    assert.equal((await within('get w', nodes[0]!.get('sync', 'w'))).value?.toString(), 'no peer up');
  });
});

test('the floor is a benchmark system with a driver per durability, its node processes the ones accounted', { timeout: 60_000 }, async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-floor-'));
  const system = await floorLauncher([]).start({ workDir, log: () => {} });
  try {
    assert.deepEqual(system.drivers.map((driver) => [driver.name, driver.dataset]), [['framed-nosync', 'floor-nosync'], ['framed-one', 'floor-nosync'], ['framed-sync', 'floor-sync']]);
    assert.equal(system.serverProcesses.size, 3);
    for (const pid of system.serverProcesses.keys()) assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /floor-node\.ts/);
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
