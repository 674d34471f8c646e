/**
 * "Who looked at my record", over HTTP and the live channel against the real broker, ingest and web
 * service: each kind of professional read is logged once however often it repeats, a relative's
 * reads are not, an administrator sees the log and nobody else on the care team does, and the patient
 * sees their own (without addresses) and nobody else's.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signIn } from './support/cookies.ts';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import { COALESCE_MS, READS_PER_PAGE, RETENTION_MS } from '../web/record-reads.ts';
import { WebServer } from '../web/server.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const get = (path: string, auth: { cookie?: string; token?: string } = {}) =>
  fetch(`${s.webUrl}${path}`, {
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
    },
  });

async function admin(): Promise<string> {
  await s.people.createPerson({
    role: 'admin',
    name: 'Ada Admin',
    email: 'admin@vigie.test',
    password: FAMILY_PASSWORD,
  });
  return signIn(s.webUrl, 'admin@vigie.test', FAMILY_PASSWORD);
}

async function logOf(cookie: string, query: string) {
  const res = await get(`/api/console/record-reads?${query}`, { cookie });
  expect(res.status).toBe(200);
  return ((await res.json()) as { reads: Array<Record<string, unknown>>; next: number | null }).reads;
}

/** Subscribes a live socket to each of `patientIds` in turn and waits for each answer. */
async function subscribeLive(cookie: string, patientIds: string[]): Promise<void> {
  const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, { headers: { cookie, origin: s.webUrl } });
  const answers: string[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string };
    answers.push(m.type);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  for (const [i, patientId] of patientIds.entries()) {
    ws.send(JSON.stringify({ type: 'subscribe', patientId }));
    await eventually(() =>
      expect(answers.filter((a) => a === 'snapshot' || a === 'subscribed').length).toBeGreaterThan(i),
    );
  }
  ws.close();
}

