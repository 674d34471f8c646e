/**
 * The export jobs on their own, on a real folder, with a work function the test drives: a running
 * job says how far it is, a cancelled one stops and leaves nothing, a failed one is kept as failed
 * until its retention, and a requester's jobs are theirs only.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.ts';
import { VigieError } from '../../common/errors.ts';
import { ExportJobs, type JobWriter } from './export-jobs.ts';

const opened: ExportJobs[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((j) => j.close()));
});

async function jobs(o: { retentionMs?: number; maxPerRequester?: number } = {}) {
  const dir = join(mkdtempSync(join(tmpdir(), 'vigie-export-')), 'exports');
  const clock = { now: 1_000_000 };
  const store = await ExportJobs.create({ dir, now: () => clock.now, ...o }, createLogger('test', 'silent'));
  opened.push(store);
  return { dir, clock, store };
}

/** A work function that writes one Patient, then waits until the test lets it go on. */
function gated() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let sawAbort = false;
  let signal: AbortSignal | undefined;
  const work = async (w: JobWriter) => {
    signal = w.signal;
    await w.write('Patient', { resourceType: 'Patient', id: 'p-1' });
    w.progress('patient 1 of 2');
    await gate;
    if (w.signal.aborted) return void (sawAbort = true);
    await w.write('Patient', { resourceType: 'Patient', id: 'p-2' });
  };
  return { work, open, aborted: () => sawAbort, signalled: () => signal?.aborted === true };
}

const code = (error: unknown) => (error instanceof VigieError ? error.code : String(error));

describe('export jobs', () => {
  it('runs a job to its manifest and keeps it for the retention only', async () => {
    const { dir, clock, store } = await jobs({ retentionMs: 60_000 });
    const g = gated();
    const job = await store.start('u-1', 'http://x/Patient/$export', ['p-1', 'p-2'], g.work);
    expect(job.transactionTime).toBe(new Date(1_000_000).toISOString());
    await expect.poll(() => job.state).toEqual({ kind: 'running', progress: 'patient 1 of 2' });
    g.open();
    await expect.poll(() => job.state.kind).toBe('done');
    expect(job.state).toMatchObject({ output: [{ type: 'Patient', name: 'Patient.ndjson', count: 2 }], error: [] });
    const path = await store.file(job.id, 'u-1', 'Patient.ndjson');
    expect(readFileSync(path, 'utf8')).toBe(
      '{"resourceType":"Patient","id":"p-1"}\n{"resourceType":"Patient","id":"p-2"}\n',
    );
    await expect(store.file(job.id, 'u-1', 'Device.ndjson')).rejects.toSatisfy((e) => code(e) === 'export_not_found');
    await expect(store.get(job.id, 'u-2')).rejects.toSatisfy((e) => code(e) === 'export_not_found');

    clock.now += 59_999;
    expect((await store.get(job.id, 'u-1')).id).toBe(job.id);
    clock.now += 1;
    await expect(store.get(job.id, 'u-1')).rejects.toSatisfy((e) => code(e) === 'export_not_found');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops a running job when it is deleted, and leaves nothing', async () => {
    const { dir, store } = await jobs();
    const g = gated();
    const job = await store.start('u-1', 'http://x', ['p-1'], g.work);
    await expect.poll(() => job.state).toMatchObject({ kind: 'running', progress: 'patient 1 of 2' });
    // The job waits on its gate: the delete waits for it to see the abort, then removes its folder.
    const deleted = store.delete(job.id, 'u-1');
    await expect.poll(() => g.signalled()).toBe(true);
    expect(existsSync(join(dir, job.id))).toBe(true);
    g.open();
    await deleted;
    expect(g.aborted()).toBe(true);
    expect(existsSync(join(dir, job.id))).toBe(false);
    await expect(store.get(job.id, 'u-1')).rejects.toSatisfy((e) => code(e) === 'export_not_found');
  });

  it('keeps a failed job as failed until its retention, and bounds the jobs of a requester', async () => {
    const { clock, store } = await jobs({ retentionMs: 1000, maxPerRequester: 2 });
    const failed = await store.start('u-1', 'http://x', [], () => Promise.reject(new Error('influx down')));
    await expect.poll(() => failed.state.kind).toBe('failed');
    await store.start('u-1', 'http://x', [], async () => undefined);
    await expect(store.start('u-1', 'http://x', [], async () => undefined)).rejects.toSatisfy(
      (e) => code(e) === 'export_busy',
    );
    await store.start('u-2', 'http://x', [], async () => undefined);
    clock.now += 1000;
    await store.start('u-1', 'http://x', [], async () => undefined);
    await expect(store.get(failed.id, 'u-1')).rejects.toSatisfy((e) => code(e) === 'export_not_found');
  });

  it('empties its folder of what a previous run left', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vigie-export-')), 'exports');
    mkdirSync(join(dir, 'old-job'), { recursive: true });
    writeFileSync(join(dir, 'old-job', 'Patient.ndjson'), '{}\n');
    opened.push(await ExportJobs.create({ dir }, createLogger('test', 'silent')));
    expect(readdirSync(dir)).toEqual([]);
  });
});
