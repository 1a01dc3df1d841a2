/**
 * Small helpers shared by the CLI commands: argument parsing with `--help`, and printing errors
 * the way every command prints them (code and message, exit status 1).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KvorumError } from '../core/errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses argv for one command; prints `usage` and exits 0 on --help. */
export function parseCommand(argv: string[], options: Options, usage: string): Parsed {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage.trim()}`);
  }
}

export function integerFlag(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`--${name} must be a positive integer (got ${String(value)})`);
  return number;
}

export function defaultUrl(value: unknown): string {
  return typeof value === 'string' ? value : (process.env.KVORUM_URL ?? 'http://127.0.0.1:8001');
}

export function reportAndExit(error: unknown): never {
  if (error instanceof UsageError) {
    process.stderr.write(`kvorum: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof KvorumError) {
    process.stderr.write(`kvorum: ${error.code}: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`kvorum: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
