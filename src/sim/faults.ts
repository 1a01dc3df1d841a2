/**
 * Fault schedules: what goes wrong in a run's safety phase, and when. A schedule is drawn from
 * the seed, printed with every failure, and applied to the world as timed events. Every fault
 * has a start and an end; the liveness phase ends whatever is still running (heal).
 */
import { assert, unreachable } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import type { Prng } from './prng.ts';
import type { SimWorld } from './world.ts';

export const faultKinds = ['crash', 'wipe', 'flap', 'partition', 'longPartition', 'clog', 'drop', 'duplicate', 'latency', 'slowDisk', 'join', 'leave', 'abort'] as const;

export type FaultKind = (typeof faultKinds)[number];

export type Fault =
  /** The node's process dies at `atMs` (its disk keeps what reached it) and restarts at the end. */
  | { readonly kind: 'crash'; readonly atMs: number; readonly untilMs: number; readonly node: string }
  /** As crash, and the disk is lost: the node restarts empty, as a new writer. */
  | { readonly kind: 'wipe'; readonly atMs: number; readonly untilMs: number; readonly node: string }
  /** A crash loop: the node is down `downMs`, up `upMs`, down again… until `untilMs` (then up). */
  | { readonly kind: 'flap'; readonly atMs: number; readonly untilMs: number; readonly node: string; readonly downMs: number; readonly upMs: number }
  /** Nodes in different groups cannot talk to each other (clients still reach every node). */
  | { readonly kind: 'partition'; readonly atMs: number; readonly untilMs: number; readonly groups: readonly (readonly string[])[] }
  /**
   * A partition into two groups for most of the safety phase, while clients keep writing on both
   * sides: the split-brain Dynamo is built to accept writes through (§4.6), healed at the end.
   */
  | { readonly kind: 'longPartition'; readonly atMs: number; readonly untilMs: number; readonly groups: readonly (readonly string[])[] }
  /** Messages from `from` to `to` are held (the other direction flows). */
  | { readonly kind: 'clog'; readonly atMs: number; readonly untilMs: number; readonly from: string; readonly to: string }
  /** Each message is lost with probability `rate`, silently. */
  | { readonly kind: 'drop'; readonly atMs: number; readonly untilMs: number; readonly rate: number }
  /** Each message is delivered twice with probability `rate`. */
  | { readonly kind: 'duplicate'; readonly atMs: number; readonly untilMs: number; readonly rate: number }
  /** Every latency is multiplied by `factor`: replies miss deadlines, messages reorder widely. */
  | { readonly kind: 'latency'; readonly atMs: number; readonly untilMs: number; readonly factor: number }
  /** One node's disk becomes `factor` times slower. */
  | { readonly kind: 'slowDisk'; readonly atMs: number; readonly untilMs: number; readonly node: string; readonly factor: number }
  /** A spare node is staged to join and the change committed (Dynamo §4.9); partitions move under load. */
  | { readonly kind: 'join'; readonly atMs: number; readonly untilMs: number; readonly node: string }
  /** A member is staged to leave and the change committed: its data moves, then it leaves the ring. */
  | { readonly kind: 'leave'; readonly atMs: number; readonly untilMs: number; readonly node: string }
  /**
   * A join (of a spare) or a leave committed at `atMs` and aborted by an operator at `untilMs`
   * (plan.ts abortTransition): the transition ends where it is, unless it finished first.
   */
  | { readonly kind: 'abort'; readonly atMs: number; readonly untilMs: number; readonly node: string; readonly change: 'join' | 'leave' };

export interface ScheduleOptions {
  readonly nodeNames: readonly string[];
  /** Faults start and end within [startMs, endMs]. */
  readonly startMs: number;
  readonly endMs: number;
  readonly faultsMax: number;
  /** Wipes are rarer: each loses what only that disk held, so they are capped per run. */
  readonly wipesMax: number;
  /** Kinds allowed (all by default). */
  readonly kinds?: readonly FaultKind[] | undefined;
  /** Nodes outside the ring that a join fault can add (none: joins become crashes). */
  readonly spareNodeNames?: readonly string[] | undefined;
}

