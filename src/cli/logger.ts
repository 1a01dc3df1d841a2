/**
 * The node's logger (pino): JSON lines in production — what log shippers and `jq` read — or, with
 * `--log-format pretty` (what `kvorum dev` asks for), one readable line per event. Pretty lines are
 * formatted in-process and synchronously, so nothing is lost when a node is killed.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { UsageError } from './args.ts';

export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createLogger(options: { readonly node: string; readonly format: string; readonly level: string }): Logger {
  if (!(logFormats as readonly string[]).includes(options.format)) throw new UsageError(`--log-format must be ${logFormats.join(' or ')} (got ${JSON.stringify(options.format)})`);
  if (!logLevels.includes(options.level)) throw new UsageError(`--log-level must be one of ${logLevels.join(', ')} (got ${JSON.stringify(options.level)})`);
  const settings = { base: { node: options.node }, level: options.level };
  if (options.format === 'json') return pino(settings);
  return pino(settings, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,node', messageFormat: '{node}: {msg}', singleLine: true }));
}
