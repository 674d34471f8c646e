import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { migrate, MigrationError, SchemaTooNewError, type Migration } from './migrate.ts';
import { People, PEOPLE_MIGRATIONS } from './people.ts';
import { Registry } from './registry.ts';
import { openSqlite } from './sqlite.ts';
import { useTempDbPath } from './temp-db.testing.ts';

const dbPath = useTempDbPath('migrate');
const tables = (db: ReturnType<typeof openSqlite>) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);
const versionOf = (db: ReturnType<typeof openSqlite>, owner: string) =>
  db.prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE owner = ?').get(owner)
    ?.version;

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const STEPS: readonly Migration[] = [
  'CREATE TABLE a (v TEXT)',
  // Not IF NOT EXISTS: a step run twice fails.
  "CREATE TABLE b (v TEXT); INSERT INTO a (v) VALUES ('from 2')",
];

describe('migrate', () => {
  it('runs each step once, in order, and records the version per owner', () => {
    const db = openSqlite(dbPath());
    migrate(db, 'one', STEPS);
    migrate(db, 'one', STEPS);
    migrate(db, 'two', ['CREATE TABLE c (v TEXT)']);
    expect(tables(db)).toEqual(['a', 'b', 'c', 'schema_migrations']);
    expect(db.prepare('SELECT v FROM a').all()).toEqual([{ v: 'from 2' }]);
    expect([versionOf(db, 'one'), versionOf(db, 'two')]).toEqual([2, 1]);
    db.close();
  });

  it('skips the steps another connection to the file has run since it opened', () => {
    const path = dbPath();
    const first = openSqlite(path);
    const second = openSqlite(path);
    migrate(first, 'one', STEPS.slice(0, 1));
    migrate(second, 'one', STEPS);
    migrate(first, 'one', STEPS);
    expect(versionOf(first, 'one')).toBe(2);
    first.close();
    second.close();
  });

  it('rolls back a failing step entirely, keeps the steps before it, and says which step of which owner failed', () => {
    const path = dbPath();
    const db = openSqlite(path);
    const failing: Migration[] = [
      ...STEPS,
      "CREATE TABLE d (v TEXT); INSERT INTO a (v) VALUES ('from 3'); INSERT INTO nowhere VALUES (1)",
    ];
    const error = thrown(() => migrate(db, 'one', failing));
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ owner: 'one', version: 3 });
    expect(String(error)).toBe(
      `MigrationError: migration 3 of the one schema of ${path} failed and was rolled back (the file stays at version 2): no such table: nowhere`,
    );
    expect(tables(db)).toEqual(['a', 'b', 'schema_migrations']);
    expect(db.prepare('SELECT v FROM a').all()).toEqual([{ v: 'from 2' }]);
    expect(versionOf(db, 'one')).toBe(2);
    db.close();
  });

  it('rolls back a step written as a function that throws after writing', () => {
    const db = openSqlite(dbPath());
    expect(() =>
      migrate(db, 'one', [
        (d) => {
          d.exec('CREATE TABLE a (v TEXT)');
          throw new Error('a value it cannot convert');
        },
      ]),
    ).toThrow('migration 1 of the one schema of');
    expect(tables(db)).toEqual(['schema_migrations']);
    expect(versionOf(db, 'one')).toBeUndefined();
    db.close();
  });

  it('refuses a schema newer than the steps it knows, naming the owner and both versions, and changes nothing', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'one', [...STEPS, 'CREATE TABLE d (v TEXT)']);
    const before = tables(db);
    const error = thrown(() => migrate(db, 'one', STEPS));
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ owner: 'one', found: 3, known: 2 });
    expect(String(error)).toMatch(
      new RegExp(
        `^SchemaTooNewError: the one schema of ${path} is at version 3, newer than the 2 this version of Vigie knows`,
      ),
    );
    expect(tables(db)).toEqual(before);
    expect(versionOf(db, 'one')).toBe(3);
    db.close();
  });
});

