/**
 * The FHIR R4 API against the real broker, ingest, InfluxDB and web service: readings published by
 * a real watch come back as Observations; every resource the API sends here is checked by Medplum's
 * R4 validator (tests/support/fhir.ts) and its codes against the ones we mean to send; pages follow
 * their next links to the end without loss or repetition; a patient of another team is as unknown
 * as one that does not exist; a home-care worker gets no Observation; the INS goes out only with a
 * qualified identity; and each read of a patient's record is logged.
 */
import { describe, expect, it } from 'vitest';
import { parseIdentity } from '../common/ins.ts';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { connect, end, eventually } from './support/mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import { validFhir } from './support/fhir.ts';

const t = usePipeline();
const s = useFamilyStack(t);

type Json = Record<string, unknown>;
interface Entry {
  resource: Json & { id: string; resourceType: string };
}
interface Bundle extends Json {
  entry?: Entry[];
  link: Array<{ relation: string; url: string }>;
  total?: number;
}

async function fhir(path: string, auth: { cookie?: string; token?: string } | null = { token: s.staffToken }) {
  const res = await fetch(path.startsWith('http') ? path : `${s.webUrl}/fhir/R4${path}`, {
    headers: {
      accept: 'application/fhir+json',
      ...(auth?.cookie ? { cookie: auth.cookie } : {}),
      ...(auth?.token ? { authorization: `Bearer ${auth.token}` } : {}),
    },
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const body: unknown = await res.json();
  validFhir(body);
  return { status: res.status, body: body as Json };
}

const bundleOf = (body: Json) => body as Bundle;
const resources = (body: Json) => (bundleOf(body).entry ?? []).map((e) => e.resource);
const codeOf = (body: Json) =>
  (body as { issue: Array<{ details: { coding: Array<{ code: string }> } }> }).issue[0]?.details.coding[0]?.code;

function setIdentity(patientId: string, status: 'qualified' | 'recovered') {
  const identity = parseIdentity(
    {
      traits: {
        birthName: 'MARTIN',
        firstNames: 'Jeanne Marie',
        usedName: 'DUPONT',
        birthDate: '1941-02-03',
        sex: 'female',
        birthplace: '75112',
      },
      ins: { matricule: '2410275123456 94', kind: 'nir' },
      status,
    },
    '2026-01-01',
  );
  if (!identity.ok) throw new Error(identity.error);
  t.broker.registry.setPatientIdentity(patientId, identity.value);
}

/** Another care team with its own patient and member, to check that nobody else's shows. */
async function otherTeam() {
  const patientId = t.broker.registry.createPatient('Autre patient');
  const team = s.people.team('Équipe sud');
  const { person } = await s.people.createStaff({
    role: 'clinician',
    name: 'Dr Sud',
    email: 'sud@vigie.test',
    rpps: '10101010101',
  });
  s.people.addToTeam(team, { patients: [patientId], people: [person.id] });
  return { patientId, staffId: person.id };
}

describe('FHIR R4 API', () => {
  it('says what it serves in its CapabilityStatement, to anyone', async () => {
    const { status, body } = await fhir('/metadata', null);
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' });
    const rest = (body as { rest: Array<{ resource: Array<{ type: string; interaction: Array<{ code: string }> }> }> })
      .rest[0];
    expect(rest?.resource.map((r) => r.type)).toEqual([
      'Patient',
      'Practitioner',
      'Device',
      'RelatedPerson',
      'Observation',
      'Flag',
      'Communication',
      'Encounter',
      'Appointment',
      'DocumentReference',
      'Binary',
      'Group',
    ]);
    for (const r of rest?.resource ?? [])
      expect(r.interaction.map((i) => i.code)).toEqual(
        r.type === 'Group' || r.type === 'Binary' ? ['read'] : ['read', 'search-type'],
      );
  });

  it('sends a patient with strict traits, the INS only when the identity is qualified, and logs the read', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    t.broker.registry.setPatientContact(id, { phone: '+33612345678' });
    t.broker.registry.setPatientDetails(id, {
      address: { street: '3 rue des Lilas', postcode: '75011', city: 'Paris' },
      gp: { name: 'Dr Paul Durand', phone: null, rpps: '10003456789' },
    });
    const nurse = await s.clinician({ name: 'Nina Nurse', email: 'nina@vigie.test', role: 'nurse' });

    // Recovered from the INSi teleservice but no identity document seen: the INS stays inside.
    setIdentity(id, 'recovered');
    const recovered = await fhir(`/Patient/${id}`, { cookie: nurse.cookie });
    expect(recovered.status).toBe(200);
    expect(recovered.body.identifier).toBeUndefined();
    expect(recovered.body).toMatchObject({
      resourceType: 'Patient',
      id,
      extension: [
        {
          url: 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability',
          extension: [
            {
              url: 'identityStatus',
              valueCoding: {
                system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status',
                code: 'RECUP',
              },
            },
          ],
        },
        {
          url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
          valueAddress: {
            extension: [
              {
                url: 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code',
                valueCoding: { code: '75112' },
              },
            ],
          },
        },
      ],
      name: [
        { use: 'official', family: 'MARTIN', given: ['Jeanne', 'Marie'] },
        { use: 'usual', family: 'DUPONT' },
      ],
      gender: 'female',
      birthDate: '1941-02-03',
      telecom: [{ system: 'phone', value: '+33612345678' }],
      address: [{ line: ['3 rue des Lilas'], postalCode: '75011', city: 'Paris' }],
      generalPractitioner: [
        { display: 'Dr Paul Durand', identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '10003456789' } },
      ],
    });
    const ins = 'urn:oid:1.2.250.1.213.1.4.8|241027512345694';
    expect(resources((await fhir(`/Patient?identifier=${encodeURIComponent(ins)}`)).body)).toEqual([]);

    setIdentity(id, 'qualified');
    const qualified = await fhir(`/Patient/${id}`, { cookie: nurse.cookie });
    expect(JSON.stringify(qualified.body.extension)).toContain('"code":"QUAL"');
    expect(qualified.body.identifier).toEqual([
      { use: 'official', system: 'urn:oid:1.2.250.1.213.1.4.8', value: '241027512345694' },
    ]);
    const byIns = await fhir(`/Patient?identifier=${encodeURIComponent(ins)}`);
    expect(resources(byIns.body).map((r) => r.id)).toEqual([id]);
    expect(bundleOf(byIns.body)).toMatchObject({ type: 'searchset', total: 1 });
    expect(resources((await fhir(`/Patient?_id=${id}`)).body).map((r) => r.id)).toEqual([id]);

    const reads = s.reads.list({ patientId: id });
    expect(reads.find((r) => r.personId === nurse.personId)).toMatchObject({
      what: 'record',
      channel: 'page',
      count: 2,
    });
    expect(reads.some((r) => r.channel === 'api_token' && r.what === 'record')).toBe(true);
  });

  it('answers an unknown and a foreign patient alike, and refuses with OperationOutcomes', async () => {
    const other = await otherTeam();
    const foreign = await fhir(`/Patient/${other.patientId}`);
    const unknown = await fhir('/Patient/p-000000000000');
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(foreign.body.issue).toEqual(unknown.body.issue);
    expect(codeOf(foreign.body)).toBe('patient_not_found');
    expect(resources((await fhir(`/Patient?_id=${other.patientId}`)).body)).toEqual([]);
    expect((await fhir(`/Observation?patient=${other.patientId}`)).status).toBe(404);
    expect((await fhir(`/Device?patient=Patient/${other.patientId}`)).status).toBe(404);
    expect(s.reads.list({ patientId: other.patientId })).toEqual([]);

    const signedOut = await fhir('/Patient', null);
    expect(signedOut.status).toBe(401);
    expect(signedOut.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    const bad = await fhir('/Patient?name=x');
    expect([bad.status, codeOf(bad.body)]).toEqual([400, 'invalid_request']);
    const { device } = await s.senior('Jeanne Martin');
    for (const query of ['_count=0', '_count=501', 'date=2026-13-45', 'date=ap2026-01-01', '_cursor=abc', 'foo=1']) {
      const refused = await fhir(`/Observation?patient=${device.patientId}&${query}`);
      expect([query, refused.status]).toEqual([query, 400]);
    }
    expect((await fhir('/Basic/1')).status).toBe(404);
  });

  it('lists the staff of the member’s teams as Practitioners, with their RPPS', async () => {
    const other = await otherTeam();
    const { person } = await s.people.createStaff({
      role: 'clinician',
      name: 'Dr Claire Nord',
      email: 'claire@vigie.test',
      rpps: '10000000001',
    });
    s.people.addToTeam(s.staffTeam, { people: [person.id] });
    const read = await fhir(`/Practitioner/${person.id}`);
    expect(read.body).toMatchObject({
      resourceType: 'Practitioner',
      active: true,
      name: [{ text: 'Dr Claire Nord' }],
      identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '10000000001' }],
    });
    const all = resources((await fhir('/Practitioner')).body).map((r) => r.id);
    expect(all).toContain(person.id);
    expect(all).not.toContain(other.staffId);
    expect((await fhir(`/Practitioner/${other.staffId}`)).status).toBe(404);
    const byRpps = await fhir(
      `/Practitioner?identifier=${encodeURIComponent('urn:oid:1.2.250.1.71.4.2.1|10000000001')}`,
    );
    expect(resources(byRpps.body).map((r) => r.id)).toEqual([person.id]);
  });

  it('sends the patient’s devices, active or revoked', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const spare = await t.broker.registry.addDevice(device.patientId, 'spare-watch-1');
    t.broker.registry.revokeDevice(spare.deviceId);
    const found = await fhir(`/Device?patient=${device.patientId}`);
    const byId = Object.fromEntries(resources(found.body).map((r) => [r.id, r]));
    expect(byId[device.deviceId]).toMatchObject({
      status: 'active',
      patient: { reference: `Patient/${device.patientId}` },
    });
    expect(byId[spare.deviceId]).toMatchObject({ status: 'inactive' });
    expect((await fhir(`/Device/${device.deviceId}`)).body).toMatchObject({ id: device.deviceId, status: 'active' });

    // A gateway that says what it is (retained `info`) is sent with its model and firmware.
    const gateway = await t.broker.registry.addDevice(device.patientId, 'gw-jeanne-1', 'ble-gateway');
    const client = await connect(t.broker.url, {
      clientId: gateway.deviceId,
      username: gateway.deviceId,
      password: gateway.secret,
    });
    try {
      const info = { model: 'Tablette A9', firmware: '1.2.0' };
      await client.publishAsync(deviceTopic(gateway.deviceId, 'info'), JSON.stringify(info), { qos: 1, retain: true });
      await expect
        .poll(async () => (await fhir(`/Device/${gateway.deviceId}`)).body)
        .toMatchObject({
          status: 'active',
          type: { text: 'Bluetooth gateway (tablet)' },
          deviceName: [{ name: 'Tablette A9', type: 'model-name' }],
          version: [{ value: '1.2.0' }],
        });
    } finally {
      await end(client, true);
    }
    const other = await otherTeam();
    const foreign = await t.broker.registry.addDevice(other.patientId, 'w-sud-1');
    expect((await fhir(`/Device/${foreign.deviceId}`)).status).toBe(404);
    expect((await fhir('/Device/w-nobody')).status).toBe(404);
  });

  it('sends readings as vital-signs Observations, paged by time without loss or repetition', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const base = Date.now() - 40 * 60_000;
    const samples = Array.from({ length: 30 }, (_, i) => ({
      ts: base + i * 60_000,
      seq: i + 1,
      hr: 60 + i,
      ...(i % 2 === 0 ? { spo2: 95 } : {}),
      ...(i % 3 === 0 ? { sys: 120 + i, dia: 80 } : {}),
      ...(i % 5 === 0 ? { temp: 36.8 } : {}),
      ...(i % 4 === 0 ? { rr: 16 } : {}),
      ...(i === 0 ? { weight: 61.5 } : {}),
      ...(i === 1 ? { glucose: 5.4 } : {}),
    }));
    await publish('vitals', { samples });
    // hr 30, spo2 15, bp 10, temp 6, rr 8, weight 1, glucose 1
    const expected = 71;
    const all = await eventually(
      async () => {
        const r = resources((await fhir(`/Observation?patient=${id}&_count=500`)).body);
        expect(r.length).toBe(expected);
        return r;
      },
      20_000,
      250,
    );
    const loinc = (r: Json) => (r.code as { coding: Array<{ system: string; code: string }> }).coding;
    const units = new Map<string, string>();
    for (const r of all) {
      const coding = loinc(r)[0];
      expect(coding?.system).toBe('http://loinc.org');
      const q = r.valueQuantity as { system: string; code: string } | undefined;
      if (q) {
        expect(q.system).toBe('http://unitsofmeasure.org');
        units.set(coding?.code ?? '', q.code);
      }
      expect(r).toMatchObject({ status: 'final', subject: { reference: `Patient/${id}` } });
      expect(r.device).toEqual({ reference: `Device/${device.deviceId}` });
    }
    expect(Object.fromEntries(units)).toEqual({
      '8867-4': '/min',
      '59408-5': '%',
      '8310-5': 'Cel',
      '9279-1': '/min',
      '29463-7': 'kg',
      '15074-8': 'mmol/L',
    });
    const bp = all.filter((r) => loinc(r)[0]?.code === '85354-9');
    expect(bp).toHaveLength(10);
    expect(bp[0]).toMatchObject({
      category: [{ coding: [{ code: 'vital-signs' }] }],
      component: [
        { code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 147, code: 'mm[Hg]' } },
        { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 80, code: 'mm[Hg]' } },
      ],
      effectiveDateTime: new Date(base + 27 * 60_000).toISOString(),
    });

    // Page by 7: the next links lead to the end, every Observation once, newest first.
    const seen: string[] = [];
    let url: string | undefined = `/Observation?patient=${id}&_count=7`;
    let pages = 0;
    while (url) {
      const page = bundleOf((await fhir(url)).body);
      const ids = resources(page).map((r) => r.id);
      expect(ids.length).toBeLessThanOrEqual(7);
      seen.push(...ids);
      url = page.link.find((l) => l.relation === 'next')?.url;
      pages += 1;
      expect(pages).toBeLessThan(40);
    }
    expect(seen).toHaveLength(expected);
    expect(new Set(seen).size).toBe(expected);
    expect(new Set(seen)).toEqual(new Set(all.map((r) => r.id)));

    // 50 by default; a page of one holds one, even where a reading gives several Observations.
    const first = bundleOf((await fhir(`/Observation?patient=${id}`)).body);
    expect(resources(first)).toHaveLength(50);
    expect(first.link.map((l) => l.relation)).toEqual(['self', 'next']);
    let single: string | undefined = `/Observation?patient=${id}&_count=1`;
    const singles: string[] = [];
    while (single && singles.length < 8) {
      const page = bundleOf((await fhir(single)).body);
      expect(resources(page)).toHaveLength(1);
      singles.push(...resources(page).map((r) => r.id));
      single = page.link.find((l) => l.relation === 'next')?.url;
    }
    expect(singles).toEqual(seen.slice(0, 8));

    // A code and a time range: the heart rates of minutes 10 to 19.
    const query = new URLSearchParams({ patient: id, code: 'http://loinc.org|8867-4', _count: '4' });
    query.append('date', `ge${new Date(base + 10 * 60_000).toISOString()}`);
    query.append('date', `lt${new Date(base + 20 * 60_000).toISOString()}`);
    const rates: number[] = [];
    let next: string | undefined = `/Observation?${query}`;
    while (next) {
      const page = bundleOf((await fhir(next)).body);
      rates.push(...resources(page).map((r) => (r.valueQuantity as { value: number }).value));
      next = page.link.find((l) => l.relation === 'next')?.url;
    }
    expect(rates).toEqual([79, 78, 77, 76, 75, 74, 73, 72, 71, 70]);
    const day = new Date(base).toISOString().slice(0, 10);
    const before = await fhir(`/Observation?patient=${id}&date=lt${day}`);
    expect(resources(before.body)).toEqual([]);

    // An Observation reads back by its id.
    const one = all[0];
    expect((await fhir(`/Observation/${one?.id}`)).body).toEqual(one);
    expect(s.reads.list({ patientId: id }).some((r) => r.what === 'vitals' && r.channel === 'api_token')).toBe(true);
  });

  it('gives a home-care worker the patient but no Observation', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 70 });
    const homecare = await s.clinician({ name: 'Hugo Aide', email: 'hugo@vigie.test', role: 'homecare' });
    expect((await fhir(`/Patient/${device.patientId}`, { cookie: homecare.cookie })).status).toBe(200);
    const search = await fhir(`/Observation?patient=${device.patientId}`, { cookie: homecare.cookie });
    expect([search.status, codeOf(search.body)]).toEqual([403, 'role_not_allowed']);
    const read = await fhir(`/Observation/${device.patientId}.hr.1`, { cookie: homecare.cookie });
    expect(read.status).toBe(403);
    expect(s.reads.list({ patientId: device.patientId, personId: homecare.personId }).map((r) => r.what)).toEqual([
      'record',
    ]);
  });
});
