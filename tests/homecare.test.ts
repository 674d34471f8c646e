/**
 * The home-care worker's least privilege (common/people-rules.ts: no `vitals`, no `calls` right),
 * against the real broker, ingest and web service: they follow their team's patients' presence,
 * alerts (without any measurement), the cahier de liaison, and acknowledge alerts; no vital value
 * reaches them over HTTP, the live channel, e-mail or Web Push, and they cannot open a consultation.
 * A clinician of the same team, given the same readings, sees them: the tests would fail on a leak.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { LiveMessage } from '../web/api/live.ts';
import type { ConsoleRow } from '../web/api/schemas.ts';
import { People } from '../web/people.ts';
import { patientSettingsSchema } from '../web/patient-settings.ts';
import { createLogger } from '../common/log.ts';
import { SqliteAlertRepository } from '../ingest/lifecycle/alert-store.ts';
import { SqliteEscalationRepository } from '../ingest/lifecycle/escalation-store.ts';
import { Escalations } from '../ingest/lifecycle/escalation.ts';
import { AlertLifecycle } from '../ingest/lifecycle/lifecycle.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import { WebPushChannel, generateVapidKeys } from '../ingest/notify/push.ts';
import { Dispatcher } from '../ingest/notify/dispatcher.ts';
import { eventually } from './support/mqtt.ts';
import { codeOf, sender } from './support/http.ts';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { startTestSmtp } from './support/smtp.ts';
import { startTestPushService } from './support/push-service.ts';
import { TEST_PASSWORD_WORK } from './support/passwords.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const send = sender(() => s.webUrl);
const json = async <T>(res: Response) => (await res.json()) as T;

/** A live-channel client; batches are unpacked in order. */
async function live(cookie: string): Promise<{ ws: WebSocket; received: LiveMessage[] }> {
  const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, { headers: { cookie, origin: s.webUrl } });
  const received: LiveMessage[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as LiveMessage | { type: 'batch'; events: LiveMessage[] };
    if (m.type === 'batch') received.push(...m.events);
    else received.push(m);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, received };
}

/** A patient with readings (pulse 64, SpO2 98, 37.9 °C) and an alert measured at 2.4 mmol/L of glucose. */
async function measuredPatient() {
  const senior = await s.senior('Mme Garnier');
  const carer = await s.clinician({ name: 'Léa Aide', email: 'lea@vigie.test', role: 'homecare' });
  const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
  return { ...senior, patientId: senior.device.patientId, carer, doctor };
}

