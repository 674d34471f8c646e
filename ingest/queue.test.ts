import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableQueue } from './queue.ts';

const point = (n: number) => ({ measurement: 'vitals', tags: { device: 'w1' }, fields: { hr: n }, timestamp: String(n) });

describe('DurableQueue', () => {
  const dirs: string[] = [];
  const open = (capacity = 100) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-queue-'));
    dirs.push(dir);
    return { queue: new DurableQueue(join(dir, 'queue.db'), capacity), path: join(dir, 'queue.db') };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('counts what is left when a batch had a point moved to the dead letters', () => {
    const { queue, path } = open();
    queue.append([1, 2, 3, 4, 5].map(point));
    const batch = queue.peek(3);
    queue.deadLetter(batch[1]!, 'field type conflict', 0);
    queue.remove(batch);
    expect(queue.size).toBe(2);
    expect(queue.deadLetters).toBe(1);
    expect(queue.peek(10).map((i) => i.point.fields?.hr)).toEqual([4, 5]);
    queue.close();
    const reopened = new DurableQueue(path, 100);
    expect(reopened.size).toBe(2);
    reopened.close();
  });
});
