/**
 * No hidden loss: every version whose dot an object's causal context covers is either one of the
 * object's siblings or superseded by one of them — some sibling descends from it (versions.ts),
 * directly or through a chain of writes.
 *
 * This holds for every object a correct replica stores and every object a get returns, because
 * a sibling leaves an object only when a context that covers it arrives with a write that had
 * seen it (coordinateWrite), or with an object where that already happened (mergeObjects). A
 * context that covers a version nobody superseded means a merge dropped a sibling and kept its
 * dot — the write is gone though no one overwrote it, and every replica that merges this object
 * will drop it too. (Pruning could make such a context legitimately, as a false sibling's
 * mirror image; the simulated clusters stay far below the pruning bounds.)
 *
 * Checked on every get's answer and on every replica at the end. It sees a loss at the first
 * read after it happens, where the durability checker sees only what is left at the end.
 */
import { formatDot } from '../../core/version/actor.ts';
import { contextCovers, covers } from '../../core/version/causal-context.ts';
import type { CausalContext, Dot } from '../../core/version/types.ts';
import type { History } from '../history.ts';
import { dotKey } from '../labels.ts';
import type { SimWorld } from '../world.ts';
import { replicaStates } from './replicas.ts';
import type { VersionIndex, VersionInfo } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkDropped(world: SimWorld, history: History, index: VersionIndex): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    if (!entry.got) continue;
    const lost = hiddenLosses(index, entry.bucket, entry.key, entry.got.siblings.map((sibling) => sibling.dot), entry.got.context);
    if (lost.length > 0) violations.push({ checker: 'dropped', message: `get #${entry.id} returned a context covering ${describe(lost)}`, key: entry.key, entryIds: [entry.id, ...lost.map((info) => info.entry.id)] });
  }
  const keys = new Set(history.entries.map((entry) => `${entry.bucket}\u0000${entry.key}`));
  for (const id of keys) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    for (const { node, object } of replicaStates(world, bucket, key)) {
      if (object === null) continue;
      const lost = hiddenLosses(index, bucket, key, object.siblings.map((sibling) => sibling.dot), object.context);
      if (lost.length > 0) violations.push({ checker: 'dropped', message: `at the end ${node}'s context covers ${describe(lost)}`, key, entryIds: lost.map((info) => info.entry.id) });
    }
  }
  return violations;
}

function describe(lost: readonly VersionInfo[]): string {
  const shown = lost.slice(0, 3).map((info) => `${info.version.label} ${formatDot(info.version.dot)} (#${info.entry.id}, ${info.entry.outcome})`);
  return `${shown.join(', ')}${lost.length > 3 ? ` and ${lost.length - 3} more` : ''}, which it neither holds nor supersedes: dropped without a write that had seen it`;
}

/** Versions `context` covers that no sibling in `siblingDots` is, or descends from. */
function hiddenLosses(index: VersionIndex, bucket: string, key: string, siblingDots: readonly Dot[], context: CausalContext): VersionInfo[] {
  const byDot = index.byDotOfKey(bucket, key);
  const siblingKeys = siblingDots.map((dot) => dotKey(bucket, key, dot));
  const siblings = siblingKeys.map((id) => byDot.get(id)).filter((info) => info !== undefined);
  // Fast path: contexts are transitive, so what a correct object's context covers, the
  // histories of its siblings' writes cover too. Only if they do not is the walk needed.
  const direct = index.joinedHistory(siblings);
  if (contextCovers(direct, context)) return [];
  const suspects = index.ofKey(bucket, key).filter((info) => covers(context, info.version.dot) && !covers(direct, info.version.dot));
  if (suspects.length === 0) return suspects;
  const explained = walkBack(index, byDot, siblingKeys);
  return suspects.filter((info) => !explained.has(dotKey(bucket, key, info.version.dot)));
}

/** Every version reachable from `start` through what each version's writer had seen. */
function walkBack(index: VersionIndex, byDot: ReadonlyMap<string, VersionInfo>, start: readonly string[]): Set<string> {
  const explained = new Set(start);
  const frontier = [...start];
  while (frontier.length > 0) {
    const info = byDot.get(frontier.pop()!);
    if (info === undefined) continue; // a dot no coordinator made: the phantom checker reports it
    for (const ancestor of index.ancestors(info)) {
      if (explained.has(ancestor)) continue;
      explained.add(ancestor);
      frontier.push(ancestor);
    }
  }
  return explained;
}