describe('a professional reading a patient’s record', () => {
  it('is logged once per kind of read, however often it repeats', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    const id = device.patientId;
    const cookie = await admin();
    // The history answers once the time-series database has this patient's readings (the admin's
    // reads while waiting are theirs, apart from the nurse's below).
    await publish('vitals', { samples: [{ ts: Date.now() - 1000, seq: 1, hr: 72, spo2: 96 }] });
    // The ingest makes the database, then its downsampled retention policies, which the default range reads.
    await eventually(async () => {
      for (const range of ['?range=1h', ''])
        expect((await get(`/api/console/patients/${id}/history${range}`, { cookie })).status).toBe(200);
    });
    await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    const alertId = await eventually(() => {
      const [a] = t.ingest.alertService.list([id]);
      expect(a).toBeDefined();
      return a!.id;
    });
    const paths = [
      `/api/console/patients/${id}`,
      `/api/console/patients/${id}/history`,
      `/api/console/patients/${id}/alerts`,
      `/api/alerts/${alertId}`,
      `/api/console/patients/${id}/notes`,
      `/api/patients/${id}/escalation`,
      `/api/patients/${id}/rules`,
      // The list of every patient is not a read of each record.
      '/api/console/patients',
    ];
    for (let round = 0; round < 3; round++) {
      for (const path of paths) expect((await get(path, { token: s.staffToken })).status, path).toBe(200);
    }
    const nurse = s.people.personByEmail('nurse@vigie.test')!;
    const reads = await logOf(cookie, `patientId=${id}&personId=${nurse.id}`);
    expect(reads.map(({ what, count }) => [what, count]).sort()).toEqual([
      ['alerts', 6],
      ['notes', 3],
      ['record', 3],
      ['settings', 6],
      ['vitals', 3],
    ]);
    for (const r of reads) {
      expect(r).toMatchObject({
        personId: nurse.id,
        name: 'Infirmière Test',
        role: 'nurse',
        patientId: id,
        patient: 'Jeanne Dupont',
        channel: 'api_token',
        address: '127.0.0.1',
      });
    }
  });

  it('logs a page’s live subscription to one patient, not the console’s subscription to all', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const other = await s.senior('Marcel Durand');
    const cookie = await admin();
    const clinician = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Martin',
      email: 'martin@vigie.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.staffTeam, { people: [clinician.id] });
    const doctor = await signIn(s.webUrl, 'martin@vigie.test', FAMILY_PASSWORD);
    await subscribeLive(doctor, ['*']);
    await subscribeLive(doctor, [device.patientId]);
    await subscribeLive(doctor, [device.patientId]);
    expect(await logOf(cookie, `personId=${clinician.id}`)).toMatchObject([
      { what: 'live', patientId: device.patientId, channel: 'page', count: 2 },
    ]);
    expect(await logOf(cookie, `patientId=${other.device.patientId}`)).toEqual([]);
  });

  it('starts a new entry once the window has passed, and for another channel', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const path = `/api/console/patients/${device.patientId}`;
    expect((await get(path, { token: s.staffToken })).status).toBe(200);
    expect((await get(path, { token: s.staffToken })).status).toBe(200);
    s.readsClock.aheadMs = COALESCE_MS;
    expect((await get(path, { token: s.staffToken })).status).toBe(200);
    // A page (a session) is another channel: the admin's console read is an entry of its own.
    const cookie = await admin();
    expect((await get(path, { cookie })).status).toBe(200);
    const reads = await logOf(cookie, `patientId=${device.patientId}`);
    expect(reads.map(({ name, channel, count }) => [name, channel, count])).toEqual([
      ['Ada Admin', 'page', 1],
      ['Infirmière Test', 'api_token', 1],
      ['Infirmière Test', 'api_token', 2],
    ]);
  });

  it('does not log a relative’s reads: they are not a professional’s', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    const { cookie } = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    const alertId = await eventually(() => {
      const [a] = t.ingest.alertService.list([device.patientId]);
      expect(a).toBeDefined();
      return a!.id;
    });
    expect((await get(`/api/patients/${device.patientId}`, { cookie })).status).toBe(200);
    expect((await get(`/api/alerts/${alertId}`, { cookie })).status).toBe(200);
    await subscribeLive(cookie, [device.patientId]);
    // A professional's read afterwards is logged: the log is written, the relative's reads are not in it.
    expect((await get(`/api/console/patients/${device.patientId}/notes`, { token: s.staffToken })).status).toBe(200);
    expect((await logOf(await admin(), `patientId=${device.patientId}`)).map((r) => [r.name, r.what])).toEqual([
      ['Infirmière Test', 'notes'],
    ]);
  });
});

