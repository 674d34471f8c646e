/**
 * Numbered schema migrations for one owner of tables in a SQLite file (several owners share
 * registry.db: the registry, the people, the patient settings). Each owner's version is kept in
 * `schema_migrations`; the steps after it run once, in order, each in its own transaction. A schema
 * change is a new step, never an edit of an earlier one: a database created before the change gets it
 * as surely as a new one.
 */
import type Database from 'better-sqlite3';

/** SQL to execute, or a function for a step that needs to read before it writes. */
export type Migration = string | ((db: Database.Database) => void);

export function migrate(db: Database.Database, owner: string, steps: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const current =
    db.prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE owner = ?').get(owner)
      ?.version ?? 0;
  for (const [i, step] of steps.entries()) {
    const version = i + 1;
    if (version <= current) continue;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.prepare(
        'INSERT INTO schema_migrations (owner, version) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET version = excluded.version',
      ).run(owner, version);
    })();
  }
}
