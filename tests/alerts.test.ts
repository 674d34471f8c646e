/**
 * The alert engine in the running ingest, end to end: a real watch connection publishes a fall, the
 * alert appears on the patient's alerts topic, is confirmed when the "I'm OK" window ends, and
 * escalates by e-mail (a real SMTP server) and Web Push (decrypted by the receiver) along the chain;
 * an ingest restart in the middle of the escalation resumes it; people act through the alert API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { usePipeline } from './support/pipeline.ts';
import { recordIdentity } from './support/identity.ts';
import { startTestIngest } from './support/ingest.ts';
import { collect, connect, end, eventually } from './support/mqtt.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';
import { startTestPushService, type TestPushService } from './support/push-service.ts';
import { ALL_PATIENTS_ALERTS_FILTER, deviceTopic } from '../devices/topics.ts';
import { People, type Person } from '../web/people.ts';
import { registryPath } from '../common/paths.ts';
import { createLogger } from '../common/log.ts';
import { alertViewSchema, type AlertView } from '../common/alert-api.ts';
import type { Provisioned } from '../web/registry.ts';
import { DEFAULT_RULES } from '../ingest/rules/engine.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import { generateVapidKeys, WebPushChannel } from '../ingest/notify/push.ts';
import { serveAlertApi } from '../ingest/alert-api.ts';
import type { IngestOptions } from '../ingest/ingest.ts';
import { TEST_PASSWORD_WORK } from './support/passwords.ts';

const FALL_WINDOW_MS = 1_500;
const STEP_MS = 2_500;
const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@vigie.test' };
const clients: MqttClient[] = [];
let smtp: TestSmtp;
let push: TestPushService;
let people: People;
let api: { server: Server; url: string } | undefined;
const token = randomBytes(24).toString('base64url');

const t = usePipeline(async () => {
  await Promise.all(clients.splice(0).map((c) => end(c, true)));
  api?.server.close();
  api = undefined;
});
beforeEach(async () => {
  [smtp, push] = await Promise.all([startTestSmtp(), startTestPushService()]);
  people = People.open(registryPath(t.broker.dir), { passwordWork: TEST_PASSWORD_WORK });
});
afterEach(async () => {
  await Promise.all([smtp.stop(), push.stop()]);
  people.close();
});

/** Replaces the pipeline's ingest by one with notification channels and short windows. */
async function alertingIngest(renotifyMs?: { high: number; medium: number; low: null }): Promise<void> {
  await t.ingest.stop();
  const options: Partial<IngestOptions> = {
    channels: [
      new EmailChannel({ url: smtp.url, from: 'alertes@vigie.test' }),
      new WebPushChannel(vapid, (e) => people.removePushSubscription(e), push.agent),
    ],
    webUrl: 'http://vigie.test',
    alertOptions: {
      rulesFor: () => ({ ...DEFAULT_RULES, fallWindowMs: FALL_WINDOW_MS }),
      ...(renotifyMs ? { renotifyMs } : {}),
    },
  };
  t.ingest = await startTestIngest(t.broker, t.influx, options);
  api = await serveAlertApi(t.ingest.alertService, {
    host: '127.0.0.1',
    port: 0,
    token,
    logger: createLogger('api', 'silent'),
  });
}

async function senior(): Promise<{
  device: Provisioned;
  send: (body: object) => Promise<void>;
  sendVitals: (body: object) => Promise<void>;
  daughter: Person;
  son: Person;
}> {
  const device = await t.broker.registry.provisionPatient('Jeanne Dupont');
  const client = await connect(t.broker.url, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
  });
  clients.push(client);
  const daughter = await people.createPerson({ role: 'family', name: 'Claire', email: 'claire@famille.test' });
  const son = await people.createPerson({ role: 'family', name: 'Marc', email: 'marc@famille.test', lang: 'en' });
  people.link(daughter.id, device.patientId, { relation: 'daughter', shareVitals: true });
  people.link(son.id, device.patientId, { relation: 'son', shareVitals: false });
  people.addPushSubscription(daughter.id, push.subscribe('claire-phone'));
  people.setChain(
    device.patientId,
    [
      { personId: daughter.id, delayMs: 0 },
      { personId: son.id, delayMs: STEP_MS },
    ],
    60_000,
  );
  const send = async (body: object) =>
    void (await client.publishAsync(deviceTopic(device.deviceId, 'events'), JSON.stringify(body), { qos: 1 }));
  const sendVitals = async (body: object) =>
    void (await client.publishAsync(deviceTopic(device.deviceId, 'vitals'), JSON.stringify(body), { qos: 1 }));
  return { device, send, sendVitals, daughter, son };
}

async function listen(): Promise<() => AlertView[]> {
  const secret = await t.broker.registry.setService('svc:web', 'web');
  const client = await connect(t.broker.url, { clientId: 'test-web', username: 'svc:web', password: secret });
  clients.push(client);
  const received = collect(client);
  await client.subscribeAsync(ALL_PATIENTS_ALERTS_FILTER, { qos: 1 });
  return () => received.map((r) => alertViewSchema.parse(JSON.parse(r.payload.toString())));
}

