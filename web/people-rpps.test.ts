import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../common/migrate.ts';
import { People, PEOPLE_MIGRATIONS } from './people.ts';
import { openSqlite } from '../common/sqlite.ts';

let dir = '';
let people: People;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-rpps-'));
  people = People.open(join(dir, 'registry.db'));
});
afterEach(() => {
  people.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the RPPS identifier a professional signs in with through Pro Santé Connect', () => {
  it('finds the staff account registered with it, and no longer once removed', async () => {
    const doctor = await people.createPerson({ role: 'clinician', name: 'Dr A', email: 'a@ch.test' });
    people.setRpps(doctor.id, '810001234567');
    expect(people.personByRpps('810001234567')?.id).toBe(doctor.id);
    expect(people.personByRpps('810001234568')).toBeUndefined();
    people.setRpps(doctor.id, null);
    expect(people.personByRpps('810001234567')).toBeUndefined();
  });

  it.each([['81000123456a'], ['12345678'], ['1234567890123'], [''], [' 810001234567']])(
    'refuses %j with rpps_invalid',
    async (rpps) => {
      const doctor = await people.createPerson({ role: 'clinician', name: 'Dr A', email: 'a@ch.test' });
      expect(() => people.setRpps(doctor.id, rpps)).toThrow(expect.objectContaining({ code: 'rpps_invalid' }));
    },
  );

  it('refuses an identifier another account has (rpps_taken), and gives it to no one else', async () => {
    const a = await people.createPerson({ role: 'clinician', name: 'Dr A', email: 'a@ch.test' });
    const b = await people.createPerson({ role: 'nurse', name: 'Inf B', email: 'b@ch.test' });
    people.setRpps(a.id, '810001234567');
    expect(() => people.setRpps(b.id, '810001234567')).toThrow(expect.objectContaining({ code: 'rpps_taken' }));
    people.setRpps(a.id, '810001234567');
    expect(people.personByRpps('810001234567')?.id).toBe(a.id);
  });

  it('is for the care team only (staff_only)', async () => {
    const relative = await people.createPerson({ role: 'family', name: 'Paul', email: 'p@x.test' });
    expect(() => people.setRpps(relative.id, '810001234567')).toThrow(expect.objectContaining({ code: 'staff_only' }));
  });

  it('reaches a database made before it, keeping its accounts', () => {
    const path = join(dir, 'old.db');
    const db = openSqlite(path);
    migrate(db, 'people', PEOPLE_MIGRATIONS.slice(0, 5));
    db.prepare(
      "INSERT INTO people (id, role, name, email, created_at) VALUES ('u-1', 'nurse', 'Inf', 'i@x.test', 0)",
    ).run();
    db.close();
    const upgraded = People.open(path);
    try {
      expect(upgraded.person('u-1')?.name).toBe('Inf');
      upgraded.setRpps('u-1', '810001234567');
      expect(upgraded.personByRpps('810001234567')?.id).toBe('u-1');
    } finally {
      upgraded.close();
    }
  });
});
