/**
 * Patients and their watches from the browser's API, against the real broker, ingest and web service:
 * a coordinator creates a patient (identity, contact, team) into one of their teams and enrols their
 * watch; the secret works once shown with a real MQTT client at the real broker; revoking it refuses
 * the watch at its next CONNECT and closes the connection it has; replacing does both in one step;
 * every change is in the change log, and every refusal has its code and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { parseEnrolmentUri } from '../devices/enrolment.ts';
import { deviceTopic } from '../devices/topics.ts';
import { adminPatientSchema, deviceViewSchema, enrolmentSchema, patientContactSchema } from '../web/api/schemas.ts';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { connect, end } from './support/mqtt.ts';

const clients: MqttClient[] = [];
const t = usePipeline(
  async () => {
    await Promise.all(clients.splice(0).map((client) => end(client, true)));
  },
  { revocationCheckMs: 50 },
);
const s = useFamilyStack(t);

const JEANNE = {
  birthName: 'MARTIN',
  firstNames: 'Jeanne Marie',
  usedName: 'DURAND',
  birthDate: '1941-02-03',
  sex: 'female',
  birthplace: '75112',
  ins: { matricule: '2 41 02 75 123 456 94', kind: 'nir' },
  status: 'qualified',
};
const CONTACT = {
  phone: '06 12 34 56 78',
  address: { street: '12 rue des Lilas', postcode: '75012', city: 'Paris' },
  gp: { name: 'Dr Anne Morel', phone: '01 43 00 00 00', rpps: '10003456789' },
};

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  fetch(`${s.webUrl}${path}`, {
    method,
    headers: { cookie, origin: s.webUrl, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function coordinator(email = 'coord@vigie.test') {
  return s.clinician({ name: 'Chloé Coordinatrice', email, role: 'coordinator' });
}

async function create(cookie: string, body: object) {
  return send('POST', '/api/admin/patients', cookie, {
    identity: JEANNE,
    contact: CONTACT,
    teamId: s.staffTeam,
    watch: null,
    ...body,
  });
}

/** Connects as the watch the enrolment names, with what the page showed. */
async function watchOf(enrolment: unknown) {
  const { uri, deviceId, secret, brokerUrl } = enrolmentSchema.parse(enrolment);
  const parsed = parseEnrolmentUri(uri);
  expect(parsed).toEqual({ ok: true, value: { brokerUrl, deviceId, secret } });
  const client = await connect(brokerUrl, { clientId: deviceId, username: deviceId, password: secret });
  clients.push(client);
  return { client, deviceId, secret, brokerUrl };
}

async function devices(patientId: string, cookie: string) {
  const res = await send('GET', `/api/console/patients/${patientId}/devices`, cookie);
  expect(res.status).toBe(200);
  return deviceViewSchema.array().parse(((await res.json()) as { devices: unknown }).devices);
}

async function changesOf(patientId: string, cookie: string) {
  const res = await send('GET', `/api/console/patients/${patientId}/changes`, cookie);
  const { changes } = (await res.json()) as { changes: Array<{ action: string; actor: string; detail: object }> };
  return changes.map((c) => [c.action, c.actor, c.detail]);
}

