/**
 * External systems that read the FHIR API on their own behalf (the GP's software, a hospital, a
 * research platform), registered by an administrator for SMART Backend Services: a name, the public
 * keys its assertions are signed with (web/system-keys.ts), the scopes it may be granted and the care
 * teams whose patients it may read. It gets short-lived access tokens (web/fhir/token.ts), stored
 * hashed like every other token; revoking it ends them at once. Each assertion id (`jti`) is kept
 * until its assertion expires, so that an assertion is used once.
 *
 * Stored in the people database (the web service owns it; migration in web/people.ts).
 */
import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { VigieError } from '../common/errors.ts';
import { migrate } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';
import { PEOPLE_MIGRATIONS } from './people.ts';
import { SYSTEM_SCOPES, type SystemScope } from './api/schemas.ts';
import { storedKeySetSchema, type SystemKeySet } from './system-keys.ts';

/** How long an access token lives (SMART recommends at most five minutes). */
export const SYSTEM_TOKEN_TTL_MS = 5 * 60_000;
/** What an access token starts with: told apart from a personal API token (`vigie_`) at a glance. */
export const SYSTEM_TOKEN_PREFIX = 'vsys_';

export interface ExternalSystem {
  /** Its OAuth client id. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly SystemScope[];
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly keys: SystemKeySet;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** What a valid access token lets its system read. */
export interface SystemGrant {
  readonly system: { readonly id: string; readonly name: string; readonly teamIds: readonly string[] };
  readonly scopes: readonly SystemScope[];
  readonly expiresAt: number;
}

interface Row {
  id: string;
  name: string;
  jwks: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
export const scopesOf = (text: string): SystemScope[] =>
  text.split(' ').flatMap((s) => SYSTEM_SCOPES.find((x) => x === s) ?? []);

export class ExternalSystems {
  readonly #db: Database.Database;
  readonly #now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens the people database at `path` (its migrations run first, whoever opens it first). */
  static open(path: string, o: { now?: () => number } = {}): ExternalSystems {
    const db = openSqlite(path, { synchronous: 'FULL' });
    migrate(db, 'people', PEOPLE_MIGRATIONS);
    return new ExternalSystems(db, o.now ?? Date.now);
  }

  /** The clock assertions and tokens are judged by (tests move it). */
  now(): number {
    return this.#now();
  }

  register(s: {
    name: string;
    keys: SystemKeySet;
    scopes: readonly SystemScope[];
    teamIds: readonly string[];
    by: string;
  }): ExternalSystem {
    const id = `sys-${randomBytes(12).toString('base64url')}`;
    const scopes = SYSTEM_SCOPES.filter((x) => s.scopes.includes(x));
    this.#db.transaction(() => {
      this.#db
        .prepare(
          'INSERT INTO external_systems (id, name, jwks, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, s.name.trim(), JSON.stringify(s.keys), scopes.join(' '), s.by, this.#now());
      const team = this.#db.prepare('INSERT INTO external_system_teams (system_id, team_id) VALUES (?, ?)');
      for (const teamId of new Set(s.teamIds)) team.run(id, teamId);
    })();
    return this.#get(id);
  }

  /** Every system, the revoked ones last. */
  list(): ExternalSystem[] {
    return this.#db
      .prepare<[], Row>('SELECT * FROM external_systems ORDER BY revoked_at IS NOT NULL, name COLLATE NOCASE, id')
      .all()
      .map((r) => this.#toSystem(r));
  }

  /** A system by its client id, revoked or not. */
  system(id: string): ExternalSystem | undefined {
    const row = this.#db.prepare<[string], Row>('SELECT * FROM external_systems WHERE id = ?').get(id);
    return row && this.#toSystem(row);
  }

  /** Revokes a system: it gets no token any more and the ones it holds stop working now. */
  revoke(id: string, by: string): ExternalSystem {
    const done = this.#db.transaction(() => {
      const changed = this.#db
        .prepare('UPDATE external_systems SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL')
        .run(this.#now(), by, id).changes;
      this.#db.prepare('DELETE FROM system_tokens WHERE system_id = ?').run(id);
      return changed > 0;
    })();
    if (!done) throw new VigieError('system_not_found', 'no such system, or it is already revoked');
    return this.#get(id);
  }

  /** Notes an assertion's id; false when this system used it before (within its lifetime). */
  useAssertion(systemId: string, jti: string, expiresAt: number): boolean {
    const now = this.#now();
    this.#db.prepare('DELETE FROM system_assertions WHERE expires_at <= ?').run(now);
    return (
      this.#db
        .prepare('INSERT OR IGNORE INTO system_assertions (system_id, jti, expires_at) VALUES (?, ?, ?)')
        .run(systemId, jti, expiresAt).changes === 1
    );
  }

  /** A new access token for these scopes (shown once; only its hash is kept). */
  issueToken(systemId: string, scopes: readonly SystemScope[]): { token: string; expiresAt: number } {
    const now = this.#now();
    const token = `${SYSTEM_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + SYSTEM_TOKEN_TTL_MS;
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM system_tokens WHERE expires_at <= ?').run(now);
      this.#db
        .prepare(
          'INSERT INTO system_tokens (token_hash, system_id, scopes, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(digest(token), systemId, scopes.join(' '), now, expiresAt);
      this.#db.prepare('UPDATE external_systems SET last_used_at = ? WHERE id = ?').run(now, systemId);
    })();
    return { token, expiresAt };
  }

  /** What a token lets its system read, while it is valid and the system is not revoked. */
  grantOf(token: string): SystemGrant | undefined {
    const now = this.#now();
    const row = this.#db
      .prepare<[string, number], { system_id: string; name: string; scopes: string; expires_at: number }>(
        `SELECT t.system_id, s.name, t.scopes, t.expires_at FROM system_tokens t
         JOIN external_systems s ON s.id = t.system_id
         WHERE t.token_hash = ? AND t.expires_at > ? AND s.revoked_at IS NULL`,
      )
      .get(digest(token), now);
    if (!row) return undefined;
    this.#db.prepare('UPDATE external_systems SET last_used_at = ? WHERE id = ?').run(now, row.system_id);
    return {
      system: { id: row.system_id, name: row.name, teamIds: this.#teams(row.system_id).map((t) => t.id) },
      scopes: scopesOf(row.scopes),
      expiresAt: row.expires_at,
    };
  }

  close(): void {
    this.#db.close();
  }

  #get(id: string): ExternalSystem {
    const system = this.system(id);
    if (!system) throw new VigieError('system_not_found', 'no such system');
    return system;
  }

  #teams(systemId: string): Array<{ id: string; name: string }> {
    return this.#db
      .prepare<[string], { id: string; name: string }>(
        `SELECT c.id, c.name FROM external_system_teams t JOIN care_teams c ON c.id = t.team_id
         WHERE t.system_id = ? ORDER BY c.name COLLATE NOCASE`,
      )
      .all(systemId);
  }

  #toSystem(r: Row): ExternalSystem {
    return {
      id: r.id,
      name: r.name,
      scopes: scopesOf(r.scopes),
      teams: this.#teams(r.id),
      keys: keysOf(r.jwks),
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
    };
  }
}

/** The stored key set (written by register from a checked set; a key edited into something else is dropped). */
function keysOf(text: string): SystemKeySet {
  const parsed = storedKeySetSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : { keys: [] };
}
