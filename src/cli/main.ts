/**
 * The `kvorum` command: one entry point, a subcommand per task. `kvorum help` lists them;
 * `kvorum <command> --help` explains one.
 */
import { readFileSync } from 'node:fs';
import { reportAndExit } from './args.ts';
import { bucketCommand, bucketsCommand, keysCommand } from './commands/buckets.ts';
import { ringCommand, statusCommand } from './commands/cluster.ts';
import { devCommand } from './commands/dev.ts';
import { delCommand, getCommand, putCommand } from './commands/kv.ts';
import { abortCommand, clearCommand, commitCommand, joinCommand, leaveCommand, planCommand, removeCommand, transfersCommand } from './commands/membership.ts';
import { startCommand } from './commands/start.ts';
import { topCommand } from './commands/top.ts';
import { certsCommand, secretCommand, tokenCommand } from './commands/security.ts';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; summary: string }> = {
  dev: { run: devCommand, summary: 'start a local cluster of node processes (what npm start runs)' },
  start: { run: startCommand, summary: 'start one node' },
  get: { run: getCommand, summary: 'read a key' },
  put: { run: putCommand, summary: 'write a key' },
  del: { run: delCommand, summary: 'delete a key' },
  keys: { run: keysCommand, summary: "list a bucket's keys, in order (reads every partition)" },
  buckets: { run: bucketsCommand, summary: 'list the buckets (reads every partition)' },
  bucket: { run: bucketCommand, summary: "show or set a bucket's properties (n, r, w, resolution, durability…)" },
  status: { run: statusCommand, summary: "show the cluster's nodes" },
  ring: { run: ringCommand, summary: 'show partitions and preference lists' },
  top: { run: topCommand, summary: 'a live view of the cluster: members, load, latency, hints, transfers' },
  join: { run: joinCommand, summary: 'stage a new node joining the cluster' },
  leave: { run: leaveCommand, summary: 'stage a node leaving (its data moves first)' },
  remove: { run: removeCommand, summary: 'stage removing a dead node' },
  plan: { run: planCommand, summary: 'show what the staged changes would move' },
  commit: { run: commitCommand, summary: 'apply the staged changes' },
  clear: { run: clearCommand, summary: 'drop the changes staged on a node, without applying them' },
  transfers: { run: transfersCommand, summary: 'show partition transfers and their progress' },
  abort: { run: abortCommand, summary: 'end a running change that cannot finish (nothing moves back)' },
  certs: { run: certsCommand, summary: 'make a cluster CA and node certificates (TLS)' },
  token: { run: tokenCommand, summary: 'make a client token and its config entry' },
  secret: { run: secretCommand, summary: 'make a cluster secret' },
};

function help(): string {
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`);
  return `Usage: kvorum <command> [options]\n       kvorum --version\n\nCommands:\n${lines.join('\n')}\n\nRun 'kvorum <command> --help' for a command's options.\n`;
}

/** The version in package.json: two directories up from both src/cli and dist/cli. */
function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

const [name, ...argv] = process.argv.slice(2);
if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
  process.stdout.write(help());
} else if (name === '--version' || name === '-V' || name === 'version') {
  process.stdout.write(`kvorum ${version()}\n`);
} else {
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kvorum: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    process.exit(2);
  }
  command.run(argv).catch(reportAndExit);
}
