/**
 * FHIR Bulk Data `$export` and the patient's own download, against the real broker, ingest, InfluxDB
 * and web service: readings a real watch published come out as NDJSON files whose every line
 * Medplum's R4 validator accepts, with the counts of what was read (the stack reads InfluxDB 4
 * readings at a time, so a patient's Observations span several pages); `_type` and `_since` choose
 * what goes out; a job belongs to whoever started it, is deleted when cancelled and an hour after it
 * ends; a member of another team is refused. The patient downloads everything about them as one
 * Bundle; a relative only when the patient allows it, which is in the change log.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import { sendAs } from './support/cookies.ts';
import { validFhir } from './support/fhir.ts';
import { EXPORT_RETENTION_MS, MAX_EXPORTS_PER_REQUESTER } from '../web/fhir/export-jobs.ts';
import { DOWNLOADS_PER_HOUR } from '../web/routes/my-data.ts';

const t = usePipeline();
const s = useFamilyStack(t, { exportPage: 4 });

type Json = Record<string, unknown>;
type Auth = { cookie?: string; token?: string };
interface ManifestFile {
  type: string;
  url: string;
  count: number;
}
interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: ManifestFile[];
  error: ManifestFile[];
}

const headers = (auth: Auth | null) => ({
  ...(auth?.cookie ? { cookie: auth.cookie } : {}),
  ...(auth?.token ? { authorization: `Bearer ${auth.token}` } : {}),
});
const nurse = (): Auth => ({ token: s.staffToken });
const url = (path: string) => (path.startsWith('http') ? path : `${s.webUrl}/fhir/R4${path}`);

async function kickOff(path: string, auth: Auth = nurse(), prefer = 'respond-async') {
  const res = await fetch(url(path), {
    headers: { accept: 'application/fhir+json', ...(prefer ? { prefer } : {}), ...headers(auth) },
  });
  if (res.status !== 202) {
    const body: unknown = await res.json();
    validFhir(body);
    return { status: res.status, code: codeOf(body as Json), location: null };
  }
  return { status: 202, code: null, location: res.headers.get('content-location') };
}

const codeOf = (body: Json) =>
  (body as { issue: Array<{ details: { coding: Array<{ code: string }> } }> }).issue[0]?.details.coding[0]?.code;

/** Polls the status URL until the manifest comes. */
async function manifestOf(location: string, auth: Auth = nurse()): Promise<Manifest> {
  return eventually(
    async () => {
      const res = await fetch(location, { headers: headers(auth) });
      if (res.status === 202) expect(res.headers.get('x-progress')).toBeTruthy();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      return (await res.json()) as Manifest;
    },
    20_000,
    100,
  );
}

