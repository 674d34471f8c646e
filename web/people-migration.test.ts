import { describe, expect, it } from 'vitest';
import { migrate } from '../common/migrate.ts';
import { People, PEOPLE_MIGRATIONS } from './people.ts';
import { Registry, REGISTRY_MIGRATIONS } from './registry.ts';
import { openSqlite } from '../common/sqlite.ts';
import { Appointments } from './appointments.ts';
import { useTempDbPath } from '../common/temp-db.testing.ts';

const dbPath = useTempDbPath('migrate');

describe('the people database at version 3, with relations typed as free text', () => {
  it('migrates each relation to its code, or to "other" keeping what was typed', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'people', PEOPLE_MIGRATIONS.slice(0, 3));
    const person = db.prepare("INSERT INTO people (id, role, name, email, created_at) VALUES (?, 'family', ?, ?, 0)");
    const link = db.prepare(
      'INSERT INTO care_links (person_id, patient_id, relation, share_vitals, self, created_at) VALUES (?, ?, ?, 1, ?, 0)',
    );
    const typed = { 'u-1': 'fille', 'u-2': 'Ma voisine', 'u-3': 'filleule', 'u-4': 'self' } as const;
    for (const [id, relation] of Object.entries(typed)) {
      person.run(id, id, `${id}@x.test`);
      link.run(id, 'p-1', relation, id === 'u-4' ? 1 : 0);
    }
    db.prepare(
      "INSERT INTO invitations (token_hash, patient_id, name, email, relation, share_vitals, invited_by, expires_at) VALUES ('h', 'p-1', 'Paul', 'paul@x.test', 'fils', 0, 'u-1', 1)",
    ).run();
    db.close();

    const people = People.open(path);
    try {
      expect(
        people.peopleOf('p-1').map(({ person, link }) => [person.id, link.relation, link.relationText, link.self]),
      ).toEqual([
        ['u-1', 'daughter', null, false],
        ['u-2', 'neighbour', null, false],
        ['u-3', 'other', 'filleule', false],
        ['u-4', 'other', 'self', true],
      ]);
    } finally {
      people.close();
    }
    const after = openSqlite(path);
    expect(after.prepare('SELECT relation, relation_text FROM invitations').all()).toEqual([
      { relation: 'son', relation_text: null },
    ]);
    expect(after.prepare("SELECT version FROM schema_migrations WHERE owner = 'people'").get()).toEqual({
      version: PEOPLE_MIGRATIONS.length,
    });
    after.close();
  });

  it('stores a word given instead of a code as its code, and keeps the text of "other"', async () => {
    const people = People.open(dbPath());
    try {
      const a = await people.createPerson({ role: 'family', name: 'A', email: 'a@x.test' });
      expect(people.link(a.id, 'p-1', { relation: 'voisin', shareVitals: false })).toMatchObject({
        relation: 'neighbour',
        relationText: null,
      });
      expect(
        people.link(a.id, 'p-2', { relation: 'other', relationText: ' filleule ', shareVitals: false }),
      ).toMatchObject({ relation: 'other', relationText: 'filleule' });
      // A text given with a code other than "other" is not kept: the code says it all.
      expect(people.link(a.id, 'p-3', { relation: 'son', relationText: 'fiston', shareVitals: false })).toMatchObject({
        relation: 'son',
        relationText: null,
      });
    } finally {
      people.close();
    }
  });
});

describe('the registry made before patients had a phone number and a sex', () => {
  it('gains both, empty, and keeps its patients', async () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'registry', REGISTRY_MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO patients (id, label, created_at) VALUES ('p-old', 'Jeanne', 0)").run();
    db.close();
    const registry = Registry.open(path);
    try {
      expect(registry.patientLabel('p-old')).toBe('Jeanne');
      expect(registry.patientContact('p-old')).toEqual({ phone: null, sex: null });
      expect(registry.setPatientContact('p-old', { phone: '06 12 34 56 78', sex: 'female' })).toBe(true);
      expect(registry.patientContact('p-old')).toEqual({ phone: '+33612345678', sex: 'female' });
      expect(registry.setPatientContact('p-old', { phone: null })).toBe(true);
      expect(registry.patientContact('p-old')).toEqual({ phone: null, sex: 'female' });
      expect(registry.setPatientContact('p-unknown', { sex: 'male' })).toBe(false);
      expect(registry.patientContact('p-unknown')).toBeUndefined();
      expect(() => registry.setPatientContact('p-old', { phone: '12' })).toThrow(TypeError);
      const p = await registry.provisionPatient('Marcel', { phone: '+33 1 42 00 00 00', sex: 'male' });
      expect(registry.patientContact(p.patientId)).toEqual({ phone: '+33142000000', sex: 'male' });
      await expect(registry.provisionPatient('X', { phone: 'not a number' })).rejects.toThrow(TypeError);
      expect(registry.patientIds()).toEqual(['p-old', p.patientId].sort());
    } finally {
      registry.close();
    }
  });

  it('opens a registry made by the schema alone, before migrations were counted', () => {
    const path = dbPath();
    const db = openSqlite(path);
    db.exec(String(REGISTRY_MIGRATIONS[0]));
    db.prepare("INSERT INTO patients (id, label, created_at) VALUES ('p-old', 'Jeanne', 0)").run();
    db.close();
    const registry = Registry.open(path);
    try {
      expect(registry.patientContact('p-old')).toEqual({ phone: null, sex: null });
    } finally {
      registry.close();
    }
  });
});

