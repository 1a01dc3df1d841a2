/**
 * The cost of pieces every operation goes through, one at a time in a loop: decoding, checking and
 * encoding a stored object again, a deadline queue's push and pop, signing and checking a context
 * token, the key's ring hash. For changes of a few per cent, which the cluster benchmark cannot
 * show on a shared box: run it on the tree before and after (each built with `npm run build`, or
 * through tsx as here), alternately. Best of `--rounds` passes of `process.cpuUsage`; asserts
 * nothing. docs/benchmarks.md (seventh session) has its numbers.
 *
 *   node --import tsx scripts/hot-path-bench.ts [--rounds 8] [--steps 200000]
 */
import { parseArgs } from 'node:util';
import { bestNsPerStep } from './best-ns-per-step.ts';
import { DeadlineQueue } from '../src/core/deadline-queue.ts';
import { keyHash } from '../src/core/ring/hash.ts';
import { decodeObject, encodeObject } from '../src/core/version/codec.ts';
import { contextTokenKey, decodeContextToken, encodeContextToken, type TokenTarget } from '../src/core/version/context-token.ts';
import { coordinateWrite } from '../src/core/version/object.ts';
import { storedObjectProblem } from '../src/core/version/stored-object.ts';
import type { CausalContext } from '../src/core/version/types.ts';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, steps: { type: 'string', default: '200000' } } });
const rounds = Number(flags.rounds);
const steps = Number(flags.steps);
/** Distinct inputs cycled through, so that no cache of the last one answers. */
const inputsCount = 1000;

/** ns per step of `step(i)`, best of `rounds` passes. */
const nsPerStep = (step: (i: number) => number): number => bestNsPerStep(rounds, steps, step);

const keys = Array.from({ length: inputsCount }, (_, i) => `user${((i * 2654435761) % 1e10).toString().padStart(10, '0')}`);
const encodedObjects = keys.map((_, i) => {
  const write = { value: new Uint8Array(100).fill(i & 0xff), contentType: 'application/octet-stream', deleted: false, context: null };
  return encodeObject(coordinateWrite(null, write, `n${(i % 3) + 1}`, 1_733_600_000_000 + i, 'siblings').object);
});
const tokenKey = contextTokenKey('bench', undefined);
const targets: TokenTarget[] = keys.map((key) => ({ bucket: 'ycsb', key }));
const contexts: CausalContext[] = keys.map((_, i) => ({
  clock: [
    [`n1.a${i % 7}`, 10 + i, 1_733_600_000_000 + i],
    ['n2.b', 5 + i, 1_733_600_000_000],
  ],
  dots: [],
}));
const tokens = contexts.map((context, i) => encodeContextToken(context, targets[i]!, tokenKey));

const results: [string, number][] = [
  // A copy of the bytes each time: a decoded object keeps the bytes it came from.
  ['decode, check and encode again a stored object of 100 bytes', nsPerStep((i) => {
    const object = decodeObject(encodedObjects[i % inputsCount]!.slice());
    return (storedObjectProblem(object) === null ? 1 : 0) + encodeObject(object).length;
  })],
  ['a deadline queue push and its pop (3,000 a second, 5 s timeout)', (() => {
    const queue = new DeadlineQueue();
    let nowMs = 0;
    let id = 0;
    return nsPerStep((i) => {
      if (i % 3 === 0) nowMs++;
      queue.push(nowMs + 5000, id++);
      return i % 300 === 0 ? queue.popExpired(nowMs).length : 0; // a tick every ~100 ms
    });
  })()],
  ['sign a context token', nsPerStep((i) => encodeContextToken(contexts[i % inputsCount]!, targets[i % inputsCount]!, tokenKey).length)],
  ['check a context token', nsPerStep((i) => decodeContextToken(tokens[i % inputsCount]!, targets[i % inputsCount]!, tokenKey).clock.length)],
  ["the key's ring hash (MD5)", nsPerStep((i) => keyHash('ycsb', keys[(i * 7) % inputsCount]!)[3]!)],
];
for (const [name, ns] of results) console.log(`${ns.toFixed(0).padStart(6)} ns  ${name}`);