describe('a service started on a file from a newer release', () => {
  it('refuses to open it', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'people', [...PEOPLE_MIGRATIONS, 'SELECT 1']);
    db.close();
    expect(() => People.open(path)).toThrow(SchemaTooNewError);
    expect(() => People.open(path)).toThrow(
      `the people schema of ${path} is at version ${PEOPLE_MIGRATIONS.length + 1}, newer than the ${PEOPLE_MIGRATIONS.length}`,
    );
    // The registry's own tables, of another owner in the same file, are not affected.
    Registry.open(path).close();
  });
});

/** The people schema as the first release with people wrote it (commit 5920922): no `invitations.role`. */
const PEOPLE_FIRST_RELEASE = `
CREATE TABLE people (
  id TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, email TEXT UNIQUE COLLATE NOCASE,
  lang TEXT NOT NULL DEFAULT 'fr', password_hash TEXT, created_at INTEGER NOT NULL
);
CREATE TABLE care_links (
  person_id TEXT NOT NULL REFERENCES people(id), patient_id TEXT NOT NULL,
  relation TEXT NOT NULL, share_vitals INTEGER NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (person_id, patient_id)
);
CREATE TABLE escalation_chains (
  patient_id TEXT PRIMARY KEY, steps TEXT NOT NULL, arrival_timeout_ms INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE invitations (
  token_hash TEXT PRIMARY KEY, patient_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
  relation TEXT NOT NULL, share_vitals INTEGER NOT NULL, invited_by TEXT NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES people(id), expires_at INTEGER NOT NULL
);
CREATE TABLE push_subscriptions (
  endpoint TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES people(id), p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at INTEGER NOT NULL
);
`;

describe('the people database of the first release, before invitations had a role', () => {
  it('gains the column: its pending invitation and a new one are accepted', async () => {
    const path = dbPath();
    const old = openSqlite(path);
    old.exec(PEOPLE_FIRST_RELEASE);
    old
      .prepare(
        "INSERT INTO people (id, role, name, email, created_at) VALUES ('u-nurse', 'nurse', 'Inès', 'ines@x.test', 0)",
      )
      .run();
    const pending = 'a-token-sent-by-the-first-release';
    old
      .prepare(
        "INSERT INTO invitations (token_hash, patient_id, name, email, relation, share_vitals, invited_by, expires_at) VALUES (?, 'p-1', 'Paul', 'paul@x.test', 'fils', 1, 'u-nurse', 9e15)",
      )
      .run(createHash('sha256').update(pending).digest('base64url'));
    old.close();

    const people = People.open(path);
    try {
      expect(people.invitation(pending)).toMatchObject({ role: 'family', relation: 'son', email: 'paul@x.test' });
      const paul = await people.acceptInvitation(pending, 'a long enough password 1');
      expect(paul.role).toBe('family');
      expect(people.peopleOf('p-1').map(({ person, link }) => [person.id, link.relation])).toEqual([[paul.id, 'son']]);
      const { token } = people.invite(
        {
          patientId: 'p-1',
          name: 'Jeanne',
          email: 'jeanne@x.test',
          relation: 'self',
          shareVitals: true,
          invitedBy: 'u-nurse',
          role: 'patient',
        },
        60_000,
      );
      const jeanne = await people.acceptInvitation(token, 'another long password 2');
      expect(jeanne.role).toBe('patient');
      expect(await people.signIn('jeanne@x.test', 'another long password 2')).toMatchObject({ id: jeanne.id });
    } finally {
      people.close();
    }
  });

  it('leaves a database made after the column was added as it is', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'people', PEOPLE_MIGRATIONS.slice(0, -1));
    db.close();
    People.open(path).close();
    const after = openSqlite(path);
    expect(after.prepare("SELECT dflt_value FROM pragma_table_info('invitations') WHERE name = 'role'").all()).toEqual([
      { dflt_value: "'family'" },
    ]);
    after.close();
  });
});
