/**
 * Server processes the harness starts: spawned with their output in a log file, waited on until
 * ready, and stopped by the pids we started — SIGTERM, then SIGKILL after a grace period. Every
 * child is also killed if the harness itself exits early (Ctrl-C, a crash), so no server is left
 * holding a port or a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const stopGraceMs = 5_000;
const readyPollMs = 100;
const logTailChars = 2_000;

const livePids = new Set<number>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A signal's default action ends Node without running 'exit' handlers: turn Ctrl-C and
  // SIGTERM into an ordinary exit so the servers are killed with us.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface ServerProcess {
  readonly pid: number;
  readonly label: string;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  stop(): Promise<void>;
}

export function startProcess(label: string, command: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): ServerProcess {
  killAllOnExit();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${label} (${command})`);
  livePids.add(pid);
  let exitedFlag = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitedFlag = true;
      livePids.delete(pid);
      resolve(code);
    });
    child.once('error', () => {
      exitedFlag = true;
      livePids.delete(pid);
      resolve(null);
    });
  });
  const stop = async (): Promise<void> => {
    if (exitedFlag) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exitedFlag) child.kill('SIGKILL');
    }, stopGraceMs);
    await exited;
    clearTimeout(timer);
  };
  return { pid, label, logFile, exited, hasExited: () => exitedFlag, stop };
}

export function logTail(logFile: string): string {
  try {
    const text = readFileSync(logFile, 'utf8');
    return text.slice(-logTailChars);
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it returns true; fails early if a process dies, or after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, processes: readonly ServerProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.find((p) => p.hasExited());
    if (dead) throw new Error(`${dead.label} exited while waiting for ${what}; log tail:\n${logTail(dead.logFile)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      const tails = processes.map((p) => `--- ${p.label}\n${logTail(p.logFile)}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tails}`);
    }
    await new Promise((resolve) => setTimeout(resolve, readyPollMs));
  }
}

/** A port that was free a moment ago on loopback (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Whether a process takes TCP connections on loopback `port` (a readiness probe for non-HTTP servers). */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** GET url and report whether it answered 200 (readiness probes). */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

export async function stopAll(processes: readonly ServerProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop()));
}

/**
 * V8 flags for the Node server processes (kvorum's nodes, the floor's) from
 * KVORUM_BENCH_NODE_FLAGS (space-separated), for profiling one cell: `--perf-basic-prof` for
 * perf's JIT symbols, `--trace-deopt` (the output goes to each node's log). NODE_OPTIONS cannot
 * carry most V8 flags.
 */
export function benchNodeFlags(): string[] {
  return (process.env.KVORUM_BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
}
