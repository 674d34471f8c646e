/**
 * Who looked at which patient's record: every read of one patient's data by a professional (a member
 * of the care team, by a page or a personal API token) or by an external system an administrator
 * registered (the FHIR API, web/fhir/reader.ts) is kept, with who, what, when and from where.
 * The patient sees theirs on their own page and an administrator sees all of them, as Mon espace
 * santé shows its holder who opened their record.
 *
 * Identical reads (same person, patient, part, channel and address) within `coalesceMs` of the first
 * are one entry with a count: a console open on a patient reloads its charts and notes every few
 * seconds, and a row each time would bury the reads that matter (another person, another day, another
 * address) under thousands of the same one. The address and the channel are part of "identical" so
 * that a read from somewhere new always stands out. Entries are kept `retentionMs` (a year), then
 * purged: at start-up and every day (web/server.ts).
 *
 * Stored in the people database (the web service owns it), table `record_reads` (migration in
 * web/people.ts).
 */
import type Database from 'better-sqlite3';
import type { FastifyRequest } from 'fastify';
import { migrate } from '../common/migrate.ts';
import { isStaff, PEOPLE_MIGRATIONS, type Person } from './people.ts';
import { ROLES, type Role } from '../common/people-rules.ts';
import { openSqlite } from '../common/sqlite.ts';
import { RECORD_PARTS, READ_CHANNELS, type ReadChannel, type ReaderKind, type RecordPart } from './api/schemas.ts';

export const COALESCE_MS = 10 * 60_000;
export const RETENTION_MS = 365 * 24 * 3600_000;
/** The most entries one page of the log holds. */
export const READS_PER_PAGE = 50;

export interface RecordReadsOptions {
  readonly now?: () => number;
  readonly coalesceMs?: number;
  readonly retentionMs?: number;
}

export interface RecordRead {
  readonly id: number;
  readonly patientId: string;
  readonly reader: ReaderKind;
  /** The reader's id: a person's, or a system's client id. */
  readonly personId: string;
  /** The reader's name today (their id when the account is gone) and, for a person, their role. */
  readonly name: string;
  readonly role: Role | null;
  readonly what: RecordPart;
  readonly channel: ReadChannel;
  readonly address: string;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly count: number;
}

interface Row {
  id: number;
  patient_id: string;
  reader: string;
  person_id: string;
  name: string | null;
  role: string | null;
  what: string;
  channel: string;
  address: string;
  first_at: number;
  last_at: number;
  count: number;
}

export class RecordReads {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #coalesceMs: number;
  readonly #retentionMs: number;

  private constructor(db: Database.Database, o: RecordReadsOptions) {
    this.#db = db;
    this.#now = o.now ?? Date.now;
    this.#coalesceMs = o.coalesceMs ?? COALESCE_MS;
    this.#retentionMs = o.retentionMs ?? RETENTION_MS;
  }

  /** Opens the people database at `path` (its migrations run first, whoever opens it first). */
  static open(path: string, o: RecordReadsOptions = {}): RecordReads {
    const db = openSqlite(path, { synchronous: 'FULL' });
    migrate(db, 'people', PEOPLE_MIGRATIONS);
    return new RecordReads(db, o);
  }

  /**
   * Notes one read (by a person unless `reader` says a system, whose client id `personId` then is); a
   * read like one of the last `coalesceMs` adds to its count.
   */
  record(r: {
    patientId: string;
    personId: string;
    reader?: ReaderKind;
    what: RecordPart;
    channel: ReadChannel;
    address: string;
  }): void {
    const now = this.#now();
    const reader = r.reader ?? 'person';
    this.#db.transaction(() => {
      const same = this.#db
        .prepare<[string, string, string, string, string, string, number], { id: number }>(
          'SELECT id FROM record_reads WHERE reader = ? AND person_id = ? AND patient_id = ? AND what = ? AND channel = ? AND address = ? AND first_at > ? ORDER BY id DESC LIMIT 1',
        )
        .get(reader, r.personId, r.patientId, r.what, r.channel, r.address, now - this.#coalesceMs);
      if (same) {
        this.#db
          .prepare('UPDATE record_reads SET count = count + 1, last_at = MAX(last_at, ?) WHERE id = ?')
          .run(now, same.id);
      } else {
        this.#db
          .prepare(
            'INSERT INTO record_reads (patient_id, reader, person_id, what, channel, address, first_at, last_at, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)',
          )
          .run(r.patientId, reader, r.personId, r.what, r.channel, r.address, now, now);
      }
    })();
  }

  /** Newest first; `before` (an entry's id) pages back. */
  list(filter: { patientId?: string; personId?: string; before?: number }, limit = READS_PER_PAGE): RecordRead[] {
    const where = ['r.id < ?'];
    const args: Array<string | number> = [filter.before ?? Number.MAX_SAFE_INTEGER];
    if (filter.patientId !== undefined) {
      where.push('r.patient_id = ?');
      args.push(filter.patientId);
    }
    if (filter.personId !== undefined) {
      where.push('r.person_id = ?');
      args.push(filter.personId);
    }
    return this.#db
      .prepare<Array<string | number>, Row>(
        `SELECT r.*, COALESCE(p.name, s.name) AS name, p.role FROM record_reads r
         LEFT JOIN people p ON r.reader = 'person' AND p.id = r.person_id
         LEFT JOIN external_systems s ON r.reader = 'system' AND s.id = r.person_id
         WHERE ${where.join(' AND ')} ORDER BY r.id DESC LIMIT ?`,
      )
      .all(...args, limit)
      .map(toRead);
  }

  /** Forgets entries last read more than the retention ago; how many went. */
  purge(): number {
    return this.#db.prepare('DELETE FROM record_reads WHERE last_at < ?').run(this.#now() - this.#retentionMs).changes;
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * Notes that the person a route let in read this part of a patient's record, when they are a
 * professional. A relative's (or the patient's own) reads are not logged: the patient chose them and
 * gave them their access; this log answers "which professional looked at my record".
 */
export function noteRead(
  reads: RecordReads,
  request: FastifyRequest,
  person: Person,
  patientId: string,
  what: RecordPart,
): void {
  if (!isStaff(person.role)) return;
  reads.record({
    patientId,
    personId: person.id,
    what,
    channel: request.headers.authorization === undefined ? 'page' : 'api_token',
    address: request.ip,
  });
}

const oneOf =
  <T extends string>(values: readonly T[], fallback: T) =>
  (v: string | null): T =>
    values.find((x) => x === v) ?? fallback;
const roleOf = oneOf<Role>(ROLES, 'clinician');
const partOf = oneOf<RecordPart>(RECORD_PARTS, 'record');
const channelOf = oneOf<ReadChannel>(READ_CHANNELS, 'page');

function toRead(r: Row): RecordRead {
  const reader = r.reader === 'system' ? 'system' : 'person';
  return {
    id: r.id,
    patientId: r.patient_id,
    reader,
    personId: r.person_id,
    name: r.name ?? r.person_id,
    role: reader === 'system' ? null : roleOf(r.role),
    what: partOf(r.what),
    channel: channelOf(r.channel),
    address: r.address,
    firstAt: r.first_at,
    lastAt: r.last_at,
    count: r.count,
  };
}
