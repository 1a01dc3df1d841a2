import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage, TransferEntry } from '../messages.ts';
import { limits } from '../limits.ts';
import { objectBytes } from '../version/object-bytes.ts';
import type { StoredObject } from '../version/types.ts';
import type { ExchangeContext } from './exchange-context.ts';
import { sendRepairs } from './exchange-context.ts';
import { defaultAntiEntropySettings } from './settings.ts';

function entry(key: string, valueBytes: number): TransferEntry {
  const object: StoredObject = {
    siblings: [{ dot: ['a', 1], value: new Uint8Array(valueBytes), contentType: 'x', lastModifiedMs: 1, deleted: false }],
    context: { clock: [['a', 1, 1]], dots: [] },
  };
  return { bucket: 'b', key, object };
}

test('repairs are cut into messages that each fit one frame (issue 11 §2)', () => {
  const sent: PeerMessage[] = [];
  const charged: number[] = [];
  const context = {
    host: { send: (_to: string, message: PeerMessage) => sent.push(message), count: () => {} },
    budget: { charge: (_keys: number, bytes: number) => charged.push(bytes) },
    settings: defaultAntiEntropySettings,
  } as unknown as ExchangeContext;
  const mib = 1024 * 1024;
  // A batch that had reached 4 MiB less a byte took the next object whatever its size: with one
  // object of objectBytesMax, the message was over the frame limit.
  const entries = [entry('k1', 4 * mib - 1024), entry('k2', limits.objectBytesMax - 1024), entry('k3', 10), entry('k4', 10)];
  sendRepairs(context, 'n2', 1, 0, entries, 0);
  const sizes = sent.map((message) => (message.kind === 'aaeRepair' ? message.objects.reduce((sum, { object }) => sum + objectBytes(object), 0) : 0));
  assert.deepEqual(sent.map((message) => (message.kind === 'aaeRepair' ? message.objects.map(({ key }) => key) : [])), [['k1'], ['k2'], ['k3', 'k4']]);
  for (const size of sizes) assert.ok(size <= limits.objectBytesMax, `a message of ${size} bytes`);
  assert.deepEqual(charged, [4 * mib - 1024, limits.objectBytesMax - 1024, 20], 'the budget counts value bytes');
});