describe('creating a patient', () => {
  it('records identity, contact and team, enrols the watch, and logs both', async () => {
    const coord = await coordinator();
    const res = await create(coord.cookie, { watch: { deviceId: 'w-jeanne-01' } });
    expect(res.status).toBe(201);
    const { patientId, enrolment } = (await res.json()) as { patientId: string; enrolment: unknown };
    expect(enrolmentSchema.parse(enrolment)).toMatchObject({ deviceId: 'w-jeanne-01', brokerUrl: t.broker.url });

    // Stored as checked: identity, phone and GP's phone in E.164, address, team.
    expect(t.broker.registry.patientIdentity(patientId)?.ins?.matricule).toBe('2410275123456');
    expect(t.broker.registry.patientLabel(patientId)).toBe('Jeanne DURAND');
    const contact = await send('GET', `/api/console/patients/${patientId}/contact`, coord.cookie);
    expect(patientContactSchema.parse(((await contact.json()) as { contact: unknown }).contact)).toEqual({
      phone: '+33612345678',
      address: CONTACT.address,
      gp: { name: 'Dr Anne Morel', phone: '+33143000000', rpps: '10003456789' },
    });
    expect(s.people.patientTeams(patientId).map((team) => team.id)).toEqual([s.staffTeam]);

    // In the coordinator's list, with its team and one watch; the secret is nowhere but in the answer.
    const list = await send('GET', '/api/admin/patients', coord.cookie);
    const listed = (await list.json()) as { patients: unknown[]; teams: Array<{ id: string }> };
    const row = adminPatientSchema
      .array()
      .parse(listed.patients)
      .find((p) => p.id === patientId);
    expect(row).toMatchObject({ name: 'Jeanne DURAND', watches: 1, teams: [{ id: s.staffTeam, name: 'Équipe test' }] });
    expect(row?.identity?.status).toBe('qualified');
    expect(listed.teams.map((team) => team.id)).toEqual([s.staffTeam]);
    const { secret } = enrolmentSchema.parse(enrolment);
    expect(
      JSON.stringify(await (await send('GET', '/api/admin/changes', (await admin()).cookie)).json()),
    ).not.toContain(secret);

    expect(await changesOf(patientId, coord.cookie)).toEqual([
      ['device.enrolled', 'Chloé Coordinatrice', { deviceId: 'w-jeanne-01' }],
      ['patient.created', 'Chloé Coordinatrice', { label: 'Jeanne DURAND', status: 'qualified', teamId: s.staffTeam }],
    ]);

    // The watch connects with what was shown and publishes; the web service hears it.
    const watch = await watchOf(enrolment);
    await watch.client.publishAsync(
      deviceTopic(watch.deviceId, 'vitals'),
      JSON.stringify({ seq: 1, ts: Date.now(), hr: 72, battery: 64 }),
      { qos: 1 },
    );
    await expect
      .poll(async () => (await devices(patientId, coord.cookie))[0])
      .toMatchObject({ id: 'w-jeanne-01', kind: 'watch', online: true, battery: 64, revokedAt: null });
    expect((await devices(patientId, coord.cookie))[0]?.lastMessageAt).toBeGreaterThan(0);

    // What the watch says about itself (retained, at each connection) is shown beside its state.
    const info = { model: 'Vigie Watch S2', firmware: '2.4.1', hardware: 'rev C' };
    await watch.client.publishAsync(deviceTopic(watch.deviceId, 'info'), JSON.stringify(info), {
      qos: 1,
      retain: true,
    });
    await expect.poll(async () => (await devices(patientId, coord.cookie))[0]?.info).toEqual(info);
  });

  it('creates a patient without a watch, and an admin sees every patient of the registry', async () => {
    const boss = await admin();
    const otherTeam = s.people.team('Équipe Nord');
    const res = await create(boss.cookie, { teamId: otherTeam, contact: { phone: null, address: null, gp: null } });
    expect(res.status).toBe(201);
    const { patientId, enrolment } = (await res.json()) as { patientId: string; enrolment: unknown };
    expect(enrolment).toBeNull();
    expect(t.broker.registry.devicesOf(patientId)).toEqual([]);
    // A patient in no team at all (made by the provisioning CLI) is in the admin's list too.
    const loose = t.broker.registry.createPatient('Sans Équipe');
    const list = (await (await send('GET', '/api/admin/patients', boss.cookie)).json()) as {
      patients: Array<{ id: string; watches: number }>;
      teams: Array<{ name: string }>;
    };
    expect(list.patients.map((p) => p.id)).toEqual(expect.arrayContaining([patientId, loose]));
    expect(list.teams.map((team) => team.name)).toEqual(['Équipe Nord', 'Équipe test']);
    // The coordinator of the test team does not see the other team's patient.
    const coord = await coordinator();
    const theirs = (await (await send('GET', '/api/admin/patients', coord.cookie)).json()) as {
      patients: Array<{ id: string }>;
    };
    expect(theirs.patients.map((p) => p.id)).not.toContain(patientId);
  });

  it.each([
    ['a wrong INS key', { identity: { ...JEANNE, ins: { matricule: '2410275123456 95', kind: 'nir' } } }, 'ins_key'],
    ['a birth date in the future', { identity: { ...JEANNE, birthDate: '2999-01-01' } }, 'birth_date_future'],
    ['a malformed birth name', { identity: { ...JEANNE, birthName: 'M4RTIN' } }, 'birth_name_invalid'],
    ['a missing sex', { identity: { ...JEANNE, sex: undefined } }, 'invalid_request'],
    ['a bad phone', { contact: { ...CONTACT, phone: '12' } }, 'phone_invalid'],
    ['a bad GP phone', { contact: { ...CONTACT, gp: { ...CONTACT.gp, phone: 'abc' } } }, 'phone_invalid'],
    ['a bad GP RPPS', { contact: { ...CONTACT, gp: { ...CONTACT.gp, rpps: '12ab' } } }, 'rpps_invalid'],
    [
      'an oversized street',
      { contact: { ...CONTACT, address: { ...CONTACT.address, street: 'x'.repeat(201) } } },
      'invalid_request',
    ],
    ['a bad watch id', { watch: { deviceId: 'W_1' } }, 'device_id_invalid'],
    ['a team not theirs', { teamId: 'other' }, 'team_not_yours'],
  ])('refuses %s with its code and creates nothing', async (_what, body, code) => {
    const coord = await coordinator();
    if (code === 'team_not_yours') Object.assign(body, { teamId: s.people.team('Équipe Sud') });
    const before = t.broker.registry.patientIds();
    const res = await create(coord.cookie, body);
    expect(await codeOf(res)).toBe(code);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(t.broker.registry.patientIds()).toEqual(before);
  });

  it('refuses a taken watch id, and a clinician without the patients right', async () => {
    const { device } = await s.senior('M. Petit');
    const coord = await coordinator();
    const taken = await create(coord.cookie, { watch: { deviceId: device.deviceId } });
    expect(taken.status).toBe(409);
    expect(await codeOf(taken)).toBe('device_id_taken');

    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const refused = await create(doctor.cookie, {});
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe('role_not_allowed');
    expect(await codeOf(await send('GET', '/api/admin/patients', doctor.cookie))).toBe('role_not_allowed');
  });
});