const post = (path: string, body: unknown, auth = token) =>
  fetch(`${api!.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('alert engine in the ingest', () => {
  it('publishes a fall as pending, confirms it when the window ends, and escalates by e-mail and push in order', async () => {
    await alertingIngest();
    const live = await listen();
    const { device, send, daughter, son } = await senior();
    await send({ ts: Date.now(), seq: 1, type: 'fall', confidence: 0.93 });
    const pending = await eventually(() => {
      const a = live().find((x) => x.kind === 'fall');
      expect(a).toBeDefined();
      return a!;
    });
    expect(pending).toMatchObject({
      patientId: device.patientId,
      status: 'pending',
      priority: 'high',
      escalation: null,
    });
    expect(smtp.received).toHaveLength(0); // nobody is called while the wearer may still say "I'm OK"

    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toMatchObject({ value: [{ address: 'claire@famille.test' }] });
    expect(mail!.subject).toBe('Alerte : Jeanne Dupont');
    expect(mail!.text).toContain(`http://vigie.test/family/?alert=${pending.id}`);
    const [pushed] = await push.waitFor(1);
    expect(pushed!.payload).toMatchObject({ alertId: pending.id, urgent: true, title: 'Alerte : Jeanne Dupont' });
    expect(live().at(-1)).toMatchObject({
      id: pending.id,
      status: 'confirmed',
      escalation: { state: 'notifying', step: 0, steps: 2 },
    });

    const mails = await smtp.waitFor(2, STEP_MS + 10_000);
    expect(mails[1]!.to).toMatchObject({ value: [{ address: 'marc@famille.test' }] });
    expect(mails[1]!.subject).toBe('Alert: Jeanne Dupont'); // in his language

    const audit = (await (
      await fetch(`${api!.url}/alerts/${pending.id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      audit: Array<{
        action: string;
        channel: string;
        detail: { to?: string; kind?: string; step?: number; steps?: number };
      }>;
    };
    const said = ({ channel, action, detail: d }: (typeof audit.audit)[number]) =>
      [`${channel}: ${action}`, d.step && `${d.step}/${d.steps}`, d.kind, d.to].filter(Boolean).join(' ');
    expect(audit.audit.map(said)).toEqual(
      expect.arrayContaining([
        'rules: opened',
        'rules: confirmed',
        `escalation: escalation step 1/2 ${daughter.id}`,
        `email: notified alert ${daughter.id}`,
        `push: notified alert ${daughter.id}`,
        `escalation: escalation step 2/2 ${son.id}`,
      ]),
    );
  });

  it('tells each person only the vital values the patient shares with them, by e-mail and by push', async () => {
    await alertingIngest();
    const { sendVitals, son } = await senior();
    people.addPushSubscription(son.id, push.subscribe('marc-phone'));
    // 2.4 mmol/L: the high-priority hypoglycaemia alert, from one reading.
    await sendVitals({ ts: Date.now(), seq: 1, glucose: 2.4 });
    // The daughter is told at once, the son a step later (both alerts: glucose low and very low).
    const to = (address: string) =>
      eventually(() => {
        const mail = smtp.received.find((m) => JSON.stringify(m.to).includes(address));
        expect(mail).toBeDefined();
        return mail!;
      }, STEP_MS + 10_000);
    const pushTo = (name: string) =>
      eventually(() => {
        const pushed = push.received.find((p) => p.path.endsWith(`/${name}`));
        expect(pushed).toBeDefined();
        return pushed!.payload;
      }, STEP_MS + 10_000);
    // Claire (who has the patient's consent) reads the value; Marc (who has not) is told there is an alert.
    expect((await to('claire@famille.test')).text).toContain('(glycémie 2,4 mmol/L)');
    const marc = await to('marc@famille.test');
    expect(marc.text).toContain('a reading outside the limits set by the care team for Jeanne Dupont');
    expect(marc.text).not.toContain('2.4');
    expect(JSON.stringify(await pushTo('claire-phone'))).toContain('(glycémie 2,4 mmol/L)');
    expect(JSON.stringify(await pushTo('marc-phone'))).not.toContain('2.4');
  });

  it('cancels a fall the wearer answers within the window, and calls nobody', async () => {
    await alertingIngest();
    const live = await listen();
    const { send } = await senior();
    await send({ ts: Date.now(), seq: 1, type: 'fall' });
    await eventually(() => expect(live().some((a) => a.kind === 'fall')).toBe(true));
    await send({ ts: Date.now(), seq: 2, type: 'im_ok' });
    const cancelled = await eventually(() => {
      const a = live().at(-1);
      expect(a?.closedReason).toBe('cancelled');
      return a!;
    });
    await new Promise((r) => setTimeout(r, FALL_WINDOW_MS + 500)); // past the window: still nothing
    expect(smtp.received).toHaveLength(0);
    expect(t.ingest.alertService.list()).toEqual([]);
    expect(cancelled.resolution).toMatch(/I'm OK/);
  });

  it('resumes an escalation after the ingest restarts: the next step comes, none is repeated', async () => {
    await alertingIngest();
    const { send } = await senior();
    await send({ ts: Date.now(), seq: 1, type: 'sos' });
    await smtp.waitFor(1); // step 1 (daughter) sent at once
    await alertingIngest(); // stop, start again on the same files
    const mails = await smtp.waitFor(2, STEP_MS + 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(smtp.received.map((m) => (m.to as { value: Array<{ address: string }> }).value[0]!.address)).toEqual([
      'claire@famille.test',
      'marc@famille.test',
    ]);
    expect(mails).toHaveLength(2);
  });

  it('gives the alert to the first who accepts, refuses the second, and closes the loop with arrival', async () => {
    await alertingIngest();
    const live = await listen();
    const { send, daughter, son } = await senior();
    await send({ ts: Date.now(), seq: 1, type: 'sos' });
    const sos = await eventually(() => {
      const a = live().find((x) => x.kind === 'sos' && x.escalation);
      expect(a).toBeDefined();
      return a!;
    });
    const accepted = await post(`/alerts/${sos.id}/actions`, {
      actor: daughter.id,
      channel: 'web',
      action: { action: 'accept' },
    });
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { alert: AlertView }).alert).toMatchObject({
      acknowledgedBy: daughter.id,
      assignee: daughter.id,
      escalation: { state: 'accepted', owner: daughter.id },
    });
    const second = await post(`/alerts/${sos.id}/actions`, {
      actor: son.id,
      channel: 'web',
      action: { action: 'accept' },
    });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: { code: 'alert_already_accepted' } });
    expect(
      (await post(`/alerts/${sos.id}/actions`, { actor: son.id, channel: 'web', action: { action: 'arrived' } }))
        .status,
    ).toBe(409);
    expect(
      (await post(`/alerts/${sos.id}/actions`, { actor: daughter.id, channel: 'web', action: { action: 'arrived' } }))
        .status,
    ).toBe(200);
    await eventually(() => expect(live().at(-1)?.escalation).toMatchObject({ state: 'arrived' }));
    await new Promise((r) => setTimeout(r, STEP_MS + 500)); // the son is never called: someone is there
    expect(smtp.received.map((m) => (m.to as { value: Array<{ address: string }> }).value[0]!.address)).toEqual([
      'claire@famille.test',
    ]);

    expect(
      (
        await post(`/alerts/${sos.id}/actions`, {
          actor: 'nurse-1',
          channel: 'web',
          action: { action: 'resolve', note: '' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await post(`/alerts/${sos.id}/actions`, {
          actor: 'nurse-1',
          channel: 'web',
          action: { action: 'resolve', note: 'Claire found her mother well.' },
        })
      ).status,
    ).toBe(200);
    expect(t.ingest.alertService.list()).toEqual([]);
    expect(
      (
        await post(
          `/alerts/${sos.id}/actions`,
          { actor: 'x', channel: 'web', action: { action: 'accept' } },
          'wrong-token',
        )
      ).status,
    ).toBe(401);
    expect(
      (await post('/alerts/999999/actions', { actor: 'x', channel: 'web', action: { action: 'accept' } })).status,
    ).toBe(404);
  });

  it('names a patient with a recorded identity by its strict traits, in each reader’s language', async () => {
    await alertingIngest();
    const { device, send } = await senior();
    recordIdentity(t.broker.registry, device.patientId, {
      birthName: 'Dupont',
      firstNames: 'Jeanne Marie',
      birthDate: '1941-02-03',
      sex: 'female',
    });
    await send({ ts: Date.now(), seq: 1, type: 'sos' });
    const [toDaughter] = await smtp.waitFor(1);
    expect(toDaughter!.subject).toBe('Alerte : DUPONT Jeanne, née le 03/02/1941 (F)');
    const [pushed] = await push.waitFor(1);
    expect(pushed!.payload).toMatchObject({ title: 'Alerte : DUPONT Jeanne, née le 03/02/1941 (F)' });
    const [, toSon] = await smtp.waitFor(2, STEP_MS + 10_000);
    expect(toSon!.subject).toBe('Alert: DUPONT Jeanne, born 3 Feb 1941 (F)');
  });

  it('reminds the first person of a medium alert until someone acknowledges it', async () => {
    await alertingIngest({ high: 60_000, medium: 1_500, low: null });
    const { send } = await senior();
    await send({ ts: Date.now(), seq: 1, type: 'removed' });
    const [first] = await smtp.waitFor(1);
    expect(first!.subject).toBe('Alerte : Jeanne Dupont');
    expect(first!.text).toContain('la montre a été retirée');
    const [, reminder] = await smtp.waitFor(2);
    expect(reminder!.subject).toBe('Rappel – alerte : Jeanne Dupont');
    const [alert] = t.ingest.alertService.list();
    expect(alert).toMatchObject({ kind: 'removed', priority: 'medium', notifications: 2 });
    expect(
      (
        await post(`/alerts/${alert!.id}/actions`, {
          actor: 'nurse-1',
          channel: 'web',
          action: { action: 'acknowledge' },
        })
      ).status,
    ).toBe(200);
    const count = smtp.received.length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect(smtp.received).toHaveLength(count); // acknowledged: no more reminders
  });
});
