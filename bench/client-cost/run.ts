/**
 * `npm run bench:client`: the TypeScript client's own CPU per request, against a canned node
 * (client-cost.ts says why and how).
 *
 *   npm run bench:client                           # 3 rounds of 5 s at C = 64
 *   npm run bench:client -- --seconds 10 --concurrency 1 --rounds 5
 */
import { parseArgs } from 'node:util';
import { KvorumError } from '../../src/core/errors.ts';
import { runEntry } from '../bench.ts';
import { measureClientCost } from './client-cost.ts';

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parsedOptions(argv);
  const options = { seconds: Number(values.seconds), warmupSeconds: Number(values['warmup-seconds']), concurrency: Number(values.concurrency) };
  const rounds = Number(values.rounds);
  if (!(options.seconds > 0 && options.warmupSeconds >= 0 && Number.isInteger(options.concurrency) && options.concurrency >= 1 && Number.isInteger(rounds) && rounds >= 1)) {
    throw new KvorumError('bad_config', `--seconds must be > 0, --warmup-seconds >= 0, --concurrency and --rounds integers >= 1\n${usage}`);
  }
  for (let round = 1; round <= rounds; round++) {
    const cost = await measureClientCost(options);
    console.log(`round ${round}: C=${options.concurrency} ${Math.round(cost.requestsPerSec)} requests/s, client CPU ${cost.cpuUsPerRequest.toFixed(2)} µs per request`);
  }
  return 0;
}

const usage = 'usage: npm run bench:client -- [--seconds 5] [--warmup-seconds 2] [--concurrency 64] [--rounds 3]';

function parsedOptions(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        seconds: { type: 'string', default: '5' },
        'warmup-seconds': { type: 'string', default: '2' },
        concurrency: { type: 'string', default: '64' },
        rounds: { type: 'string', default: '3' },
      },
    });
  } catch (error) {
    throw new KvorumError('bad_config', `${(error as Error).message}\n${usage}`);
  }
}

runEntry(main);
