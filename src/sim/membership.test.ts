/**
 * Membership in the simulator (issue 4 §1, §5): a spare node started with only seeds learns the
 * ring by gossip and refuses requests until then; a committed join and a committed leave run
 * their transfers and end with every node on the same ring; views survive a restart; and runs
 * with join and leave faults pass every checker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvorumError } from '../core/errors.ts';
import { defaultBucketProps } from '../core/limits.ts';
import { replicaStates } from './checkers/replicas.ts';
import { defaultDiskConfig } from './disk.ts';
import { membershipSettled, settleMembership } from './membership-settle.ts';
import { defaultNetworkConfig } from './network.ts';
import { Prng } from './prng.ts';
import { runSeed } from './run.ts';
import { SimWorld } from './world.ts';

function world(seed: number): SimWorld {
  const observer = { onDiskWrite() {}, onCrashLoss() {}, onHintChange() {}, onStoredAnswer() {}, onWipe() {} };
  return new SimWorld(
    {
      nodeNames: ['n1', 'n2', 'n3', 'n4'],
      partitionCount: 16,
      bucketProps: defaultBucketProps,
      requestTimeoutMs: 300,
      network: defaultNetworkConfig,
      disk: defaultDiskConfig,
      clientLatencyUsMin: 100,
      clientLatencyUsMax: 1_000,
      bugs: {},
      spareNodeNames: ['n5'],
      antiEntropy: { enabled: false },
    },
    new Prng(seed),
    observer,
  );
}

/** A new cluster's nodes take replicas' writes once they found every disk new (core/tombstones/epoch-sync.ts). */
function settleEpochs(w: SimWorld): void {
  w.runUntil(w.nowMs + 100);
}

function put(w: SimWorld, node: string, key: string): Promise<string> {
  return new Promise((resolve) => {
    w.request(node, { kind: 'put', bucket: 'b', key, value: new TextEncoder().encode(key), contentType: 'text/plain', deleted: false, context: null }, (outcome) => {
      resolve(outcome.type === 'result' ? outcome.result.kind : outcome.type);
    });
  });
}

test('a node started with only seeds learns the ring by gossip, and refuses requests until then', async () => {
  const w = world(1);
  assert.equal(w.viewOf('n5')!.version, 0);
  const early = put(w, 'n5', 'k');
  w.runUntil(5);
  assert.equal(await early, 'error');
  w.runUntil(3_000);
  assert.equal(w.viewOf('n5')!.version, w.viewOf('n1')!.version);
  assert.ok(!w.viewOf('n1')!.members.some((member) => member.name === 'n5'), 'learning the ring is not joining it');
});

test('a join moves partitions to the new node; it then holds every key it replicates', async () => {
  const w = world(2);
  settleEpochs(w);
  const keys = Array.from({ length: 40 }, (_, i) => `key${i}`);
  const results = keys.map((key, i) => put(w, `n${1 + (i % 4)}`, key));
  w.runUntil(500);
  assert.ok((await Promise.all(results)).every((kind) => kind === 'stored'));
  w.command('n1', (membership) => {
    membership.stage({ action: 'join', node: w.ringNodeOf('n5') });
    return membership.commit();
  });
  assert.ok(w.viewOf('n1')!.transfers.length > 0);
  assert.ok(settleMembership(w).settled);
  const ring = w.ring;
  assert.ok(ring.owners.includes('n5'), 'n5 owns partitions');
  for (const name of ['n1', 'n2', 'n3', 'n4', 'n5']) assert.equal(w.viewOf(name)!.version, ring.version);
  // Every replica of every key under the new ring holds it: transfers filled the new replicas.
  for (const key of keys) {
    for (const state of replicaStates(w, 'b', key)) assert.ok(state.object !== null, `${state.node} holds ${key}`);
  }
  let held = 0;
  for (const [storeKey] of w.disk('n5').entries()) if (storeKey.includes('\u0000b\u0000')) held++;
  assert.ok(held > 0, 'n5 received keys');
});

test('a leave ends with the leaver removed from every view; the view survives a restart', () => {
  const w = world(3);
  w.runUntil(200);
  w.command('n4', (membership) => {
    membership.stage({ action: 'leave', name: 'n4' });
    return membership.commit();
  });
  assert.ok(settleMembership(w).settled);
  const final = w.viewOf('n1')!;
  assert.equal(final.members.find((member) => member.name === 'n4')?.status, 'removed');
  assert.ok(!w.ring.nodes.has('n4'));
  w.crash('n2');
  w.restart('n2');
  assert.equal(w.viewOf('n2')!.version, final.version, 'the persisted view is loaded at start');
  assert.ok(membershipSettled(w));
});

test('a sender that crashes mid-transfer starts its transfers again after restart; the change completes', () => {
  const w = world(5);
  settleEpochs(w);
  const keys = Array.from({ length: 60 }, (_, i) => `key${i}`);
  for (const [i, key] of keys.entries()) void put(w, `n${1 + (i % 4)}`, key);
  w.runUntil(500);
  w.command('n1', (membership) => {
    membership.stage({ action: 'join', node: w.ringNodeOf('n5') });
    return membership.commit();
  });
  const sender = w.viewOf('n1')!.transfers[0]!.from;
  w.runUntil(w.nowMs + 1);
  w.crash(sender);
  w.runUntil(w.nowMs + 2_000);
  assert.ok(w.viewOf('n1')!.next !== null, 'the transition waits for the crashed sender');
  w.restart(sender);
  assert.ok(settleMembership(w).settled);
  assert.ok(w.ring.owners.includes('n5'));
  for (const key of keys) {
    for (const state of replicaStates(w, 'b', key)) assert.ok(state.object !== null, `${state.node} holds ${key}`);
  }
});

test('a second change is refused while the first still transfers', () => {
  const w = world(4);
  w.runUntil(100);
  w.command('n1', (membership) => {
    membership.stage({ action: 'join', node: w.ringNodeOf('n5') });
    return membership.commit();
  });
  assert.throws(
    () =>
      w.command('n1', (membership) => {
        membership.stage({ action: 'leave', name: 'n2' });
        return membership.commit();
      }),
    (error: unknown) => error instanceof KvorumError && /still transferring/.test(error.message),
  );
});

test('runs with join and leave faults under load pass every checker', () => {
  let changed = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const result = runSeed({ seed, faultKinds: ['join', 'leave', 'crash'] });
    assert.ok(result.ok, result.report);
    if ((result.finalRing?.version ?? 1) > 1) changed++;
  }
  assert.ok(changed >= 3, `only ${changed} runs changed membership`);
});
