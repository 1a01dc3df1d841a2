/**
 * Hinted handoff forgets a hint only once it was handed back (Dynamo §4.6; core/handoff/
 * hinted-handoff.ts), watched as it happens, in every mode where hints exist. The end-state
 * checkers (checkers/handoff.ts, checkers/hints-drained.ts) ask that what a forgotten hint held
 * is on its owner at the end — but anti-entropy puts it there too, so with anti-entropy on they
 * cannot see a holder that forgets hints it never delivered (issue 13 §2). This looks at each
 * forgetting itself: a holder asks its disk to delete a hint only in the step in which it hears
 * a successful `hintDeliverReply` from the node it sent that very hint to (by op id and by the
 * reference model: the version sent covers the one deleted), or when it gives up the hints of a
 * partition it abandoned behind a tombstone round (core/tombstones/epochs.ts `abandon`).
 */
import type { Effect, NodeInput } from '../core/effects.ts';
import type { KvNode } from '../core/node.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { Violation } from './checkers/violation.ts';
import { DotSet } from './model/index.ts';

/** Reported forgettings at most: a broken handoff forgets every hint, and ten say it. */
const violationsMax = 10;

interface Delivery {
  readonly to: string;
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
}

export class HintDeliveryRecorder {
  /** By `holder opId` (op ids are drawn afresh per process: node.ts `firstOpId`). */
  private readonly deliveries = new Map<string, Delivery>();
  readonly violations: Violation[] = [];

  onStep(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[], nowMs: number): void {
    let acked: Delivery | undefined;
    if (input.type === 'message' && input.message.kind === 'hintDeliverReply' && input.message.error == null) {
      const delivery = this.deliveries.get(`${node} ${input.message.opId}`);
      if (delivery?.to === input.from) acked = delivery;
    }
    for (const effect of effects) {
      if (effect.type === 'send' && effect.message.kind === 'hintDeliver') {
        const { to, message } = effect;
        this.deliveries.set(`${node} ${message.opId}`, { to, bucket: message.bucket, key: message.key, object: message.object });
      }
      if (effect.type !== 'hints' || effect.op.kind !== 'delete') continue;
      const { hint } = effect.op;
      if (kv.epochs.isAbandoned(hint.partition)) continue;
      const handedBack = acked !== undefined && acked.bucket === hint.bucket && acked.key === hint.key && DotSet.fromEncoded(acked.object.context).includes(DotSet.fromEncoded(hint.object.context));
      if (handedBack || this.violations.length >= violationsMax) continue;
      this.violations.push({
        checker: 'hintDelivery',
        message: `${node} at ${nowMs} ms forgot its hint of ${hint.bucket}/${hint.key} for ${hint.owner}, though ${acked === undefined ? 'no node it had sent it to acknowledged it in that step' : `${acked.to}'s acknowledgement was for another version`}`,
        bucket: hint.bucket,
        key: hint.key,
        entryIds: [],
      });
    }
  }
}
