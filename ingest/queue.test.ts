import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableQueue } from './queue.ts';

const point = (n: number) => ({
  measurement: 'vitals',
  tags: { device: 'w1' },
  fields: { hr: n },
  timestamp: String(n),
});

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
    for (const n of [1, 2, 3]) queue.append([point(n)]);
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
    for (const r of late) reopened.lateDone(r);
    expect(reopened.lateRanges()).toEqual([{ device: 'w2', fromMs: 5, toMs: 10 }]);
    reopened.close();
  });

  it('counts what is left when a batch had a point moved to the dead letters', () => {
    const { queue, path } = open();
    for (const n of [1, 2, 3, 4, 5]) queue.append([point(n)]);
    const batch = queue.peek(3);
    expect(queue.deadLetter(batch[1]!, 'field type conflict', 0)).toBe(true);
    expect(queue.deadLetter(batch[1]!, 'field type conflict', 1)).toBe(false); // the batch was retried
    queue.remove(batch);
    expect(queue.size).toBe(2);
    expect(queue.deadLetters).toBe(1);
    expect(queue.peek(10).map((i) => i.point.fields?.hr)).toEqual([4, 5]);
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.size).toBe(2);
    reopened.close();
  });

  it('reads whole appends in order, at least as many points as asked when there are', () => {
    const { queue } = open();
    queue.append([point(1), point(2), point(3)]);
    queue.append([point(4), point(5)]);
    queue.append([point(6)]);
    expect(queue.size).toBe(6);
    const batch = queue.peek(4);
    expect(batch.map((i) => i.point.fields?.hr)).toEqual([1, 2, 3, 4, 5]);
    queue.remove(batch);
    expect(queue.size).toBe(1);
    expect(queue.peek(4).map((i) => i.point.fields?.hr)).toEqual([6]);
    queue.close();
  });

  it('reads the appends after a batch in flight, and removes the oldest batch first', () => {
    const { queue } = open();
    queue.append([point(1), point(2)]);
    queue.append([point(3)]);
    queue.append([point(4), point(5)]);
    const first = queue.peek(2);
    const second = queue.peek(2, first.at(-1)!.id);
    expect(first.map((i) => i.point.fields?.hr)).toEqual([1, 2]);
    expect(second.map((i) => i.point.fields?.hr)).toEqual([3, 4, 5]);
    expect(queue.peek(2, second.at(-1)!.id)).toEqual([]);
    queue.remove(first);
    expect(queue.size).toBe(3);
    expect(queue.peek(10).map((i) => i.point.fields?.hr)).toEqual([3, 4, 5]);
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
    expect(queue.peek(10).map((i) => i.point.fields?.hr)).toEqual([7, 8, 9]);
    queue.close();
  });
});
