/**
 * The versions of a run, for the checkers: every version a coordinator made (oracle.ts), paired
 * with the client write it belongs to, and judged by the reference model (../model/) only —
 * never by the core's version functions, so that a bug there cannot hide from the checkers
 * (issue 13 §1).
 *
 * A version's causal history is the context its write was sent with plus its own dot
 * (model/versions.ts). Version v descends from dot d when d is in that history: the client had
 * seen d (or a version that had seen it) when it wrote v. Descent is transitive through chains of
 * writes, because a context that covers a dot came from an object whose context had joined the
 * history of the write that made the dot.
 */
import { DotSet, type ModelDot, type ModelVersion } from '../model/index.ts';
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

  byDot(bucket: string, key: string, dot: ModelDot): VersionInfo | undefined {
    const version = this.oracle.versionByDot.get(dotKey(bucket, key, dot));
    const entry = version && this.entryByLabel.get(version.label);
    return version && entry ? { version, entry } : undefined;
  }

  /** The model's version of a dot of this key (undefined: no coordinator made it). */
  modelVersionOf(bucket: string, key: string): (dot: ModelDot) => ModelVersion | undefined {
    return (dot) => this.oracle.modelVersion(bucket, key, dot);
  }

  /** Every version the coordinators made for writes to this key. */
  ofKey(bucket: string, key: string): readonly VersionInfo[] {
    return this.keyVersions.get(`${bucket}\u0000${key}`) ?? [];
  }

  /** The causal history of a version: the context its write was sent with, plus its own dot. */
  historyOf(info: VersionInfo): DotSet {
    return this.oracle.modelVersion(info.version.bucket, info.version.key, info.version.dot)!.history;
  }

  /** The join of the histories of `infos`: every dot one of them descends from directly. */
  joinedHistory(infos: Iterable<VersionInfo>): DotSet {
    let joined = DotSet.empty;
    for (const info of infos) joined = joined.union(this.historyOf(info));
    return joined;
  }

  /** The version an acknowledged write's answer names (its context is the one the coordinator made). */
  acknowledgedVersion(entry: HistoryEntry): WriteVersion | undefined {
    return entry.storedContext ? this.oracle.versionAnswered(entry.storedContext) : undefined;
  }
}
