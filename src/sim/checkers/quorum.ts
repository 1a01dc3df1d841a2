/**
 * Write quorum (DESIGN §6) and durability at the answer (Dynamo §6.1, limits.ts `Durability`): a
 * put answered as stored was on at least W disks, its coordinator's included, at the moment the
 * coordinator answered — in the node's buffer or committed — and, of those, committed to disk:
 * all W under `sync`, at least one (the coordinator's) under `one`, none required under
 * `buffered`. The oracle counts the disks whose object covers the new version's dot at that
 * moment (a disk that lost its copy since counts: the copy was real).
 */
import type { Durability } from '../../core/limits.ts';
import type { History } from '../history.ts';
import type { Oracle } from '../oracle.ts';
import type { Violation } from './violation.ts';

/** Copies committed to disk a put of quorum `w` must have when it is answered. */
export function durableCopiesRequired(durability: Durability, w: number): number {
  return durability === 'sync' ? w : durability === 'one' ? 1 : 0;
}

export function checkWriteQuorum(history: History, oracle: Oracle, durabilityOf: (bucket: string) => Durability): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.writes()) {
    if (entry.outcome !== 'ok' || entry.storedContext === undefined) continue;
    const durability = durabilityOf(entry.bucket);
    const stores = oracle.storesWhenAnswered(entry.storedContext);
    const durableRequired = durableCopiesRequired(durability, entry.quorum);
    if (stores !== undefined && stores.copies >= entry.quorum && stores.durableCopies >= durableRequired) continue;
    const found = stores === undefined ? 'no disk' : `${stores.copies} disk(s), ${stores.durableCopies} of them committed,`;
    violations.push({
      checker: 'quorum',
      message: `${entry.kind} ${entry.label} (#${entry.id}) was acknowledged with w=${entry.quorum} (durability ${durability}: ${durableRequired} committed) when ${found} held it`,
      bucket: entry.bucket,
      key: entry.key,
      entryIds: [entry.id],
    });
  }
  return violations;
}
