/**
 * The FHIR R4 resources made from Vigie's records of care, against the real broker, ingest and web
 * service: a fall and an SOS sent by a real watch come back as Flags (SNOMED CT for the fall, the
 * watch as author, inactive once resolved); coordination notes as Communications; scheduled
 * consultations as Appointments (booked, cancelled, fulfilled, missed); teleconsultations as
 * Encounters of class VR; signed reports as DocumentReferences (current and superseded). Every
 * resource validates (Medplum's R4 validator); a patient of another team is as unknown as a record that
 * does not exist; roles without the right get 403; pages follow their next links without loss or
 * repetition; every write answers 405; each read is in the record-reads log.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import { sendAs } from './support/cookies.ts';
import { validFhir } from './support/fhir.ts';
import { readPdf } from './support/pdf.ts';
import type { ReportContent } from '../web/api/schemas.ts';

const t = usePipeline();
const s = useFamilyStack(t);

type Json = Record<string, unknown>;
type Resource = Json & { id: string; resourceType: string };
interface Bundle extends Json {
  entry?: Array<{ resource: Resource }>;
  link: Array<{ relation: string; url: string }>;
  total?: number;
}
type Auth = { cookie?: string; token?: string } | null;

async function fhir(path: string, auth: Auth = { token: s.staffToken }, method = 'GET') {
  const res = await fetch(path.startsWith('http') ? path : `${s.webUrl}/fhir/R4${path}`, {
    method,
    headers: {
      accept: 'application/fhir+json',
      ...(auth?.cookie ? { cookie: auth.cookie } : {}),
      ...(auth?.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...(method === 'GET' ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify({ resourceType: 'Patient' }) }),
  });
  expect([path, res.headers.get('content-type')]).toEqual([path, expect.stringMatching(/^application\/fhir\+json/)]);
  const body: unknown = await res.json();
  validFhir(body);
  return { status: res.status, body: body as Json, headers: res.headers };
}

const bundleOf = (body: Json) => body as Bundle;
const resources = (body: Json) => (bundleOf(body).entry ?? []).map((e) => e.resource);
const codeOf = (body: Json) =>
  (body as { issue: Array<{ details: { coding: Array<{ code: string }> } }> }).issue[0]?.details.coding[0]?.code;
const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);

/** Every resource of a search, following its next links; each page holds at most `count`. */
async function allPages(first: string, count: number, auth: Auth = { token: s.staffToken }) {
  const seen: Resource[] = [];
  let url: string | undefined = first;
  let pages = 0;
  while (url) {
    const { status, body } = await fhir(url, auth);
    expect(status).toBe(200);
    const page = resources(body);
    expect(page.length).toBeLessThanOrEqual(count);
    seen.push(...page);
    url = bundleOf(body).link.find((l) => l.relation === 'next')?.url;
    pages += 1;
    expect(pages).toBeLessThan(50);
  }
  return { seen, pages };
}

/** Another care team with its own patient and member. */
async function otherTeam() {
  const { device, publish } = await s.senior('Autre patient');
  s.people.removeFromTeam(s.staffTeam, { patients: [device.patientId] });
  const team = s.people.team('Équipe sud');
  const { person } = await s.people.createStaff({ role: 'clinician', name: 'Dr Sud', email: 'sud@vigie.test' });
  s.people.addToTeam(team, { patients: [device.patientId], people: [person.id] });
  const cookie = `vigie_session=${s.people.createSession(person.id, 3600_000).token}`;
  return { patientId: device.patientId, staffId: person.id, cookie, publish };
}

const CONTENT: ReportContent = {
  reason: 'Essoufflement signalé par la fille',
  observations: 'Patiente calme, parole fluide.',
  vitals: { hr: 88, spo2: 94, sys: 132, dia: 78, temp: 37.2, rr: 18 },
  conclusion: 'Pas de signe de gravité',
  followUp: 'Rappel dans 48 heures.',
};

