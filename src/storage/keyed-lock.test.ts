import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedSerializer } from './keyed-lock.ts';
import { MemoryEngine } from './memory.ts';

/** One event-loop turn: long enough for any other ready task to run in between. */
const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A replica's read-merge-write in miniature: read the key's siblings, add one, write them back,
 * yielding in between as a real merge and disk write do.
 */
async function addSibling(engine: MemoryEngine, key: string, sibling: string): Promise<void> {
  const stored = await engine.get(encoder.encode(key));
  const siblings: string[] = stored === undefined ? [] : JSON.parse(decoder.decode(stored));
  await yieldTurn();
  await engine.put(encoder.encode(key), encoder.encode(JSON.stringify([...siblings, sibling])));
}

async function siblingsOf(engine: MemoryEngine, key: string): Promise<string[]> {
  return JSON.parse(decoder.decode((await engine.get(encoder.encode(key)))!));
}

describe('KeyedSerializer', () => {
  it('control: two unserialized read-merge-writes of one key lose a sibling', async () => {
    const engine = new MemoryEngine();
    await Promise.all([addSibling(engine, 'cart', 'milk'), addSibling(engine, 'cart', 'eggs')]);
    assert.equal((await siblingsOf(engine, 'cart')).length, 1);
  });

  it('serializes read-merge-writes of one key, so every sibling lands', async () => {
    const engine = new MemoryEngine();
    const serializer = new KeyedSerializer();
    const items = ['milk', 'eggs', 'bread', 'tea', 'salt'];
    await Promise.all(items.map((item) => serializer.run('cart', () => addSibling(engine, 'cart', item))));
    assert.deepStrictEqual(await siblingsOf(engine, 'cart'), items);
  });

  it('runs tasks of different keys concurrently', async () => {
    const serializer = new KeyedSerializer();
    const events: string[] = [];
    const task = (name: string, turns: number) => async () => {
      events.push(`${name} start`);
      for (let i = 0; i < turns; i++) await yieldTurn();
      events.push(`${name} end`);
    };
    await Promise.all([serializer.run('a', task('a', 3)), serializer.run('b', task('b', 1))]);
    assert.deepStrictEqual(events, ['a start', 'b start', 'b end', 'a end']);
  });

  it('runs tasks of one key in call order and returns each its own result', async () => {
    const serializer = new KeyedSerializer();
    const events: string[] = [];
    const results = await Promise.all(
      [3, 1, 2].map((turns) =>
        serializer.run('k', async () => {
          events.push(`start ${turns}`);
          for (let i = 0; i < turns; i++) await yieldTurn();
          events.push(`end ${turns}`);
          return turns * 10;
        }),
      ),
    );
    assert.deepStrictEqual(events, ['start 3', 'end 3', 'start 1', 'end 1', 'start 2', 'end 2']);
    assert.deepStrictEqual(results, [30, 10, 20]);
  });

  it('rejects only the caller whose task failed, synchronously or not, and runs the rest', async () => {
    const serializer = new KeyedSerializer();
    const failing = serializer.run('k', async () => {
      await yieldTurn();
      throw new Error('async failure');
    });
    const throwing = serializer.run('k', () => {
      throw new Error('sync failure');
    });
    const following = serializer.run('k', async () => 'ran');
    await assert.rejects(failing, /async failure/);
    await assert.rejects(throwing, /sync failure/);
    assert.equal(await following, 'ran');
  });

  it('holds no memory for idle keys', async () => {
    const serializer = new KeyedSerializer();
    const runs = Array.from({ length: 1_000 }, (_, i) =>
      serializer.run(`key-${i % 100}`, async () => {
        await yieldTurn();
        if (i % 7 === 0) throw new Error('failed');
      }),
    );
    assert.equal(serializer.activeKeyCount, 100);
    await Promise.allSettled(runs);
    assert.equal(serializer.activeKeyCount, 0);
    await serializer.run('alone', async () => undefined);
    assert.equal(serializer.activeKeyCount, 0);
  });
});
