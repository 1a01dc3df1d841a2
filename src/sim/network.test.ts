import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerMessage } from '../core/messages.ts';
import { EventQueue } from './event-queue.ts';
import { defaultNetworkConfig, SimNetwork } from './network.ts';
import { Prng } from './prng.ts';

interface Harness {
  queue: EventQueue;
  network: SimNetwork;
  lives: Map<string, number | null>;
  delivered: string[];
  failed: string[];
}

function harness(seed = 1): Harness {
  const queue = new EventQueue();
  const lives = new Map<string, number | null>([
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ]);
  const delivered: string[] = [];
  const failed: string[] = [];
  const network = new SimNetwork(defaultNetworkConfig, queue, new Prng(seed), {
    nodeLife: (name) => lives.get(name) ?? null,
    deliver: (to, from, message) => delivered.push(`${from}>${to}#${message.opId}`),
    reportFailure: (from, _life, to, message) => failed.push(`${from}>${to}#${message.opId}`),
  });
  return { queue, network, lives, delivered, failed };
}

const message = (opId: number): PeerMessage => ({ kind: 'replicaRead', opId, partition: 0, bucket: 'b', key: 'k' });

test('messages arrive after a latency, and reorder', () => {
  const h = harness();
  for (let i = 1; i <= 50; i++) h.network.send('a', 1, 'b', message(i));
  assert.equal(h.delivered.length, 0, 'nothing arrives instantly');
  h.queue.runUntil(1_000_000);
  assert.equal(h.delivered.length, 50);
  assert.deepEqual(h.failed, []);
  const order = h.delivered.map((line) => Number(line.split('#')[1]));
  assert.notDeepEqual(order, [...order].sort((x, y) => x - y), 'random latencies reorder messages');
});

test('a send to a node that is down fails after a delay, and is not delivered', () => {
  const h = harness();
  h.lives.set('b', null);
  h.network.send('a', 1, 'b', message(1));
  assert.deepEqual(h.failed, [], 'failure is reported later, not inside send');
  h.queue.runUntil(1_000_000);
  assert.deepEqual(h.failed, ['a>b#1']);
  assert.deepEqual(h.delivered, []);
});

test('a receiver that crashes while a message is in flight makes it fail', () => {
  const h = harness();
  h.network.send('a', 1, 'b', message(1));
  h.lives.set('b', 2); // crashed and restarted before the message arrived
  h.queue.runUntil(1_000_000);
  assert.deepEqual(h.delivered, []);
  assert.deepEqual(h.failed, ['a>b#1']);
});

test('partitions cut between groups only, and heal', () => {
  const h = harness();
  h.network.partition([['a'], ['b', 'c']]);
  h.network.send('a', 1, 'b', message(1));
  h.network.send('b', 1, 'c', message(2));
  h.queue.runUntil(1_000_000);
  assert.deepEqual(h.delivered, ['b>c#2']);
  assert.deepEqual(h.failed, ['a>b#1']);
  h.network.heal();
  h.network.send('a', 1, 'b', message(3));
  h.queue.runUntil(2_000_000);
  assert.ok(h.delivered.includes('a>b#3'));
});

test('a clogged link holds messages one way and releases them when unclogged', () => {
  const h = harness();
  h.network.clog('a', 'b');
  h.network.send('a', 1, 'b', message(1));
  h.network.send('b', 1, 'a', message(2));
  h.queue.runUntil(1_000_000);
  assert.deepEqual(h.delivered, ['b>a#2']);
  assert.deepEqual(h.failed, [], 'a clog is silent: only deadlines notice');
  h.network.unclog('a', 'b');
  h.queue.runUntil(2_000_000);
  assert.deepEqual(h.delivered, ['b>a#2', 'a>b#1']);
});

test('random drops are silent and duplicates arrive twice', () => {
  const h = harness();
  h.network.dropRate = 1;
  h.network.send('a', 1, 'b', message(1));
  h.queue.runUntil(1_000_000);
  assert.deepEqual(h.delivered, []);
  assert.deepEqual(h.failed, []);
  h.network.dropRate = 0;
  h.network.duplicateRate = 1;
  h.network.send('a', 1, 'b', message(2));
  h.queue.runUntil(2_000_000);
  assert.deepEqual(h.delivered, ['a>b#2', 'a>b#2']);
});

test('the same seed gives the same deliveries at the same times', () => {
  const run = (seed: number): string[] => {
    const h = harness(seed);
    h.network.dropRate = 0.2;
    h.network.duplicateRate = 0.2;
    for (let i = 1; i <= 30; i++) h.network.send('a', 1, i % 2 ? 'b' : 'c', message(i));
    h.queue.runUntil(1_000_000);
    return h.delivered;
  };
  assert.deepEqual(run(11), run(11));
  assert.notDeepEqual(run(11), run(12));
});
