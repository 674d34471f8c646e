/**
 * Notification channels against real servers started here: an SMTP server (smtp-server) and a Web
 * Push receiver that checks VAPID and decrypts the payload with the subscription's private key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { People, type Person } from '../web/people.ts';
import { pino } from 'pino';
import { createLogger } from '../common/log.ts';
import { SqliteAlertRepository } from '../ingest/lifecycle/alert-store.ts';
import { SqliteEscalationRepository } from '../ingest/lifecycle/escalation-store.ts';
import { Escalations } from '../ingest/lifecycle/escalation.ts';
import { AlertLifecycle } from '../ingest/lifecycle/lifecycle.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import { CallInvitations } from '../ingest/notify/call-invitations.ts';
import { generateVapidKeys, WebPushChannel } from '../ingest/notify/push.ts';
import { Dispatcher } from '../ingest/notify/dispatcher.ts';
import type { Notification } from '../ingest/notify/channel.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';
import { startTestPushService, type TestPushService } from './support/push-service.ts';
import { TEST_PASSWORD_WORK } from './support/passwords.ts';

const T0 = 1_800_000_000_000;
const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@vigie.test' };
const message: Notification = {
  title: 'Alerte : Jeanne',
  body: 'Vigie a détecté une chute chez Jeanne.',
  url: 'http://vigie.test/family/?alert=7',
  tag: 'vigie-alert-7',
  alertId: 7,
  urgent: true,
};

let dir: string;
let smtp: TestSmtp;
let push: TestPushService;
let people: People;
let daughter: Person;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-notify-'));
  [smtp, push] = await Promise.all([startTestSmtp(), startTestPushService()]);
  people = People.open(join(dir, 'registry.db'), { passwordWork: TEST_PASSWORD_WORK });
  daughter = await people.createPerson({ role: 'family', name: 'Claire Martin', email: 'claire@famille.test' });
});
afterEach(async () => {
  await Promise.all([smtp.stop(), push.stop()]);
  people.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('e-mail (SMTP)', () => {
  it('arrives at a real SMTP server with the alert, the link and high priority', async () => {
    const email = new EmailChannel({ url: smtp.url, from: 'Vigie <alertes@vigie.test>' });
    expect(await email.send({ person: daughter, pushSubscriptions: [] }, message)).toEqual([
      { address: 'claire@famille.test', ok: true },
    ]);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toBe('Alerte : Jeanne');
    expect(mail!.to).toMatchObject({ value: [{ address: 'claire@famille.test', name: 'Claire Martin' }] });
    expect(mail!.text).toContain('Vigie a détecté une chute chez Jeanne.');
    expect(mail!.text).toContain('http://vigie.test/family/?alert=7');
    expect(mail!.headers.get('priority')).toBe('high');
    email.close();
  });

  it('reports a server that is down as a failure to retry, not a permanent one', async () => {
    await smtp.stop();
    const email = new EmailChannel({ url: smtp.url, from: 'alertes@vigie.test' });
    const [result] = await email.send({ person: daughter, pushSubscriptions: [] }, message);
    expect(result).toMatchObject({ ok: false, permanent: false });
    smtp = await startTestSmtp(); // for afterEach
  });
});

describe('Web Push (VAPID, aes128gcm)', () => {
  it('is addressed to the subscription, signed with VAPID, and decrypts to the notification', async () => {
    const sub = push.subscribe('claire-phone');
    const channel = new WebPushChannel(vapid, () => undefined, push.agent);
    expect(await channel.send({ person: daughter, pushSubscriptions: [sub] }, message)).toEqual([
      { address: new URL(push.url).host, ok: true },
    ]);
    const [received] = await push.waitFor(1);
    expect(received!.path).toBe('/push/claire-phone');
    expect(received!.vapidKey).toBe(vapid.publicKey);
    expect(received!.vapid).toMatchObject({ aud: push.url, sub: 'mailto:ops@vigie.test' });
    expect(received!.vapid.exp! - Date.now() / 1000).toBeLessThanOrEqual(24 * 3600);
    expect(received!.headers).toMatchObject({ urgency: 'high', ttl: '86400', topic: 'vigie-alert-7' });
    expect(received!.payload).toEqual({
      title: message.title,
      body: message.body,
      url: message.url,
      tag: message.tag,
      alertId: 7,
      urgent: true,
    });
  });

  it('forgets a subscription the push service says is gone', async () => {
    const sub = push.subscribe('old-phone');
    push.expire('old-phone');
    const gone: string[] = [];
    const channel = new WebPushChannel(vapid, (endpoint) => gone.push(endpoint), push.agent);
    expect(await channel.send({ person: daughter, pushSubscriptions: [sub] }, message)).toMatchObject([
      { ok: false, permanent: true },
    ]);
    expect(gone).toEqual([sub.endpoint]);
  });
});

describe('dispatcher', () => {
  it('sends each escalation message on every channel, audits it, and retries only the channel that failed', async () => {
    people.addPushSubscription(daughter.id, push.subscribe('claire-phone'));
    const alerts = new SqliteAlertRepository(join(dir, 'alerts.db'));
    const outbox = new SqliteEscalationRepository(alerts.database);
    const life = new AlertLifecycle(alerts);
    const escalations = new Escalations(alerts, outbox, life);
    const email = new EmailChannel({ url: smtp.url, from: 'alertes@vigie.test' });
    people.link(daughter.id, 'p-1', { relation: 'daughter', shareVitals: true });
    const dispatcher = new Dispatcher({
      alerts,
      outbox,
      people,
      channels: [email, new WebPushChannel(vapid, (e) => people.removePushSubscription(e), push.agent)],
      patientName: () => 'Jeanne Dupont',
      linkFor: (a) => `http://vigie.test/family/?alert=${a.id}`,
      logger: createLogger('test', 'silent'),
    });
    const { alert } = life.apply({
      patientId: 'p-1',
      kind: 'sos',
      change: 'raise',
      priority: 'high',
      at: T0,
      detail: {},
    })!;
    await smtp.stop(); // e-mail is down for the first attempt
    escalations.start(
      alert,
      { patientId: 'p-1', steps: [{ personId: daughter.id, delayMs: 0 }], arrivalTimeoutMs: 60_000 },
      T0,
    );
    await dispatcher.run(T0);
    expect(push.received).toHaveLength(1);
    expect(push.received[0]!.payload).toMatchObject({
      title: 'Alerte : Jeanne Dupont',
      alertId: alert.id,
      urgent: true,
    });
    expect(outbox.pending(T0 + 4_999, 10)).toHaveLength(0);
    expect(outbox.pending(T0 + 5_000, 10)).toMatchObject([{ attempts: 1, delivered: ['push'] }]);

    smtp = await startTestSmtp();
    const retryEmail = new EmailChannel({ url: smtp.url, from: 'alertes@vigie.test' });
    const again = new Dispatcher({
      alerts,
      outbox,
      people,
      channels: [retryEmail, new WebPushChannel(vapid, () => undefined, push.agent)],
      patientName: () => 'Jeanne Dupont',
      linkFor: (a) => `http://vigie.test/family/?alert=${a.id}`,
      logger: createLogger('test', 'silent'),
    });
    await again.run(T0 + 5_000);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toBe('Alerte : Jeanne Dupont');
    expect(mail!.text).toContain(`http://vigie.test/family/?alert=${alert.id}`);
    expect(push.received).toHaveLength(1); // not pushed twice
    expect(outbox.pending(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    const audit = alerts
      .audit(alert.id)
      .filter((a) => a.channel === 'email' || a.channel === 'push')
      .map((a) => `${a.channel}: ${a.action} ${String(a.detail.to)} (${String(a.detail.kind)})`);
    expect(audit).toEqual([
      `email: notification failed ${daughter.id} (alert)`,
      `push: notified ${daughter.id} (alert)`,
      `email: notified ${daughter.id} (alert)`,
    ]);
    email.close();
    retryEmail.close();
    alerts.close();
  });
});

describe('invitations to a consultation', () => {
  it('reach the patient and their relatives by e-mail, each in their language, with their page and no call token', async () => {
    const jeanne = await people.createPerson({ role: 'patient', name: 'Jeanne', email: 'jeanne@famille.test' });
    people.link(jeanne.id, 'p-1', { relation: 'self', shareVitals: true, self: true });
    people.link(daughter.id, 'p-1', { relation: 'fille', shareVitals: true });
    const tom = await people.createPerson({ role: 'family', name: 'Tom', email: 'tom@family.test', lang: 'en' });
    people.link(tom.id, 'p-1', { relation: 'grandson', shareVitals: false });
    const stranger = await people.createPerson({ role: 'family', name: 'X', email: 'x@ailleurs.test' });
    const email = new EmailChannel({ url: smtp.url, from: 'Vigie <appels@vigie.test>' });
    const invitations = new CallInvitations({
      people,
      channels: [email],
      patientName: () => 'Jeanne Martin',
      familyUrl: 'http://vigie.test/family/',
      logger: createLogger('test', 'silent'),
    });
    // The stranger has no link to this patient: nothing is sent to them.
    await invitations.send({
      patientId: 'p-1',
      personIds: [jeanne.id, daughter.id, tom.id, stranger.id],
      caller: 'Dr Martin',
    });
    const mails = await smtp.waitFor(3);
    const to = (address: string) => mails.find((m) => !Array.isArray(m.to) && m.to?.value[0]?.address === address);
    expect(mails).toHaveLength(3);
    expect(to('x@ailleurs.test')).toBeUndefined();
    expect(to('jeanne@famille.test')).toMatchObject({ subject: 'Téléconsultation : Dr Martin vous appelle' });
    expect(to('jeanne@famille.test')!.text).toContain('Dr Martin vous attend pour une consultation vidéo.');
    expect(to('claire@famille.test')!.text).toContain('à la consultation vidéo de Jeanne Martin');
    expect(to('tom@family.test')).toMatchObject({ subject: 'Video consultation: Dr Martin is calling' });
    for (const mail of mails) {
      expect(mail.text).toContain('http://vigie.test/family/');
      expect(mail.text).not.toMatch(/\/call\/|eyJ/);
      expect(mail.headers.get('priority')).toBe('high');
      expect(mail.headers.has('x-vigie-alert')).toBe(false);
    }
    email.close();
  });

  it('does not throw when the mail server is down: the failure is logged and the page still rings', async () => {
    await smtp.stop();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const email = new EmailChannel({ url: smtp.url, from: 'appels@vigie.test' });
    people.link(daughter.id, 'p-2', { relation: 'fille', shareVitals: true });
    const invitations = new CallInvitations({
      people,
      channels: [email],
      patientName: () => 'Jeanne Martin',
      familyUrl: 'http://vigie.test/family/',
      logger,
    });
    await invitations.send({ patientId: 'p-2', personIds: [daughter.id], caller: 'Dr Martin' });
    expect(lines.join('\n')).toContain('call invitation not sent');
    smtp = await startTestSmtp(); // for afterEach
  });
});
