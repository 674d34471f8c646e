import { describe, expect, it } from 'vitest';
import { INS_OIDS } from '../../../common/ins.ts';
import { isDeviceId } from '../../../devices/topics.ts';
import {
  contactBodyOf,
  contactFieldsOf,
  DEVICE_ID_PATTERN,
  identityBodyOf,
  identityFieldsOf,
} from './patient-fields.ts';

describe('the patient forms’ fields', () => {
  it('send empty optional identity fields as null, and start from what is recorded', () => {
    const empty = identityFieldsOf(null);
    expect(identityBodyOf({ ...empty, birthName: 'MARTIN', usedName: '  ', ins: ' ' })).toMatchObject({
      birthName: 'MARTIN',
      usedName: null,
      birthplace: null,
      ins: null,
      status: 'provisional',
    });
    const recorded = identityFieldsOf({
      birthName: 'MARTIN',
      firstNames: 'Jeanne',
      usedName: null,
      birthDate: '1941-02-03',
      sex: 'female',
      birthplace: '75112',
      status: 'qualified',
      ins: { matricule: '2410275123456', key: '94', oid: INS_OIDS.nia },
    });
    expect(recorded).toMatchObject({ ins: '241027512345694', kind: 'nia', usedName: '' });
    expect(identityBodyOf(recorded).ins).toEqual({ matricule: '241027512345694', kind: 'nia' });
  });

  it('send no address without a street and no GP without a name', () => {
    const fields = { ...contactFieldsOf(null, 'fr'), postcode: '75012', gpPhone: '0143000000', phone: ' 06 12 ' };
    expect(contactBodyOf(fields)).toEqual({ phone: '06 12', address: null, gp: null });
    const full = { ...fields, street: ' 12 rue des Lilas ', gpName: 'Dr Morel' };
    expect(contactBodyOf(full)).toEqual({
      phone: '06 12',
      address: { street: '12 rue des Lilas', postcode: '75012', city: null },
      gp: { name: 'Dr Morel', phone: '0143000000', rpps: null },
    });
    expect(contactFieldsOf(contactBodyOf(full), 'fr')).toMatchObject({
      street: '12 rue des Lilas',
      gpName: 'Dr Morel',
    });
    const stored = {
      phone: '+33612345678',
      address: null,
      gp: { name: 'Dr Morel', phone: '+442079460958', rpps: null },
    };
    expect(contactFieldsOf(stored, 'fr')).toMatchObject({ phone: '06 12 34 56 78', gpPhone: '+442079460958' });
    expect(contactFieldsOf(stored, 'en').phone).toBe('+33 6 12 34 56 78');
  });
});

describe('the device id pattern', () => {
  it('accepts what isDeviceId accepts', () => {
    const pattern = new RegExp(`^(?:${DEVICE_ID_PATTERN})$`, 'v');
    for (const id of ['w-1ab', 'abc', 'w_1', '-w1', 'ab', 'W-1ab', 'a'.repeat(64), 'a'.repeat(65)])
      expect(pattern.test(id), id).toBe(isDeviceId(id));
  });
});
