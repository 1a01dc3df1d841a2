/**
 * Hinted handoff's holder side (hinted-handoff.ts) on tables of events, with a hand-played host
 * (an in-memory hint store that applies the real hint ops, a clock, a reachability table):
 * acknowledgements in every order, duplicates, late acknowledgements after the batch was given
 * up, silence, failures, a hint that changed while it travelled, owners that are away or left.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HintDeliverReply } from '../messages.ts';
import { coordinateWrite, mergeObjects } from '../version/object.ts';
import type { StoredObject } from '../version/types.ts';
import { deleteHint, hintsCounted, hintsOf, storeHint, tallyHints, type Hint, type HintOp, type HintOutcome, type HintRecord } from './hint-op.ts';
import { hintBatchTimeoutMs, hintDeliveryIntervalMs, HintedHandoff, type HandoffHost } from './hinted-handoff.ts';
import { permutations } from '../test-permutations.ts';

const version = (label: string): StoredObject => coordinateWrite(null, { value: new TextEncoder().encode(label), contentType: 't', deleted: false, context: null }, `w.${label}`, 1, 'siblings').object;

class Holder {
  nowMs = 0;
  private opId = 1;
  readonly records = new Map<string, HintRecord>();
  readonly delivered: { to: string; opId: number; hint: Hint }[] = [];
  readonly reachable = new Set(['o1', 'o2', 'o3', 'p1']);
  readonly members = new Set(['h', 'o1', 'o2', 'o3', 'p1']);
  readonly handoff = new HintedHandoff();
  readonly host: HandoffHost;

  constructor(hints: readonly Hint[]) {
    for (const hint of hints) this.keep(hint);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const holder = this;
    this.host = {
      self: 'h',
      get nowMs() {
        return holder.nowMs;
      },
      nextOpId: () => holder.opId++,
      isReachable: (node) => holder.reachable.has(node),
      isMember: (node) => holder.members.has(node),
      primariesOf: () => ['h', 'p1'],
      deliver: (to, opId, hint) => holder.delivered.push({ to, opId, hint }),
      epochsNow: () => () => 0,
      abandoned: () => false,
      hints: (op, done) => done(holder.apply(op)),
      count: () => {},
    };
  }

  keep(hint: Hint): void {
    const change = storeHint(this.records.get(hint.key) ?? null, hint, 'siblings');
    if (change.write) this.records.set(hint.key, change.write);
  }

  private apply(op: HintOp): HintOutcome {
    switch (op.kind) {
      case 'count': {
        const byOwner = new Map<string, number>();
        for (const record of this.records.values()) tallyHints(byOwner, record);
        return hintsCounted(byOwner);
      }
      case 'scan': {
        const keys = [...this.records.keys()].sort().filter((key) => op.after === null || key > op.after.key).slice(0, op.limit);
        return { kind: 'scanned', hints: keys.flatMap((key) => hintsOf({ partition: 0, bucket: 'b', key }, this.records.get(key)!)), last: keys.length === 0 ? null : { partition: 0, bucket: 'b', key: keys.at(-1)! } };
      }
      case 'delete': {
        const change = deleteHint(this.records.get(op.hint.key) ?? null, op.hint);
        if (change.write === null) this.records.delete(op.hint.key);
        else if (change.write !== undefined) this.records.set(op.hint.key, change.write);
        return change.outcome;
      }
      default:
        throw new Error(`unexpected hint op ${op.kind}`);
    }
  }

  /** Ticks until `ms` later. */
  run(ms: number): void {
    for (const end = this.nowMs + ms; this.nowMs < end; ) {
      this.nowMs += 10;
      this.handoff.tick(this.host);
    }
  }

  ack(delivery: { to: string; opId: number }, error = false): void {
    const reply: HintDeliverReply = { kind: 'hintDeliverReply', opId: delivery.opId, ...(error ? { error: { kind: 'error', code: 'unavailable', message: 'no' } } : {}) };
    this.handoff.onReply(this.host, delivery.to, reply);
  }

  held(): string[] {
    return [...this.records].flatMap(([key, record]) => [...record.keys()].map((owner) => `${key}@${owner}`)).sort();
  }
}

const hint = (key: string, owner: string, label = key): Hint => ({ partition: 0, bucket: 'b', key, owner, object: version(label) });