/** Every line of a file of the manifest, each checked by the validator. */
async function lines(file: ManifestFile, auth: Auth = nurse()): Promise<Json[]> {
  const res = await fetch(file.url, { headers: headers(auth) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+ndjson/);
  const text = await res.text();
  expect(text.endsWith('\n')).toBe(true);
  const parsed = text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
  for (const resource of parsed) {
    validFhir(resource);
    expect(resource.resourceType).toBe(file.type);
  }
  expect(parsed).toHaveLength(file.count);
  return parsed;
}

const counts = (m: Manifest) => Object.fromEntries(m.output.map((f) => [f.type, f.count]));
const jobFolder = (location: string) => join(s.exportsDir, location.split('/').at(-1) ?? '');

/** A senior whose watch sent `n` readings a minute apart (a heart rate each, a SpO2 every other one). */
async function seniorWithReadings(name: string, n: number) {
  const { device, publish } = await s.senior(name);
  const base = Date.now() - (n + 5) * 60_000;
  const samples = Array.from({ length: n }, (_, i) => ({
    ts: base + i * 60_000,
    seq: i + 1,
    hr: 60 + i,
    ...(i % 2 === 0 ? { spo2: 95 } : {}),
  }));
  await publish('vitals', { samples });
  const observations = n + Math.ceil(n / 2);
  await eventually(
    async () => {
      const res = await fetch(url(`/Observation?patient=${device.patientId}&_count=500`), {
        headers: headers(nurse()),
      });
      expect(((await res.json()) as { entry?: unknown[] }).entry ?? []).toHaveLength(observations);
    },
    20_000,
    250,
  );
  return { patientId: device.patientId, deviceId: device.deviceId, base, observations };
}

/** Another care team with its own patient and member. */
async function otherTeam() {
  const patientId = t.broker.registry.createPatient('Autre patient');
  const team = s.people.team('Équipe sud');
  const { person } = await s.people.createStaff({ role: 'clinician', name: 'Dr Sud', email: 'sud@vigie.test' });
  s.people.addToTeam(team, { patients: [patientId], people: [person.id] });
  return { patientId, teamId: team, token: s.people.createApiToken(person.id, 'tests', 3600_000).token };
}

describe('FHIR Bulk Data $export', () => {
  it('exports a patient as NDJSON files that validate, with their counts, across InfluxDB pages', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 10);
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    s.people.addNote(jeanne.patientId, doctor.personId, 'Appel de la fille : tout va bien');
    const { location } = await kickOff(`/Patient/${jeanne.patientId}/$export`);
    expect(location).toMatch(new RegExp(`^${s.webUrl}/fhir/R4/\\$export-status/[0-9a-f]{32}$`));
    const manifest = await manifestOf(location ?? '');
    expect(manifest).toMatchObject({
      request: `${s.webUrl}/fhir/R4/Patient/${jeanne.patientId}/$export`,
      requiresAccessToken: true,
      error: [],
    });
    expect(Date.parse(manifest.transactionTime)).toBeGreaterThan(Date.now() - 60_000);
    // 10 heart rates and 5 SpO2, read 4 readings at a time.
    expect(counts(manifest)).toEqual({ Patient: 1, Device: 1, Observation: jeanne.observations, Communication: 1 });

    const files = Object.fromEntries(
      await Promise.all(manifest.output.map(async (f) => [f.type, await lines(f)] as const)),
    );
    expect(files.Patient?.map((p) => p.id)).toEqual([jeanne.patientId]);
    expect(files.Device?.map((d) => d.id)).toEqual([jeanne.deviceId]);
    // The coordination notes go too, as Communications.
    expect(files.Communication?.map((n) => n.payload)).toEqual([
      [{ contentString: 'Appel de la fille : tout va bien' }],
    ]);
    const observations = files.Observation ?? [];
    expect(new Set(observations.map((o) => o.id)).size).toBe(jeanne.observations);
    for (const o of observations) expect(o.subject).toEqual({ reference: `Patient/${jeanne.patientId}` });
    const rates = observations
      .filter((o) => (o.code as { coding: Array<{ code: string }> }).coding[0]?.code === '8867-4')
      .map((o) => (o.valueQuantity as { value: number }).value);
    expect(rates.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 60 + i));

    // The files need the requester's credentials; the export was logged as a read of every part it holds.
    const signedOut = await fetch(manifest.output[0]?.url ?? '');
    expect(signedOut.status).toBe(401);
    const reads = s.reads.list({ patientId: jeanne.patientId }).filter((r) => r.channel === 'api_token');
    expect(reads.map((r) => r.what).sort()).toEqual(['alerts', 'appointments', 'notes', 'record', 'reports', 'vitals']);
  });

  it('honours _type and _since, and refuses what it does not do with a precise code', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 8);
    const typed = await kickOff(`/Patient/${jeanne.patientId}/$export?_type=Observation,Patient`);
    expect(counts(await manifestOf(typed.location ?? ''))).toEqual({ Patient: 1, Observation: 12 });

    // From the 5th reading on: readings 4..7, so 4 heart rates and 2 SpO2.
    const since = new Date(jeanne.base + 4 * 60_000).toISOString();
    const recent = await kickOff(
      `/Patient/${jeanne.patientId}/$export?_type=Observation&_since=${encodeURIComponent(since)}&_outputFormat=${encodeURIComponent('application/fhir+ndjson')}`,
    );
    const manifest = await manifestOf(recent.location ?? '');
    expect(counts(manifest)).toEqual({ Observation: 6 });
    for (const o of await lines(manifest.output[0]!))
      expect(Date.parse(String(o.effectiveDateTime))).toBeGreaterThanOrEqual(Date.parse(since));

    const patient = `/Patient/${jeanne.patientId}/$export`;
    expect(await kickOff(patient, nurse(), '')).toMatchObject({ status: 400, code: 'export_async_required' });
    expect(await kickOff(`${patient}?_outputFormat=text/csv`)).toMatchObject({
      status: 400,
      code: 'export_format_unsupported',
    });
    expect(await kickOff(`${patient}?_type=Patient,MedicationRequest`)).toMatchObject({
      status: 400,
      code: 'export_type_unsupported',
    });
    for (const bad of ['yesterday', '2026-01-01', '2026-01-01T00:00:00'])
      expect(await kickOff(`${patient}?_since=${bad}`)).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await kickOff(`${patient}?_typeFilter=Observation%3Fcode%3D1`)).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    expect(await kickOff(`/Patient/${jeanne.patientId}/$export`, {})).toMatchObject({ status: 401 });
  });

  it('exports a care team as a Group, to its members only, and a job to its requester only', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 2);
    const paul = await seniorWithReadings('Paul Morel', 3);
    const other = await otherTeam();

    const groupRes = await fetch(url(`/Group/${s.staffTeam}`), { headers: headers(nurse()) });
    const group = validFhir(await groupRes.json()) as Json;
    expect(group).toMatchObject({ resourceType: 'Group', type: 'person', actual: true, quantity: 2 });
    expect((group.member as Array<{ entity: { reference: string } }>).map((m) => m.entity.reference).sort()).toEqual(
      [`Patient/${jeanne.patientId}`, `Patient/${paul.patientId}`].sort(),
    );

    const team = await kickOff(`/Group/${s.staffTeam}/$export?_type=Patient,Observation`);
    const manifest = await manifestOf(team.location ?? '');
    expect(counts(manifest)).toEqual({ Patient: 2, Observation: jeanne.observations + paul.observations });
    const patients = await lines(manifest.output.find((f) => f.type === 'Patient')!);
    expect(patients.map((p) => p.id).sort()).toEqual([jeanne.patientId, paul.patientId].sort());
    // Patient/$export: every patient of the member's teams (here the same two).
    const all = await kickOff('/Patient/$export?_type=Patient');
    expect(counts(await manifestOf(all.location ?? ''))).toEqual({ Patient: 2 });

    // A member of another team: the team and its patients are unknown to them.
    const outsider = { token: other.token };
    expect((await fetch(url(`/Group/${s.staffTeam}`), { headers: headers(outsider) })).status).toBe(404);
    expect(await kickOff(`/Group/${s.staffTeam}/$export`, outsider)).toMatchObject({
      status: 404,
      code: 'team_not_found',
    });
    expect(await kickOff(`/Patient/${jeanne.patientId}/$export`, outsider)).toMatchObject({
      status: 404,
      code: 'patient_not_found',
    });
    const theirs = await kickOff('/Patient/$export?_type=Patient', outsider);
    const theirPatients = await lines((await manifestOf(theirs.location ?? '', outsider)).output[0]!, outsider);
    expect(theirPatients.map((p) => p.id)).toEqual([other.patientId]);

    // Another member of the same team cannot read the nurse's job or its files.
    const colleague = await s.clinician({ name: 'Dr Claire Nord', email: 'claire@vigie.test' });
    const status = await fetch(team.location ?? '', { headers: headers({ cookie: colleague.cookie }) });
    expect(status.status).toBe(404);
    expect(codeOf((await status.json()) as Json)).toBe('export_not_found');
    for (const f of manifest.output)
      expect((await fetch(f.url, { headers: headers({ cookie: colleague.cookie }) })).status).toBe(404);
    // A relative is not staff.
    const daughter = await s.family(jeanne.patientId, { name: 'Anne', email: 'anne@vigie.test' });
    expect(await kickOff(`/Patient/${jeanne.patientId}/$export`, { cookie: daughter.cookie })).toMatchObject({
      status: 403,
      code: 'staff_only',
    });
  });

  it('leaves Observations out for a role without the vitals right, and says so in the manifest', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 2);
    const homecare = await s.clinician({ name: 'Hugo Aide', email: 'hugo@vigie.test', role: 'homecare' });
    const auth = { cookie: homecare.cookie };
    const job = await kickOff(`/Patient/${jeanne.patientId}/$export`, auth);
    const manifest = await manifestOf(job.location ?? '', auth);
    expect(counts(manifest)).toEqual({ Patient: 1, Device: 1 });
    // One warning per type the role may not read: vital signs, reports (the vitals right), consultations.
    expect(manifest.error.map((f) => [f.type, f.count])).toEqual([['OperationOutcome', 4]]);
    const outcomes = await lines(manifest.error[0]!, auth);
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'warning', code: 'forbidden', details: { coding: [{ code: 'role_not_allowed' }] } }],
      });
    expect(
      outcomes.map((o) => String((o.issue as Array<{ diagnostics: string }>)[0]?.diagnostics).split(' ')[0]),
    ).toEqual(['Observation', 'Encounter', 'Appointment', 'DocumentReference']);
    expect(
      s.reads
        .list({ patientId: jeanne.patientId, personId: homecare.personId })
        .map((r) => r.what)
        .sort(),
    ).toEqual(['alerts', 'notes', 'record']);
    // Out of the team, out of its patients' files.
    s.people.removeFromTeam(s.staffTeam, { people: [homecare.personId] });
    const gone = await fetch(manifest.output[0]!.url, { headers: headers(auth) });
    expect([gone.status, codeOf((await gone.json()) as Json)]).toEqual([404, 'patient_not_found']);
  });

  it('deletes a job’s files when cancelled and after its retention, and bounds the jobs one keeps', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 2);
    const path = `/Patient/${jeanne.patientId}/$export`;
    const cancelled = (await kickOff(path)).location ?? '';
    await manifestOf(cancelled);
    expect(readdirSync(jobFolder(cancelled)).sort()).toEqual(['Device.ndjson', 'Observation.ndjson', 'Patient.ndjson']);
    const deleted = await fetch(cancelled, { method: 'DELETE', headers: headers(nurse()) });
    expect(deleted.status).toBe(202);
    expect(existsSync(jobFolder(cancelled))).toBe(false);
    expect((await fetch(cancelled, { headers: headers(nurse()) })).status).toBe(404);

    const kept = (await kickOff(path)).location ?? '';
    const manifest = await manifestOf(kept);
    s.exportsClock.aheadMs = EXPORT_RETENTION_MS - 1000;
    expect((await fetch(kept, { headers: headers(nurse()) })).status).toBe(200);
    s.exportsClock.aheadMs = EXPORT_RETENTION_MS + 1000;
    expect((await fetch(kept, { headers: headers(nurse()) })).status).toBe(404);
    expect((await fetch(manifest.output[0]!.url, { headers: headers(nurse()) })).status).toBe(404);
    expect(existsSync(jobFolder(kept))).toBe(false);

    const jobs = [];
    for (let i = 0; i < MAX_EXPORTS_PER_REQUESTER; i++) jobs.push((await kickOff(path)).location ?? '');
    expect(await kickOff(path)).toMatchObject({ status: 429, code: 'export_busy' });
    await fetch(jobs[0]!, { method: 'DELETE', headers: headers(nurse()) });
    expect((await kickOff(path)).status).toBe(202);
    // The bound is the requester's: another member still may.
    const colleague = await s.clinician({ name: 'Dr Claire Nord', email: 'claire@vigie.test' });
    expect((await kickOff(path, { cookie: colleague.cookie })).status).toBe(202);
  });

  it('declares its operations in the CapabilityStatement', async () => {
    const body = validFhir(await (await fetch(url('/metadata'))).json()) as Json;
    const resources = (body as { rest: Array<{ resource: Array<{ type: string; operation?: Array<Json> }> }> }).rest[0]
      ?.resource;
    const operations = Object.fromEntries(
      (resources ?? []).map((r) => [r.type, r.operation?.map((o) => o.definition)]),
    );
    expect(operations.Patient).toEqual(['http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export']);
    expect(operations.Group).toEqual(['http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export']);
  });
});

