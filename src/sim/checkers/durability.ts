/**
 * Durability (DESIGN §2.2): every acknowledged put or delete is, at the end, present in the
 * key's final object or causally superseded — some version that descends from it (versions.ts)
 * is itself present or superseded in turn, a chain that ends at a sibling of the final object.
 *
 * The final object is the join of every copy of the key on every disk (after the liveness phase
 * the replicas agree, so it is what each replica holds) and of every tombstone a collection round
 * removed (replicas.ts, `finalObject`): a collected key is on no disk, yet its acknowledged
 * delete is not lost. That is sound only if a round removes nothing but tombstones (DESIGN §2.5),
 * so a collected object that holds a value is reported here: the value is gone without a write
 * that had seen it, and joining it back would hide that.
 *
 * The superseding write need not have been acknowledged: a put that missed its quorum may still
 * have been stored (Dynamo promises nothing either way), and when it was, it legitimately
 * replaced what its context covered. What must exist is a real write whose context covered the
 * lost version — never a merge that just dropped it.
 *
 * A version may be lost for good only when the bucket's durability (Dynamo §6.1, limits.ts
 * `Durability`; docs/durability.md) allows it, given the disks wiped and the buffers lost to
 * crashes since it was made. An acknowledged one: under `sync`, after at least W of the nodes
 * that held it were wiped (W committed copies were promised); under `one`, after its
 * coordinator's disk (the committed copy) was wiped and W of its holders lost it, by wipe or by a
 * crash before their buffer committed it; under `buffered`, after W of its holders lost it so. Any
 * other version after one holder lost it. Such versions are excused, and count as ends of chains.
 */
import { unreachable } from '../../core/assert.ts';
import { DotSet, formatDot } from '../model/index.ts';
import type { History, HistoryEntry } from '../history.ts';
import { dotKey, labelOf } from '../labels.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';
import { finalObject } from './replicas.ts';
import type { VersionIndex, VersionInfo } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkDurability(world: SimWorld, history: History, oracle: Oracle, index: VersionIndex): Violation[] {
  const violations: Violation[] = [];
  const writesByKey = new Map<string, HistoryEntry[]>();
  for (const entry of history.writes()) {
    const id = `${entry.bucket}\u0000${entry.key}`;
    writesByKey.set(id, [...(writesByKey.get(id) ?? []), entry]);
  }
  for (const [id, writes] of writesByKey) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    violations.push(...checkKey(world, writes, oracle, index, bucket, key));
  }
  return violations;
}

function checkKey(world: SimWorld, writes: readonly HistoryEntry[], oracle: Oracle, index: VersionIndex, bucket: string, key: string): Violation[] {
  const replicas = world.replicasOf(bucket, key);
  const infos = index.ofKey(bucket, key);
  const { durability } = world.bucketProps(bucket);
  const excused = (info: VersionInfo): boolean => {
    const acked = info.entry.outcome === 'ok' && index.acknowledgedVersion(info.entry) === info.version;
    const { dot, madeMs, coordinator } = info.version;
    // The key's replicas now, and every node that held the version: membership changes move
    // replicas, so a copy may have lived on a node the final ring no longer lists.
    const holders = [...new Set([...replicas, ...oracle.holdersOf(bucket, key, dot)])];
    const lost = oracle.lostSince(holders, bucket, key, dot, madeMs).size;
    if (!acked) return lost >= 1;
    const w = info.entry.quorum;
    switch (durability) {
      case 'sync':
        return oracle.wipedSince(holders, madeMs) >= w;
      case 'one':
        return oracle.wipedSince([coordinator], madeMs) >= 1 && lost >= w;
      case 'buffered':
        return lost >= w;
      default:
        return unreachable(durability, 'durability');
    }
  };
  const final = finalObject(world, oracle, bucket, key);
  const present = new Set((final?.siblings ?? []).map((sibling) => dotKey(bucket, key, sibling.dot)));
  const kept = markKept(index, bucket, key, infos, (info) => present.has(dotKey(bucket, key, info.version.dot)), excused);
  const violations: Violation[] = collectedValues(oracle, index, bucket, key);
  for (const entry of writes) {
    if (entry.outcome !== 'ok') continue;
    const version = index.acknowledgedVersion(entry);
    if (version === undefined) {
      violations.push({ checker: 'durability', message: `acknowledged ${entry.kind} ${entry.label} has no version any coordinator made`, key, entryIds: [entry.id] });
    } else if (!kept.has(dotKey(bucket, key, version.dot))) {
      const finalLabels = (final?.siblings ?? []).map((sibling) => `${formatDot(sibling.dot)}`).join(', ') || 'nothing';
      violations.push({
        checker: 'durability',
        message: `acknowledged ${entry.kind} ${entry.label} (dot ${formatDot(version.dot)}, #${entry.id}) is lost: the final object holds ${finalLabels}, and no write that descends from it survives`,
        key,
        entryIds: [entry.id],
      });
    }
  }
  return violations;
}

/** A collection that removed an object holding a value, not only tombstones: one violation each. */
function collectedValues(oracle: Oracle, index: VersionIndex, bucket: string, key: string): Violation[] {
  const violations: Violation[] = [];
  for (const { node, object, atMs } of oracle.collectionsOf(bucket, key)) {
    const live = object.siblings.filter((sibling) => !sibling.deleted);
    if (live.length === 0) continue;
    const labels = live.map((sibling) => `${labelOf(sibling.value)} ${formatDot(sibling.dot)}`).join(', ');
    const writers = live.map((sibling) => index.byDot(bucket, key, sibling.dot)?.entry.id).filter((id) => id !== undefined);
    violations.push({ checker: 'durability', message: `at ${atMs} ms ${node} collected ${bucket}/${key} as a tombstone though it held ${labels}: a collection removes only tombstones`, key, entryIds: writers });
  }
  return violations;
}

/**
 * Dots of versions that are ends of chains (`isEnd`, else `isExcused`) or that a kept version
 * descends from. The joined history of what is kept grows until it covers nothing new (contexts
 * are transitive, so this usually takes one round). Excuses are asked only of versions nothing
 * kept descends from (asking is the costly part: it walks the crash losses).
 */
function markKept(index: VersionIndex, bucket: string, key: string, infos: readonly VersionInfo[], isEnd: (info: VersionInfo) => boolean, isExcused: (info: VersionInfo) => boolean): Set<string> {
  const ids = new Map(infos.map((info) => [info, dotKey(bucket, key, info.version.dot)]));
  const kept = new Set<string>();
  let history = DotSet.empty;
  const keep = (ends: readonly VersionInfo[]): void => {
    for (let fresh = ends; fresh.length > 0; ) {
      for (const info of fresh) kept.add(ids.get(info)!);
      history = history.union(index.joinedHistory(fresh));
      fresh = infos.filter((info) => !kept.has(ids.get(info)!) && history.has(info.version.dot));
    }
  };
  keep(infos.filter(isEnd));
  keep(infos.filter((info) => !kept.has(ids.get(info)!) && isExcused(info)));
  return kept;
}