describe('a home-care worker over HTTP', () => {
  it('sees presence and alerts without measurements, writes in the cahier, acknowledges; no vitals, no call', async () => {
    const { patientId, publish, carer, doctor } = await measuredPatient();
    s.settings.set(
      patientId,
      patientSettingsSchema.parse({ thresholds: { 'hr-high': { limit: 125 } } }),
      doctor.personId,
    );
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, temp: 37.9, battery: 41 });
    await publish('vitals', { ts: Date.now(), seq: 2, glucose: 2.4 });
    const rowFor = (cookie: string) =>
      eventually(async () => {
        const { patients } = await json<{ patients: ConsoleRow[] }>(await send('GET', '/api/console/patients', cookie));
        const row = patients.find((p) => p.id === patientId);
        expect(row?.alerts.map((a) => a.kind)).toContain('threshold:glucose-very-low');
        expect(row?.presence.battery).toBe(41);
        return row!;
      });
    // The clinician's row has it all (so that the home-care worker's would show a leak).
    const full = await rowFor(doctor.cookie);
    expect(full.latest.hr?.value).toBe(64);
    expect(full.news2).not.toBeNull();
    expect(full.thresholds).toContainEqual(expect.objectContaining({ vital: 'hr', limit: 125 }));
    expect(full.alerts[0]?.detail).toMatchObject({ value: 2.4 });

    const row = await rowFor(carer.cookie);
    expect(row.presence).toMatchObject({ online: true, battery: 41 });
    expect(row.latest).toEqual({});
    expect(row.news2).toBeNull();
    expect(row.thresholds).toEqual([]);
    const alert = row.alerts.find((a) => a.kind === 'threshold:glucose-very-low')!;
    expect(alert.detail).toEqual({ vital: 'glucose', direction: 'below' });

    const page = await send('GET', `/api/console/patients/${patientId}`, carer.cookie);
    expect(page.status).toBe(200);
    const pageBody = await json<{ patient: ConsoleRow; thresholds: unknown[] }>(page);
    expect(pageBody.thresholds).toEqual([]);
    expect(pageBody.patient.latest).toEqual({});
    const one = await send('GET', `/api/alerts/${alert.id}`, carer.cookie);
    const seen = JSON.stringify([row, pageBody, await one.json()]);
    expect(seen).not.toContain('2.4');
    expect(seen).not.toContain('"value"');
    expect(seen).not.toMatch(/"hr"|"spo2"|"temp"|"score"/);

    for (const path of [
      `/api/console/patients/${patientId}/history`,
      `/api/console/patients/${patientId}/history?range=7d`,
    ]) {
      const history = await send('GET', path, carer.cookie);
      expect([history.status, await codeOf(history)]).toEqual([403, 'role_not_allowed']);
    }
    const call = await send('POST', '/api/consultations', carer.cookie, { patientId });
    expect([call.status, await codeOf(call)]).toEqual([403, 'role_not_allowed']);
    expect((await send('GET', `/api/console/patients/${patientId}/history`, doctor.cookie)).status).toBe(200);

    // What they may do: the cahier de liaison, and acknowledging an alert.
    expect(
      (await send('POST', `/api/console/patients/${patientId}/notes`, carer.cookie, { text: 'Passée à 10 h' })).status,
    ).toBe(201);
    const notes = await json<{ notes: Array<{ text: string }> }>(
      await send('GET', `/api/console/patients/${patientId}/notes`, carer.cookie),
    );
    expect(notes.notes.map((n) => n.text)).toEqual(['Passée à 10 h']);
    const ack = await send('POST', `/api/alerts/${alert.id}/actions`, carer.cookie, {
      action: { action: 'acknowledge' },
    });
    expect(ack.status).toBe(200);
    const acked = await json<{ alert: { acknowledgedBy: string; detail: object } }>(ack);
    expect(acked.alert.acknowledgedBy).toBe(carer.personId);
    expect(acked.alert.detail).toEqual({ vital: 'glucose', direction: 'below' });

    // Closed alerts on the patient's page: without measurements either.
    await send('POST', `/api/alerts/${alert.id}/actions`, doctor.cookie, {
      action: { action: 'resolve', note: 'Resucrée.' },
    });
    const past = await json<{ alerts: Array<{ id: number; detail: object }> }>(
      await send('GET', `/api/console/patients/${patientId}/alerts`, carer.cookie),
    );
    expect(past.alerts.find((a) => a.id === alert.id)?.detail).toEqual({ vital: 'glucose', direction: 'below' });
  });
});

describe('a home-care worker on the live channel', () => {
  it('gets presence and alerts without measurements, never a reading, by patient and for the whole team', async () => {
    const { patientId, publish, carer, doctor } = await measuredPatient();
    const carerAll = await live(carer.cookie);
    const carerOne = await live(carer.cookie);
    const doctorAll = await live(doctor.cookie);
    carerAll.ws.send(JSON.stringify({ type: 'subscribe', patientId: '*' }));
    doctorAll.ws.send(JSON.stringify({ type: 'subscribe', patientId: '*' }));
    carerOne.ws.send(JSON.stringify({ type: 'subscribe', patientId }));
    for (const l of [carerAll, doctorAll])
      await eventually(() => expect(l.received.some((m) => m.type === 'subscribed')).toBe(true));
    await eventually(() => expect(carerOne.received.some((m) => m.type === 'snapshot')).toBe(true));

    await publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, battery: 41 });
    await publish('vitals', { ts: Date.now(), seq: 2, glucose: 2.4 });
    const alertIn = (l: { received: LiveMessage[] }) =>
      eventually(() => {
        const m = l.received.find((x) => x.type === 'alert' && x.alert.kind === 'threshold:glucose-very-low');
        expect(m).toBeDefined();
        return m!.type === 'alert' ? m!.alert : undefined;
      });
    // The clinician on the same feed gets the readings and the measured alert.
    expect((await alertIn(doctorAll))?.detail).toMatchObject({ value: 2.4 });
    await eventually(() => expect(doctorAll.received.some((m) => m.type === 'vitals')).toBe(true));
    for (const l of [carerAll, carerOne]) {
      expect((await alertIn(l))?.detail).toEqual({ vital: 'glucose', direction: 'below' });
      await eventually(() => expect(l.received.some((m) => m.type === 'presence')).toBe(true));
    }
    // The first reading's presence and the reading itself leave in one batch: the carer got that batch without it.
    for (const l of [carerAll, carerOne]) {
      expect(l.received.some((m) => m.type === 'vitals')).toBe(false);
      const seen = JSON.stringify(l.received);
      expect(seen).not.toContain('2.4');
      expect(seen).not.toContain('"value"');
      expect(seen).not.toMatch(/"hr"|"spo2"|"score"/);
    }
    const snapshot = carerOne.received.find((m) => m.type === 'snapshot');
    expect(snapshot?.type === 'snapshot' && 'latest' in snapshot.overview && snapshot.overview.latest).toEqual({});
    for (const l of [carerAll, carerOne, doctorAll]) l.ws.close();
  });
});

