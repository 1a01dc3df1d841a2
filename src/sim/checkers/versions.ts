/**
 * Versions and what "descends" means, for the checkers.
 *
 * A version is one write event: a client write (label) that a coordinator turned into a sibling
 * with a fresh dot. Its causal history is the context the client sent with the write plus its
 * own dot — the coordinator makes the new dot past everything it and the context have seen, and
 * the version supersedes exactly what that context covers (DESIGN §4).
 *
 * Version v descends from dot d when d is v's own dot or the context v's write was sent with
 * covers d: the client had seen d (or a version that had seen it) when it wrote v. Descent is
 * transitive through chains of writes, because a context that covers a dot came from an object
 * whose context had joined the history of the write that made the dot.
 */
import { dotsEqual } from '../../core/version/actor.ts';
import { addDot, covers, emptyContext, joinContexts } from '../../core/version/causal-context.ts';
import type { CausalContext, Dot } from '../../core/version/types.ts';
import type { History, HistoryEntry } from '../history.ts';
import { dotKey } from '../labels.ts';
import type { Oracle, WriteVersion } from '../oracle.ts';

export interface VersionInfo {
  readonly version: WriteVersion;
  /** The client write it belongs to. */
  readonly entry: HistoryEntry;
}

export class VersionIndex {
  private readonly entryByLabel = new Map<string, HistoryEntry>();
  /** Versions by `bucket NUL key`, built once (the oracle's records are complete when checkers run). */
  private readonly keyVersions = new Map<string, VersionInfo[]>();
  private readonly ancestorsByDot = new Map<string, Set<string>>();
  private readonly keyVersionsByDot = new Map<string, Map<string, VersionInfo>>();
  private readonly histories = new Map<VersionInfo, CausalContext>();

  constructor(
    history: History,
    private readonly oracle: Oracle,
  ) {
    for (const entry of history.entries) {
      if (entry.label === undefined) continue;
      this.entryByLabel.set(entry.label, entry);
      const id = `${entry.bucket}\u0000${entry.key}`;
      const infos = this.keyVersions.get(id) ?? [];
      for (const version of this.oracle.versionsByLabel.get(entry.label) ?? []) infos.push({ version, entry });
      this.keyVersions.set(id, infos);
    }
  }

  entryOf(label: string): HistoryEntry | undefined {
    return this.entryByLabel.get(label);
  }

  byDot(bucket: string, key: string, dot: Dot): VersionInfo | undefined {
    const version = this.oracle.versionByDot.get(dotKey(bucket, key, dot));
    const entry = version && this.entryByLabel.get(version.label);
    return version && entry ? { version, entry } : undefined;
  }

  /** Every version the coordinators made for writes to this key. */
  ofKey(bucket: string, key: string): readonly VersionInfo[] {
    return this.keyVersions.get(`${bucket}\u0000${key}`) ?? [];
  }

  /** The versions of one key by their dot keys. */
  byDotOfKey(bucket: string, key: string): ReadonlyMap<string, VersionInfo> {
    const id = `${bucket}\u0000${key}`;
    let map = this.keyVersionsByDot.get(id);
    if (map === undefined) {
      map = new Map(this.ofKey(bucket, key).map((info) => [dotKey(bucket, key, info.version.dot), info]));
      this.keyVersionsByDot.set(id, map);
    }
    return map;
  }

  /** The causal history of a version: the context its write was sent with, plus its own dot. */
  historyOf(info: VersionInfo): CausalContext {
    let history = this.histories.get(info);
    if (history === undefined) {
      history = addDot(info.entry.context ?? emptyContext, info.version.dot, 0);
      this.histories.set(info, history);
    }
    return history;
  }

  /** The join of the histories of `infos`: every dot one of them descends from directly. */
  joinedHistory(infos: Iterable<VersionInfo>): CausalContext {
    let joined = emptyContext;
    for (const info of infos) joined = joinContexts(joined, this.historyOf(info));
    return joined;
  }

  /** Dot keys of the versions of the same key that `info` directly descends from (its context covers them). */
  ancestors(info: VersionInfo): ReadonlySet<string> {
    const { bucket, key, dot } = info.version;
    const id = dotKey(bucket, key, dot);
    let found = this.ancestorsByDot.get(id);
    if (found === undefined) {
      found = new Set();
      for (const other of this.ofKey(bucket, key)) {
        if (other !== info && descends(info, other.version.dot)) found.add(dotKey(bucket, key, other.version.dot));
      }
      this.ancestorsByDot.set(id, found);
    }
    return found;
  }

  /** The version an acknowledged write's answer names (its context is the one the coordinator made). */
  acknowledgedVersion(entry: HistoryEntry): WriteVersion | undefined {
    return entry.storedContext ? this.oracle.versionAnswered(entry.storedContext) : undefined;
  }
}

export function descends(info: VersionInfo, dot: Dot): boolean {
  if (dotsEqual(info.version.dot, dot)) return true;
  const context = info.entry.context;
  return context !== null && context !== undefined && covers(context, dot);
}
