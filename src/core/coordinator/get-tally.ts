/**
 * The count of a get's replies (Dynamo §5), apart from everything a node does: no messages, no
 * disk, no clock — events in, verdicts out, in the style of Riak's riak_kv_get_core
 * (add_result / enough / response / final_action). GetOperation (get.ts) feeds it what arrives
 * and acts on what it says; get-tally.test.ts drives it through tables of reply orders.
 *
 * - A node counts once: a reply or a failure from a node not asked, or already counted, is
 *   ignored (a duplicated message, a late one after its node was counted failed).
 * - Replies are reconciled as they come (the DVV join), late ones too: they do not change the
 *   answer already given but join what read repair writes back.
 * - Enough once R nodes replied, `pr` of them primaries; finished once every node asked has
 *   replied or failed (the deadline finishes it too, from outside).
 * - Short (`shortfall`) while the nodes asked could not make R, `pr` of them primaries, even if
 *   all of them replied: the get asks more.
 */
import { KvorumError, quorumNotMet } from '../errors.ts';
import { mergeBounded, objectsEqual } from '../version/object.ts';
import type { Resolution, StoredObject } from '../version/types.ts';

export class GetTally {
  private readonly asked = new Set<string>();
  private readonly replies = new Map<string, StoredObject | null>();
  /** Made on the first failure: most gets have none. */
  private failed: Set<string> | undefined;
  private primaryReplies = 0;
  private reconciled: StoredObject | null = null;
  /** The least partition epoch at which a reply joined into `reconciled` was read (tombstones/epochs.ts). */
  private leastStamp = Number.MAX_SAFE_INTEGER;

  constructor(
    readonly r: number,
    readonly pr: number,
    private readonly isPrimary: (node: string) => boolean,
    private readonly resolution: Resolution,
  ) {}

  /** `node` was asked (its own disk, or a replica). */
  ask(node: string): void {
    this.asked.add(node);
  }

  wasAsked(node: string): boolean {
    return this.asked.has(node);
  }

  /** Asked, and neither replied nor failed yet. */
  isPending(node: string): boolean {
    return this.asked.has(node) && !this.replies.has(node) && this.failed?.has(node) !== true;
  }

  /** The nodes asked that have not answered, in the order they were asked. */
  pending(): string[] {
    return [...this.asked].filter((node) => this.isPending(node));
  }

  /**
   * `node` replied with `object` (null: it holds nothing), read at epoch `stamp`. Returns the
   * siblings the hard bound dropped reconciling it (for the metric), or undefined when the reply
   * does not count (not pending).
   */
  reply(node: string, object: StoredObject | null, stamp: number): { readonly truncated: number } | undefined {
    if (!this.isPending(node)) return undefined;
    this.replies.set(node, object);
    if (this.isPrimary(node)) this.primaryReplies += 1;
    let truncated = 0;
    if (object !== null) {
      if (this.reconciled === null) this.reconciled = object;
      else {
        const merged = mergeBounded(this.reconciled, object, this.resolution);
        truncated = merged.truncated;
        this.reconciled = merged.object;
      }
      this.leastStamp = Math.min(this.leastStamp, stamp);
    }
    return { truncated };
  }

  /** `node` failed (an error, an unreachable node, a refused stale reply); false when it does not count. */
  fail(node: string): boolean {
    if (!this.isPending(node)) return false;
    (this.failed ??= new Set()).add(node);
    return true;
  }

  /**
   * How many more nodes must be asked so that, should every node asked and not yet heard from
   * (but those `uncounted`) reply, the get has R replies, `pr` of them from primaries (0: none).
   */
  shortfall(uncounted: ReadonlySet<string>): { readonly nodes: number; readonly primaries: number } {
    let pending = 0;
    let pendingPrimaries = 0;
    for (const node of this.asked) {
      if (!this.isPending(node) || uncounted.has(node)) continue;
      pending += 1;
      if (this.isPrimary(node)) pendingPrimaries += 1;
    }
    return { nodes: Math.max(0, this.r - this.replies.size - pending), primaries: Math.max(0, this.pr - this.primaryReplies - pendingPrimaries) };
  }

  /** R replies, `pr` of them from primaries: the get can be answered. */
  get enough(): boolean {
    return this.replies.size >= this.r && this.primaryReplies >= this.pr;
  }

  /** Every node asked has replied or failed. */
  get finished(): boolean {
    return this.replies.size + (this.failed?.size ?? 0) === this.asked.size;
  }

  /** The reconciliation of every reply so far (null: none held anything). */
  get object(): StoredObject | null {
    return this.reconciled;
  }

  /** The least read stamp of the replies reconciled: what a repair made from them carries. */
  get stamp(): number {
    return this.leastStamp;
  }

  /** Why the get failed, with the full count: R missed, else pr. */
  quorumError(): KvorumError {
    return this.replies.size < this.r
      ? quorumNotMet({ quorum: 'r', required: this.r, received: this.replies.size })
      : quorumNotMet({ quorum: 'pr', required: this.pr, received: this.primaryReplies });
  }

  /**
   * Read repair's targets (Dynamo §5): every primary that replied with less than the
   * reconciliation. Fallbacks are not repaired: what they hold for the key is hints, handed back
   * by handoff.
   */
  staleReplicas(): string[] {
    const reconciled = this.reconciled;
    if (reconciled === null) return [];
    return [...this.replies].filter(([node, object]) => this.isPrimary(node) && !(object && objectsEqual(object, reconciled))).map(([node]) => node);
  }
}