describe('alert messages to a home-care worker', () => {
  it('say what happened without the measurement, by e-mail and Web Push; a clinician’s say it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-homecare-'));
    const [smtp, push] = await Promise.all([startTestSmtp(), startTestPushService()]);
    const people = People.open(join(dir, 'registry.db'), { passwordWork: TEST_PASSWORD_WORK });
    const alerts = new SqliteAlertRepository(join(dir, 'alerts.db'));
    try {
      const carer = await people.createPerson({ role: 'homecare', name: 'Léa', email: 'lea@vigie.test' });
      const doctor = await people.createPerson({ role: 'clinician', name: 'Dr Roux', email: 'roux@vigie.test' });
      people.addPushSubscription(carer.id, push.subscribe('lea-phone'));
      // Each follows their patient through their care team (the dispatcher tells only those who still do).
      people.addToTeam(people.team('Équipe A'), { people: [carer.id], patients: ['p-1'] });
      people.addToTeam(people.team('Équipe B'), { people: [doctor.id], patients: ['p-2'] });
      const outbox = new SqliteEscalationRepository(alerts.database);
      const life = new AlertLifecycle(alerts);
      const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@vigie.test' };
      const dispatcher = new Dispatcher({
        alerts,
        outbox,
        people,
        channels: [
          new EmailChannel({ url: smtp.url, from: 'alertes@vigie.test' }),
          new WebPushChannel(vapid, () => undefined, push.agent),
        ],
        patientName: () => 'Mme Garnier',
        linkFor: (alert) => `http://vigie.test/console/#/patient/${alert.patientId}`,
        logger: createLogger('test', 'silent'),
      });
      const T0 = 1_800_000_000_000;
      // The same measured alert, for two patients: the first is escalated to the carer, the second to the doctor.
      for (const [patientId, personId] of [
        ['p-1', carer.id],
        ['p-2', doctor.id],
      ] as const) {
        const { alert } = life.apply({
          patientId,
          kind: 'threshold:glucose-very-low',
          change: 'raise',
          priority: 'high',
          at: T0,
          detail: { vital: 'glucose', direction: 'below', value: 2.4, limit: 3 },
        })!;
        new Escalations(alerts, outbox, life).start(
          alert,
          { patientId, steps: [{ personId, delayMs: 0 }], arrivalTimeoutMs: 60_000 },
          T0,
        );
      }
      await dispatcher.run(T0);
      const mails = await smtp.waitFor(2);
      const to = (address: string) =>
        mails.find((m) => !Array.isArray(m.to) && m.to?.value[0]?.address === address)?.text ?? '';
      expect(to('roux@vigie.test')).toMatch(/2,4/);
      expect(to('lea@vigie.test')).toContain('Mme Garnier');
      expect(to('lea@vigie.test')).not.toMatch(/2,4|2\.4/);
      const [pushed] = await push.waitFor(1);
      expect(JSON.stringify(pushed!.payload)).toContain('Mme Garnier');
      expect(JSON.stringify(pushed!.payload)).not.toMatch(/2,4|2\.4/);
    } finally {
      await Promise.all([smtp.stop(), push.stop()]);
      people.close();
      alerts.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