export function randomFaultSchedule(prng: Prng, options: ScheduleOptions): Fault[] {
  const count = prng.int(0, options.faultsMax + 1);
  const kinds = options.kinds ?? faultKinds;
  const faults: Fault[] = [];
  let wipes = 0;
  const spares = [...(options.spareNodeNames ?? [])];
  let leaves = 0;
  for (let i = 0; i < count; i++) {
    let kind = prng.pick(kinds);
    if (kind === 'wipe' && wipes++ >= options.wipesMax) kind = 'crash';
    // One leave per run, and a join per spare: a run never shrinks below N members.
    if (kind === 'leave' && leaves++ >= 1) kind = 'crash';
    if (kind === 'join') {
      const spare = spares.shift();
      if (spare === undefined) kind = 'crash';
      else {
        faults.push({ kind, atMs: prng.int(options.startMs, options.endMs), untilMs: options.endMs, node: spare });
        continue;
      }
    }
    if (kind === 'abort') {
      // An aborted change takes a spare when one is left, else the run's one leave.
      const spare = spares.shift();
      const change = spare !== undefined ? 'join' : leaves++ < 1 ? 'leave' : undefined;
      if (change === undefined) kind = 'crash';
      else {
        const atMs = prng.int(options.startMs, options.endMs);
        const untilMs = Math.min(options.endMs, atMs + prng.int(1, abortAfterMsMax));
        faults.push({ kind, atMs, untilMs, node: spare ?? prng.pick(options.nodeNames), change });
        continue;
      }
    }
    faults.push(randomFault(prng, kind, options));
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

function randomFault(prng: Prng, kind: FaultKind, options: ScheduleOptions): Fault {
  const { nodeNames, startMs, endMs } = options;
  const atMs = prng.int(startMs, endMs);
  const untilMs = Math.min(endMs, atMs + prng.int(50, Math.max(51, Math.floor((endMs - startMs) / 2))));
  switch (kind) {
    case 'crash':
    case 'wipe':
      return { kind, atMs, untilMs, node: prng.pick(nodeNames) };
    case 'flap':
      return { kind, atMs, untilMs, node: prng.pick(nodeNames), downMs: prng.int(2, 40), upMs: prng.int(5, 100) };
    case 'partition':
      return { kind, atMs, untilMs, groups: randomGroups(prng, nodeNames) };
    case 'longPartition': {
      const longAtMs = startMs + prng.int(0, Math.max(1, Math.floor((endMs - startMs) * longPartitionStartShareMax)));
      return { kind, atMs: longAtMs, untilMs: endMs, groups: randomGroups(prng, nodeNames, 2) };
    }
    case 'clog': {
      const [from, to] = prng.shuffled(nodeNames) as [string, string];
      return { kind, atMs, untilMs, from, to };
    }
    case 'drop':
    case 'duplicate':
      return { kind, atMs, untilMs, rate: roundTo(0.05 + prng.float() * 0.35, 2) };
    case 'latency':
      return { kind, atMs, untilMs, factor: prng.int(3, 30) };
    case 'slowDisk':
      return { kind, atMs, untilMs, node: prng.pick(nodeNames), factor: prng.int(10, 200) };
    case 'join':
    case 'leave':
      return { kind, atMs, untilMs, node: prng.pick(nodeNames) };
    case 'abort':
      return { kind, atMs, untilMs, node: prng.pick(nodeNames), change: 'leave' };
    default:
      return unreachable(kind, 'fault kind');
  }
}

/** An aborted change is aborted at most this long after its commit (often before it ends). */
const abortAfterMsMax = 200;

/** A long partition starts within this share of the safety phase, and lasts to its end. */
const longPartitionStartShareMax = 0.1;

/** Two groups (sometimes one node alone), or three. Never a group of nobody. */
function randomGroups(prng: Prng, nodeNames: readonly string[], groupsCountWanted?: number): string[][] {
  const shuffled = prng.shuffled(nodeNames);
  const groupsCount = groupsCountWanted ?? (nodeNames.length >= 4 && prng.chance(0.3) ? 3 : 2);
  const cuts = new Set<number>();
  while (cuts.size < groupsCount - 1) cuts.add(prng.int(1, shuffled.length));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), shuffled.length];
  return bounds.slice(0, -1).map((start, i) => shuffled.slice(start, bounds[i + 1]).sort());
}

function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Schedules the fault's start and end on the world's clock. */
export function scheduleFault(world: SimWorld, fault: Fault): void {
  const { queue } = world;
  assert(fault.atMs * 1000 >= queue.nowUs, 'fault scheduled in the past');
  if (fault.kind === 'flap') return scheduleFlap(world, fault);
  queue.at(fault.atMs * 1000, () => startFault(world, fault));
  queue.at(fault.untilMs * 1000, () => endFault(world, fault));
}

function scheduleFlap(world: SimWorld, fault: Extract<Fault, { kind: 'flap' }>): void {
  for (let downAtMs = fault.atMs; downAtMs < fault.untilMs; downAtMs += fault.downMs + fault.upMs) {
    const upAtMs = Math.min(fault.untilMs, downAtMs + fault.downMs);
    world.queue.at(downAtMs * 1000, () => world.crash(fault.node));
    world.queue.at(upAtMs * 1000, () => world.restart(fault.node));
  }
}

