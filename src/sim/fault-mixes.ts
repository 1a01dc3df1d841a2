/**
 * Fault mixes aimed at the rare (issue 13 §5). A uniform draw of fault kinds rarely puts the
 * right faults together: a coordinator that counted a duplicated acknowledgement twice needed
 * duplication, a partition and W = N at once, and was caught by one seed in 150. So each seed
 * draws a mix by weight, and the mix composes its faults (and tilts the workload) on purpose:
 *
 * | mix | weight | what it puts together |
 * | --- | ---: | --- |
 * | `uniform` | 4 | 0 to faultsMax faults of any kind, as before |
 * | `duplicatesPartitionsWEqualsN` | 2 | messages duplicated all along, one or two partitions, and W = N on most writes |
 * | `crashDuringHandoff` | 2 | a node away long enough to collect hints, then a crash of a likely holder — or of the owner again — while they are delivered |
 * | `wipeDuringTransfer` | 2 | a join or a leave, and a wipe of a node moving data within 200 ms of the commit |
 *
 * With 1,000 seeds each of the three aimed mixes runs about 200 times. The mix is drawn from the
 * seed's fault stream, so a seed replays exactly; `--mix name` forces one.
 */
import type { Fault, FaultKind, ScheduleOptions } from './faults.ts';
import { randomFaultSchedule } from './faults.ts';
import type { Prng } from './prng.ts';

export const faultMixNames = ['uniform', 'duplicatesPartitionsWEqualsN', 'crashDuringHandoff', 'wipeDuringTransfer'] as const;
export type FaultMixName = (typeof faultMixNames)[number];

/** What a mix adds to the workload. */
export interface WorkloadTilt {
  /** Chance that a write asks for W = N (else the bucket's W, or the usual random override). */
  readonly wEqualsNShare: number;
}

export interface FaultMix {
  readonly weight: number;
  readonly description: string;
  schedule(prng: Prng, options: ScheduleOptions): Fault[];
  readonly workload: WorkloadTilt;
}

const noTilt: WorkloadTilt = { wEqualsNShare: 0 };

export const faultMixes: Readonly<Record<FaultMixName, FaultMix>> = {
  uniform: {
    weight: 4,
    description: '0 to faultsMax faults of any kind (or of --faults)',
    schedule: randomFaultSchedule,
    workload: noTilt,
  },
  duplicatesPartitionsWEqualsN: {
    weight: 2,
    description: 'messages duplicated all along (20-40 %), one or two partitions, W = N on 60 % of writes',
    schedule(prng, { nodeNames, startMs, endMs }) {
      const faults: Fault[] = [{ kind: 'duplicate', atMs: startMs, untilMs: endMs, rate: Math.round((0.2 + prng.float() * 0.2) * 100) / 100 }];
      const partitions = prng.int(1, 3);
      const span = Math.floor((endMs - startMs) / partitions);
      for (let i = 0; i < partitions; i++) {
        const atMs = startMs + i * span + prng.int(0, Math.floor(span / 3));
        faults.push({ kind: 'partition', atMs, untilMs: Math.min(endMs, atMs + prng.int(Math.floor(span / 3), span)), groups: twoGroups(prng, nodeNames) });
      }
      return sorted(faults);
    },
    workload: { wEqualsNShare: 0.6 },
  },
  crashDuringHandoff: {
    weight: 2,
    description: 'a node away (crash or cut off) for 200-600 ms, then within 150 ms of its return a crash of another node (a likely hint holder) or of the owner again, while hints are delivered',
    schedule(prng, { nodeNames, startMs, endMs }) {
      const [owner, holder] = prng.shuffled(nodeNames) as [string, string];
      const atMs = prng.int(startMs, Math.max(startMs + 1, Math.floor((startMs + endMs) / 2)));
      const backMs = Math.min(endMs - 100, atMs + prng.int(200, 600));
      const away: Fault = prng.chance(0.5) ? { kind: 'crash', atMs, untilMs: backMs, node: owner } : { kind: 'partition', atMs, untilMs: backMs, groups: [[owner], nodeNames.filter((name) => name !== owner)] };
      const crashAtMs = Math.min(endMs - 1, backMs + prng.int(0, 150));
      const victim = prng.chance(0.7) ? holder : owner;
      const crash: Fault = { kind: 'crash', atMs: crashAtMs, untilMs: Math.min(endMs, crashAtMs + prng.int(20, 300)), node: victim };
      return sorted([away, crash, ...extra(prng, startMs, endMs, ['drop', 'duplicate', 'latency', 'slowDisk', 'clog'], nodeNames)]);
    },
    workload: noTilt,
  },
  wipeDuringTransfer: {
    weight: 2,
    description: 'a join of the spare or a leave, and within 10-200 ms of the commit a wipe of a node that sends or takes partitions',
    schedule(prng, { nodeNames, startMs, endMs, spareNodeNames }) {
      const spare = spareNodeNames?.[0];
      const atMs = prng.int(startMs, Math.max(startMs + 1, Math.floor((startMs + endMs) / 2)));
      const change: Fault = spare !== undefined && prng.chance(0.5) ? { kind: 'join', atMs, untilMs: endMs, node: spare } : { kind: 'leave', atMs, untilMs: endMs, node: prng.pick(nodeNames) };
      // A leaver wiped loses what it was sending; a joiner wiped, what it had taken; another, its copies.
      const wiped = prng.chance(0.4) ? change.node : prng.pick(nodeNames.filter((name) => name !== change.node));
      const wipeAtMs = Math.min(endMs - 1, atMs + prng.int(10, 200));
      const wipe: Fault = { kind: 'wipe', atMs: wipeAtMs, untilMs: Math.min(endMs, wipeAtMs + prng.int(50, 400)), node: wiped };
      return sorted([change, wipe, ...extra(prng, startMs, endMs, ['crash', 'drop', 'duplicate', 'latency'], nodeNames)]);
    },
    workload: noTilt,
  },
};

/** The mix of a seed: drawn by weight from the seed's fault stream (or the one forced). */
export function pickFaultMix(prng: Prng, forced?: FaultMixName): FaultMixName {
  if (forced !== undefined) return forced;
  const total = faultMixNames.reduce((sum, name) => sum + faultMixes[name].weight, 0);
  let roll = prng.float() * total;
  for (const name of faultMixNames) {
    roll -= faultMixes[name].weight;
    if (roll < 0) return name;
  }
  return 'uniform';
}

/** 0 or 1 more fault of `kinds`, anywhere: so an aimed mix does not always run on a clean network. */
function extra(prng: Prng, startMs: number, endMs: number, kinds: readonly FaultKind[], nodeNames: readonly string[]): Fault[] {
  if (!prng.chance(0.5)) return [];
  return randomFaultSchedule(prng, { nodeNames, startMs, endMs, faultsMax: 1, wipesMax: 0, kinds }).slice(0, 1);
}

function twoGroups(prng: Prng, nodeNames: readonly string[]): string[][] {
  const shuffled = prng.shuffled(nodeNames);
  const cut = prng.int(1, shuffled.length);
  return [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()];
}

function sorted(faults: Fault[]): Fault[] {
  return faults.sort((a, b) => a.atMs - b.atMs);
}
