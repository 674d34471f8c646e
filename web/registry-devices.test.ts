import { describe, expect, it } from 'vitest';
import { migrate } from '../common/migrate.ts';
import { DuplicateError, Registry, REGISTRY_MIGRATIONS } from './registry.ts';
import { openSqlite } from '../common/sqlite.ts';
import { useTempDbPath } from '../common/temp-db.testing.ts';

const dbPath = useTempDbPath('registry-devices');

describe('the registry made before patients had an address and a GP', () => {
  it('gains them, empty, and stores, normalises and clears them', () => {
    const path = dbPath();
    const db = openSqlite(path);
    migrate(db, 'registry', REGISTRY_MIGRATIONS.slice(0, 3));
    db.prepare(
      "INSERT INTO patients (id, label, phone, created_at) VALUES ('p-old', 'Jeanne', '+33612345678', 0)",
    ).run();
    db.close();
    const registry = Registry.open(path);
    try {
      expect(registry.patientDetails('p-old')).toEqual({ address: null, gp: null });
      expect(registry.patientDetails('p-unknown')).toBeUndefined();
      const details = {
        address: { street: '12 rue des Lilas', postcode: '75012', city: 'Paris' },
        gp: { name: 'Dr Morel', phone: '01 43 00 00 00', rpps: '10003456789' },
      };
      expect(registry.setPatientDetails('p-unknown', details)).toBe(false);
      expect(registry.setPatientDetails('p-old', details)).toBe(true);
      expect(registry.patientDetails('p-old')).toEqual({ ...details, gp: { ...details.gp, phone: '+33143000000' } });
      expect(() => registry.setPatientDetails('p-old', { ...details, gp: { ...details.gp, phone: '12' } })).toThrow(
        TypeError,
      );
      expect(registry.setPatientDetails('p-old', { address: null, gp: null })).toBe(true);
      expect(registry.patientDetails('p-old')).toEqual({ address: null, gp: null });
      expect(registry.patientContact('p-old')?.phone).toBe('+33612345678');
    } finally {
      registry.close();
    }
  });
});

describe('a patient’s devices', () => {
  it('are created without one, enrolled, replaced in one step, and listed with their revocations', async () => {
    const registry = Registry.open(dbPath());
    try {
      const patientId = registry.createPatient('Jeanne', {}, 1_000);
      expect(registry.devicesOf(patientId)).toEqual([]);
      await registry.addDevice(patientId, 'w-one', 'watch', 2_000);
      await expect(registry.replaceDevice(patientId, 'w-one', 'w-one', 3_000)).rejects.toThrow(DuplicateError);
      expect(registry.device('w-one')?.revoked).toBe(false);
      await expect(registry.replaceDevice(patientId, 'w-one', 'W_2', 3_000)).rejects.toThrow(TypeError);
      const other = registry.createPatient('Paul');
      expect(await registry.replaceDevice(other, 'w-one', 'w-two', 3_000)).toBeUndefined();
      const created = await registry.replaceDevice(patientId, 'w-one', 'w-two', 3_000);
      expect(created).toMatchObject({ patientId, deviceId: 'w-two' });
      expect(await registry.replaceDevice(patientId, 'w-one', 'w-three', 4_000)).toBeUndefined();
      expect(registry.device('w-three')).toBeUndefined();
      expect(registry.devicesOf(patientId)).toEqual([
        { id: 'w-two', kind: 'watch', createdAt: 3_000, revokedAt: null },
        { id: 'w-one', kind: 'watch', createdAt: 2_000, revokedAt: 3_000 },
      ]);
      expect(registry.revokedSince(3_000)).toEqual(['w-one']);
      expect(registry.revokedSince(3_001)).toEqual([]);
    } finally {
      registry.close();
    }
  });
});
