import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEngine } from './memory.ts';
import { walCutOp, walSegmentBytes, WriteAheadLog } from './write-ahead-log.ts';
import { encodeWalGroup, type LoggedWrite } from './wal-group.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const put = (key: string, value: string): LoggedWrite => ({ key: bytes(key), value: bytes(value) });
const read = (engine: MemoryEngine, key: string): string | undefined => {
  const value = engine.get(bytes(key));
  return value === undefined ? undefined : Buffer.from(value).toString();
};

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kvorum-wal-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Appends the groups to a new log over `engine`, then leaves it as a crash would: nothing committed, the files as they are. */
async function logAndCrash(dir: string, engine: MemoryEngine, groups: LoggedWrite[][]): Promise<WriteAheadLog> {
  const log = await WriteAheadLog.open(dir, engine);
  let ordinal = log.firstOrdinal;
  for (const writes of groups) {
    await log.append(ordinal, writes);
    ordinal += writes.length;
  }
  await log.close();
  return log;
}

describe('write-ahead log', () => {
  test('writes only logged are applied to the engine on open, in order, and ordinals go on after them', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    await logAndCrash(dir, engine, [[put('a', '1'), put('b', '1')], [put('a', '2'), { key: bytes('b'), value: null }]]);
    assert.equal(read(engine, 'a'), undefined, 'nothing reached the engine before the crash');
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 4, strandedGroups: 0 });
    assert.equal(read(engine, 'a'), '2');
    assert.equal(read(engine, 'b'), undefined, 'the delete logged last wins');
    assert.equal(reopened.firstOrdinal, 4);
    await reopened.close();
    const again = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(again.recovery, { replayed: 0, strandedGroups: 0 }, 'the cut committed with them: applied once');
    await again.close();
  });

  test("only writes from the engine's cut on are applied, even inside a group that straddles it", async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    // Writes 0–2 are logged as one group; the engine then commits writes 0–1 and a newer write of
    // `a` made after them is not logged; the log must not set `a` back to its logged value.
    await logAndCrash(dir, engine, [[put('a', 'old'), put('b', '1'), put('c', '1')]]);
    await engine.batch([{ type: 'put', key: bytes('a'), value: bytes('newer') }, { type: 'put', key: bytes('b'), value: bytes('1') }, walCutOp(2)]);
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.equal(reopened.recovery.replayed, 1);
    assert.equal(read(engine, 'a'), 'newer');
    assert.equal(read(engine, 'c'), '1');
    assert.equal(reopened.firstOrdinal, 3);
    await reopened.close();
  });

  test('a torn last group is not applied, and its ordinals are not reused while its bytes may be read', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    await logAndCrash(dir, engine, [[put('a', '1')], [put('b', '1'), put('c', '1')]]);
    const [segment] = readdirSync(dir);
    const file = join(dir, segment!);
    const content = readFileSync(file);
    const secondGroupEnd = encodeWalGroup(0, [put('a', '1')]).length + encodeWalGroup(1, [put('b', '1'), put('c', '1')]).length;
    // Tear the second group: its last byte never reached the disk.
    content[secondGroupEnd - 1] = 0;
    writeFileSync(file, content);
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 1, strandedGroups: 0 });
    assert.equal(read(engine, 'a'), '1');
    assert.equal(read(engine, 'b'), undefined);
    await reopened.close();
  });

  test('a reused segment: groups left from its last use are not applied again', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    const log = await WriteAheadLog.open(dir, engine);
    await log.append(0, [put('a', 'stale'), put('b', 'stale'), put('c', 'stale')]);
    // The engine commits writes 0–2 and newer ones; the log may reuse its segment from the start.
    await engine.batch([
      { type: 'put', key: bytes('a'), value: bytes('committed') },
      { type: 'put', key: bytes('b'), value: bytes('committed') },
      { type: 'put', key: bytes('c'), value: bytes('committed') },
      walCutOp(3),
    ]);
    log.release(3);
    await log.append(3, [put('a', 'new')]);
    await log.close();
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 1, strandedGroups: 0 });
    assert.equal(read(engine, 'a'), 'new');
    assert.equal(read(engine, 'b'), 'committed', 'the stale group behind the new one stays unapplied');
    await reopened.close();
  });

  test('a group that does not fit its segment starts the next; both come back, in order', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    const big = (value: string): LoggedWrite => ({ key: bytes('big'), value: Buffer.alloc(Math.floor(walSegmentBytes * 0.6), value) });
    await logAndCrash(dir, engine, [[big('x')], [big('y')], [put('small', '1')]]);
    assert.equal(readdirSync(dir).length, 2, 'a second segment');
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.equal(reopened.recovery.replayed, 3);
    assert.equal(engine.get(bytes('big'))![0], 'y'.charCodeAt(0));
    assert.equal(read(engine, 'small'), '1');
    await reopened.close();
  });

  test('groups past a damaged one in another segment are counted and not applied: the writes applied stay a run of the writes made', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    const big = (value: string): LoggedWrite => ({ key: bytes('big'), value: Buffer.alloc(Math.floor(walSegmentBytes * 0.6), value) });
    await logAndCrash(dir, engine, [[put('a', '1')], [big('x')], [big('y')]]);
    // The second group (segment-0.wal, behind the first) is damaged; the third is whole in segment-1.wal.
    const file = join(dir, 'segment-0.wal');
    const content = readFileSync(file);
    const secondGroupAt = encodeWalGroup(0, [put('a', '1')]).length;
    content[secondGroupAt + 100] = content[secondGroupAt + 100]! ^ 0xff;
    writeFileSync(file, content);
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 1, strandedGroups: 1 });
    assert.equal(read(engine, 'a'), '1');
    assert.equal(engine.get(bytes('big')), undefined, 'the write after the damaged one is not applied without it');
    assert.ok(reopened.firstOrdinal >= 3, 'ordinals go on past the stranded group');
    await reopened.close();
  });
});