describe('the people database before invitations had ids', () => {
  it('gives each stored invitation an id, so that the pending ones can be listed and cancelled', () => {
    const path = dbPath();
    const db = openSqlite(path);
    // The step that gives invitations their id (steps appended after it do not matter here).
    const before = PEOPLE_MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('invitations_id'));
    expect(before).toBeGreaterThan(0);
    migrate(db, 'people', PEOPLE_MIGRATIONS.slice(0, before));
    const invite = db.prepare(
      "INSERT INTO invitations (token_hash, patient_id, name, email, relation, share_vitals, invited_by, expires_at) VALUES (?, 'p-1', ?, ?, 'son', 0, 'u-1', ?)",
    );
    invite.run('h1', 'Paul', 'paul@x.test', Date.now() + 3_600_000);
    invite.run('h2', 'Marc', 'marc@x.test', Date.now() + 7_200_000);
    invite.run('h3', 'Old', 'old@x.test', 1);
    db.close();

    const people = People.open(path);
    try {
      const pending = people.pendingInvitations('p-1');
      expect(pending.map((i) => i.name)).toEqual(['Paul', 'Marc']);
      expect(pending.map((i) => i.id)).toEqual([expect.stringMatching(/^i-[0-9a-f]{12}$/), expect.any(String)]);
      expect(new Set(pending.map((i) => i.id)).size).toBe(2);
      expect(people.revokeInvitation('p-1', pending[0]!.id, 'u-2').name).toBe('Paul');
      expect(people.pendingInvitations('p-1').map((i) => i.name)).toEqual(['Marc']);
    } finally {
      people.close();
    }
  });
});

describe('the people database before consultations could be missed or reminded', () => {
  it('keeps every consultation booked before, without a reminder sent, and lets them be missed', () => {
    const path = dbPath();
    const db = openSqlite(path);
    const before = PEOPLE_MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('reminded_day_at'));
    expect(before).toBeGreaterThan(0);
    migrate(db, 'people', PEOPLE_MIGRATIONS.slice(0, before));
    db.prepare(
      "INSERT INTO people (id, role, name, email, created_at) VALUES ('u-1', 'clinician', 'Dr Roux', 'r@x.test', 0)",
    ).run();
    const book = db.prepare(
      `INSERT INTO appointments (id, patient_id, clinician_id, starts_at, minutes, invite_family, reason, status, booked_by, booked_at)
       VALUES (?, 'p-1', 'u-1', ?, 30, 1, 'Suivi', ?, 'u-1', 0)`,
    );
    const soon = Date.now() + 3600_000;
    book.run('a-000000000001', 1000, 'booked');
    book.run('a-000000000002', soon, 'booked');
    book.run('a-000000000003', soon + 3600_000, 'cancelled');
    db.close();

    const appointments = Appointments.open(path);
    try {
      expect(appointments.get('a-000000000002')).toMatchObject({ status: 'booked', startsAt: soon, settledAt: null });
      expect(appointments.get('a-000000000003')).toMatchObject({ status: 'cancelled' });
      expect(appointments.reminded('a-000000000002')).toEqual({ day: null, soon: null });
      expect(appointments.settleMissed().map((a) => [a.id, a.status])).toEqual([['a-000000000001', 'missed']]);
      expect(appointments.get('a-000000000001')).toMatchObject({ status: 'missed', settledAt: expect.any(Number) });
    } finally {
      appointments.close();
    }
  });
});
