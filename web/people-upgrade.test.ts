/**
 * The web service's people database across releases: a file from a newer release is refused (by the
 * web service and by the directory the other services read it through), the first release's file
 * is brought up to date; and the directory (web/directory.ts) reads the owner's commits at once and
 * cannot write.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { migrate, SchemaTooNewError } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';
import { useTempDbPath } from '../common/temp-db.testing.ts';
import { openCareDirectory, openDeviceDirectory } from './directory.ts';
import { People, PEOPLE_MIGRATIONS } from './people.ts';
import { Registry } from './registry.ts';

const dbPath = useTempDbPath('people-upgrade');

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
    expect(() => openCareDirectory(path)).toThrow(SchemaTooNewError);
    // The registry's own tables, of another owner in the same file, are not affected.
    Registry.open(path).close();
    openDeviceDirectory(path).close();
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

describe('the directory the broker and the ingest read the web service’s data through', () => {
  it('sees each commit of the web service at once and cannot write', async () => {
    const path = dbPath();
    const registry = Registry.open(path);
    const people = People.open(path);
    const devices = openDeviceDirectory(path);
    const care = openCareDirectory(path);
    try {
      const { patientId, deviceId } = await registry.provisionPatient('Mme Durand');
      expect(devices.device(deviceId)).toMatchObject({ patientId, revoked: false });
      expect(care.patients.patientOf(deviceId)).toBe(patientId);
      registry.revokeDevice(deviceId);
      expect(devices.device(deviceId)?.revoked).toBe(true);

      const nurse = await people.createPerson({ role: 'nurse', name: 'Inès', email: 'ines@x.test' });
      expect(care.people.person(nurse.id)).toMatchObject({ name: 'Inès', role: 'nurse' });
      expect(care.people.chain(patientId).steps).toEqual([]);

      // The directory's connections are read only: the owner's classes behind it cannot write through them.
      const readOnly = People.open(path, { readonly: true });
      try {
        await expect(readOnly.createPerson({ role: 'family', name: 'Paul' })).rejects.toThrow(/readonly/i);
      } finally {
        readOnly.close();
      }
    } finally {
      care.close();
      devices.close();
      people.close();
      registry.close();
    }
  });
});
