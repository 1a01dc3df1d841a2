/**
 * The history of a run: every client operation as an invocation and a completion, the way
 * Jepsen records them. Checkers judge the cluster by this history and by what the oracle saw on
 * the disks, never by asking a node. Every write carries a unique label as its value (a
 * tombstone too), so that any value found anywhere traces back to exactly one client write.
 */
import type { Dot, CausalContext } from '../core/version/types.ts';

export type OperationKind = 'get' | 'put' | 'delete';

/** How a write chose its context. */
export type WriteStyle = 'blind' | 'fresh' | 'stale';

/**
 * ok: the node answered with success. failed: the node answered with an error, or refused the
 * connection — the write may still have been stored (a put that missed W can be on fewer
 * replicas), but nothing was promised. unknown: no answer before the client's deadline, or the
 * coordinator crashed mid-request.
 */
export type Outcome = 'pending' | 'ok' | 'failed' | 'unknown';

export interface GotSibling {
  readonly dot: Dot;
  readonly label: string;
  readonly deleted: boolean;
}

export interface GotObject {
  readonly siblings: readonly GotSibling[];
  readonly context: CausalContext;
}

export interface HistoryEntry {
  readonly id: number;
  readonly client: string;
  readonly node: string;
  readonly kind: OperationKind;
  readonly bucket: string;
  readonly key: string;
  readonly style?: WriteStyle | undefined;
  /** Writes: the unique value (or tombstone label) written. */
  readonly label?: string | undefined;
  /** Writes: the context sent with it (null for a blind write). */
  readonly context?: CausalContext | null | undefined;
  /** The R (gets) or W (writes) the operation asked for, the bucket's default resolved. */
  readonly quorum: number;
  readonly invokedMs: number;
  completedMs?: number;
  outcome: Outcome;
  /** Why it failed or is unknown: an error code, `refused`, `reset` or `deadline`. */
  code?: string;
  /** Gets that succeeded: what they returned (null: not found on R replicas). */
  got?: GotObject | null;
  /** Writes that succeeded: the context the node returned (the new version's history). */
  storedContext?: CausalContext;
}

export type Invocation = Omit<HistoryEntry, 'id' | 'outcome'>;

export class History {
  readonly entries: HistoryEntry[] = [];
  /** The request each entry sent (by reference): how a recorder's view of its arrival is found again. */
  private readonly requests = new WeakMap<HistoryEntry, object>();

  invoke(invocation: Invocation, request?: object): HistoryEntry {
    const entry: HistoryEntry = { ...invocation, id: this.entries.length + 1, outcome: 'pending' };
    this.entries.push(entry);
    if (request !== undefined) this.requests.set(entry, request);
    return entry;
  }

  requestOf(entry: HistoryEntry): object | undefined {
    return this.requests.get(entry);
  }

  complete(entry: HistoryEntry, nowMs: number, outcome: Exclude<Outcome, 'pending'>, detail: Partial<Pick<HistoryEntry, 'code' | 'got' | 'storedContext'>> = {}): void {
    if (entry.outcome !== 'pending') return; // a late answer after the deadline changes nothing
    entry.outcome = outcome;
    entry.completedMs = nowMs;
    Object.assign(entry, detail);
  }

  byKey(bucket: string, key: string): HistoryEntry[] {
    return this.entries.filter((entry) => entry.bucket === bucket && entry.key === key);
  }

  writes(): HistoryEntry[] {
    return this.entries.filter((entry) => entry.kind !== 'get');
  }

  reads(): HistoryEntry[] {
    return this.entries.filter((entry) => entry.kind === 'get');
  }
}