describe('FHIR R4 resources of care', () => {
  it('sends a fall and an SOS as Flags, the fall coded with SNOMED CT, inactive once resolved', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const fallAt = Date.now() - 2_000;
    await publish('events', { ts: fallAt, seq: 1, type: 'fall', confidence: 0.9 });
    await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    const flags = await eventually(
      async () => {
        const found = resources((await fhir(`/Flag?patient=${id}`)).body);
        expect(found.map((f) => (f.code as { coding: Array<{ code: string }> }).coding.at(-1)?.code).sort()).toEqual([
          'fall',
          'sos',
        ]);
        return found;
      },
      20_000,
      250,
    );
    const fall = flags.find((f) => JSON.stringify(f.code).includes('1912002'));
    const sos = flags.find((f) => f !== fall);
    expect(fall).toMatchObject({
      resourceType: 'Flag',
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'safety' }] }],
      code: {
        coding: [
          { system: 'http://snomed.info/sct', code: '1912002', display: 'Fall' },
          { system: 'urn:vigie:alert-kind', code: 'fall' },
        ],
      },
      subject: { reference: `Patient/${id}` },
      author: { reference: `Device/${device.deviceId}` },
      extension: [{ valueCodeableConcept: { coding: [{ code: 'PH' }] } }],
    });
    expect(fall?.period).not.toHaveProperty('end');
    // Newest first: the SOS came after the fall.
    expect(flags.map((f) => f.id)).toEqual([sos?.id, fall?.id]);
    expect((await fhir(`/Flag/${fall?.id}`)).body).toEqual(fall);

    // Resolved with a note: the Flag is inactive, its period closed, and the note is a Communication about it.
    const nurse = await s.clinician({ name: 'Nina Nurse', email: 'nina@vigie.test', role: 'nurse' });
    const resolved = await send('POST', `/api/alerts/${sos?.id}/actions`, nurse.cookie, {
      action: { action: 'resolve', note: 'Appui involontaire, tout va bien' },
    });
    expect(resolved.status).toBe(200);
    const closed = (await fhir(`/Flag/${sos?.id}`)).body;
    expect(closed).toMatchObject({ status: 'inactive', period: { end: expect.any(String) } });
    const notes = resources((await fhir(`/Communication?patient=${id}`)).body);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      about: [{ reference: `Flag/${sos?.id}` }],
      sender: { reference: `Practitioner/${nurse.personId}`, display: 'Nina Nurse' },
      payload: [{ contentString: 'Appui involontaire, tout va bien' }],
    });

    // By date: nothing opened before the fall's day; both on and after it.
    const day = new Date(fallAt).toISOString().slice(0, 10);
    expect(resources((await fhir(`/Flag?patient=${id}&date=lt${day}`)).body)).toEqual([]);
    expect(resources((await fhir(`/Flag?patient=Patient/${id}&date=ge${day}`)).body)).toHaveLength(2);
    const { seen } = await allPages(`/Flag?patient=${id}&_count=1`, 1);
    expect(seen.map((f) => f.id)).toEqual([sos?.id, fall?.id]);
    expect(s.reads.list({ patientId: id }).some((r) => r.what === 'alerts' && r.channel === 'api_token')).toBe(true);
  });

  it('sends the coordination notes as Communications, paged by time without loss or repetition', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const texts = Array.from({ length: 7 }, (_, i) => `Note ${i + 1} : passage de l’aide-soignante`);
    for (const text of texts) {
      const res = await send('POST', `/api/console/patients/${id}/notes`, doctor.cookie, { text });
      expect(res.status).toBe(201);
    }
    const { seen, pages } = await allPages(`/Communication?patient=${id}&_count=3`, 3);
    expect(pages).toBe(3);
    expect(seen.map((c) => (c.payload as Array<{ contentString: string }>)[0]?.contentString)).toEqual(
      [...texts].reverse(),
    );
    expect(new Set(seen.map((c) => c.id)).size).toBe(7);
    const first = seen[0];
    expect(first).toMatchObject({
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: `Patient/${id}` },
      sender: { reference: `Practitioner/${doctor.personId}`, display: 'Dr Roux' },
      sent: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await fhir(`/Communication/${first?.id}`)).body).toEqual(first);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(resources((await fhir(`/Communication?patient=${id}&sent=ge${tomorrow}`)).body)).toEqual([]);
    expect(bundleOf((await fhir(`/Communication?patient=${id}&_count=2`)).body).total).toBe(7);

    // A home-care worker reads the notes, as in the console.
    const aide = await s.clinician({ name: 'Hugo Aide', email: 'hugo@vigie.test', role: 'homecare' });
    expect(resources((await fhir(`/Communication?patient=${id}`, { cookie: aide.cookie })).body)).toHaveLength(7);
    expect(s.reads.list({ patientId: id, personId: aide.personId }).map((r) => r.what)).toEqual(['notes']);
  });

  it('sends scheduled consultations as Appointments and held ones as Encounters of class VR', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const relative = await s.family(id, { name: 'Claire Martin', email: 'claire@vigie.test' });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const book = async (startsAt: number, reason: string) => {
      const res = await send('POST', `/api/console/patients/${id}/appointments`, doctor.cookie, {
        startsAt,
        minutes: 30,
        reason,
        inviteFamily: true,
      });
      expect(res.status).toBe(201);
      return z.object({ appointment: z.object({ id: z.string() }) }).parse(await res.json()).appointment.id;
    };
    const hour = 3600_000;
    const booked = await book(Date.now() + 2 * hour, 'Suivi de la tension');
    const cancelled = await book(Date.now() + 26 * hour, 'Point mensuel');
    expect((await send('DELETE', `/api/console/appointments/${cancelled}`, doctor.cookie)).status).toBe(204);
    // Two consultations whose time has passed: booked while the appointments' clock ran 3 hours behind.
    s.appointmentsClock.aheadMs = -3 * hour;
    const held = await book(Date.now() - 2 * hour, 'Résultats de la prise de sang');
    const missed = await book(Date.now() - 1 * hour, 'Contrôle');
    s.appointmentsClock.aheadMs = 0;
    // The consultation held for the first one, opened 5 minutes after its start; its links expired long ago.
    const roomId = 'c-00000000-0000-4000-8000-000000000001';
    const heldAt = Date.now() - 2 * hour + 5 * 60_000;
    s.reports.recordConsultation({
      roomId,
      patientId: id,
      clinicianId: doctor.personId,
      startedAt: heldAt,
      expiresAt: Date.now() - hour,
      inviteFamily: true,
      appointmentId: held,
    });
    // The senior joined it (the call page took its link then): held.
    s.appointments.fulfil(held);

    const appointments = resources((await fhir(`/Appointment?patient=${id}`)).body);
    const byId = Object.fromEntries(appointments.map((a) => [a.id, a]));
    expect(appointments.map((a) => a.id)).toEqual([cancelled, booked, missed, held]);
    expect(byId[booked]).toMatchObject({
      status: 'booked',
      reasonCode: [{ text: 'Suivi de la tension' }],
      minutesDuration: 30,
      participant: [
        { actor: { reference: `Patient/${id}` }, status: 'needs-action' },
        { actor: { reference: `Practitioner/${doctor.personId}`, display: 'Dr Roux' }, status: 'accepted' },
        {
          actor: { reference: `RelatedPerson/${id}.${relative.personId}`, display: 'Claire Martin' },
          status: 'needs-action',
        },
      ],
    });
    // The relative is there to be read, with her relation and no contact details.
    const relatedPerson = (await fhir(`/RelatedPerson/${id}.${relative.personId}`)).body;
    expect(relatedPerson).toMatchObject({
      resourceType: 'RelatedPerson',
      patient: { reference: `Patient/${id}` },
      name: [{ text: 'Claire Martin' }],
    });
    expect(JSON.stringify(relatedPerson)).not.toContain('@');
    expect(resources((await fhir(`/RelatedPerson?patient=${id}`)).body).map((r) => r.id)).toEqual([
      `${id}.${relative.personId}`,
    ]);
    expect((await fhir(`/RelatedPerson/${id}.u-000000000000`)).status).toBe(404);
    const start = Date.parse(String(byId[booked]?.start));
    expect(Date.parse(String(byId[booked]?.end)) - start).toBe(30 * 60_000);
    expect(byId[cancelled]).toMatchObject({ status: 'cancelled' });
    expect(byId[held]).toMatchObject({ status: 'fulfilled' });
    expect((byId[held]?.participant as Array<{ status: string }>)[0]).toMatchObject({
      actor: { reference: `Patient/${id}` },
      status: 'accepted',
    });
    expect(byId[missed]).toMatchObject({ status: 'noshow' });
    expect((await fhir(`/Appointment/${booked}`)).body).toEqual(byId[booked]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(
      resources((await fhir(`/Appointment?patient=${id}&date=lt${tomorrow}`)).body).map((a) => a.id),
    ).not.toContain(cancelled);

    // A consultation opened now is in progress; the one held for the appointment is finished.
    const created = await send('POST', '/api/consultations', doctor.cookie, { patientId: id, inviteFamily: false });
    expect(created.status).toBe(201);
    const live = z.object({ roomId: z.string() }).parse(await created.json()).roomId;
    const encounters = resources((await fhir(`/Encounter?patient=${id}`)).body);
    expect(encounters.map((e) => e.id)).toEqual([live, roomId]);
    expect(encounters[0]).toMatchObject({
      resourceType: 'Encounter',
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
      subject: { reference: `Patient/${id}` },
      participant: [{ individual: { reference: `Practitioner/${doctor.personId}` } }],
    });
    expect(encounters[1]).toMatchObject({ status: 'finished', appointment: [{ reference: `Appointment/${held}` }] });
    expect(encounters[1]?.period).toEqual({ start: new Date(heldAt).toISOString() });
    expect((await fhir(`/Encounter/${roomId}`)).body).toEqual(encounters[1]);
    expect(s.reads.list({ patientId: id }).some((r) => r.what === 'appointments' && r.channel === 'api_token')).toBe(
      true,
    );

    // Consultations are the `calls` right's: a coordinator gets none.
    const coordinator = await s.clinician({ name: 'Cora Coord', email: 'cora@vigie.test', role: 'coordinator' });
    for (const path of [`/Appointment?patient=${id}`, `/Appointment/${booked}`, `/Encounter?patient=${id}`]) {
      const refused = await fhir(path, { cookie: coordinator.cookie });
      expect([path, refused.status, codeOf(refused.body)]).toEqual([path, 403, 'role_not_allowed']);
    }
  });

  it('sends a signed report as DocumentReferences, the amended one current and the first superseded', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const created = await send('POST', '/api/consultations', doctor.cookie, { patientId: id, inviteFamily: false });
    const { roomId } = z.object({ roomId: z.string() }).parse(await created.json());
    const consent = { givenBy: 'patient', method: 'oral', givenAt: Date.now() - 60_000 };
    expect((await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, consent)).status).toBe(201);
    const draft = await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT });
    const reportId = z.object({ id: z.string() }).parse(await draft.json()).id;
    // A draft is not a document.
    expect(resources((await fhir(`/DocumentReference?patient=${id}`)).body)).toEqual([]);
    expect((await fhir(`/DocumentReference/${reportId}`)).status).toBe(404);

    expect((await send('POST', `/api/reports/${reportId}/finalise`, doctor.cookie)).status).toBe(200);
    const amended = await send('POST', `/api/reports/${reportId}/amendments`, doctor.cookie, {
      content: { ...CONTENT, conclusion: 'Pas de signe de gravité ; bilan sanguin demandé' },
      reason: 'Bilan oublié',
    });
    expect(amended.status).toBe(200);

    const documents = resources((await fhir(`/DocumentReference?patient=${id}`)).body);
    expect(documents.map((d) => d.id)).toEqual([reportId, `${reportId}.v1`]);
    const [current, first] = documents;
    const pdfUrl = `${s.webUrl}/fhir/R4/Binary/${reportId}`;
    expect(current).toMatchObject({
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: 'amended',
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }] },
      subject: { reference: `Patient/${id}` },
      author: [{ reference: `Practitioner/${doctor.personId}` }],
      relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${reportId}.v1` } }],
      content: [{ attachment: { contentType: 'application/pdf', url: pdfUrl } }],
      context: { encounter: [{ reference: `Encounter/${roomId}` }] },
    });
    expect(first).toMatchObject({ status: 'superseded', docStatus: 'final' });
    const text = (first?.content as Array<{ attachment: { data: string } }>)[0]?.attachment.data ?? '';
    expect(Buffer.from(text, 'base64').toString()).toContain('Conclusion: Pas de signe de gravité\n');
    expect((await fhir(`/DocumentReference/${reportId}.v1`)).body).toEqual(first);
    expect((await fhir(`/DocumentReference/${reportId}.v3`)).status).toBe(404);
    // The attachment's URL is the report's PDF (a FHIR Binary), for the same reader: the document
    // itself, in the reader's language, or a Binary resource to one who asks for FHIR JSON.
    const pdf = await fetch(pdfUrl, { headers: { authorization: `Bearer ${s.staffToken}`, 'accept-language': 'en' } });
    expect([pdf.status, pdf.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    const read = await readPdf(Buffer.from(await pdf.arrayBuffer()));
    expect(read.text).toContain('Teleconsultation report');
    expect(read.text).toContain('bilan sanguin demandé');
    const binary = await fetch(pdfUrl, {
      headers: { authorization: `Bearer ${s.staffToken}`, accept: 'application/fhir+json' },
    });
    const resource = (await binary.json()) as { resourceType: string; contentType: string; data: string };
    validFhir(resource);
    expect([resource.resourceType, resource.contentType]).toEqual(['Binary', 'application/pdf']);
    expect(Buffer.from(resource.data, 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect((await fhir(`/Binary/${reportId}x`)).status).toBe(404);
    expect(s.reads.list({ patientId: id }).some((r) => r.what === 'reports' && r.channel === 'api_token')).toBe(true);

    // Reports are read with the `vitals` right: a home-care worker gets none.
    const aide = await s.clinician({ name: 'Hugo Aide', email: 'hugo@vigie.test', role: 'homecare' });
    const refused = await fhir(`/DocumentReference?patient=${id}`, { cookie: aide.cookie });
    expect([refused.status, codeOf(refused.body)]).toEqual([403, 'role_not_allowed']);
  });

  it('answers another team’s records as unknown ones, refuses hostile searches, and every write with 405', async () => {
    const other = await otherTeam();
    const note = s.people.addNote(other.patientId, other.staffId, 'Note de l’autre équipe');
    const roomId = 'c-00000000-0000-4000-8000-000000000002';
    s.reports.recordConsultation({
      roomId,
      patientId: other.patientId,
      clinicianId: other.staffId,
      startedAt: Date.now() - 60_000,
      expiresAt: Date.now() + 60_000,
      inviteFamily: false,
      appointmentId: null,
    });
    const booked = s.appointments.book({
      patientId: other.patientId,
      clinicianId: other.staffId,
      bookedBy: other.staffId,
      startsAt: Date.now() + 3600_000,
      minutes: 20,
      inviteFamily: false,
      reason: 'Suivi',
    });
    s.reports.recordConsent(
      other.patientId,
      roomId,
      { givenBy: 'patient', representative: null, method: 'oral', givenAt: Date.now() },
      other.staffId,
    );
    const draft = s.reports.saveDraft(other.patientId, roomId, CONTENT, other.staffId);
    s.reports.finalise(draft.id, { id: other.staffId, name: 'Dr Sud' });
    await other.publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    // Their own team sees each of them: they exist.
    const alert = await eventually(
      async () => {
        const found = resources((await fhir(`/Flag?patient=${other.patientId}`, { cookie: other.cookie })).body);
        expect(found).toHaveLength(1);
        return found[0]?.id ?? '';
      },
      20_000,
      250,
    );
    for (const path of [
      `/Communication/${note.id}`,
      `/Encounter/${roomId}`,
      `/Appointment/${booked.id}`,
      `/DocumentReference/${draft.id}`,
    ])
      expect([path, (await fhir(path, { cookie: other.cookie })).status]).toEqual([path, 200]);
    const readsBefore = s.reads.list({ patientId: other.patientId }).length;
    const foreign = [
      `/Flag/${alert}`,
      `/Appointment/${booked.id}`,
      `/DocumentReference/${draft.id}`,
      `/Flag?patient=${other.patientId}`,
      `/Communication?patient=${other.patientId}`,
      `/Encounter?patient=${other.patientId}`,
      `/Appointment?patient=${other.patientId}`,
      `/DocumentReference?patient=${other.patientId}`,
      `/Communication/${note.id}`,
      `/Encounter/${roomId}`,
    ];
    const unknown = [
      '/Flag?patient=p-000000000000',
      '/Communication/999999999',
      '/Encounter/c-nobody',
      '/Appointment/a-000000000000',
      '/DocumentReference/r-000000000000',
      '/Flag/999999999',
    ];
    const answers = await Promise.all([...foreign, ...unknown].map((path) => fhir(path)));
    for (const [i, a] of answers.entries())
      expect([i, a.status, codeOf(a.body)]).toEqual([i, 404, 'patient_not_found']);
    expect(s.reads.list({ patientId: other.patientId })).toHaveLength(readsBefore);

    const { device } = await s.senior('Paul Durand');
    for (const query of ['_count=0', '_count=501', 'date=2026-13-45', '_cursor=abc', 'foo=1', 'sent=2026-01-01']) {
      const refused = await fhir(`/Flag?patient=${device.patientId}&${query}`);
      expect([query, refused.status, codeOf(refused.body)]).toEqual([query, 400, 'invalid_request']);
    }
    expect((await fhir('/Flag/not-a-number')).status).toBe(404);
    // Hostile ids and query strings: each a 4xx OperationOutcome (fhir() checks the shape).
    for (const path of [
      '/Patient/%zz',
      '/Flag/%00',
      `/Communication/${'9'.repeat(30)}`,
      '/DocumentReference/..%2f..%2fetc',
      `/Encounter?patient=${device.patientId}&date=ge${'9'.repeat(40)}`,
      `/Appointment?patient=${device.patientId}&_cursor=${'9'.repeat(20)}.1`,
      '/Flag?patient=%ff',
      `/Flag?patient=${device.patientId}&__proto__[x]=1`,
      `/Communication?patient=${device.patientId}&sent=${'x'.repeat(3000)}`,
      '/Patient/1/_history/1',
    ]) {
      const { status } = await fhir(path);
      expect([path, status >= 400 && status < 500]).toEqual([path, true]);
    }

    for (const [method, path] of [
      ['POST', '/Patient'],
      ['PUT', `/Patient/${device.patientId}`],
      ['PATCH', '/Observation/x'],
      ['DELETE', `/Flag/1`],
      ['POST', '/Communication'],
      ['POST', ''],
      ['POST', '/'],
      ['OPTIONS', '/metadata'],
    ] as const) {
      const refused = await fhir(path, { token: s.staffToken }, method);
      expect([method, path, refused.status, codeOf(refused.body)]).toEqual([method, path, 405, 'method_not_allowed']);
      expect(refused.headers.get('allow')).toBe('GET, HEAD');
    }
    // Signed out, or with a session cookie and no Origin: nothing can change, so it is the same 405.
    expect((await fhir('/Patient', null, 'POST')).status).toBe(405);
    const nurse = await s.clinician({ name: 'Nina Nurse', email: 'nina@vigie.test', role: 'nurse' });
    expect((await fhir(`/Flag/1`, { cookie: nurse.cookie }, 'DELETE')).status).toBe(405);
  });

  it('lists every type with its search parameters in the CapabilityStatement', async () => {
    const { body } = await fhir('/metadata', null);
    const rest = (body as { rest: Array<{ resource: Array<{ type: string; searchParam?: Array<{ name: string }> }> }> })
      .rest[0];
    const params = Object.fromEntries(
      (rest?.resource ?? []).map((r) => [r.type, (r.searchParam ?? []).map((p) => p.name)]),
    );
    expect(params).toEqual({
      Patient: ['_id', 'identifier'],
      Practitioner: ['_id', 'identifier'],
      Device: ['patient'],
      RelatedPerson: ['patient'],
      Observation: ['patient', 'code', 'date', '_count'],
      Flag: ['patient', 'date', '_count'],
      Communication: ['patient', 'sent', '_count'],
      Encounter: ['patient', 'date', '_count'],
      Appointment: ['patient', 'date', '_count'],
      DocumentReference: ['patient', 'date', '_count'],
      Binary: [],
      Group: [],
    });
  });
});
