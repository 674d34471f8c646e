/**
 * The durable queue's points on disk: an append-only log of records in segment files, as message
 * logs (Kafka, LevelDB's log) keep theirs. An append is one write of the record at the end of the
 * current segment; a record carries its id, its point count, its length and a CRC-32 of all of it,
 * so that a record cut short or damaged is recognised and left out. What the writer has stored is
 * not rewritten: the queue keeps the last removed id in its SQLite file, and a segment whose records
 * are all removed is deleted.
 *
 * Why not rows of the SQLite file (before): a group's points are a row of about 1.5 MB in the ingest
 * benchmark, which SQLite writes as a chain of 4 KiB overflow pages into its WAL, checksummed page by
 * page, and copies again into the database at each checkpoint. An append cost 8 ms where one write of
 * the same bytes costs 0.5 (10,000 points; 2026-12-01), and it was 17 % of the ingest's CPU in the
 * ingest benchmark's sustained rounds.
 *
 * Durability is the SQLite file's (WAL, synchronous=NORMAL): an append is in the operating system's
 * hands when it returns, so it survives the process being killed, not a power cut of the machine.
 * Records are read back with positioned reads (from the page cache while the queue is short).
 */
import { closeSync, ftruncateSync, openSync, readSync, readdirSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { PRIVATE_FILE_MODE, privateDir } from '../common/private-files.ts';

/** "VQL1": a record starts here. */
const MAGIC = 0x56514c31;
/** magic (4) · CRC-32 of the rest (4) · id (8, a float64: an integer below 2^53) · points (4) · payload length (4). */
const HEADER_BYTES = 24;
/**
 * A new segment is begun once the current one is this large; the current one, once all its records
 * are removed, is deleted (and a new one begun) once it is an eighth of that: while the writer keeps
 * up, a segment of 8 MiB lasts a few seconds of a full node's readings.
 */
const SEGMENT_BYTES = 64 * 1024 * 1024;
const SUFFIX = '.seg';

/** A record not yet removed. */
export interface LogRecord {
  readonly id: number;
  /** Points (lines) in its payload. */
  readonly n: number;
}

interface Entry extends LogRecord {
  readonly segment: Segment;
  /** Where its payload starts in the segment, and its length. */
  readonly offset: number;
  readonly length: number;
}

interface Segment {
  readonly path: string;
  readonly fd: number;
  size: number;
  /** The last record's id (0: none yet). */
  lastId: number;
}

export class AppendLog {
  readonly #dir: string;
  readonly #segmentBytes: number;
  /** Records not yet removed, oldest first. */
  #entries: Entry[] = [];
  /** Segments oldest first; the last is the one appended to (when `#current` is set). */
  #segments: Segment[] = [];
  #current: Segment | undefined;
  #removedUpTo: number;
  /** The newest id appended, read or removed (0: none). */
  #lastId: number;
  #closed = false;
  /** Records (or ends of segments) found unreadable when the log was opened, and left out. */
  readonly damaged: Array<{ readonly file: string; readonly at: number; readonly reason: string }> = [];

  /**
   * Opens the log in `dir` (made 0700 if need be), forgetting the records up to `removedUpTo`.
   * Appends go to a new segment: an older one, whose end may be damaged, is only read.
   */
  constructor(dir: string, options: { readonly removedUpTo: number; readonly segmentBytes?: number }) {
    this.#dir = dir;
    this.#segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
    this.#removedUpTo = options.removedUpTo;
    this.#lastId = options.removedUpTo;
    privateDir(dir);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(SUFFIX))
      .sort();
    for (const file of files) this.#load(join(dir, file));
  }

  /** The records not yet removed, oldest first. */
  get records(): readonly LogRecord[] {
    return this.#entries;
  }

  /** The newest id appended, read or removed (0: none): the next append's must be above it. */
  get lastId(): number {
    return this.#lastId;
  }

  /**
   * Appends a record: in the operating system's hands when this returns. On failure (a full disk)
   * it throws, and the segment is cut back to where it was.
   */
  append(id: number, n: number, payload: Buffer): void {
    if (this.#closed) throw new Error('log closed');
    if (!(id > this.#lastId) || !Number.isSafeInteger(id)) throw new RangeError(`record ${id} after ${this.#lastId}`);
    const segment = (this.#current ??= this.#begin(id));
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeDoubleLE(id, 8);
    header.writeUInt32LE(n, 16);
    header.writeUInt32LE(payload.length, 20);
    header.writeUInt32LE(crc32(payload, crc32(header.subarray(8))), 4);
    const total = HEADER_BYTES + payload.length;
    try {
      // At its place, whatever a failed write before left of the file's position.
      const written = writevSync(segment.fd, [header, payload], segment.size);
      if (written !== total) throw new Error(`short write to ${segment.path}: ${written} of ${total} bytes`);
    } catch (error) {
      ftruncateSync(segment.fd, segment.size);
      throw error;
    }
    this.#entries.push({ id, n, segment, offset: segment.size + HEADER_BYTES, length: payload.length });
    segment.size += total;
    segment.lastId = id;
    this.#lastId = id;
    if (segment.size >= this.#segmentBytes) this.#current = undefined;
  }

  /** A record's payload. */
  read(record: LogRecord): Buffer {
    const entry = record as Entry;
    const out = Buffer.allocUnsafe(entry.length);
    let done = 0;
    while (done < entry.length) {
      const got = readSync(entry.segment.fd, out, done, entry.length - done, entry.offset + done);
      if (got === 0) throw new Error(`${entry.segment.path} ends inside record ${entry.id}`);
      done += got;
    }
    return out;
  }

  /**
   * Forgets the records up to `id` (the queue has recorded it), and deletes the segments left with
   * none. Returns the points of the records forgotten.
   */
  removeUpTo(id: number): number {
    if (id <= this.#removedUpTo) return 0;
    this.#removedUpTo = id;
    this.#lastId = Math.max(this.#lastId, id);
    let k = 0;
    let points = 0;
    for (; k < this.#entries.length && this.#entries[k]!.id <= id; k += 1) points += this.#entries[k]!.n;
    if (k > 0) this.#entries = this.#entries.slice(k);
    const current = this.#current;
    const keep = (s: Segment) => s.lastId > id || (s === current && s.size < this.#segmentBytes / 8);
    for (const s of this.#segments.filter((s) => !keep(s))) this.#drop(s);
    this.#segments = this.#segments.filter(keep);
    if (current && !keep(current)) this.#current = undefined;
    return points;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#segments) closeSync(s.fd);
    this.#segments = [];
    this.#entries = [];
    this.#current = undefined;
  }

  #begin(firstId: number): Segment {
    const path = join(this.#dir, `${String(firstId).padStart(16, '0')}${SUFFIX}`);
    const fd = openSync(path, 'wx+', PRIVATE_FILE_MODE);
    const segment = { path, fd, size: 0, lastId: 0 };
    this.#segments.push(segment);
    return segment;
  }

  #drop(segment: Segment): void {
    closeSync(segment.fd);
    unlinkSync(segment.path);
  }

  /** Reads a segment's records; deletes it if none is left to write. */
  #load(path: string): void {
    const fd = openSync(path, 'r');
    const segment: Segment = { path, fd, size: statSync(path).size, lastId: 0 };
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    const entries: Entry[] = [];
    let at = 0;
    const damaged = (reason: string) => this.damaged.push({ file: path, at, reason });
    while (at < segment.size) {
      if (segment.size - at < HEADER_BYTES || readSync(fd, header, 0, HEADER_BYTES, at) < HEADER_BYTES) {
        damaged('a record cut short');
        break;
      }
      const id = header.readDoubleLE(8);
      const n = header.readUInt32LE(16);
      const length = header.readUInt32LE(20);
      if (header.readUInt32LE(0) !== MAGIC || !Number.isSafeInteger(id) || id <= segment.lastId) {
        damaged('not a record');
        break;
      }
      if (at + HEADER_BYTES + length > segment.size) {
        damaged('a record cut short');
        break;
      }
      const entry: Entry = { id, n, segment, offset: at + HEADER_BYTES, length };
      if (id > this.#removedUpTo) {
        if (crc32(this.read(entry), crc32(header.subarray(8))) !== header.readUInt32LE(4)) {
          damaged(`record ${id} fails its CRC`);
          break;
        }
        entries.push(entry);
      }
      segment.lastId = id;
      this.#lastId = Math.max(this.#lastId, id);
      at += HEADER_BYTES + length;
    }
    if (entries.length === 0 && segment.lastId <= this.#removedUpTo) return this.#drop(segment);
    const newest = this.#entries.at(-1)?.id ?? 0;
    this.#entries.push(...entries.filter((e) => e.id > newest));
    this.#segments.push(segment);
  }
}