describe('who may see the log', () => {
  it('refuses the whole log to a member of the care team who is not an administrator, and to a relative', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const { cookie } = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const nurse = await get('/api/console/record-reads', { token: s.staffToken });
    expect(nurse.status).toBe(403);
    expect(await nurse.json()).toMatchObject({ error: { code: 'admin_only' } });
    const relative = await get('/api/console/record-reads', { cookie });
    expect(relative.status).toBe(403);
    expect(await relative.json()).toMatchObject({ error: { code: 'staff_only' } });
    expect((await get('/api/console/record-reads')).status).toBe(401);
    const bad = await get('/api/console/record-reads?before=-3', { cookie: await admin() });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('shows the patient their own log, without addresses, and refuses another’s', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const other = await s.senior('Marcel Durand');
    const patient = await s.family(device.patientId, {
      name: 'Jeanne Dupont',
      email: 'jeanne@famille.test',
      relation: 'self',
      role: 'patient',
    });
    const relative = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    expect((await get(`/api/console/patients/${device.patientId}`, { token: s.staffToken })).status).toBe(200);
    expect((await get(`/api/console/patients/${other.device.patientId}`, { token: s.staffToken })).status).toBe(200);

    const mine = await get(`/api/patients/${device.patientId}/record-reads`, { cookie: patient.cookie });
    expect(mine.status).toBe(200);
    const body = (await mine.json()) as { reads: Array<Record<string, unknown>>; next: number | null };
    expect(body.next).toBeNull();
    expect(body.reads).toHaveLength(1);
    expect(Object.keys(body.reads[0]!).sort()).toEqual([
      'count',
      'firstAt',
      'id',
      'lastAt',
      'name',
      'reader',
      'role',
      'what',
    ]);
    expect(body.reads[0]).toMatchObject({
      reader: 'person',
      name: 'Infirmière Test',
      role: 'nurse',
      what: 'record',
      count: 1,
    });

    const theirs = await get(`/api/patients/${other.device.patientId}/record-reads`, { cookie: patient.cookie });
    expect(theirs.status).toBe(403);
    expect(await theirs.json()).toMatchObject({ error: { code: 'patient_forbidden' } });
    const byRelative = await get(`/api/patients/${device.patientId}/record-reads`, { cookie: relative.cookie });
    expect(byRelative.status).toBe(403);
    expect(await byRelative.json()).toMatchObject({ error: { code: 'record_reads_self_only' } });
    const byStaff = await get(`/api/patients/${device.patientId}/record-reads`, { token: s.staffToken });
    expect(byStaff.status).toBe(403);
    expect(await byStaff.json()).toMatchObject({ error: { code: 'family_only' } });
    expect((await get(`/api/patients/${device.patientId}/record-reads`)).status).toBe(401);
  });
});

describe('pages of the log', () => {
  it('gives the newest first and the rest page by page, to the administrator and to the patient', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const patient = await s.family(device.patientId, {
      name: 'Jeanne Dupont',
      email: 'jeanne@famille.test',
      relation: 'self',
      role: 'patient',
    });
    const nurse = s.people.personByEmail('nurse@vigie.test')!;
    // Reads from as many addresses (a nurse moving between sites): each one an entry of its own.
    for (let i = 0; i < READS_PER_PAGE + 3; i++) {
      s.reads.record({
        patientId: device.patientId,
        personId: nurse.id,
        what: 'record',
        channel: 'page',
        address: `10.0.0.${i}`,
      });
    }
    const cookie = await admin();
    for (const [path, auth] of [
      [`/api/console/record-reads?patientId=${device.patientId}`, { cookie }],
      [`/api/patients/${device.patientId}/record-reads?`, { cookie: patient.cookie }],
    ] as const) {
      const first = (await (await get(path, auth)).json()) as { reads: Array<{ id: number }>; next: number };
      expect(first.reads).toHaveLength(READS_PER_PAGE);
      expect(first.next).toBe(first.reads.at(-1)!.id);
      const rest = (await (await get(`${path}&before=${first.next}`, auth)).json()) as {
        reads: Array<{ id: number }>;
        next: number | null;
      };
      expect(rest.reads).toHaveLength(3);
      expect(rest.next).toBeNull();
      const ids = [...first.reads, ...rest.reads].map((r) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
    }
  });
});

describe('retention', () => {
  it('a web service starting forgets the reads last made more than a year ago, and only those', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const path = `/api/console/patients/${device.patientId}`;
    s.readsClock.aheadMs = -RETENTION_MS - 60_000;
    expect((await get(path, { token: s.staffToken })).status).toBe(200);
    s.readsClock.aheadMs = -RETENTION_MS + 60_000;
    expect((await get(`${path}/notes`, { token: s.staffToken })).status).toBe(200);
    s.readsClock.aheadMs = 0;
    const cookie = await admin();
    expect((await logOf(cookie, `patientId=${device.patientId}`)).map((r) => r.what)).toEqual(['notes', 'record']);
    // Another web service on the same database, as after a restart.
    const restarted = new WebServer(s.webOptions);
    try {
      await restarted.listen();
      expect((await logOf(cookie, `patientId=${device.patientId}`)).map((r) => r.what)).toEqual(['notes']);
    } finally {
      await restarted.close();
    }
  });
});
