import { describe, expect, it } from 'vitest';
import { parseIdentity } from '../common/ins.ts';
import { migrate } from '../common/migrate.ts';
import { Registry, REGISTRY_MIGRATIONS } from './registry.ts';
import { openSqlite } from '../common/sqlite.ts';
import { useTempDbPath } from '../common/temp-db.testing.ts';

const dbPath = useTempDbPath('identity');

function identity(status: 'qualified' | 'provisional') {
  const result = parseIdentity(
    {
      traits: {
        birthName: 'Martin',
        firstNames: 'Jeanne',
        birthDate: '1941-02-03',
        sex: 'female',
        birthplace: '75112',
      },
      ins: status === 'qualified' ? { matricule: '241027511200106', kind: 'nir' } : null,
      status,
    },
    '2026-11-29',
  );
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('the registry made before patients had an identity', () => {
  it('gains it, empty, keeps its patients, phone and sex, and stores and reads one back', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'registry', REGISTRY_MIGRATIONS.slice(0, 2));
    db.prepare(
      "INSERT INTO patients (id, label, phone, sex, created_at) VALUES ('p-old', 'Jeanne', '+33612345678', 'female', 0)",
    ).run();
    db.close();
    const registry = Registry.open(path);
    try {
      expect(registry.patientLabel('p-old')).toBe('Jeanne');
      expect(registry.patientContact('p-old')).toEqual({ phone: '+33612345678', sex: 'female' });
      expect(registry.patientIdentity('p-old')).toBeNull();
      expect(registry.patientIdentity('p-unknown')).toBeUndefined();
      expect(registry.setPatientIdentity('p-unknown', identity('qualified'))).toBe(false);
      expect(registry.setPatientIdentity('p-old', identity('qualified'))).toBe(true);
      expect(registry.patientIdentity('p-old')).toEqual(identity('qualified'));
      expect(registry.setPatientIdentity('p-old', identity('provisional'))).toBe(true);
      expect(registry.patientIdentity('p-old')).toEqual(identity('provisional'));
    } finally {
      registry.close();
    }
  });

  it('reads a row with a status it does not know as no identity, and an unknown OID as no INS', () => {
    const path = dbPath();
    const registry = Registry.open(path);
    registry.close();
    const db = openSqlite(path);
    db.prepare(
      `INSERT INTO patients (id, label, sex, birth_name, first_names, birth_date, identity_status, ins_matricule, ins_key, ins_oid, created_at)
       VALUES ('p-1', 'J', 'female', 'MARTIN', 'Jeanne', '1941-02-03', 'certified', '2410275112001', '06', '1.2.3', 0),
              ('p-2', 'J', 'female', 'MARTIN', 'Jeanne', '1941-02-03', 'provisional', '2410275112001', '06', '1.2.3', 0)`,
    ).run();
    db.close();
    const again = Registry.open(path);
    try {
      expect(again.patientIdentity('p-1')).toBeNull();
      expect(again.patientIdentity('p-2')).toMatchObject({ status: 'provisional', ins: null });
    } finally {
      again.close();
    }
  });
});
