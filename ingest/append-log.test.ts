import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppendLog } from './append-log.ts';

describe('AppendLog', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-log-'));
    dirs.push(dir);
    return join(dir, 'queue-log');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const payload = (id: number, bytes = 100) => Buffer.from(`${id}:`.padEnd(bytes, String(id % 10)));
  const contents = (log: AppendLog) => log.records.map((r) => [r.id, r.n, log.read(r).toString()]);
  const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg'));

  it('reads back what was appended, in order, after a restart; forgets what was removed', () => {
    const dir = folder();
    const log = new AppendLog(dir, { removedUpTo: 0 });
    for (const id of [1, 2, 3]) log.append(id, id * 10, payload(id));
    expect(contents(log)).toEqual([1, 2, 3].map((id) => [id, id * 10, payload(id).toString()]));
    log.removeUpTo(1);
    expect(log.records.map((r) => r.id)).toEqual([2, 3]);
    log.close();
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    for (const f of segments(dir)) expect((statSync(join(dir, f)).mode & 0o777).toString(8)).toBe('600');

    // The queue keeps what was removed (1); the log reads the rest, and appends after it in a new segment.
    const reopened = new AppendLog(dir, { removedUpTo: 1 });
    expect(contents(reopened)).toEqual([2, 3].map((id) => [id, id * 10, payload(id).toString()]));
    expect(reopened.lastId).toBe(3);
    expect(() => reopened.append(3, 1, payload(3))).toThrow(RangeError);
    reopened.append(4, 1, payload(4));
    expect(segments(dir)).toHaveLength(2);
    reopened.close();
    const again = new AppendLog(dir, { removedUpTo: 3 });
    expect(contents(again)).toEqual([[4, 1, payload(4).toString()]]);
    expect(segments(dir)).toHaveLength(1); // the first segment, all of it removed, is deleted
    expect(again.damaged).toEqual([]);
    again.close();
  });

  it('begins a new segment when one is full, and deletes each once all its records are removed', () => {
    const dir = folder();
    const log = new AppendLog(dir, { removedUpTo: 0, segmentBytes: 1000 });
    for (let id = 1; id <= 20; id += 1) log.append(id, 1, payload(id, 226)); // 250 bytes a record: 4 a segment
    expect(segments(dir)).toHaveLength(5);
    log.removeUpTo(6);
    expect(segments(dir)).toHaveLength(4);
    expect(log.records.map((r) => r.id)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    log.append(21, 1, payload(21, 200));
    log.removeUpTo(21);
    // The segment being written, all removed and past an eighth of a segment, goes too: the folder is empty.
    expect(segments(dir)).toEqual([]);
    log.append(22, 1, payload(22, 10));
    log.removeUpTo(22);
    expect(segments(dir)).toHaveLength(1); // a small one stays in use
    log.close();
  });

  it('leaves out a record cut short at the end of a segment, and says so', () => {
    const dir = folder();
    const log = new AppendLog(dir, { removedUpTo: 0 });
    for (const id of [1, 2, 3]) log.append(id, 1, payload(id));
    log.close();
    const [file] = segments(dir);
    const path = join(dir, file!);
    truncateSync(path, statSync(path).size - 30); // the process stopped in the middle of the last write
    const reopened = new AppendLog(dir, { removedUpTo: 0 });
    expect(reopened.records.map((r) => r.id)).toEqual([1, 2]);
    expect(reopened.damaged).toEqual([{ file: path, at: 2 * 124, reason: 'a record cut short' }]);
    reopened.append(3, 1, payload(30));
    reopened.close();
    const again = new AppendLog(dir, { removedUpTo: 0 });
    expect(contents(again).map(([id, , text]) => [id, text])).toEqual([
      [1, payload(1).toString()],
      [2, payload(2).toString()],
      [3, payload(30).toString()],
    ]);
    again.close();
  });

  it('leaves out a damaged record and what follows it in its segment, and says so', () => {
    const dir = folder();
    const log = new AppendLog(dir, { removedUpTo: 0 });
    for (const id of [1, 2, 3]) log.append(id, 1, payload(id));
    log.close();
    const path = join(dir, segments(dir)[0]!);
    const bytes = readFileSync(path);
    bytes[124 + 24 + 50] = bytes[124 + 24 + 50]! ^ 0xff; // a byte of record 2's payload
    writeFileSync(path, bytes);
    appendFileSync(path, Buffer.alloc(40)); // and zeros after the last record
    const reopened = new AppendLog(dir, { removedUpTo: 0 });
    expect(reopened.records.map((r) => r.id)).toEqual([1]);
    expect(reopened.damaged).toEqual([{ file: path, at: 124, reason: 'record 2 fails its CRC' }]);
    reopened.close();

    writeFileSync(path, Buffer.concat([readFileSync(path).subarray(0, 124), Buffer.alloc(40)]));
    const zeros = new AppendLog(dir, { removedUpTo: 0 });
    expect(zeros.records.map((r) => r.id)).toEqual([1]);
    expect(zeros.damaged).toEqual([{ file: path, at: 124, reason: 'not a record' }]);
    zeros.close();
  });

  it('cuts a segment back to its last whole record when a write fails, and appends after it', () => {
    // A real failing write: the child process may not grow a file past 4 KiB (ulimit -f, in KiB; the
    // signal it would get is ignored, so the write stops at the limit, part of the record written).
    const dir = folder();
    const script = join(dir, '..', 'child.ts');
    writeFileSync(
      script,
      `import { AppendLog } from ${JSON.stringify(resolve(import.meta.dirname, 'append-log.ts'))};
       const log = new AppendLog(${JSON.stringify(dir)}, { removedUpTo: 0 });
       let error;
       for (let id = 1; !error; id += 1) {
         try { log.append(id, 1, Buffer.alloc(200, id)); } catch (e) { error = e.message; }
       }
       // 64 bytes are left under the limit: a small record fits, where the cut left the segment.
       log.append(log.lastId + 1, 1, Buffer.from('small'));
       console.log(JSON.stringify({ ids: log.records.map((r) => r.id), error }));`,
    );
    const out = execFileSync(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f 4; exec "${process.execPath}" --import tsx "${script}"`],
      { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' },
    );
    const child = JSON.parse(out) as { ids: number[]; error: string };
    // 18 records of 224 bytes fit in 4,096; the 19th was written in part, and refused.
    expect(child.error).toMatch(/short write .*: 64 of 224 bytes/);
    expect(child.ids).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    const [file] = segments(dir);
    expect(statSync(join(dir, file!)).size).toBe(18 * 224 + 29);
    const reopened = new AppendLog(dir, { removedUpTo: 0 });
    expect(reopened.damaged).toEqual([]);
    expect(reopened.records.map((r) => reopened.read(r).toString())).toEqual([
      ...Array.from({ length: 18 }, (_, i) => Buffer.alloc(200, i + 1).toString()),
      'small',
    ]);
    reopened.close();
  });
});
