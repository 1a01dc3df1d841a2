/** The summary of many seeds: a line per fault kind (how many seeds had it, how many failed). */
import { faultKinds } from './faults.ts';
import { faultMixNames } from './fault-mixes.ts';
import type { RunResult } from './run.ts';

/** What the summary needs of a seed's run: not its world or history, which a run of 1,000 seeds cannot keep. */
export type RunOutcome = Pick<RunResult, 'seed' | 'ok' | 'mix' | 'faults' | 'stats' | 'violations'>;

export function summarizeRuns(results: readonly RunOutcome[], elapsedS: number): string[] {
  const failed = results.filter((result) => !result.ok);
  const lines = [
    `${results.length} seeds in ${elapsedS.toFixed(1)} s: ${results.length - failed.length} ok, ${failed.length} failed; ` +
      `${results.reduce((total, result) => total + result.stats.tombstonesCollected, 0)} tombstones collected`,
    'fault kind      seeds  failed    ops   acked  failed unknown',
  ];
  for (const kind of ['none', ...faultKinds] as const) {
    const withKind = results.filter((result) => (kind === 'none' ? result.faults.length === 0 : result.faults.some((fault) => fault.kind === kind)));
    const sum = (pick: (result: RunOutcome) => number): number => withKind.reduce((total, result) => total + pick(result), 0);
    const cells = [
      kind.padEnd(13),
      String(withKind.length).padStart(7),
      String(withKind.filter((result) => !result.ok).length).padStart(7),
      String(sum((r) => r.stats.operations)).padStart(7),
      String(sum((r) => r.stats.ok)).padStart(7),
      String(sum((r) => r.stats.failed)).padStart(7),
      String(sum((r) => r.stats.unknown)).padStart(7),
    ];
    lines.push(cells.join(' '));
  }
  lines.push('fault mix                      seeds  failed');
  for (const mix of faultMixNames) {
    const withMix = results.filter((result) => result.mix === mix);
    lines.push(`${mix.padEnd(28)} ${String(withMix.length).padStart(7)} ${String(withMix.filter((result) => !result.ok).length).padStart(7)}`);
  }
  const checkers = new Map<string, number>();
  for (const result of failed) for (const checker of new Set(result.violations.map((violation) => violation.checker))) checkers.set(checker, (checkers.get(checker) ?? 0) + 1);
  if (failed.length > 0) {
    lines.push(`failed seeds: ${failed.map((result) => result.seed).join(' ')}`);
    lines.push(`checkers that failed: ${[...checkers].map(([checker, count]) => `${checker} (${count} seeds)`).join(', ')}`);
  }
  return lines;
}