async function admin() {
  return s.clinician({ name: 'Ada Admin', email: `ada-${Math.random()}@vigie.test`, role: 'admin' });
}

describe('a patient’s watches', () => {
  it('revokes a connected watch: the broker closes it and refuses it at CONNECT', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const coord = await coordinator();
    const enrolled = await send('POST', `/api/console/patients/${device.patientId}/devices`, coord.cookie, {});
    expect(enrolled.status).toBe(201);
    const watch = await watchOf(await enrolled.json());
    expect(watch.deviceId).toMatch(/^w-[0-9a-f]{12}$/);
    const closed = new Promise<void>((resolve) => watch.client.once('close', () => resolve()));

    const revoked = await send(
      'DELETE',
      `/api/console/patients/${device.patientId}/devices/${watch.deviceId}`,
      coord.cookie,
    );
    expect(revoked.status).toBe(204);
    await closed;
    await expect(
      connect(watch.brokerUrl, { clientId: watch.deviceId, username: watch.deviceId, password: watch.secret }),
    ).rejects.toThrow(/Not authorized/i);
    expect(
      (await devices(device.patientId, coord.cookie)).find((d) => d.id === watch.deviceId)?.revokedAt,
    ).toBeGreaterThan(0);

    // Revoking again, or a watch of another patient, is refused.
    const again = await send(
      'DELETE',
      `/api/console/patients/${device.patientId}/devices/${watch.deviceId}`,
      coord.cookie,
    );
    expect(await codeOf(again)).toBe('device_not_found');
    const other = await s.senior('M. Blanc');
    const foreign = await send(
      'DELETE',
      `/api/console/patients/${device.patientId}/devices/${other.device.deviceId}`,
      coord.cookie,
    );
    expect(await codeOf(foreign)).toBe('device_not_found');
    expect(t.broker.registry.device(other.device.deviceId)?.revoked).toBe(false);

    expect((await changesOf(device.patientId, coord.cookie)).slice(0, 2)).toEqual([
      ['device.revoked', 'Chloé Coordinatrice', { deviceId: watch.deviceId }],
      ['device.enrolled', 'Chloé Coordinatrice', { deviceId: watch.deviceId }],
    ]);
  });

  it('replaces a watch in one step: the new one connects, the old one is closed and refused', async () => {
    const { device } = await s.senior('Mme Garnier');
    const old = await connect(t.broker.url, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
    });
    clients.push(old);
    const closed = new Promise<void>((resolve) => old.once('close', () => resolve()));
    const coord = await coordinator();
    const res = await send(
      'POST',
      `/api/console/patients/${device.patientId}/devices/${device.deviceId}/replacement`,
      coord.cookie,
      { deviceId: 'w-garnier-02' },
    );
    expect(res.status).toBe(201);
    const watch = await watchOf(await res.json());
    expect(watch.deviceId).toBe('w-garnier-02');
    await closed;
    expect(t.broker.registry.device(device.deviceId)?.revoked).toBe(true);
    expect((await changesOf(device.patientId, coord.cookie))[0]).toEqual([
      'device.replaced',
      'Chloé Coordinatrice',
      { deviceId: 'w-garnier-02', replaced: device.deviceId },
    ]);
    // The replaced watch cannot be replaced again; a taken id is refused and nothing is revoked.
    const again = await send(
      'POST',
      `/api/console/patients/${device.patientId}/devices/${device.deviceId}/replacement`,
      coord.cookie,
      {},
    );
    expect(await codeOf(again)).toBe('device_not_found');
    const taken = await send(
      'POST',
      `/api/console/patients/${device.patientId}/devices/w-garnier-02/replacement`,
      coord.cookie,
      { deviceId: device.deviceId },
    );
    expect(await codeOf(taken)).toBe('device_id_taken');
    expect(t.broker.registry.device('w-garnier-02')?.revoked).toBe(false);
  });

  it('keeps the set-up to members with the right, of the patient’s team', async () => {
    const { device } = await s.senior('M. Henry');
    const carer = await s.clinician({ name: 'Léa Aide', email: 'lea@vigie.test', role: 'homecare' });
    for (const [method, path, body] of [
      ['GET', `/api/console/patients/${device.patientId}/devices`, undefined],
      ['POST', `/api/console/patients/${device.patientId}/devices`, {}],
      ['DELETE', `/api/console/patients/${device.patientId}/devices/${device.deviceId}`, undefined],
      ['PUT', `/api/console/patients/${device.patientId}/contact`, CONTACT],
    ] as const) {
      const res = await send(method, path, carer.cookie, body);
      expect(await codeOf(res), `${method} ${path}`).toBe('role_not_allowed');
    }
    // A coordinator of another team does not reach this patient.
    const outsider = await s.people.createPerson({ role: 'coordinator', name: 'Autre', email: 'autre@vigie.test' });
    const cookie = `vigie_session=${s.people.createSession(outsider.id, 3600_000).token}`;
    expect(await codeOf(await send('POST', `/api/console/patients/${device.patientId}/devices`, cookie, {}))).toBe(
      'patient_not_in_team',
    );
    expect(t.broker.registry.devicesOf(device.patientId)).toHaveLength(1);
    expect(t.broker.registry.device(device.deviceId)?.revoked).toBe(false);
  });

  it('refuses an unknown patient, a malformed or taken id, and changes nothing', async () => {
    const boss = await admin();
    const unknown = await send('POST', '/api/console/patients/p-nobody/devices', boss.cookie, {});
    expect(unknown.status).toBe(404);
    expect(await codeOf(unknown)).toBe('patient_not_found');
    expect(await codeOf(await send('GET', '/api/console/patients/p-nobody/contact', boss.cookie))).toBe(
      'patient_not_found',
    );
    const { device } = await s.senior('M. Faure');
    const path = `/api/console/patients/${device.patientId}/devices`;
    for (const [deviceId, code] of [
      ['W_1', 'device_id_invalid'],
      ['-w1', 'device_id_invalid'],
      ['x'.repeat(65), 'invalid_request'],
      [device.deviceId, 'device_id_taken'],
    ] as const) {
      const res = await send('POST', path, boss.cookie, { deviceId });
      expect(await codeOf(res), deviceId).toBe(code);
    }
    expect(await codeOf(await send('POST', path, boss.cookie, { deviceId: 7 }))).toBe('invalid_request');
    expect(t.broker.registry.devicesOf(device.patientId)).toHaveLength(1);
    expect(await changesOf(device.patientId, boss.cookie)).toEqual([]);
  });

  it('changes the contact: normalised, cleared with null, logged without the values', async () => {
    const { device } = await s.senior('Mme Roche');
    const nurse = await s.clinician({ name: 'Inès Infirmière', email: 'ines@vigie.test', role: 'nurse' });
    const path = `/api/console/patients/${device.patientId}/contact`;
    const set = await send('PUT', path, nurse.cookie, CONTACT);
    expect(set.status).toBe(200);
    expect(((await set.json()) as { contact: { phone: string } }).contact.phone).toBe('+33612345678');
    const cleared = await send('PUT', path, nurse.cookie, { phone: null, address: null, gp: null });
    expect(((await cleared.json()) as { contact: unknown }).contact).toEqual({ phone: null, address: null, gp: null });
    expect(t.broker.registry.patientContact(device.patientId)?.phone).toBeNull();
    expect((await changesOf(device.patientId, nurse.cookie)).slice(0, 2)).toEqual([
      ['patient.contact', 'Inès Infirmière', { phone: false, address: false, gp: false }],
      ['patient.contact', 'Inès Infirmière', { phone: true, address: true, gp: true }],
    ]);
    const bad = await send('PUT', path, nurse.cookie, { ...CONTACT, phone: '+0' });
    expect(await codeOf(bad)).toBe('phone_invalid');
  });
});
