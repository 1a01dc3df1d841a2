/**
 * Dynamo §6.3 reproduced: how many versions a get returns. Over 24 hours the paper's shopping
 * cart saw 99.94 % of requests return one version, 0.00057 % two, 0.00047 % three and 0.00009 %
 * four — divergence came mostly from concurrent writers, rarely from failures.
 *
 * Here the real core runs in the simulator, without faults, under read-modify-write clients
 * (each get is followed by a put with the context it returned), on many keys and on a few hot
 * ones. A get's versions are the siblings it returned (a tombstone is a version too; there are
 * no deletes in this workload); gets that found nothing are counted apart.
 */
import type { HistoryEntry } from '../history.ts';
import { runSeed } from '../run.ts';

export interface VersionsWorkload {
  readonly name: string;
  readonly clientsCount: number;
  readonly keysCount: number;
  /** Share of operations that go to the first key. */
  readonly hotKeyShare: number;
}

export interface VersionsRow {
  readonly workload: VersionsWorkload;
  readonly gets: number;
  readonly notFound: number;
  /** Gets that returned 1, 2, 3 and 4 or more versions. */
  readonly byVersions: readonly [number, number, number, number];
  /** The run's checkers passed (they always should; a failure is a bug). */
  readonly checked: boolean;
}

export const paperVersionsWorkloads: readonly VersionsWorkload[] = [
  { name: 'carts: 1000 keys, uniform', clientsCount: 8, keysCount: 1000, hotKeyShare: 0 },
  { name: 'hot keys: 10 keys', clientsCount: 2, keysCount: 10, hotKeyShare: 0 },
  { name: 'hot keys: 10 keys', clientsCount: 8, keysCount: 10, hotKeyShare: 0 },
  { name: 'one hot key (30 %) + 9', clientsCount: 8, keysCount: 10, hotKeyShare: 0.3 },
  { name: 'one hot key (30 %) + 9', clientsCount: 16, keysCount: 10, hotKeyShare: 0.3 },
];

export interface VersionsOptions {
  readonly durationMs: number;
  readonly seed: number;
}

export const paperVersionsOptions: VersionsOptions = { durationMs: 20_000, seed: 6_3 };

export function versionsRow(workload: VersionsWorkload, options: VersionsOptions): VersionsRow {
  const result = runSeed({
    seed: options.seed,
    faultsMax: 0,
    clientsCount: workload.clientsCount,
    keysCount: workload.keysCount,
    // One bucket, and the first key hot when the workload has one (the paper's runs predate the
    // simulator's default key space of several buckets and a preload).
    buckets: [{ name: 'sim' }],
    hotKeysCount: workload.hotKeyShare > 0 ? 1 : 0,
    preloadKeysCount: 0,
    hotKeyShare: workload.hotKeyShare,
    safetyMs: options.durationMs,
    thinkMsMean: 20,
    mix: { get: 1, readModifyWrite: 4, blindPut: 0, stalePut: 0, freshDelete: 0, staleDelete: 0 },
  });
  return { workload, ...countVersions(result.history.entries), checked: result.ok };
}

export function countVersions(entries: readonly HistoryEntry[]): Pick<VersionsRow, 'gets' | 'notFound' | 'byVersions'> {
  const byVersions: [number, number, number, number] = [0, 0, 0, 0];
  let gets = 0;
  let notFound = 0;
  for (const entry of entries) {
    if (entry.kind !== 'get' || entry.client === 'repair' || entry.outcome !== 'ok') continue;
    gets++;
    const versions = entry.got?.siblings.length ?? 0;
    if (versions === 0) notFound++;
    else byVersions[Math.min(versions, 4) - 1]!++;
  }
  return { gets, notFound, byVersions };
}

function percent(count: number, total: number): string {
  return total === 0 ? '—' : `${((100 * count) / total).toFixed(count === total ? 0 : 3)} %`;
}

export function formatVersionsTable(rows: readonly VersionsRow[]): string[] {
  const lines = ['| workload | clients | gets (found) | 1 version | 2 versions | 3 versions | 4+ versions | checkers |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const row of rows) {
    const found = row.gets - row.notFound;
    const cells = row.byVersions.map((count) => percent(count, found));
    lines.push(`| ${row.workload.name} | ${row.workload.clientsCount} | ${found} | ${cells.join(' | ')} | ${row.checked ? 'pass' : 'FAIL'} |`);
  }
  lines.push('| Dynamo §6.3 (shopping cart, 24 h) | — | — | 99.94 % | 0.00057 % | 0.00047 % | 0.00009 % | — |');
  return lines;
}
