/**
 * The GC pauses of a system's server processes during a run, from what the processes report:
 * kvorum's /metrics carries prom-client's `nodejs_gc_duration_seconds` by kind. Why the report
 * shows them: a node whose collector goes bad — promoting what should die young, with full
 * collections every second or two — cost a run up to a fifth of its CPU and a quarter of its p99,
 * and showed in nothing else the report printed (docs/benchmarks.md, "The GC state, found").
 */

/** Pauses of the main threads (what a request waits for), summed over a system's processes. */
export interface GcPauses {
  /** Young-generation collections (scavenges) and their pauses. */
  readonly youngCount: number;
  readonly youngS: number;
  /** Full (mark-compact) collections, and their pauses with the incremental marking steps'. */
  readonly fullCount: number;
  readonly fullS: number;
}

export const noGcPauses: GcPauses = { youngCount: 0, youngS: 0, fullCount: 0, fullS: 0 };

/** Seconds to the microsecond: sums of binary fractions print as 0.034999999999999996 otherwise. */
function toMicrosecond(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}

const gcSeriesPattern = /^nodejs_gc_duration_seconds_(sum|count)\{[^}]*\bkind="(\w+)"[^}]*\}\s+(\S+)/gm;

/** The pauses so far of one process, from its Prometheus text (a process without the metric has none). */
export function gcPausesOfMetrics(text: string): GcPauses {
  let { youngCount, youngS, fullCount, fullS } = noGcPauses;
  for (const [, series, kind, valueText] of text.matchAll(gcSeriesPattern)) {
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    if (kind === 'minor') {
      if (series === 'sum') youngS += value;
      else youngCount += value;
    } else if (kind === 'major') {
      if (series === 'sum') fullS += value;
      else fullCount += value;
    } else if (kind === 'incremental' && series === 'sum') {
      fullS += value;
    }
  }
  return { youngCount, youngS: toMicrosecond(youngS), fullCount, fullS: toMicrosecond(fullS) };
}

export function sumGcPauses(all: readonly GcPauses[]): GcPauses {
  return all.reduce((sum, pauses) => combined(sum, pauses, 1), noGcPauses);
}

/** What happened between two samples. */
export function gcPausesBetween(before: GcPauses, after: GcPauses): GcPauses {
  return combined(after, before, -1);
}

/** `a` plus (or minus) `b`, field by field. */
function combined(a: GcPauses, b: GcPauses, sign: 1 | -1): GcPauses {
  return {
    youngCount: a.youngCount + sign * b.youngCount,
    youngS: toMicrosecond(a.youngS + sign * b.youngS),
    fullCount: a.fullCount + sign * b.fullCount,
    fullS: toMicrosecond(a.fullS + sign * b.fullS),
  };
}