describe('the patient’s own download', () => {
  const send = () => sendAs(s.webUrl);

  async function download(patientId: string, cookie: string) {
    return fetch(`${s.webUrl}/api/patients/${patientId}/data`, { headers: { cookie } });
  }

  it('gives the patient one Bundle of everything about them, and a relative only with their leave', async () => {
    const jeanne = await seniorWithReadings('Jeanne Martin', 6);
    const paul = await seniorWithReadings('Paul Morel', 3);
    const self = await s.family(jeanne.patientId, { name: 'Jeanne', email: 'jeanne@vigie.test', role: 'patient' });
    const daughter = await s.family(jeanne.patientId, { name: 'Anne Martin', email: 'anne@vigie.test' });

    const res = await download(jeanne.patientId, self.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="vigie-${new Date().toISOString().slice(0, 10)}.json"`,
    );
    const bundle = validFhir(await res.json()) as Json & {
      entry: Array<{ fullUrl: string; resource: { resourceType: string; id: string } }>;
    };
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const byType = (type: string) => bundle.entry.filter((e) => e.resource.resourceType === type);
    expect(byType('Patient').map((e) => e.resource.id)).toEqual([jeanne.patientId]);
    expect(byType('Device').map((e) => e.resource.id)).toEqual([jeanne.deviceId]);
    expect(byType('Observation')).toHaveLength(jeanne.observations);
    // Hers only: nothing of the other senior.
    expect(JSON.stringify(bundle)).not.toContain(paul.patientId);
    for (const e of bundle.entry)
      expect(e.fullUrl).toBe(`${s.webUrl}/fhir/R4/${e.resource.resourceType}/${e.resource.id}`);
    expect(s.changes.list({ patientId: jeanne.patientId }).find((c) => c.action === 'data.exported')).toMatchObject({
      actorId: self.personId,
    });

    // A relative: not without the patient's leave, which only the patient gives.
    const refused = await download(jeanne.patientId, daughter.cookie);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      403,
      'data_download_not_allowed',
    ]);
    const permission = `/api/patients/${jeanne.patientId}/relatives/${daughter.personId}/data-download`;
    const byHerself = await send()('PUT', permission, daughter.cookie, { allowed: true });
    expect(byHerself.status).toBe(403);
    expect(((await byHerself.json()) as { error: { code: string } }).error.code).toBe('data_permission_self_only');
    const overview = async (cookie: string) =>
      ((await (await fetch(`${s.webUrl}/api/patients/${jeanne.patientId}`, { headers: { cookie } })).json()) as Json)
        .mayDownload;
    expect([await overview(self.cookie), await overview(daughter.cookie)]).toEqual([true, false]);

    const listed = await fetch(`${s.webUrl}/api/patients/${jeanne.patientId}/relatives`, {
      headers: { cookie: self.cookie },
    });
    expect(await listed.json()).toEqual({
      relatives: [
        { id: daughter.personId, name: 'Anne Martin', relation: 'daughter', relationText: null, mayDownload: false },
      ],
    });
    const allowed = await send()('PUT', permission, self.cookie, { allowed: true });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ relatives: [{ id: daughter.personId, mayDownload: true }] });
    expect(await overview(daughter.cookie)).toBe(true);
    const hers = await download(jeanne.patientId, daughter.cookie);
    expect(hers.status).toBe(200);
    const forHer = validFhir(await hers.json()) as Json & { entry: unknown[] };
    expect(forHer.entry).toHaveLength(bundle.entry.length);

    expect(
      (await send()('PUT', permission.replace(daughter.personId, self.personId), self.cookie, { allowed: true }))
        .status,
    ).toBe(404);
    expect(
      (await send()('PUT', permission.replace(daughter.personId, 'u-nobody'), self.cookie, { allowed: true })).status,
    ).toBe(404);
    expect((await send()('PUT', permission, self.cookie, { allowed: 'yes' })).status).toBe(400);
    expect((await send()('PUT', permission, self.cookie, { allowed: false })).status).toBe(200);
    expect((await download(jeanne.patientId, daughter.cookie)).status).toBe(403);
    const changes = s.changes.list({ patientId: jeanne.patientId }).map((c) => [c.action, c.detail.name]);
    expect(changes.filter(([a]) => String(a).startsWith('data.'))).toEqual([
      ['data.download_withdrawn', 'Anne Martin'],
      ['data.exported', 'Anne Martin'],
      ['data.download_allowed', 'Anne Martin'],
      ['data.exported', 'Jeanne'],
    ]);

    // The care team reads through FHIR, not through the patient's page; a stranger is refused.
    const nurseCookie = (await s.clinician({ name: 'Nina', email: 'nina@vigie.test', role: 'nurse' })).cookie;
    expect((await download(jeanne.patientId, nurseCookie)).status).toBe(403);
    expect((await download(paul.patientId, self.cookie)).status).toBe(403);
  });

  it('limits how often one person downloads', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const self = await s.family(device.patientId, { name: 'Jeanne', email: 'jeanne@vigie.test', role: 'patient' });
    for (let i = 0; i < DOWNLOADS_PER_HOUR; i++) {
      const res = await download(device.patientId, self.cookie);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const limited = await download(device.patientId, self.cookie);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });
});
