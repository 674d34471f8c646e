/**
 * Numbered schema migrations for one owner of tables in a SQLite file (several owners share
 * registry.db: the registry, the people, the patient settings). Each owner's version is kept in
 * `schema_migrations`; the steps after it run once, in order, each in its own transaction with its
 * version bump: a step that fails leaves nothing of itself, and the file stays at the version before
 * it. A schema change is a new step, never an edit of an earlier one: a database created before the
 * change gets it as surely as a new one. Step 1 of every owner is the schema as it was before
 * migrations were counted, written with `IF NOT EXISTS`, so that it is safe on files made then.
 */
import type Database from 'better-sqlite3';

/** SQL to execute, or a function for a step that needs to read before it writes. */
export type Migration = string | ((db: Database.Database) => void);

/** The file was written by a newer Vigie: running older code on it could lose what it does not know. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
  constructor(
    readonly owner: string,
    readonly found: number,
    readonly known: number,
    file: string,
  ) {
    super(
      `the ${owner} schema of ${file} is at version ${found}, newer than the ${known} this version of Vigie knows: ` +
        'it was written by a newer release; run that release (or restore a backup made before the upgrade)',
    );
  }
}

/** A step failed: it was rolled back, and the file stays at the version before it. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly owner: string,
    readonly version: number,
    file: string,
    cause: unknown,
  ) {
    super(
      `migration ${version} of the ${owner} schema of ${file} failed and was rolled back (the file stays at version ${version - 1}): ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

export function migrate(db: Database.Database, owner: string, steps: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const versionOf = db.prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE owner = ?');
  const bump = db.prepare(
    'INSERT INTO schema_migrations (owner, version) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET version = excluded.version',
  );
  const current = () => versionOf.get(owner)?.version ?? 0;
  const found = current();
  if (found > steps.length) throw new SchemaTooNewError(owner, found, steps.length, db.name);
  for (const [i, step] of steps.entries()) {
    const version = i + 1;
    if (version <= found) continue;
    // IMMEDIATE, and the version read again inside: of two services starting on one file, the second
    // waits for the first one's step, then skips it.
    const run = db.transaction(() => {
      if (current() >= version) return;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      bump.run(owner, version);
    });
    try {
      run.immediate();
    } catch (e) {
      throw new MigrationError(owner, version, db.name, e);
    }
  }
}
