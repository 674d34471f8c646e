import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableQueue, QUEUE_MIGRATIONS, type QueuedRow } from './queue.ts';
import { openSqlite } from '../common/sqlite.ts';
import { statusPoint, vitalsPoint } from './schema.ts';
import { pointLine } from './line-protocol.ts';
import { partialsOf } from './minute-rollup.ts';

const point = (n: number) => ({
  measurement: 'vitals',
  tags: { device: 'w1' },
  fields: { hr: n },
  timestamp: String(n),
});
const line = (n: number) => pointLine(point(n));
/** A device's readings of one minute, summed up. */
const aggregate = (minute: number, hr: number) =>
  partialsOf([
    { device: 'w1', patient: 'p1', samples: [{ ts: minute + 1_000, seq: 1, hr, battery: 80, steps: 2 }] },
  ])[0]!.agg;
/** The hr of each point of some rows. */
const hrs = (rows: readonly QueuedRow[]) =>
  rows.flatMap((r) => r.lines.toString().split('\n')).map((l) => Number(/hr=([0-9.]+)/.exec(l)?.[1]));

describe('DurableQueue', () => {
  const dirs: string[] = [];
  const open = (capacity = 100) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
    dirs.push(dir);
    return { queue: new DurableQueue(join(dir, 'queue.db'), capacity), path: join(dir, 'queue.db') };
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps what the 1-minute downsample must redo with the removal of its batch, widened per device, across a restart', () => {
    const { queue, path } = open();
    for (const n of [1, 2, 3]) queue.append([line(n)]);
    queue.remove(queue.peek(1), { late: [{ device: 'w1', fromMs: 100, toMs: 200 }], openSince: 60_000 });
    queue.remove(queue.peek(1), {
      late: [
        { device: 'w1', fromMs: 50, toMs: 150 },
        { device: 'w2', fromMs: 10, toMs: 10 },
      ],
      openSince: 120_000,
    });
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.rollupMark()).toBe(120_000);
    const late = reopened.lateRanges().sort((a, b) => a.device.localeCompare(b.device));
    expect(late).toEqual([
      { device: 'w1', fromMs: 50, toMs: 200 },
      { device: 'w2', fromMs: 10, toMs: 10 },
    ]);
    // Done with a range that later readings widened: it stays, widened.
    reopened.addLate([{ device: 'w2', fromMs: 5, toMs: 10 }]);
    reopened.lateDone(late);
    expect(reopened.lateRanges()).toEqual([{ device: 'w2', fromMs: 5, toMs: 10 }]);
    reopened.close();
  });

  it('keeps the newest reading stored, never moving it back, across a restart', () => {
    const { queue, path } = open();
    expect(queue.storedUntil()).toBeNull(); // a new queue: nothing stored yet
    for (const n of [1, 2, 3]) queue.append([line(n)]);
    queue.remove(queue.peek(1), { late: [], openSince: null, storedUntil: 5_000 });
    queue.remove(queue.peek(1), { late: [], openSince: null, storedUntil: 3_000 }); // an older batch
    expect(queue.storedUntil()).toBe(5_000);
    queue.remove(queue.peek(1), { late: [], openSince: 60_000, storedUntil: Number.NEGATIVE_INFINITY });
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.storedUntil()).toBe(5_000);
    expect(reopened.rollupMark()).toBe(60_000);
    reopened.close();
  });

  it('upgrades a queue whose writer stored readings to "stored until its upgrade", and a new one to none', () => {
    const migrationsBefore = 3; // the steps before the one that added stored_until
    const [used, fresh] = [0, 1].map(() => {
      const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
      dirs.push(dir);
      return join(dir, 'queue.db');
    }) as [string, string];
    for (const path of [used, fresh]) {
      const old = openSqlite(path, {
        migrations: { owner: 'ingest-queue', steps: QUEUE_MIGRATIONS.slice(0, migrationsBefore) },
      });
      if (path === used) old.prepare('INSERT INTO rollup_mark (id, open_since) VALUES (1, NULL)').run();
      old.close();
    }
    const before = Date.now();
    const upgraded = new DurableQueue(used, 100);
    expect(upgraded.storedUntil()).toBeGreaterThanOrEqual(before);
    expect(upgraded.storedUntil()).toBeLessThanOrEqual(Date.now());
    upgraded.close();
    const upgradedFresh = new DurableQueue(fresh, 100);
    expect(upgradedFresh.storedUntil()).toBeNull();
    upgradedFresh.close();
  });

  it('keeps the minutes open at a clean stop until a start takes them, once, setting the mark to the oldest', () => {
    const { queue, path } = open();
    const kept = [
      { device: 'w1', patient: 'p1', minute: 120_000, agg: aggregate(120_000, 70) },
      { device: 'w2', patient: 'p2', minute: 60_000, agg: aggregate(60_000, 80) },
    ];
    queue.setRollupMark(30_000);
    queue.saveOpenMinutes(kept); // once written: none is only in memory
    expect(queue.rollupMark()).toBeNull();
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.rollupMark()).toBeNull();
    const taken = reopened.takeOpenMinutes();
    expect(taken.unreadable).toBe(0);
    expect(taken.minutes.sort((a, b) => a.minute - b.minute)).toEqual([kept[1], kept[0]]);
    expect(reopened.rollupMark()).toBe(60_000);
    expect(reopened.takeOpenMinutes()).toEqual({ minutes: [], unreadable: 0 });
    reopened.close();
    const again = new DurableQueue(path, 100);
    expect(again.takeOpenMinutes()).toEqual({ minutes: [], unreadable: 0 });
    expect(again.rollupMark()).toBe(60_000);
    again.close();
  });

  it('forgets and counts a kept minute it cannot read', () => {
    const { queue, path } = open();
    queue.saveOpenMinutes([{ device: 'w1', patient: 'p1', minute: 120_000, agg: aggregate(120_000, 70) }]);
    queue.close();
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO open_minutes (device, patient, minute, agg) VALUES (?, ?, ?, ?)');
    insert.run('w2', 'p2', 60_000, '{"sums":');
    insert.run('w3', 'p3', 60_000, JSON.stringify({ ...aggregate(60_000, 70), samples: 'many' }));
    db.close();
    const reopened = new DurableQueue(path, 100);
    const taken = reopened.takeOpenMinutes();
    expect(taken.minutes.map((m) => m.device)).toEqual(['w1']);
    expect(taken.unreadable).toBe(2);
    expect(reopened.rollupMark()).toBe(120_000);
    expect(reopened.takeOpenMinutes()).toEqual({ minutes: [], unreadable: 0 });
    reopened.close();
  });

  it('counts what is left when a batch had a point moved to the dead letters', () => {
    const { queue, path } = open();
    for (const n of [1, 2, 3, 4, 5]) queue.append([line(n)]);
    const batch = queue.peek(3);
    expect(queue.deadLetter(line(2), 'field type conflict', 0)).toBe(true);
    expect(queue.deadLetter(line(2), 'field type conflict', 1)).toBe(false); // the batch was retried
    queue.remove(batch);
    expect(queue.size).toBe(2);
    expect(queue.deadLetters).toBe(1);
    expect(hrs(queue.peek(10))).toEqual([4, 5]);
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.size).toBe(2);
    reopened.close();
  });

  it('reads whole appends in order, at least as many points as asked when there are', () => {
    const { queue } = open();
    queue.append([line(1), line(2), line(3)]);
    queue.append([line(4), line(5)]);
    queue.append([line(6)]);
    expect(queue.size).toBe(6);
    const batch = queue.peek(4);
    expect(hrs(batch)).toEqual([1, 2, 3, 4, 5]);
    queue.remove(batch);
    expect(queue.size).toBe(1);
    expect(hrs(queue.peek(4))).toEqual([6]);
    queue.close();
  });

  it('reads the appends after a batch in flight, and removes the oldest batch first', () => {
    const { queue } = open();
    queue.append([line(1), line(2)]);
    queue.append([line(3)]);
    queue.append([line(4), line(5)]);
    const first = queue.peek(2);
    const second = queue.peek(2, first.at(-1)!.id);
    expect(hrs(first)).toEqual([1, 2]);
    expect(hrs(second)).toEqual([3, 4, 5]);
    expect(queue.peek(2, second.at(-1)!.id)).toEqual([]);
    queue.remove(first);
    expect(queue.size).toBe(3);
    expect(hrs(queue.peek(10))).toEqual([3, 4, 5]);
    queue.close();
  });

  it('carries over a queue written one row per point by an earlier version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
    dirs.push(dir);
    const path = join(dir, 'queue.db');
    const db = new Database(path);
    db.exec('CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT, point TEXT NOT NULL)');
    for (const n of [7, 8, 9]) db.prepare('INSERT INTO queue (point) VALUES (?)').run(JSON.stringify(point(n)));
    db.close();
    const queue = new DurableQueue(path, 100);
    expect(queue.size).toBe(3);
    expect(hrs(queue.peek(10))).toEqual([7, 8, 9]);
    queue.close();
  });

  it('carries over appends of JSON points and JSON dead letters written by an earlier version, as lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
    dirs.push(dir);
    const path = join(dir, 'queue.db');
    const old = openSqlite(path, { migrations: { owner: 'ingest-queue', steps: QUEUE_MIGRATIONS.slice(0, 2) } });
    const insert = old.prepare('INSERT INTO appends (points, n) VALUES (?, ?)');
    const vitals = (seq: number, hr: number) =>
      vitalsPoint({ device: 'w1', patient: 'p1' }, { ts: 1_700_000_000_000, seq, hr }, true);
    insert.run(JSON.stringify([vitals(1, 61), vitals(2, 62)]), 2);
    insert.run(JSON.stringify([statusPoint({ device: 'w1', patient: 'p1' }, true, 1_700_000_000_500)]), 1);
    old
      .prepare('INSERT INTO dead_letters (point, reason, at) VALUES (?, ?, ?)')
      .run(JSON.stringify(vitals(3, 63)), 'conflict', 0);
    old.close();

    const queue = new DurableQueue(path, 100);
    expect(queue.size).toBe(3);
    const rows = queue.peek(10);
    expect(rows.map((r) => r.lines.toString())).toEqual([
      'vitals,device=w1,patient=p1 seq=1i,backfill=T,hr=61 1700000000000000001\nvitals,device=w1,patient=p1 seq=2i,backfill=T,hr=62 1700000000000000002',
      'status,device=w1,patient=p1 online=T 1700000000500000000',
    ]);
    expect(rows.map((r) => r.n)).toEqual([2, 1]);
    queue.close();
    const db = new Database(path);
    expect(db.prepare('SELECT point FROM dead_letters').all()).toEqual([
      { point: 'vitals,device=w1,patient=p1 seq=3i,backfill=T,hr=63 1700000000000000003' },
    ]);
    db.close();
  });

  it('reads the rows of points an earlier version left in its file first, then its log; removes across both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
    dirs.push(dir);
    const path = join(dir, 'queue.db');
    const old = openSqlite(path, { migrations: { owner: 'ingest-queue', steps: QUEUE_MIGRATIONS.slice(0, 5) } });
    const insert = old.prepare('INSERT INTO appends (lines, n) VALUES (?, ?)');
    insert.run(Buffer.from([line(1), line(2)].join('\n')), 2);
    insert.run(Buffer.from(line(3)), 1);
    old.close();

    const queue = new DurableQueue(path, 100);
    queue.append([line(4)]);
    expect(queue.size).toBe(4);
    expect(hrs(queue.peek(10))).toEqual([1, 2, 3, 4]);
    const first = queue.peek(3);
    expect(hrs(first)).toEqual([1, 2, 3]);
    expect(hrs(queue.peek(10, first.at(-1)!.id))).toEqual([4]);
    queue.remove(first);
    expect(queue.size).toBe(1);
    queue.close();
    const db = new Database(path);
    expect(db.prepare('SELECT count(*) AS n FROM appends').get()).toEqual({ n: 0 });
    db.close();

    const reopened = new DurableQueue(path, 100);
    expect(reopened.size).toBe(1);
    expect(hrs(reopened.peek(10))).toEqual([4]);
    reopened.append([line(5)]);
    reopened.remove(reopened.peek(1));
    expect(hrs(reopened.peek(10))).toEqual([5]);
    reopened.close();
    const again = new DurableQueue(path, 100);
    expect(hrs(again.peek(10))).toEqual([5]);
    again.close();
  });

  it('keeps the partial minutes of recent appends in memory for the writer, until they are removed; not across a restart', () => {
    const { queue, path } = open();
    const partials = (hr: number) => partialsOf([{ device: 'w1', patient: 'p1', samples: [{ ts: 1, seq: hr, hr }] }]);
    queue.append([line(1)], partials(1));
    queue.append([line(2)]); // none given: the writer reads the lines back
    queue.append([line(3)], partials(3));
    expect(queue.peek(10).map((r) => r.partials)).toEqual([partials(1), undefined, partials(3)]);
    queue.remove(queue.peek(1));
    expect(queue.peek(10).map((r) => r.partials)).toEqual([undefined, partials(3)]);
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.peek(10).map((r) => [r.n, r.partials])).toEqual([
      [1, undefined],
      [1, undefined],
    ]);
    reopened.close();
  });
});
