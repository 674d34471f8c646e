import { describe, expect, it } from 'vitest';
import { VigieError } from '../common/errors.ts';
import { HashingGate } from './hashing-gate.ts';

describe('HashingGate', () => {
  it('runs two at once, queues two, and refuses the rest at once', async () => {
    const gate = new HashingGate(2, 2);
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const job = (n: number) =>
      gate.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(n);
            releases.push(() => resolve(n));
          }),
      );
    const jobs = [1, 2, 3, 4].map(job);
    await expect(job(5)).rejects.toMatchObject({ code: 'server_busy', status: 429 });
    await expect(job(6)).rejects.toBeInstanceOf(VigieError);
    expect(started).toEqual([1, 2]);
    expect(gate.running).toBe(2);
    releases[0]!();
    await expect.poll(() => started).toEqual([1, 2, 3]);
    expect(gate.running).toBe(2);
    releases[1]!();
    await expect.poll(() => started).toEqual([1, 2, 3, 4]);
    releases[2]!();
    releases[3]!();
    expect(await Promise.all(jobs)).toEqual([1, 2, 3, 4]);
    expect(gate.running).toBe(0);
  });
});
