/**
 * Human-readable failures: the seed and how to replay it, the fault schedule, what broke, the
 * history of the keys concerned, and what their replicas hold at the end.
 */
import { formatDot } from './model/index.ts';
import type { CausalContext, StoredObject } from '../core/version/types.ts';
import { replicaStates } from './checkers/replicas.ts';
import type { Violation } from './checkers/violation.ts';
import { describeFault, type Fault } from './faults.ts';
import type { GotObject, History, HistoryEntry } from './history.ts';
import { labelOf } from './labels.ts';
import type { SimWorld } from './world.ts';

/** History lines printed per key concerned, the most recent ones. */
const entriesPerKeyMax = 40;

export function describeContext(context: CausalContext): string {
  const clock = context.clock.map(([actor, counter]) => `${actor}:${counter}`);
  const dots = context.dots.map((dot) => formatDot(dot));
  return `{${[...clock, ...dots].join(' ')}}`;
}

export function describeObject(object: StoredObject | null): string {
  if (object === null) return 'nothing';
  const siblings = object.siblings.map((sibling) => `${labelOf(sibling.value)}@${sibling.dot[0]}:${sibling.dot[1]}`);
  return `[${siblings.join(' ')}] ${describeContext(object.context)}`;
}

function describeGot(got: GotObject | null): string {
  if (got === null) return 'not found';
  return `[${got.siblings.map((sibling) => `${sibling.label}@${sibling.dot[0]}:${sibling.dot[1]}`).join(' ')}] ${describeContext(got.context)}`;
}

export function describeEntry(entry: HistoryEntry): string {
  const time = `${String(entry.invokedMs).padStart(5)}..${entry.completedMs === undefined ? '?' : String(entry.completedMs).padEnd(5)}`;
  const who = `${entry.client}->${entry.node}`;
  const quorum = entry.kind === 'get' ? `r=${entry.quorum}` : `w=${entry.quorum}`;
  let what = `${entry.kind} ${entry.key} ${quorum}`;
  if (entry.label !== undefined) what += ` ${entry.label} ${entry.style} ctx=${entry.context ? describeContext(entry.context) : 'none'}`;
  let result: string = entry.outcome;
  if (entry.code) result += ` (${entry.code})`;
  if (entry.got !== undefined) result += ` ${describeGot(entry.got)}`;
  if (entry.storedContext) result += ` ${describeContext(entry.storedContext)}`;
  return `#${String(entry.id).padEnd(4)} ${time} ${who.padEnd(12)} ${what} -> ${result}`;
}

export interface FailureReport {
  readonly seed: number;
  readonly replay: string;
  /** The fault mix the seed drew. */
  readonly mix: string;
  readonly faults: readonly Fault[];
  readonly violations: readonly Violation[];
  readonly history: History;
  readonly world: SimWorld | undefined;
}

export function formatFailure(report: FailureReport): string {
  const lines = [`FAILED seed ${report.seed}   replay: ${report.replay}`, '', `fault schedule (mix ${report.mix}):`];
  lines.push(...(report.faults.length === 0 ? ['  (none)'] : report.faults.map((fault) => `  ${describeFault(fault)}`)));
  lines.push('', 'violations:');
  for (const violation of report.violations.slice(0, 10)) lines.push(`  [${violation.checker}] ${violation.message}`);
  if (report.violations.length > 10) lines.push(`  … and ${report.violations.length - 10} more`);
  const keys = new Map<string, { bucket: string; key: string }>();
  for (const { key, bucket } of report.violations) {
    if (key === undefined || keys.size >= 2) continue;
    const inBucket = bucket ?? report.history.entries.find((entry) => entry.key === key)?.bucket;
    if (inBucket !== undefined) keys.set(`${inBucket}\u0000${key}`, { bucket: inBucket, key });
  }
  for (const { bucket, key } of keys.values()) lines.push('', ...keySection(report, bucket, key));
  return lines.join('\n');
}

function keySection(report: FailureReport, bucket: string, key: string): string[] {
  const entries = report.history.byKey(bucket, key);
  const flagged = new Set(report.violations.flatMap((violation) => violation.entryIds));
  const shown = entries.length <= entriesPerKeyMax ? entries : entries.filter((entry, i) => flagged.has(entry.id) || i >= entries.length - entriesPerKeyMax);
  const lines = [`history of ${bucket}/${key} (${entries.length} operations${shown.length < entries.length ? `, ${shown.length} shown` : ''}; * = flagged):`];
  for (const entry of shown) lines.push(`${flagged.has(entry.id) ? '*' : ' '} ${describeEntry(entry)}`);
  if (report.world) {
    lines.push(`replicas of ${bucket}/${key} at the end:`);
    for (const { node, object } of replicaStates(report.world, bucket, key)) lines.push(`  ${node}: ${describeObject(object)}`);
  }
  return lines;
}
