/**
 * The care team records a patient's identity (traits, INS, status) through the web API, against the
 * real services: every refusal has its own code and stores nothing, and the INS is in the answers
 * only while the identity is qualified.
 */
import { describe, expect, it } from 'vitest';
import { INS_OIDS } from '../common/ins.ts';
import { consoleRowSchema } from '../web/api/schemas.ts';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { signIn } from './support/cookies.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const JEANNE = {
  birthName: 'Martin',
  firstNames: 'Jeanne Marie',
  birthDate: '1941-02-03',
  sex: 'female',
  birthplace: '75112',
  ins: { matricule: '2 41 02 75 123 456 94', kind: 'nir' },
  status: 'qualified',
};

function put(patientId: string, body: unknown, auth: { cookie: string } | { token: string } | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: s.webUrl };
  if (auth && 'cookie' in auth) headers.cookie = auth.cookie;
  if (auth && 'token' in auth) headers.authorization = `Bearer ${auth.token}`;
  return fetch(`${s.webUrl}/api/console/patients/${patientId}/identity`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(body),
  });
}
async function row(patientId: string) {
  const res = await fetch(`${s.webUrl}/api/console/patients/${patientId}`, {
    headers: { authorization: `Bearer ${s.staffToken}` },
  });
  expect(res.status).toBe(200);
  return consoleRowSchema.parse(((await res.json()) as { patient: unknown }).patient);
}

describe("a patient's identity over the API", () => {
  it('is recorded, shown with its INS while qualified, and without it otherwise', async () => {
    const { device } = await s.senior('Mme Martin');
    expect((await row(device.patientId)).identity).toBeNull();
    const res = await put(device.patientId, JEANNE, { token: s.staffToken });
    expect(res.status).toBe(200);
    const qualified = {
      birthName: 'MARTIN',
      firstNames: 'Jeanne Marie',
      usedName: null,
      birthDate: '1941-02-03',
      sex: 'female',
      birthplace: '75112',
      status: 'qualified',
      ins: { matricule: '2410275123456', key: '94', oid: INS_OIDS.nir },
    };
    expect(await res.json()).toEqual({ identity: qualified });
    expect((await row(device.patientId)).identity).toEqual(qualified);
    const list = await fetch(`${s.webUrl}/api/console/patients`, {
      headers: { authorization: `Bearer ${s.staffToken}` },
    });
    expect(JSON.stringify(await list.json())).toContain('"matricule":"2410275123456"');
    expect(t.broker.registry.patientContact(device.patientId)?.sex).toBe('female');

    for (const status of ['recovered', 'validated'] as const) {
      const changed = await put(device.patientId, { ...JEANNE, status }, { token: s.staffToken });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ identity: { status, ins: null } });
      expect((await row(device.patientId)).identity).toMatchObject({ status, ins: null });
      const list2 = await fetch(`${s.webUrl}/api/console/patients`, {
        headers: { authorization: `Bearer ${s.staffToken}` },
      });
      expect(JSON.stringify(await list2.json())).not.toContain('2410275123456');
    }
    // Stored all the same: qualifying the identity again shows it.
    expect(t.broker.registry.patientIdentity(device.patientId)?.ins?.matricule).toBe('2410275123456');
  });

  it.each([
    [{ ins: { matricule: '24102751234569', kind: 'nir' } }, 'ins_length'],
    [{ ins: { matricule: '24102751234X694', kind: 'nir' } }, 'ins_characters'],
    [{ ins: { matricule: '541027512345694', kind: 'nir' } }, 'ins_sex_digit'],
    [{ ins: { matricule: '241137512345694', kind: 'nir' } }, 'ins_month'],
    [{ ins: { matricule: '241027512345695', kind: 'nir' } }, 'ins_key'],
    [{ ins: { matricule: '141027512345647', kind: 'nir' } }, 'ins_sex_mismatch'],
    [{ ins: { matricule: '242027512345645', kind: 'nir' } }, 'ins_birth_mismatch'],
    [{ ins: null }, 'identity_ins_required'],
    [{ birthName: 'Martin2' }, 'birth_name_invalid'],
    [{ firstNames: '' }, 'first_names_invalid'],
    [{ usedName: 'Dupont!' }, 'used_name_invalid'],
    [{ birthDate: '1941-02-30' }, 'birth_date_invalid'],
    [{ birthDate: '2999-01-01' }, 'birth_date_future'],
    [{ birthplace: '751' }, 'birthplace_invalid'],
    [{ status: 'certified' }, 'invalid_request'],
    [{ sex: 'x' }, 'invalid_request'],
    [{ ins: { matricule: '241027512345694', kind: 'nip' } }, 'invalid_request'],
    [{ birthName: undefined }, 'invalid_request'],
  ])('refuses %j with %s and stores nothing', async (change, code) => {
    const { device } = await s.senior('Mme Martin');
    const res = await put(device.patientId, { ...JEANNE, ...change }, { token: s.staffToken });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
    expect(t.broker.registry.patientIdentity(device.patientId)).toBeNull();
  });

  it('is for the care team of the patient only', async () => {
    const { device } = await s.senior('Mme Martin');
    expect(await (await put(device.patientId, JEANNE, null)).json()).toMatchObject({
      error: { code: 'sign_in_required' },
    });
    const relative = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const byRelative = await put(device.patientId, JEANNE, { cookie: relative.cookie });
    expect(byRelative.status).toBe(403);
    expect(await byRelative.json()).toMatchObject({ error: { code: 'staff_only' } });
    const other = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Sud',
      email: 'sud@ch.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.people.team('Sud'), { people: [other.id] });
    const cookie = await signIn(s.webUrl, 'sud@ch.test', FAMILY_PASSWORD);
    for (const patientId of [device.patientId, 'p-unknown']) {
      const res = await put(patientId, JEANNE, { cookie });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'patient_not_in_team' } });
    }
    expect(t.broker.registry.patientIdentity(device.patientId)).toBeNull();
  });
});