function startFault(world: SimWorld, fault: Fault): void {
  const { network } = world;
  switch (fault.kind) {
    case 'crash':
      return world.crash(fault.node);
    case 'wipe':
      world.crash(fault.node);
      return world.wipe(fault.node);
    case 'flap':
      return; // scheduled cycle by cycle (scheduleFlap)
    case 'partition':
    case 'longPartition':
      return network.partition(fault.groups);
    case 'clog':
      return network.clog(fault.from, fault.to);
    case 'drop':
      network.dropRate = fault.rate;
      return;
    case 'duplicate':
      network.duplicateRate = fault.rate;
      return;
    case 'latency':
      network.latencyScale = fault.factor;
      return;
    case 'slowDisk':
      world.disk(fault.node).latencyScale = fault.factor;
      return;
    case 'join':
    case 'leave':
      return changeMembership(world, fault.kind, fault.node);
    case 'abort':
      return changeMembership(world, fault.change, fault.node);
    default:
      unreachable(fault, 'fault');
  }
}

/** Ends a fault; a setting another fault changed since is left to that fault. */
function endFault(world: SimWorld, fault: Fault): void {
  const { network } = world;
  switch (fault.kind) {
    case 'crash':
    case 'wipe':
      return world.restart(fault.node);
    case 'flap':
      return;
    case 'partition':
    case 'longPartition':
      if (network.partitionGroups === fault.groups) network.partition([]);
      return;
    case 'clog':
      return network.unclog(fault.from, fault.to);
    case 'drop':
      if (network.dropRate === fault.rate) network.dropRate = 0;
      return;
    case 'duplicate':
      if (network.duplicateRate === fault.rate) network.duplicateRate = 0;
      return;
    case 'latency':
      if (network.latencyScale === fault.factor) network.latencyScale = 1;
      return;
    case 'slowDisk':
      if (world.disk(fault.node).latencyScale === fault.factor) world.disk(fault.node).latencyScale = 1;
      return;
    case 'join':
    case 'leave':
      return; // a committed change runs to its end; nothing to undo
    case 'abort':
      return abortChange(world);
    default:
      unreachable(fault, 'fault');
  }
}

/** Whether `fault` was in force at some moment of [fromMs, toMs]. */
export function faultOverlaps(fault: Fault, fromMs: number, toMs: number): boolean {
  // A join or leave runs until its transfers end, past its window: it counts from its start.
  const endMs = fault.kind === 'join' || fault.kind === 'leave' ? Infinity : fault.untilMs;
  return fault.atMs <= toMs && endMs >= fromMs;
}

export function describeFault(fault: Fault): string {
  const window = `${fault.atMs}..${fault.untilMs} ms`;
  switch (fault.kind) {
    case 'crash':
    case 'wipe':
      return `${window}  ${fault.kind} ${fault.node}`;
    case 'flap':
      return `${window}  flap ${fault.node} (down ${fault.downMs} ms, up ${fault.upMs} ms, repeatedly)`;
    case 'partition':
    case 'longPartition':
      return `${window}  ${fault.kind} ${fault.groups.map((group) => `{${group.join(' ')}}`).join(' | ')}`;
    case 'clog':
      return `${window}  clog ${fault.from} -> ${fault.to}`;
    case 'drop':
    case 'duplicate':
      return `${window}  ${fault.kind} ${Math.round(fault.rate * 100)}% of messages`;
    case 'latency':
      return `${window}  latency x${fault.factor}`;
    case 'slowDisk':
      return `${window}  slow disk on ${fault.node} x${fault.factor}`;
    case 'join':
    case 'leave':
      return `${fault.atMs} ms  ${fault.node} ${fault.kind}s (staged and committed)`;
    case 'abort':
      return `${window}  ${fault.node} ${fault.change}s (staged and committed), aborted at the end`;
    default:
      return unreachable(fault, 'fault');
  }
}

/**
 * Stages the change on a running member (the leaver itself, or for a join the first running
 * member, as an operator would pick one) and commits it. A change the cluster refuses — another
 * transition still running, or no member up — is skipped, as an operator would be told to retry.
 */
function changeMembership(world: SimWorld, kind: 'join' | 'leave', node: string): void {
  const claimant = kind === 'leave' && world.isUp(node) ? node : world.config.nodeNames.find((name) => world.isUp(name) && world.viewOf(name)?.members.some((m) => m.name === name && m.status === 'valid'));
  if (claimant === undefined) return;
  const change = kind === 'join' ? ({ action: 'join', node: world.ringNodeOf(node) } as const) : ({ action: 'leave', name: node } as const);
  world.command(claimant, (membership) => {
    try {
      membership.stage(change);
      membership.commit();
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      membership.clearStaged();
    }
  });
}

/**
 * An operator aborts the running change on the first running node that sees one. Refused (and
 * skipped) when no node up sees a transition: it finished, or was never committed.
 */
function abortChange(world: SimWorld): void {
  const claimant = world.nodeNames.find((name) => world.isUp(name) && (world.viewOf(name)?.next ?? null) !== null);
  if (claimant === undefined) return;
  world.command(claimant, (membership) => membership.abort());
}
