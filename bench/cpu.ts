/**
 * CPU time, because the harness and the servers share the machine's two cores: a run that looks
 * slow may be a server starved by the harness, and the ratio of server CPU to ops tells how much
 * work each store does per request.
 *
 * - a server process: utime + stime from /proc/<pid>/stat (all its threads), in clock ticks;
 * - the harness: process.cpuUsage() (all threads of this process);
 * - the machine: the busy share of /proc/stat's `cpu` line.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const clockTicksPerSecondFallback = 100;
let clockTicksPerSecondCached: number | undefined;

function clockTicksPerSecond(): number {
  if (clockTicksPerSecondCached === undefined) {
    const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const parsed = Number.parseInt(result.stdout ?? '', 10);
    clockTicksPerSecondCached = Number.isFinite(parsed) && parsed > 0 ? parsed : clockTicksPerSecondFallback;
  }
  return clockTicksPerSecondCached;
}

/** utime + stime of a process in seconds, or undefined when it is gone or /proc is missing. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
  // After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTicksPerSecond();
}

export function harnessCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

interface MachineTicks {
  readonly busy: number;
  /** irq + softirq: interrupt work (loopback networking, disk completions) charged to no process. */
  readonly interrupts: number;
  readonly total: number;
}

function machineTicks(): MachineTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, interrupts: (values[5] ?? 0) + (values[6] ?? 0), total };
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  readonly harnessSeconds: number;
  readonly serverSeconds: ReadonlyMap<number, number | undefined>;
  readonly machine: MachineTicks | undefined;
}

export interface CpuUsed {
  /** CPU seconds the harness process used. */
  readonly harnessS: number;
  /** CPU seconds per server process, by pid. */
  readonly servers: readonly { readonly pid: number; readonly name: string; readonly seconds: number }[];
  /** Sum over the servers. */
  readonly serversS: number;
  /** Share of all cores busy over the interval, 0..1 (other processes included). */
  readonly machineBusyFraction: number | undefined;
  /**
   * CPU seconds of interrupt work (irq + softirq): mostly the loopback network stack and disk
   * completions the run itself causes, charged to no process.
   */
  readonly interruptsS: number | undefined;
  /**
   * CPU seconds used by everything else on the machine (busy time less the harness, the servers
   * and interrupts): kernel threads flushing the servers' fsyncs, and any other process — a
   * large value means the run competed with other work and its numbers are noisier.
   */
  readonly otherS: number | undefined;
}

export function sampleCpu(pids: readonly number[]): CpuSample {
  const serverSeconds = new Map<number, number | undefined>();
  for (const pid of pids) serverSeconds.set(pid, processCpuSeconds(pid));
  return { harnessSeconds: harnessCpuSeconds(), serverSeconds, machine: machineTicks() };
}

export function cpuBetween(before: CpuSample, after: CpuSample, names: ReadonlyMap<number, string>): CpuUsed {
  const servers = [...before.serverSeconds.keys()].map((pid) => {
    const start = before.serverSeconds.get(pid);
    const end = after.serverSeconds.get(pid);
    const seconds = start !== undefined && end !== undefined ? end - start : 0;
    return { pid, name: names.get(pid) ?? String(pid), seconds: round3(seconds) };
  });
  const measured = before.machine && after.machine && after.machine.total > before.machine.total;
  const busyTicks = measured ? after.machine!.busy - before.machine!.busy : 0;
  const machine = measured ? busyTicks / (after.machine!.total - before.machine!.total) : undefined;
  const harnessS = after.harnessSeconds - before.harnessSeconds;
  const serversS = servers.reduce((sum, s) => sum + s.seconds, 0);
  const interruptsS = measured ? (after.machine!.interrupts - before.machine!.interrupts) / clockTicksPerSecond() : undefined;
  const otherS = measured ? Math.max(0, busyTicks / clockTicksPerSecond() - interruptsS! - harnessS - serversS) : undefined;
  return {
    harnessS: round3(harnessS),
    servers,
    serversS: round3(serversS),
    machineBusyFraction: machine === undefined ? undefined : round3(machine),
    interruptsS: interruptsS === undefined ? undefined : round3(interruptsS),
    otherS: otherS === undefined ? undefined : round3(otherS),
  };
}

/** To a thousandth: what result files keep of seconds, fractions and ratios. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