describe('hinted handoff, the holder (Dynamo §4.6)', () => {
  test('acknowledgements in every order: each hint is forgotten once its owner stored it, and not before', () => {
    const hints = [hint('k1', 'o1'), hint('k2', 'o2'), hint('k3', 'o3')];
    for (const order of permutations([0, 1, 2])) {
      const holder = new Holder(hints);
      holder.run(hintDeliveryIntervalMs);
      assert.deepEqual(holder.delivered.map((d) => d.to).sort(), ['o1', 'o2', 'o3']);
      const acked: string[] = [];
      for (const i of order) {
        const delivery = holder.delivered[i]!;
        holder.ack(delivery);
        acked.push(`${delivery.hint.key}@${delivery.to}`);
        assert.deepEqual(holder.held(), ['k1@o1', 'k2@o2', 'k3@o3'].filter((held) => !acked.includes(held)));
      }
      assert.equal(holder.handoff.pending, 0);
    }
  });

  const table: readonly { name: string; events: (holder: Holder) => void; held: string[]; deliveries: number }[] = [
    {
      name: 'a duplicated acknowledgement forgets the hint once',
      events: (holder) => {
        holder.ack(holder.delivered[0]!);
        holder.ack(holder.delivered[0]!);
      },
      held: [],
      deliveries: 1,
    },
    {
      name: 'an error from the owner keeps the hint, and the next round delivers it again',
      events: (holder) => {
        holder.ack(holder.delivered[0]!, true);
        holder.run(hintBatchTimeoutMs + hintDeliveryIntervalMs);
      },
      held: ['k1@o1'],
      deliveries: 2,
    },
    {
      name: 'a failed delivery keeps the hint for the next round',
      events: (holder) => {
        holder.handoff.onDeliveryFailed(holder.delivered[0]!.opId);
        holder.run(hintDeliveryIntervalMs * 2);
      },
      held: ['k1@o1'],
      deliveries: 2,
    },
    {
      name: 'silence: the batch is given up after its timeout and delivered again',
      events: (holder) => holder.run(hintBatchTimeoutMs + hintDeliveryIntervalMs),
      held: ['k1@o1'],
      deliveries: 2,
    },
    {
      name: 'a late acknowledgement of a batch given up forgets nothing (the next delivery will)',
      events: (holder) => {
        holder.run(hintBatchTimeoutMs + 10);
        holder.ack(holder.delivered[0]!);
      },
      held: ['k1@o1'],
      deliveries: 1,
    },
    {
      name: 'an acknowledgement from another node than the one delivered to is ignored',
      events: (holder) => holder.handoff.onReply(holder.host, 'o2', { kind: 'hintDeliverReply', opId: holder.delivered[0]!.opId }),
      held: ['k1@o1'],
      deliveries: 1,
    },
    {
      name: 'a hint that took a newer version while it travelled is kept for the next round',
      events: (holder) => {
        holder.keep(hint('k1', 'o1', 'newer'));
        holder.ack(holder.delivered[0]!);
      },
      held: ['k1@o1'],
      deliveries: 1,
    },
  ];
  for (const row of table) {
    test(row.name, () => {
      const holder = new Holder([hint('k1', 'o1')]);
      holder.run(hintDeliveryIntervalMs);
      assert.equal(holder.delivered.length, 1);
      row.events(holder);
      assert.deepEqual(holder.held(), row.held);
      assert.equal(holder.delivered.length, row.deliveries);
    });
  }

  test('the newer version merged into a hint is what the next round delivers', () => {
    const holder = new Holder([hint('k1', 'o1')]);
    holder.run(hintDeliveryIntervalMs);
    holder.keep(hint('k1', 'o1', 'newer'));
    holder.ack(holder.delivered[0]!);
    holder.run(hintDeliveryIntervalMs * 2);
    const again = holder.delivered[1]!;
    assert.deepEqual(again.hint.object, mergeObjects(version('k1'), version('newer'), 'siblings'));
    holder.ack(again);
    assert.deepEqual(holder.held(), []);
  });

  test('an owner the holder cannot reach gets nothing until it can; one that left the ring, the key\'s first reachable primary', () => {
    const holder = new Holder([hint('k1', 'o1'), hint('k2', 'gone')]);
    holder.reachable.delete('o1');
    holder.run(hintDeliveryIntervalMs);
    assert.deepEqual(holder.delivered.map((d) => `${d.hint.key}->${d.to}`), ['k2->p1'], 'not to itself, the first primary');
    holder.ack(holder.delivered[0]!);
    holder.reachable.add('o1');
    holder.run(hintBatchTimeoutMs + hintDeliveryIntervalMs);
    assert.deepEqual(holder.delivered.map((d) => `${d.hint.key}->${d.to}`), ['k2->p1', 'k1->o1']);
    holder.ack(holder.delivered[1]!);
    assert.deepEqual(holder.held(), []);
  });
});
