/**
 * The `kvorum` command: one entry point, a subcommand per task. `kvorum help` lists them;
 * `kvorum <command> --help` explains one.
 */
import { reportAndExit } from './args.ts';
import { ringCommand, statusCommand } from './commands/cluster.ts';
import { devCommand } from './commands/dev.ts';
import { delCommand, getCommand, putCommand } from './commands/kv.ts';
import { startCommand } from './commands/start.ts';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; summary: string }> = {
  dev: { run: devCommand, summary: 'start a local cluster of node processes (what npm start runs)' },
  start: { run: startCommand, summary: 'start one node' },
  get: { run: getCommand, summary: 'read a key' },
  put: { run: putCommand, summary: 'write a key' },
  del: { run: delCommand, summary: 'delete a key' },
  status: { run: statusCommand, summary: "show the cluster's nodes" },
  ring: { run: ringCommand, summary: 'show partitions and preference lists' },
};

function help(): string {
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`);
  return `Usage: kvorum <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'kvorum <command> --help' for a command's options.\n`;
}

const [name, ...argv] = process.argv.slice(2);
if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
  process.stdout.write(help());
} else {
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kvorum: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    process.exit(2);
  }
  command.run(argv).catch(reportAndExit);
}
