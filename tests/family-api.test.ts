/**
 * Families over HTTP and the live channel, against the real broker, ingest (alert engine) and web
 * service: invitations and sign-in, and above all that a relative sees only their own patient, and
 * that patient's vital signs only with consent.
 */
import { sessionCookie } from './support/cookies.ts';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import type { LiveMessage } from '../web/api/live.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const get = (path: string, cookie?: string) => fetch(`${s.webUrl}${path}`, { headers: cookie ? { cookie } : {} });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.webUrl}${path}`, {
    method: 'POST',
    headers: { origin: s.webUrl, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** A live socket and everything it receives. */
/** A live-channel client; readings and presence arrive in batches, unpacked here in order. */
async function live(cookie: string, origin = s.webUrl): Promise<{ ws: WebSocket; received: LiveMessage[] }> {
  const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, { headers: { cookie, origin } });
  const received: LiveMessage[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as LiveMessage | { type: 'batch'; events: LiveMessage[] };
    if (m.type === 'batch') {
      expect(m.events.every((e) => e.type === 'vitals' || e.type === 'presence')).toBe(true);
      received.push(...m.events);
    } else {
      expect(['vitals', 'presence']).not.toContain(m.type); // never one by one
      received.push(m);
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, received };
}

describe('invitations and sign-in', () => {
  it('turns an invitation into an account that sees its relative, once', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const invited = await fetch(`${s.webUrl}/api/patients/${device.patientId}/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Claire', email: 'Claire@Famille.test', relation: 'fille', shareVitals: true }),
    });
    expect(invited.status).toBe(201);
    const token = new URL(((await invited.json()) as { link: string }).link).hash.replace('#invite=', '');
    // "fille", typed by an older client, is the code "daughter".
    expect(await (await post('/api/invitations/lookup', { token })).json()).toEqual({
      name: 'Claire',
      email: 'claire@famille.test',
      relation: 'daughter',
      relationText: null,
      self: false,
      patientName: 'Jeanne Dupont',
      patientSex: null,
      expiresAt: expect.any(Number),
    });
    const short = await post('/api/invitations/accept', { token, password: 'short' });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ error: { code: 'password_too_short', params: { min: 10 } } });
    const accepted = await post('/api/invitations/accept', { token, password: FAMILY_PASSWORD });
    expect(accepted.status).toBe(200);
    const setCookie = accepted.headers.getSetCookie().find((c) => c.startsWith('vigie_session='))!;
    expect(setCookie).toMatch(/^vigie_session=[\w-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;
    expect(await (await get('/api/me', cookie)).json()).toMatchObject({
      person: {
        name: 'Claire',
        role: 'family',
        patients: [{ id: device.patientId, name: 'Jeanne Dupont', relation: 'daughter', shareVitals: true }],
      },
    });
    const again = await post('/api/invitations/accept', { token, password: FAMILY_PASSWORD });
    expect(again.status).toBe(410);
    expect(await again.json()).toMatchObject({ error: { code: 'invitation_used' } });
    const bogus = await post('/api/invitations/lookup', { token: 'x'.repeat(43) });
    expect(bogus.status).toBe(404);
    expect(await bogus.json()).toMatchObject({ error: { code: 'invitation_invalid' } });
    // A relative cannot invite (the care team and the patient do).
    expect(
      (
        await post(
          `/api/patients/${device.patientId}/invitations`,
          { name: 'X', email: 'x@x.test', relation: 'ami' },
          { cookie },
        )
      ).status,
    ).toBe(403);
  });

  it('keeps a relation as a code (what was typed for "other"), and tells a relative how to reach the senior', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    t.broker.registry.setPatientContact(device.patientId, { phone: '06 12 34 56 78', sex: 'female' });
    const claire = await s.family(device.patientId, {
      name: 'Claire',
      email: 'claire@famille.test',
      relation: 'daughter',
    });
    const zoe = await s.family(device.patientId, {
      name: 'Zoé',
      email: 'zoe@famille.test',
      relation: 'other',
      relationText: 'filleule',
    });
    const overview = async (cookie: string) =>
      (await (await get(`/api/patients/${device.patientId}`, cookie)).json()) as Record<string, unknown>;
    expect(await overview(claire.cookie)).toMatchObject({
      patient: { id: device.patientId, name: 'Jeanne Dupont', phone: '+33612345678', sex: 'female' },
      relation: 'daughter',
      relationText: null,
      self: false,
    });
    expect(await overview(zoe.cookie)).toMatchObject({ relation: 'other', relationText: 'filleule' });
    const detail = (await (
      await fetch(`${s.webUrl}/api/console/patients/${device.patientId}`, {
        headers: { authorization: `Bearer ${s.staffToken}` },
      })
    ).json()) as { people: unknown[]; phone: string };
    expect(detail.phone).toBe('+33612345678');
    expect(detail.people).toEqual([
      { id: claire.personId, name: 'Claire', relation: 'daughter', relationText: null },
      { id: zoe.personId, name: 'Zoé', relation: 'other', relationText: 'filleule' },
    ]);
  });

  it('refuses a wrong password with a code, signs out, and does not let a stranger lock the owner out', async () => {
    const { device } = await s.senior('Jeanne');
    await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const wrong = await post('/api/session', { email: 'claire@famille.test', password: 'not her password' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'wrong_credentials' } });
    // The same answer for an unknown e-mail.
    const unknown = await post('/api/session', { email: 'nobody@famille.test', password: 'whatever' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 'wrong_credentials' } });
    const ok = await post('/api/session', { email: 'CLAIRE@famille.test', password: FAMILY_PASSWORD });
    expect(ok.status).toBe(200);
    const cookies = ok.headers.getSetCookie().map((c) => c.split(';')[0]!);
    const cookie = cookies.find((c) => c.startsWith('vigie_session='))!;
    const deviceCookie = cookies.find((c) => c.startsWith('vigie_device='))!;
    expect(
      (await fetch(`${s.webUrl}/api/session`, { method: 'DELETE', headers: { cookie, origin: s.webUrl } })).status,
    ).toBe(204);
    expect((await get('/api/me', cookie)).status).toBe(401);

    // A stranger guesses: after a few tries, each answer is a quick 429 with how long to wait.
    const answers = [];
    for (let i = 0; i < 6; i += 1)
      answers.push(await post('/api/session', { email: 'claire@famille.test', password: `guess ${i}` }));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 429, 429]);
    expect(Number(answers[5]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await answers[5]!.json()).toMatchObject({
      error: { code: 'sign_in_throttled', params: { retryAfterSeconds: expect.any(Number) } },
    });
    // Even the right password waits, from a browser that never signed in here...
    expect((await post('/api/session', { email: 'claire@famille.test', password: FAMILY_PASSWORD })).status).toBe(429);
    // ...but Claire, on her own tablet, signs in at once.
    const hers = await post(
      '/api/session',
      { email: 'claire@famille.test', password: FAMILY_PASSWORD },
      { cookie: deviceCookie },
    );
    expect(hers.status).toBe(200);
  });

  it('refuses cookie-authenticated changes and live sockets from another site (CSRF)', async () => {
    const { device } = await s.senior('Jeanne');
    const { cookie } = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const forged = await post(
      '/api/session',
      { email: 'claire@famille.test', password: FAMILY_PASSWORD },
      { origin: 'https://evil.example' },
    );
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'cross_site' } });
    await expect(live(cookie, 'https://evil.example')).rejects.toThrow(/403/);
    await expect(live('vigie_session=forged')).rejects.toThrow(/401/);
  });

  it('closes the live channel of a session that signed out', async () => {
    const { device } = await s.senior('Jeanne');
    const { cookie } = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const { ws } = await live(cookie);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    expect(
      (await fetch(`${s.webUrl}/api/session`, { method: 'DELETE', headers: { cookie, origin: s.webUrl } })).status,
    ).toBe(204);
    expect(await closed).toBe(4401);
  });
});

describe('the patient invites their relatives', () => {
  it('from their own account, for themself only; a relative cannot invite', async () => {
    const { device } = await s.senior('Jeanne');
    const other = await s.senior('Marcel');
    const jeanne = await s.family(device.patientId, {
      name: 'Jeanne',
      email: 'jeanne@senior.test',
      relation: 'elle-même',
      role: 'patient',
    });
    const invited = await post(
      `/api/patients/${device.patientId}/invitations`,
      { name: 'Paul', email: 'paul@famille.test', relation: 'voisin', shareVitals: false },
      { cookie: jeanne.cookie },
    );
    expect(invited.status).toBe(201);
    const token = new URL(((await invited.json()) as { link: string }).link).hash.replace('#invite=', '');
    const accepted = await post('/api/invitations/accept', { token, password: FAMILY_PASSWORD });
    const paulCookie = sessionCookie(accepted);
    expect(await (await get('/api/me', paulCookie)).json()).toMatchObject({
      person: { role: 'family', patients: [{ id: device.patientId, relation: 'neighbour', shareVitals: false }] },
    });
    expect(
      (
        await post(
          `/api/patients/${device.patientId}/invitations`,
          { name: 'X', email: 'x@x.test', relation: 'ami' },
          { cookie: paulCookie },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await post(
          `/api/patients/${other.device.patientId}/invitations`,
          { name: 'X', email: 'x@x.test', relation: 'ami' },
          { cookie: jeanne.cookie },
        )
      ).status,
    ).toBe(403);
    expect(
      (await post(`/api/patients/${device.patientId}/invitations`, { name: 'X', email: 'x@x.test', relation: 'ami' }))
        .status,
    ).toBe(401);
  });
});

describe('a relative sees only their own patient', () => {
  it('over HTTP: another patient, their alerts and their alert actions are out of reach', async () => {
    const mine = await s.senior('Jeanne');
    const theirs = await s.senior('Marcel');
    const { cookie } = await s.family(mine.device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    await theirs.publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    const alertId = await eventually(() => {
      const [a] = t.ingest.alertService.list([theirs.device.patientId]);
      expect(a).toBeDefined();
      return a!.id;
    });
    expect((await get(`/api/patients/${mine.device.patientId}`, cookie)).status).toBe(200);
    const other = await get(`/api/patients/${theirs.device.patientId}`, cookie);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: 'patient_forbidden' } });
    expect((await get('/api/patients/p-doesnotexist', cookie)).status).toBe(403); // same answer: ids cannot be probed
    expect((await get(`/api/alerts/${alertId}`, cookie)).status).toBe(404);
    expect((await post(`/api/alerts/${alertId}/actions`, { action: { action: 'accept' } }, { cookie })).status).toBe(
      404,
    );
    expect(t.ingest.alertService.list([theirs.device.patientId])[0]).toMatchObject({
      acknowledgedAt: null,
      assignee: null,
    });
    expect((await get(`/api/patients/${mine.device.patientId}`)).status).toBe(401);
  });

  it('over the live channel: a subscription to another patient is refused and nothing of theirs arrives', async () => {
    const mine = await s.senior('Jeanne');
    const theirs = await s.senior('Marcel');
    const { cookie } = await s.family(mine.device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const { ws, received } = await live(cookie);
    ws.send(JSON.stringify({ type: 'subscribe', patientId: theirs.device.patientId }));
    ws.send(JSON.stringify({ type: 'subscribe', patientId: mine.device.patientId }));
    await eventually(() => expect(received.map((m) => m.type)).toEqual(expect.arrayContaining(['error', 'snapshot'])));
    expect(received.find((m) => m.type === 'error')).toMatchObject({
      patientId: theirs.device.patientId,
      code: 'patient_forbidden',
    });

    await theirs.publish('vitals', { ts: Date.now(), seq: 1, hr: 71, spo2: 96, battery: 50 });
    await theirs.publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    await mine.publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, battery: 80 });
    await mine.publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    await eventually(() => expect(received.some((m) => m.type === 'alert' && m.alert.kind === 'sos')).toBe(true));
    await eventually(() => expect(received.map((m) => m.type)).toContain('vitals'));
    await eventually(() => expect(t.ingest.alertService.list([theirs.device.patientId])).toHaveLength(1)); // theirs was processed too
    expect(
      received.every((m) => m.type === 'error' || m.type === 'subscribed' || m.patientId === mine.device.patientId),
    ).toBe(true);
    expect(JSON.stringify(received)).not.toContain('"hr":71');
    ws.close();
  });

  it('gives a relative with consent the recent readings for the sparkline: time, pulse and SpO2, in time order, each once', async () => {
    const { device, publish } = await s.senior('Jeanne');
    const { cookie } = await s.family(device.patientId, {
      name: 'Claire',
      email: 'claire@famille.test',
      relation: 'fille',
      shareVitals: true,
    });
    const ts = Date.now() - 10_000;
    await publish('vitals', {
      samples: [
        { ts: ts + 2_000, seq: 3, hr: 66.5, temp: 36.9 },
        { ts, seq: 1, hr: 64, spo2: 98 },
      ],
    });
    // Late, and a redelivery of one already there.
    await publish('vitals', {
      samples: [
        { ts: ts + 1_000, seq: 2, spo2: 97, battery: 40 },
        { ts, seq: 1, hr: 64, spo2: 98 },
      ],
    });
    const overview = await eventually(async () => {
      const o = (await (await get(`/api/patients/${device.patientId}`, cookie)).json()) as {
        vitals: { recent: unknown[] } | null;
      };
      expect(o.vitals?.recent).toHaveLength(3);
      return o;
    });
    expect(overview.vitals?.recent).toEqual([
      { ts, hr: 64, spo2: 98 },
      { ts: ts + 1_000, spo2: 97 },
      { ts: ts + 2_000, hr: 66.5 },
    ]);
  });

  it('keeps vital signs from a relative without consent, but not presence, battery or alerts', async () => {
    const { device, publish } = await s.senior('Jeanne');
    const { cookie } = await s.family(device.patientId, {
      name: 'Marc',
      email: 'marc@famille.test',
      relation: 'fils',
      shareVitals: false,
    });
    const { ws, received } = await live(cookie);
    ws.send(JSON.stringify({ type: 'subscribe', patientId: device.patientId }));
    await eventually(() => expect(received.some((m) => m.type === 'snapshot')).toBe(true));
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, battery: 12 });
    await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    await eventually(() => expect(received.some((m) => m.type === 'alert')).toBe(true));
    await eventually(() => expect(received.some((m) => m.type === 'presence')).toBe(true));
    expect(received.some((m) => m.type === 'vitals')).toBe(false);
    const overview = (await (await get(`/api/patients/${device.patientId}`, cookie)).json()) as {
      vitals: unknown;
      presence: { battery: number; online: boolean };
      alerts: unknown[];
    };
    expect(overview.vitals).toBeNull();
    expect(overview.presence).toMatchObject({ online: true, battery: 12 });
    expect(overview.alerts.length).toBeGreaterThanOrEqual(1);
    ws.close();
  });
});

describe('consent reaches alert details', () => {
  it('gives a relative without consent no vital value anywhere: alert details over HTTP and the live channel', async () => {
    const { device, publish } = await s.senior('Jeanne');
    const claire = await s.family(device.patientId, {
      name: 'Claire',
      email: 'claire@famille.test',
      shareVitals: true,
    });
    const marc = await s.family(device.patientId, { name: 'Marc', email: 'marc@famille.test', shareVitals: false });
    const liveClaire = await live(claire.cookie);
    const liveMarc = await live(marc.cookie);
    for (const l of [liveClaire, liveMarc])
      l.ws.send(JSON.stringify({ type: 'subscribe', patientId: device.patientId }));
    await eventually(() => expect(liveMarc.received.some((m) => m.type === 'snapshot')).toBe(true));
    await publish('vitals', { ts: Date.now(), seq: 1, glucose: 2.4 });
    const alertOf = (l: { received: LiveMessage[] }) =>
      eventually(() => {
        const m = l.received.find((x) => x.type === 'alert' && x.alert.kind === 'threshold:glucose-very-low');
        expect(m).toBeDefined();
        return m!.type === 'alert' ? m!.alert : undefined;
      });
    expect((await alertOf(liveClaire))?.detail).toMatchObject({ vital: 'glucose', value: 2.4, limit: 3 });
    const hidden = await alertOf(liveMarc);
    expect(hidden?.detail).toEqual({ vital: 'glucose', direction: 'below' });
    // Over HTTP: the alert itself, and the page's overview.
    const id = hidden!.id;
    expect(
      ((await (await get(`/api/alerts/${id}`, claire.cookie)).json()) as { alert: { detail: object } }).alert.detail,
    ).toMatchObject({
      value: 2.4,
    });
    const forMarc = JSON.stringify([
      await (await get(`/api/alerts/${id}`, marc.cookie)).json(),
      await (await get(`/api/patients/${device.patientId}`, marc.cookie)).json(),
      liveMarc.received,
    ]);
    expect(forMarc).not.toContain('2.4');
    expect(forMarc).not.toContain('"value"');
    for (const l of [liveClaire, liveMarc]) l.ws.close();
  });
});

describe('acting on an alert', () => {
  it('lets a relative accept and confirm arrival, and keeps resolving for the care team', async () => {
    const { device, publish } = await s.senior('Jeanne');
    const claire = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const marc = await s.family(device.patientId, { name: 'Marc', email: 'marc@famille.test' });
    s.people.setChain(device.patientId, [
      { personId: claire.personId, delayMs: 0 },
      { personId: marc.personId, delayMs: 60_000 },
    ]);
    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    const id = await eventually(() => {
      const [a] = t.ingest.alertService.list([device.patientId]);
      expect(a?.escalation).not.toBeNull();
      return a!.id;
    });
    const accepted = await post(`/api/alerts/${id}/actions`, { action: { action: 'accept' } }, { cookie: marc.cookie });
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { alert: { escalation: { owner: string } } }).alert.escalation.owner).toBe(
      marc.personId,
    );
    const late = await post(`/api/alerts/${id}/actions`, { action: { action: 'accept' } }, { cookie: claire.cookie });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'alert_already_accepted', params: { by: 'Marc' } } });
    const resolve = await post(
      `/api/alerts/${id}/actions`,
      { action: { action: 'resolve', note: 'fine' } },
      { cookie: marc.cookie },
    );
    expect(resolve.status).toBe(403);
    expect(await resolve.json()).toMatchObject({ error: { code: 'action_not_allowed' } });
    expect(
      (await post(`/api/alerts/${id}/actions`, { action: { action: 'arrived' } }, { cookie: marc.cookie })).status,
    ).toBe(200);
    const history = (await (await get(`/api/alerts/${id}`, claire.cookie)).json()) as {
      alert: { escalation: { state: string } };
      audit: Array<{ actor: string; action: string }>;
    };
    expect(history.alert.escalation.state).toBe('arrived');
    expect(history.audit.map((a) => `${a.actor}: ${a.action}`)).toEqual(
      expect.arrayContaining(['Vigie: opened', 'Marc: accepted: on the way', 'Marc: help arrived']),
    );
  });
});

describe('the care team sets up a patient', () => {
  const staff = (method: string, path: string, body?: unknown) =>
    fetch(`${s.webUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('changes a threshold for one patient, and the running ingest applies it within seconds', async () => {
    const { device, publish } = await s.senior('Jeanne');
    const unknown = await staff('PUT', `/api/patients/${device.patientId}/rules`, {
      thresholds: { 'temp-hgih': { limit: 37 } },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 'threshold_unknown', params: { rule: 'temp-hgih' } } });
    const short = await staff('PUT', `/api/patients/${device.patientId}/rules`, { fallWindowSeconds: 5 });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({
      error: { code: 'invalid_request', params: { fields: 'body.fallWindowSeconds' } },
    });
    expect((await fetch(`${s.webUrl}/api/patients/${device.patientId}/rules`)).status).toBe(401);
    // Unknown patients and others' patients get the same answer.
    expect((await staff('GET', '/api/patients/p-unknown/rules')).status).toBe(403);

    const set = await staff('PUT', `/api/patients/${device.patientId}/rules`, {
      thresholds: { 'temp-high': { limit: 37.2 } },
      spo2Scale: 2,
    });
    expect(set.status).toBe(200);
    const body = (await set.json()) as {
      settings: { spo2Scale: number };
      thresholds: Array<{ id: string; limit: number }>;
    };
    expect(body.settings.spo2Scale).toBe(2);
    expect(body.thresholds.find((r) => r.id === 'temp-high')?.limit).toBe(37.2);
    expect(body.thresholds.find((r) => r.id === 'temp-very-high')?.limit).toBe(39); // the others keep their defaults

    await new Promise((r) => setTimeout(r, 1_100)); // the ingest re-reads settings at most once a second
    for (let seq = 1; seq <= 3; seq += 1) await publish('vitals', { ts: Date.now() + seq, seq, temp: 37.6 });
    const [alert] = await eventually(() => {
      const open = t.ingest.alertService.list([device.patientId]);
      expect(open.map((a) => a.kind)).toContain('threshold:temp-high');
      return open;
    });
    expect(alert).toMatchObject({ priority: 'medium', detail: { vital: 'temp', limit: 37.2, value: 37.6 } });
  });

  it("sets an escalation chain only with the patient's own people", async () => {
    const { device } = await s.senior('Jeanne');
    const other = await s.senior('Marcel');
    const claire = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const stranger = await s.family(other.device.patientId, { name: 'Paul', email: 'paul@famille.test' });
    const bad = await staff('PUT', `/api/patients/${device.patientId}/escalation`, {
      steps: [{ personId: stranger.personId, delayMinutes: 0 }],
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'chain_person_not_linked', params: { step: 1 } } });
    const ok = await staff('PUT', `/api/patients/${device.patientId}/escalation`, {
      steps: [{ personId: claire.personId, delayMinutes: 0 }],
      arrivalTimeoutMinutes: 20,
    });
    expect(await ok.json()).toMatchObject({
      steps: [{ personId: claire.personId, delayMs: 0, name: 'Claire' }],
      arrivalTimeoutMs: 20 * 60_000,
      people: expect.arrayContaining([
        { id: claire.personId, name: 'Claire', role: 'family', relation: 'daughter', relationText: null },
      ]),
    });
  });
});
