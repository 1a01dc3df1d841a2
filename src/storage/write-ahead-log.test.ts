import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEngine } from './memory.ts';
import { readWalSegment, walCutOp, walGroupAlignBytes, walOwnThreadGroupBytesMax, walRetiredSegmentsMax, WriteAheadLog } from './write-ahead-log.ts';
import { encodeWalGroup, type LoggedWrite } from './wal-group.ts';

/** Two small groups, or one of the big ones below, per segment: rotation in a few appends. */
const segmentBytes = 2 * walGroupAlignBytes;
const big = (value: string): LoggedWrite => ({ key: bytes('big'), value: Buffer.alloc(walGroupAlignBytes + 100, value) });

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
  const log = await WriteAheadLog.open(dir, engine, { segmentBytes });
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

  test('a torn last group (never acknowledged) is not applied', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    await logAndCrash(dir, engine, [[put('a', '1')], [put('b', '1'), put('c', '1')]]);
    const [segment] = readdirSync(dir);
    const file = join(dir, segment!);
    const content = readFileSync(file);
    // The second group starts on the next 4 KiB boundary. Tear it: its last byte never reached the disk.
    const secondGroupEnd = walGroupAlignBytes + encodeWalGroup(1, [put('b', '1'), put('c', '1')], Buffer.alloc(8)).length;
    content[secondGroupEnd - 1] = content[secondGroupEnd - 1]! ^ 0xff;
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
    const log = await WriteAheadLog.open(dir, engine, { segmentBytes });
    await log.append(0, [put('a', 'stale'), put('b', 'stale'), put('c', 'stale')]);
    await log.append(3, [put('d', 'stale')]);
    // The engine commits writes 0–3 and newer ones; the log may reuse its segment from the start.
    await engine.batch([
      { type: 'put', key: bytes('a'), value: bytes('committed') },
      { type: 'put', key: bytes('b'), value: bytes('committed') },
      { type: 'put', key: bytes('c'), value: bytes('committed') },
      { type: 'put', key: bytes('d'), value: bytes('committed') },
      walCutOp(4),
    ]);
    log.release(4);
    await log.append(4, [put('a', 'new')]);
    await log.close();
    const { groups } = readWalSegment(readFileSync(join(dir, 'segment-0.wal')));
    assert.deepEqual(
      groups.map((group) => group.firstOrdinal),
      [4],
      'the reused segment has a new salt: its earlier groups are not read as its own',
    );
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 1, strandedGroups: 0 });
    assert.equal(read(engine, 'a'), 'new');
    assert.equal(read(engine, 'b'), 'committed', 'the stale groups behind the new one stay unapplied');
    assert.equal(read(engine, 'd'), 'committed');
    await reopened.close();
  });

  test('a group that does not fit its segment starts the next; all come back, in order', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    await logAndCrash(dir, engine, [[put('small', '1')], [big('x')], [big('y')], [put('small', '2')]]);
    assert.equal(readdirSync(dir).length, 4, 'each big group fills a segment of its own');
    const reopened = await WriteAheadLog.open(dir, engine, { segmentBytes });
    assert.deepEqual(reopened.recovery, { replayed: 4, strandedGroups: 0 });
    assert.equal(engine.get(bytes('big'))![0], 'y'.charCodeAt(0));
    assert.equal(read(engine, 'small'), '2');
    await reopened.close();
  });

  test('groups past a damaged one, in its segment or the next, are reported and not applied: the writes applied stay a run of the writes made', async () => {
    for (const [label, groups, strandedGroups] of [
      ['same segment', [[put('a', '1')], [put('a', '2')], [put('a', '3')]], 1],
      ['next segment', [[put('a', '1')], [put('a', '2')], [big('x')]], 1],
    ] as const) {
      const dir = freshDir();
      const engine = new MemoryEngine();
      const log = await WriteAheadLog.open(dir, engine, { segmentBytes: label === 'same segment' ? 4 * walGroupAlignBytes : segmentBytes });
      for (const [ordinal, writes] of groups.entries()) await log.append(ordinal, writes);
      await log.close();
      // Damage the second group, at the 4 KiB boundary of segment-0.wal.
      const file = join(dir, 'segment-0.wal');
      const content = readFileSync(file);
      content[walGroupAlignBytes + 40] = content[walGroupAlignBytes + 40]! ^ 0xff;
      writeFileSync(file, content);
      const reopened = await WriteAheadLog.open(dir, engine);
      assert.deepEqual(reopened.recovery, { replayed: 1, strandedGroups }, label);
      assert.equal(read(engine, 'a'), '1', label);
      assert.equal(engine.get(bytes('big')), undefined, label);
      assert.equal(reopened.firstOrdinal, 3, `${label}: ordinals go on past the stranded group`);
      await reopened.close();
    }
  });

  test("a segment's groups are read only under the salt of its last use: stale groups and forged ones are not", () => {
    const current = Buffer.from('current!');
    const earlier = Buffer.from('earlier!');
    const segment = Buffer.alloc(4 * walGroupAlignBytes);
    encodeWalGroup(7, [put('a', 'now')], current).copy(segment, 0);
    encodeWalGroup(8, [put('a', 'stale')], earlier).copy(segment, walGroupAlignBytes);
    encodeWalGroup(9, [put('a', 'forged')], earlier).copy(segment, 3 * walGroupAlignBytes);
    const { groups, stranded } = readWalSegment(segment);
    assert.deepEqual(
      groups.map((group) => group.firstOrdinal),
      [7],
    );
    assert.deepEqual(stranded, []);
  });

  for (const onOwnThread of [false, true]) {
    test(`a segment is reused only once the engine holds every write of it: a cut at its last write is not enough (${onOwnThread ? "on the node's thread" : 'in the pool'})`, async () => {
      const dir = freshDir();
      const engine = new MemoryEngine();
      const log = await WriteAheadLog.open(dir, engine, { segmentBytes });
      const append = async (firstOrdinal: number, writes: LoggedWrite[]) => (onOwnThread ? assert.equal(log.append(firstOrdinal, writes, true), undefined) : log.append(firstOrdinal, writes));
      await append(0, ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => put(key, '1')));
      // The engine holds writes 0–4, not 5 (`f`): the segment holding it must stay as it is.
      await engine.batch([...['a', 'b', 'c', 'd', 'e'].map((key) => ({ type: 'put', key: bytes(key), value: bytes('1') }) as const), walCutOp(5)]);
      log.release(5);
      await append(6, [put('g', '1')]);
      await log.close();
      const reopened = await WriteAheadLog.open(dir, engine);
      assert.deepEqual(reopened.recovery, { replayed: 2, strandedGroups: 0 });
      assert.equal(read(engine, 'f'), '1');
      assert.equal(read(engine, 'g'), '1');
      await reopened.close();
    });
  }

  test("on the node's thread, only a group of at most walOwnThreadGroupBytesMax that fits its segment: the others go to the pool", async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    const log = await WriteAheadLog.open(dir, engine, { segmentBytes: 4 * walOwnThreadGroupBytesMax });
    const large = [{ key: bytes('large'), value: Buffer.alloc(walOwnThreadGroupBytesMax, 'x') }];
    const pooled = log.append(0, large, true);
    assert.ok(pooled instanceof Promise, 'a large group goes to the pool');
    await pooled;
    const fill = [{ key: bytes('fill'), value: Buffer.alloc(walOwnThreadGroupBytesMax / 2, 'y') }];
    let ordinal = 1;
    let next: Promise<void> | undefined;
    while ((next = log.append(ordinal, fill, true)) === undefined) ordinal++;
    await next; // the group that needs the next segment, in the pool
    await log.close();
    const reopened = await WriteAheadLog.open(dir, new MemoryEngine());
    assert.deepEqual(reopened.recovery, { replayed: ordinal + 1, strandedGroups: 0 });
    await reopened.close();
  });

  test('when the first group of a segment is damaged, the groups behind it are reported, not dropped in silence', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    await logAndCrash(dir, engine, [[put('a', '1')], [put('a', '2')]]);
    const file = join(dir, 'segment-0.wal');
    const content = readFileSync(file);
    content[40] = content[40]! ^ 0xff;
    writeFileSync(file, content);
    const reopened = await WriteAheadLog.open(dir, engine);
    assert.deepEqual(reopened.recovery, { replayed: 0, strandedGroups: 1 });
    assert.equal(read(engine, 'a'), undefined);
    assert.equal(reopened.firstOrdinal, 2, 'ordinals go on past the stranded group');
    await reopened.close();
  });

  test('while LMDB commits nothing, the log grows to walRetiredSegmentsMax full segments and no further', async () => {
    const dir = freshDir();
    const engine = new MemoryEngine();
    const log = await WriteAheadLog.open(dir, engine, { segmentBytes: walGroupAlignBytes });
    let ordinal = 0;
    for (; ordinal <= walRetiredSegmentsMax; ordinal++) await log.append(ordinal, [put('k', String(ordinal))]);
    await assert.rejects(log.append(ordinal, [put('k', 'one too many')]), { code: 'internal', message: /takes no more/ });
    // Once LMDB holds the writes, the segments are reused and the log takes groups again.
    await engine.batch([{ type: 'put', key: bytes('k'), value: bytes(String(ordinal - 1)) }, walCutOp(ordinal)]);
    log.release(ordinal);
    await log.append(ordinal, [put('k', 'again')]);
    await log.close();
    assert.ok(readdirSync(dir).length <= walRetiredSegmentsMax + 1);
  });
});
