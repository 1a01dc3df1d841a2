/**
 * Round trips per second through two real transports on loopback in one process: node `a`
 * keeps `outstanding` requests in flight to node `b`, which answers each by name; every answer
 * lets `a` send the next request. Small messages, like the core's replica reads and acks.
 *
 *   node --import tsx scripts/transport-bench.ts [--seconds 5] [--outstanding 64]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Transport } from '../src/runtime/transport/transport.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, outstanding: { type: 'string', default: '64' } },
});
const measureMs = Number(values.seconds) * 1000;
const outstanding = Number(values.outstanding);
const warmupMs = 1000;

let roundTrips = 0;
let inFlight = 0;
let nextOpId = 0;
let stopping = false;

const failed = (to: string, _message: unknown, reason: string): void => {
  // At close, replies whose ack was still on its way are reported too (they were delivered).
  if (reason === 'closed' && stopping) return;
  throw new Error(`delivery to ${to} failed: ${reason}`);
};
const common = { clusterName: 'bench', clusterSecret: 'bench', listenHost: '127.0.0.1', listenPort: 0, peers: new Map<string, string>(), onDeliveryFailed: failed };

const a = new Transport({
  ...common,
  nodeName: 'a',
  onMessage() {
    roundTrips++;
    inFlight--;
    if (!stopping) sendRequest();
  },
});
const b: Transport = new Transport({
  ...common,
  nodeName: 'b',
  onMessage(from, message) {
    const request = message as { opId: number };
    b.send(from, { kind: 'replicaReadReply', opId: request.opId, object: null });
  },
});

function sendRequest(): void {
  inFlight++;
  a.send('b', { kind: 'replicaRead', opId: nextOpId++, partition: 17, bucket: 'users', key: 'user:4711' });
}

const [addressA, addressB] = [await a.start(), await b.start()];
a.setPeers(new Map([['b', `127.0.0.1:${addressB.port}`]]));
b.setPeers(new Map([['a', `127.0.0.1:${addressA.port}`]]));

for (let i = 0; i < outstanding; i++) sendRequest();
await new Promise((resolve) => setTimeout(resolve, warmupMs));
const startCount = roundTrips;
const startMs = performance.now();
await new Promise((resolve) => setTimeout(resolve, measureMs));
const elapsedMs = performance.now() - startMs;
const measured = roundTrips - startCount;
stopping = true;

const linkA = a.stats().get('b')!;
const linkB = b.stats().get('a')!;
console.log(`round trips: ${Math.round((measured / elapsedMs) * 1000).toLocaleString('en-US')}/s (${outstanding} outstanding, ${(elapsedMs / 1000).toFixed(1)} s measured)`);
console.log(`messages:    ${Math.round(((2 * measured) / elapsedMs) * 1000).toLocaleString('en-US')}/s one-way, both directions together`);
console.log(`batching:    a→b ${(linkA.sentFrames / linkA.socketWrites).toFixed(1)} frames/write, b→a ${(linkB.sentFrames / linkB.socketWrites).toFixed(1)} frames/write`);
while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
await Promise.all([a.close(), b.close()]);
