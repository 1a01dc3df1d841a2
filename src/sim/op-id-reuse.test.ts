/**
 * A core bug the simulator found (seeds with the `flap` fault; see docs/simulation.md):
 * a node numbers its operations from 1 again when it restarts (KvNode.nextOpId), so a peer's
 * late reply to a request of the node's previous process carries the op id of a new, unrelated
 * operation — and is taken as its answer. Here: a put of k1 (op 1, w=3) is waiting on n2's slow
 * disk when n1 crashes and restarts; the new process's first operation, a put of k2 (op 1, w=3),
 * counts n2's late reply about k1 as n2 having stored k2, and is acknowledged with w=3 while n2
 * holds nothing for k2. (With gets the late reply carries another key's object, which the get
 * returns and read repair then writes into the wrong key: phantoms and lost writes.)
 *
 * Fixed by NodeConfig.firstOpId: every boot numbers its operations from a fresh random base, so a
 * reply to the previous process matches no operation of the new one and is dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBucketProps } from '../core/limits.ts';
import { partitionOf } from '../core/ring/hash.ts';
import { covers } from '../core/version/causal-context.ts';
import { defaultDiskConfig } from './disk.ts';
import { labelBytes } from './labels.ts';
import { defaultNetworkConfig } from './network.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import type { ClientOutcome } from './world.ts';
import { SimWorld } from './world.ts';

test('a reply to the previous process of a restarted node is not taken for an answer to its new operations', () => {
  const oracle = new Oracle();
  const world = new SimWorld(
    {
      nodeNames: ['n1', 'n2', 'n3'], // N = 3: every node is a replica of every key
      partitionCount: 8,
      // `sync`: n2 answers only once its slow disk has the write.
      bucketProps: { ...defaultBucketProps, durability: 'sync' },
      requestTimeoutMs: 2_000,
      network: defaultNetworkConfig,
      disk: defaultDiskConfig,
      clientLatencyUsMin: 100,
      clientLatencyUsMax: 100,
      bugs: {},
    },
    new Prng(1),
    oracle,
  );
  oracle.attach(world);
  const put = (key: string, done: (outcome: ClientOutcome) => void): void =>
    world.request('n1', { kind: 'put', bucket: 'b', key, value: labelBytes(`${key}-value`), contentType: 't', deleted: false, context: null, w: 3 }, done);
  world.disk('n2').latencyScale = 1_000; // n2's disk commits after ~0.5 s
  world.runUntil(10);
  put('k1', () => {});
  world.runUntil(20);
  world.crash('n1');
  world.runUntil(30);
  world.restart('n1');
  world.runUntil(100); // n1 hears the others' view before it coordinates again
  let k2Outcome: ClientOutcome | undefined;
  let n2HeldK2 = false;
  put('k2', (outcome) => {
    k2Outcome = outcome;
    const stored = world.disk('n2').get(partitionOf('b', 'k2', 8), 'b', 'k2');
    const context = outcome.type === 'result' && outcome.result.kind === 'stored' ? outcome.result.context : undefined;
    n2HeldK2 = stored !== null && context !== undefined && context.clock.every(([actor, counter]) => covers(stored.context, [actor, counter]));
  });
  world.runUntil(3_000);
  assert.ok(k2Outcome?.type === 'result' && k2Outcome.result.kind === 'stored', 'the put of k2 succeeds once n2 has stored it');
  assert.ok(n2HeldK2, 'w=3 was acknowledged while n2 held nothing for k2');
});
