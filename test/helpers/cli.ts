/**
 * The `kvorum` command as tests run it: the CLI's sources through tsx (so a test never runs a
 * stale build), from the checkout's root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'src', 'cli', 'main.ts');
const run = promisify(execFile);

/** Runs the CLI; resolves with its stdout, rejects (with `stderr` on the error) when it fails. */
export async function kvorum(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, timeout: 60_000 });
  return stdout;
}

/** Runs the CLI expecting it to fail; returns what it printed on stderr. */
export async function kvorumFails(args: string[]): Promise<string> {
  try {
    await kvorum(args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  assert.fail(`kvorum ${args.join(' ')} succeeded`);
}
