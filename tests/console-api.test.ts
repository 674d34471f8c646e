/**
 * The clinician console's API against the real broker, ingest, InfluxDB and web service: a member of
 * the care team sees only their team's patients (the API enforces it), with live values, NEWS2,
 * alerts, time series that never exceed the points asked for, and the coordination log.
 */
import { signIn } from './support/cookies.ts';
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { recordIdentity } from './support/identity.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import type { ConsoleRow } from '../web/api/schemas.ts';
import { AlertsClient } from '../web/alerts-client.ts';

const t = usePipeline();
const s = useFamilyStack(t);

async function staff(
  role: 'clinician' | 'nurse' | 'admin',
  email: string,
  team: string,
  patients: string[],
): Promise<string> {
  const person = await s.people.createPerson({
    role,
    name: `Dr ${email.split('@')[0]}`,
    email,
    password: FAMILY_PASSWORD,
  });
  s.people.addToTeam(s.people.team(team), { people: [person.id], patients });
  return signIn(s.webUrl, email, FAMILY_PASSWORD);
}
const get = (path: string, cookie?: string) => fetch(`${s.webUrl}${path}`, { headers: cookie ? { cookie } : {} });
const post = (path: string, body: unknown, cookie: string) =>
  fetch(`${s.webUrl}${path}`, {
    method: 'POST',
    headers: { cookie, origin: s.webUrl, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the console API', () => {
  it('shows a clinician only the patients of their care team, and says why otherwise', async () => {
    const mine = await s.senior('Jeanne Martin');
    const theirs = await s.senior('Marcel Bernard');
    const cookie = await staff('clinician', 'house@ch.test', 'Nord', [mine.device.patientId]);
    await staff('nurse', 'other@ch.test', 'Sud', [theirs.device.patientId]);
    const list = (await (await get('/api/console/patients', cookie)).json()) as { patients: ConsoleRow[] };
    expect(list.patients.map((p) => p.name)).toEqual(['Jeanne Martin']);
    for (const path of [
      `/api/console/patients/${theirs.device.patientId}`,
      `/api/console/patients/${theirs.device.patientId}/history?range=1h`,
      `/api/console/patients/${theirs.device.patientId}/notes`,
      `/api/console/patients/${theirs.device.patientId}/alerts`,
    ]) {
      const res = await get(path, cookie);
      expect(res.status, path).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'patient_not_in_team' } });
    }
    expect((await post('/api/consultations', { patientId: theirs.device.patientId }, cookie)).status).toBe(403);
    expect((await post('/api/consultations', { patientId: mine.device.patientId }, cookie)).status).toBe(201);
    expect((await get('/api/console/patients')).status).toBe(401);
    const relative = await s.family(mine.device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const refused = await get('/api/console/patients', relative.cookie);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'staff_only' } });
    expect((await get(`/api/console/patients/${mine.device.patientId}/alerts`, relative.cookie)).status).toBe(403);
    const admin = await staff('admin', 'admin@ch.test', 'Admin', []);
    expect(
      ((await (await get('/api/console/patients', admin)).json()) as { patients: ConsoleRow[] }).patients,
    ).toHaveLength(2);
  });

  it('names the patient in a consultation by their strict identity, in the caller’s language', async () => {
    const { device } = await s.senior('Jeanne Martin');
    recordIdentity(
      t.broker.registry,
      device.patientId,
      { birthName: 'Martin', firstNames: 'Jeanne', birthDate: '1938-09-17', sex: 'female' },
      'provisional',
    );
    const cookie = await staff('clinician', 'roux@ch.test', 'Nord', [device.patientId]);
    const created = await post('/api/consultations', { patientId: device.patientId }, cookie);
    expect(created.status).toBe(201);
    const { roomId } = (await created.json()) as { roomId: string };
    const status = (await (await get(`/api/consultations/${roomId}`, cookie)).json()) as {
      invitees: Array<{ role: string; name: string }>;
    };
    expect(status.invitees.filter((i) => i.role === 'patient').map((i) => i.name)).toEqual([
      'MARTIN Jeanne, née le 17/09/1938 (F)',
    ]);
  });

  it("gives each row the patient's enabled thresholds, with the care team's changes, to mark readings past them", async () => {
    const { device } = await s.senior('Jeanne Martin');
    const cookie = await staff('clinician', 'house@ch.test', 'Nord', [device.patientId]);
    const set = await fetch(`${s.webUrl}/api/patients/${device.patientId}/rules`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ thresholds: { 'temp-high': { limit: 37.8 }, 'hr-low': { enabled: false } } }),
    });
    expect(set.status).toBe(200);
    const [row] = ((await (await get('/api/console/patients', cookie)).json()) as { patients: ConsoleRow[] }).patients;
    expect(row?.thresholds.filter((th) => th.vital === 'temp')).toEqual([
      { vital: 'temp', direction: 'above', limit: 37.8, priority: 'medium' },
      { vital: 'temp', direction: 'above', limit: 39, priority: 'high' },
      { vital: 'temp', direction: 'below', limit: 35.5, priority: 'medium' },
    ]);
    expect(row?.thresholds.filter((th) => th.vital === 'hr').map((th) => th.limit)).toEqual([120, 140, 40]);
  });

  it('gives live values, a partial NEWS2 and open alerts; staff acknowledge and resolve, and the audit names them', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    const cookie = await staff('clinician', 'house@ch.test', 'Nord', [device.patientId]);
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 135, spo2: 91, temp: 38.4, battery: 55 });
    await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    const row = await eventually(async () => {
      const [r] = ((await (await get('/api/console/patients', cookie)).json()) as { patients: ConsoleRow[] }).patients;
      expect(r?.alerts.map((a) => a.kind)).toContain('sos');
      expect(r?.latest.hr?.value).toBe(135);
      return r!;
    });
    expect(row.news2).toEqual({
      score: 3 + 3 + 1,
      risk: 'high',
      partial: true,
      missing: ['respiration', 'systolic', 'consciousness'],
    }); // pulse 135, SpO2 91, 38.4 °C
    expect(row.presence).toMatchObject({ online: true, battery: 55 });
    const sos = row.alerts.find((a) => a.kind === 'sos')!;
    expect((await post(`/api/alerts/${sos.id}/actions`, { action: { action: 'acknowledge' } }, cookie)).status).toBe(
      200,
    );
    expect(
      (
        await post(
          `/api/alerts/${sos.id}/actions`,
          { action: { action: 'resolve', note: 'Appelée : elle va bien.' } },
          cookie,
        )
      ).status,
    ).toBe(200);
    const audit = (await (await get(`/api/alerts/${sos.id}`, cookie)).json()) as {
      audit: Array<{ actor: string; action: string }>;
    };
    expect(audit.audit.map((a) => `${a.actor}: ${a.action}`)).toEqual(
      expect.arrayContaining(['Vigie: opened', 'Dr house: acknowledged', 'Dr house: resolved']),
    );

    // The closed alert stays on the patient's page; its note is in the coordination log, saying which alert.
    const past = (await (await get(`/api/console/patients/${device.patientId}/alerts`, cookie)).json()) as {
      alerts: Array<{ id: number; closedReason: string; resolution: string }>;
    };
    expect(past.alerts).toEqual([
      expect.objectContaining({ id: sos.id, closedReason: 'resolved', resolution: 'Appelée : elle va bien.' }),
    ]);
    const { notes } = (await (await get(`/api/console/patients/${device.patientId}/notes`, cookie)).json()) as {
      notes: Array<{ author: string; text: string; closes: unknown }>;
    };
    expect(notes[0]).toMatchObject({
      author: 'Dr house',
      text: 'Appelée : elle va bien.',
      closes: { id: sos.id, kind: 'sos', openedAt: sos.openedAt },
    });
    expect((await get(`/api/console/patients/${device.patientId}/alerts?days=0`, cookie)).status).toBe(400);
  });

  it('serves a time series with never more points than asked, from the right resolution, with alert markers', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    const cookie = await staff('clinician', 'house@ch.test', 'Nord', [device.patientId]);
    const now = Date.now();
    const samples = Array.from({ length: 120 }, (_, i) => ({
      ts: now - (120 - i) * 20_000,
      seq: i + 1,
      hr: 60 + (i % 20),
      spo2: 96,
    }));
    await publish('vitals', { samples });
    await publish('events', { ts: now, seq: 500, type: 'sos' });
    const h = await eventually(
      async () => {
        const res = await get(`/api/console/patients/${device.patientId}/history?range=1h&points=100`, cookie);
        const body = (await res.json()) as {
          ts: number[];
          values: { hr: Array<number | null> };
          source: string;
          bucketMs: number;
          alerts: Array<{ kind: string }>;
        };
        expect(body.values.hr.filter((v) => v !== null).length, JSON.stringify(body).slice(0, 600)).toBeGreaterThan(30);
        expect(body.alerts.map((a) => a.kind)).toContain('sos');
        return body;
      },
      20_000,
      250,
    );
    expect(h.ts.length).toBeLessThanOrEqual(100);
    expect(h).toMatchObject({ source: 'raw', bucketMs: 37_000 }); // 3600 s / 99, rounded up to whole seconds
    expect(Math.max(...h.values.hr.filter((v): v is number => v !== null))).toBeLessThanOrEqual(79);
    for (const [range, source] of [
      ['24h', '1m'],
      ['7d', '1m'],
      ['30d', '1h'],
    ] as const) {
      const res = (await (
        await get(`/api/console/patients/${device.patientId}/history?range=${range}&points=800`, cookie)
      ).json()) as { ts: number[]; source: string };
      expect(res.source, range).toBe(source);
      expect(res.ts.length, range).toBeLessThanOrEqual(800);
    }
    const bad = await get(`/api/console/patients/${device.patientId}/history?range=2y`, cookie);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_request', params: { fields: 'querystring.range' } },
    });
  });

  it('keeps a coordination log shared by the care team, newest first', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const house = await staff('clinician', 'house@ch.test', 'Nord', [device.patientId]);
    const nurse = await staff('nurse', 'ide@ch.test', 'Nord', []);
    expect(
      (
        await post(
          `/api/console/patients/${device.patientId}/notes`,
          { text: 'Passage IDE : pansement refait.' },
          nurse,
        )
      ).status,
    ).toBe(201);
    expect(
      (await post(`/api/console/patients/${device.patientId}/notes`, { text: 'Traitement diurétique ajusté.' }, house))
        .status,
    ).toBe(201);
    expect((await post(`/api/console/patients/${device.patientId}/notes`, { text: '   ' }, house)).status).toBe(400);
    const { notes } = (await (await get(`/api/console/patients/${device.patientId}/notes`, nurse)).json()) as {
      notes: Array<{ author: string; text: string }>;
    };
    expect(notes.map((n) => `${n.author}: ${n.text}`)).toEqual([
      'Dr house: Traitement diurétique ajusté.',
      'Dr ide: Passage IDE : pansement refait.',
    ]);
    expect(
      (
        await fetch(`${s.webUrl}/api/console/patients/${device.patientId}/notes`, {
          method: 'POST',
          headers: { cookie: house, origin: 'https://evil.example', 'content-type': 'application/json' },
          body: '{"text":"x"}',
        })
      ).status,
    ).toBe(403);
  });

  it('finds the open alerts of a team too large to name in a URL (thousands of patients)', async () => {
    const { device, publish } = await s.senior('Jeanne Martin');
    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    await eventually(() => expect(t.ingest.alertService.list([device.patientId])).toHaveLength(1));
    const team = [...Array.from({ length: 3000 }, (_, i) => `p-${String(i).padStart(12, '0')}`), device.patientId];
    const alerts = await new AlertsClient(s.alertsApi.url, s.alertsApi.token).list(team);
    expect(alerts.map((a) => [a.patientId, a.kind])).toEqual([[device.patientId, 'sos']]);
  });
});
