import { describe, expect, it } from 'vitest';
import { INS_OIDS, insKey, parseIdentity, parseIns, parseTraits, shownIns, type IdentityInput } from './ins.ts';

// Fictitious people; the keys were computed by hand (97 − number mod 97) and one is the textbook
// example of the NIR (2 69 05 49 588 157, key 80).
describe('parseIns', () => {
  it.each([
    ['2 69 05 49 588 157 80', 'nir', '2690549588157', '80', INS_OIDS.nir],
    ['241027512345694', 'nir', '2410275123456', '94', INS_OIDS.nir],
    ['241022a00412377', 'nir', '241022A004123', '77', INS_OIDS.nir],
    ['160012B05000183', 'nia', '160012B050001', '83', INS_OIDS.nia],
    ['241991234567854', 'nir', '2419912345678', '54', INS_OIDS.nir],
    ['841029912345619', 'nia', '8410299123456', '19', INS_OIDS.nia],
  ] as const)('accepts %s (%s)', (input, kind, matricule, key, oid) => {
    expect(parseIns(input, kind)).toEqual({ ok: true, value: { matricule, key, oid } });
  });

  it.each([
    ['', 'ins_length'],
    ['24102751234569', 'ins_length'],
    ['2410275123456944', 'ins_length'],
    ['24102751234X694', 'ins_characters'],
    ['2410275123456-4', 'ins_characters'],
    ['24102A512345694', 'ins_characters'],
    ['541027512345694', 'ins_sex_digit'],
    ['041027512345694', 'ins_sex_digit'],
    ['241007512345694', 'ins_month'],
    ['241137512345694', 'ins_month'],
    ['241217512345694', 'ins_month'],
    ['241437512345694', 'ins_month'],
    ['241027512345695', 'ins_key'],
    ['241027512345649', 'ins_key'],
    ['241022A00412376', 'ins_key'],
    ['2690549588157 08', 'ins_key'],
  ] as const)('refuses %j: %s', (input, error) => {
    expect(parseIns(input)).toEqual({ ok: false, error });
  });

  it('reads 2A and 2B as 19 and 18 for the key', () => {
    expect(insKey('241022A004123')).toBe(insKey('2410219004123'));
    expect(insKey('160012B050001')).toBe(insKey('1600118050001'));
    expect(insKey('241022A004123')).not.toBe(insKey('241022B004123'));
  });
});

const jeanne = { birthName: 'Martin', firstNames: 'Jeanne Marie', birthDate: '1941-02-03', sex: 'female' } as const;
const TODAY = '2026-11-29';

describe('parseTraits', () => {
  it('upper-cases the birth name and the name used, and keeps the first names as written', () => {
    expect(
      parseTraits({ ...jeanne, birthName: " d'Aubigné-Le  Goff ", usedName: 'Dupont', birthplace: '2a004' }, TODAY),
    ).toEqual({
      ok: true,
      value: {
        birthName: "D'AUBIGNÉ-LE GOFF",
        firstNames: 'Jeanne Marie',
        usedName: 'DUPONT',
        birthDate: '1941-02-03',
        sex: 'female',
        birthplace: '2A004',
      },
    });
  });

  it('keeps no name used equal to the birth name, and empty optional traits as none', () => {
    expect(parseTraits({ ...jeanne, usedName: 'martin', birthplace: ' ' }, TODAY)).toMatchObject({
      ok: true,
      value: { usedName: null, birthplace: null },
    });
  });

  it.each([
    [{ birthName: '' }, 'birth_name_invalid'],
    [{ birthName: 'Martin2' }, 'birth_name_invalid'],
    [{ birthName: '-Martin' }, 'birth_name_invalid'],
    [{ birthName: 'M'.repeat(101) }, 'birth_name_invalid'],
    [{ firstNames: '  ' }, 'first_names_invalid'],
    [{ firstNames: 'Jeanne, Marie' }, 'first_names_invalid'],
    [{ usedName: 'Dupont!' }, 'used_name_invalid'],
    [{ birthDate: '03/02/1941' }, 'birth_date_invalid'],
    [{ birthDate: '1941-02-30' }, 'birth_date_invalid'],
    [{ birthDate: '1941-13-01' }, 'birth_date_invalid'],
    [{ birthDate: '1799-01-01' }, 'birth_date_invalid'],
    [{ birthDate: '2026-11-30' }, 'birth_date_future'],
    [{ birthplace: '7512' }, 'birthplace_invalid'],
    [{ birthplace: '2C004' }, 'birthplace_invalid'],
    [{ birthplace: '75 123' }, 'birthplace_invalid'],
  ] as const)('refuses %j: %s', (change, error) => {
    expect(parseTraits({ ...jeanne, ...change }, TODAY)).toEqual({ ok: false, error });
  });

  it('accepts a birth on the day itself', () => {
    expect(parseTraits({ ...jeanne, birthDate: TODAY }, TODAY).ok).toBe(true);
  });
});

describe('parseIdentity', () => {
  const qualified: IdentityInput = {
    traits: jeanne,
    ins: { matricule: '241027512345694', kind: 'nir' },
    status: 'qualified',
  };

  it('gives the traits, the INS and the status, and shows the INS only when qualified', () => {
    const result = parseIdentity(qualified, TODAY);
    expect(result).toMatchObject({
      ok: true,
      value: { ins: { matricule: '2410275123456', key: '94', oid: INS_OIDS.nir }, status: 'qualified' },
    });
    if (!result.ok) throw new Error('refused');
    expect(shownIns(result.value)).toEqual(result.value.ins);
    for (const status of ['provisional', 'recovered', 'validated'] as const)
      expect(shownIns({ ...result.value, status })).toBeNull();
  });

  it.each([
    [{ ins: null, status: 'qualified' }, 'identity_ins_required'],
    [{ ins: null, status: 'recovered' }, 'identity_ins_required'],
    [{ ins: { matricule: '241027512345695', kind: 'nir' } }, 'ins_key'],
    [{ ins: { matricule: '141027512345647', kind: 'nir' } }, 'ins_sex_mismatch'],
    [{ ins: { matricule: '242027512345645', kind: 'nir' } }, 'ins_birth_mismatch'],
    [{ ins: { matricule: '241037512345613', kind: 'nir' } }, 'ins_birth_mismatch'],
    [{ traits: { ...jeanne, birthName: '' } }, 'birth_name_invalid'],
  ] as const)('refuses %j: %s', (change, error) => {
    expect(parseIdentity({ ...qualified, ...change }, TODAY)).toEqual({ ok: false, error });
  });

  it('accepts a provisional or validated identity without an INS, and a NIR whose month was unknown', () => {
    for (const status of ['provisional', 'validated'] as const)
      expect(parseIdentity({ ...qualified, ins: null, status }, TODAY)).toMatchObject({
        ok: true,
        value: { ins: null },
      });
    expect(parseIdentity({ ...qualified, ins: { matricule: '241997512345694', kind: 'nia' } }, TODAY)).toMatchObject({
      ok: true,
      value: { ins: { oid: INS_OIDS.nia } },
    });
  });
});
