import { describe, expect, it } from 'vitest';
import { migrate, MigrationError, SchemaTooNewError, type Migration } from './migrate.ts';
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
