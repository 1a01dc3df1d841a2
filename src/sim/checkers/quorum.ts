/**
 * Write quorum (DESIGN §6): a put answered as stored was on at least W disks, its coordinator's
 * included, at the moment the coordinator answered. The oracle counts the disks whose object
 * covers the new version's dot at that moment (a disk wiped since counts: its copy was real).
 */
import type { History } from '../history.ts';
import type { Oracle } from '../oracle.ts';
import type { Violation } from './violation.ts';

export function checkWriteQuorum(history: History, oracle: Oracle): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.writes()) {
    if (entry.outcome !== 'ok' || entry.storedContext === undefined) continue;
    const stores = oracle.storesWhenAnswered(entry.storedContext);
    if (stores !== undefined && stores >= entry.quorum) continue;
    violations.push({
      checker: 'quorum',
      message: `${entry.kind} ${entry.label} (#${entry.id}) was acknowledged with w=${entry.quorum} when ${stores ?? 'no'} disk(s) held it`,
      key: entry.key,
      entryIds: [entry.id],
    });
  }
  return violations;
}
