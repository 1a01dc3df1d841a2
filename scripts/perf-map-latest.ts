/**
 * Rewrites V8's `perf` maps (/tmp/perf-<pid>.map, written by `node --perf-basic-prof`) so that
 * where two entries cover the same addresses, the one written last wins. V8 reuses the addresses
 * of code it has collected, even with `--no-compact-code-space`, and `perf` then names samples of
 * hot code after whatever was compiled there first (start-up code of libraries the hot path never
 * calls). Run it on the maps after `perf record` and before `perf report` or `perf script`:
 *
 *   node --import tsx scripts/perf-map-latest.ts /tmp/perf-<pid>.map…
 *
 * Samples of code that was collected before the profile's end are then named after what replaced
 * it; a profile taken after warm-up has little of that.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface CodeRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly line: string;
}

function latestWins(text: string): CodeRange[] {
  const entries = text.split('\n').flatMap((line): CodeRange[] => {
    const match = /^([0-9a-f]+) ([0-9a-f]+) /.exec(line);
    if (match === null) return [];
    const start = BigInt(`0x${match[1]}`);
    return [{ start, end: start + BigInt(`0x${match[2]}`), line }];
  });
  // From the last entry back, keep each one no later entry overlaps (kept sorted by start).
  const kept: CodeRange[] = [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    let at = 0;
    let high = kept.length;
    while (at < high) {
      const middle = (at + high) >> 1;
      if (kept[middle]!.start < entry.start) at = middle + 1;
      else high = middle;
    }
    const before = kept[at - 1];
    const after = kept[at];
    if ((before !== undefined && before.end > entry.start) || (after !== undefined && after.start < entry.end)) continue;
    kept.splice(at, 0, entry);
  }
  return kept;
}

for (const path of process.argv.slice(2)) {
  const text = readFileSync(path, 'utf8');
  const kept = latestWins(text);
  writeFileSync(path, kept.map((entry) => entry.line).join('\n') + '\n');
  console.log(`${path}: ${text.split('\n').filter((line) => line !== '').length} entries, ${kept.length} kept`);
}
