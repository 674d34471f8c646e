/**
 * What happens to a scheduled teleconsultation with time, against the real broker, ingest (its alert
 * API, e-mail to a real SMTP server, Web Push to a real push receiver) and web service, the clock
 * driven through the appointments store (never a sleep): the day-before reminder by e-mail with the
 * same calendar event, the push shortly before, neither repeated across a restart nor sent once
 * cancelled, only to those invited and still allowed; who has joined and how late the patient is;
 * the consultation held (`done`) or `missed`, in the change log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';
import { startTestPushService, type TestPushService } from './support/push-service.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import { generateVapidKeys, WebPushChannel } from '../ingest/notify/push.ts';
import { Appointments } from '../web/appointments.ts';
import { WebServer } from '../web/server.ts';
import { registryPath } from '../common/paths.ts';
import { AUTOMATIC_ACTOR } from '../web/appointment-scheduler.ts';
import type { AttendanceView } from '../web/api/schemas.ts';

let smtp: TestSmtp;
let push: TestPushService;
const vapid = { ...generateVapidKeys(), subject: 'mailto:ops@vigie.test' };
const t = usePipeline(undefined, {}, () => ({
  channels: [
    new EmailChannel({ url: smtp.url, from: 'Vigie <rdv@vigie.test>' }),
    new WebPushChannel(vapid, () => undefined, push.agent),
  ],
}));
const s = useFamilyStack(t);

beforeAll(async () => {
  [smtp, push] = await Promise.all([startTestSmtp(), startTestPushService()]);
});
afterAll(async () => {
  await Promise.all([smtp?.stop(), push?.stop()]);
});
beforeEach(() => {
  smtp.received.length = 0;
  push.received.length = 0;
});

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A start on a whole minute, `hours` from now. */
const inHours = (hours: number) => Math.ceil((Date.now() + hours * HOUR) / MINUTE) * MINUTE;
/** Sets the web service's clock (the appointments store's) to `at`, then does what is due. */
async function tickAt(at: number): Promise<void> {
  s.appointmentsClock.aheadMs = at - Date.now();
  await s.web.tickAppointments();
}

const addressOf = (m: ParsedMail) => (m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : undefined);
function calendarOf(mail: ParsedMail): string {
  const file = mail.attachments.find((a) => a.contentType === 'text/calendar');
  expect(file?.filename).toBe('consultation.ics');
  return file!.content.toString('utf8').replace(/\r\n[ \t]/g, '');
}

interface Listed {
  id: string;
  status: string;
  attendance: AttendanceView;
}

async function book(patientId: string, cookie: string, body: object): Promise<string> {
  const res = await send('POST', `/api/console/patients/${patientId}/appointments`, cookie, body);
  expect(res.status).toBe(201);
  return ((await res.json()) as { appointment: { id: string } }).appointment.id;
}

async function listed(patientId: string, cookie: string): Promise<Listed[]> {
  const res = await send('GET', `/api/console/patients/${patientId}/appointments`, cookie);
  expect(res.status).toBe(200);
  return ((await res.json()) as { appointments: Listed[] }).appointments;
}

/** A patient with their own account and two relatives (one reads English), all with e-mail; the doctor. */
async function household(name: string) {
  const { device } = await s.senior(name);
  const { patientId } = device;
  const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
  const self = await s.family(patientId, { name: 'Jeanne Lefèvre', email: 'jeanne@vigie.test', role: 'patient' });
  const daughter = await s.family(patientId, { name: 'Claire Lefèvre', email: 'claire@vigie.test' });
  const son = await s.people.createPerson({ role: 'family', name: 'Tom Lefèvre', email: 'tom@vigie.test', lang: 'en' });
  s.people.link(son.id, patientId, { relation: 'son', shareVitals: false });
  return { patientId, doctor, self, daughter, son };
}

describe('consultation reminders', () => {
  it('e-mails the day before with the same calendar event, pushes shortly before, never twice across a restart', async () => {
    const { patientId, doctor, self, daughter } = await household('Mme Lefèvre');
    s.people.addPushSubscription(self.personId, push.subscribe('jeanne-tablet'));
    s.people.addPushSubscription(daughter.personId, push.subscribe('claire-phone'));
    const startsAt = inHours(50);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 30, reason: 'Suivi', inviteFamily: true });
    await smtp.waitFor(3); // the invitations
    await push.waitFor(2);
    smtp.received.length = 0;
    push.received.length = 0;

    // A minute before the day-before reminder is due, nothing is sent.
    await tickAt(startsAt - 24 * HOUR - MINUTE);
    expect(s.appointments.reminded(id)).toEqual({ day: null, soon: null });

    await tickAt(startsAt - 24 * HOUR);
    expect(s.appointments.reminded(id)?.day).toEqual(expect.any(Number));
    const reminders = await smtp.waitFor(3);
    expect(reminders.map(addressOf).sort()).toEqual(['claire@vigie.test', 'jeanne@vigie.test', 'tom@vigie.test']);
    for (const mail of reminders) {
      const ics = calendarOf(mail);
      // The same event as the invitation: calendars update it rather than add a second one.
      expect(ics).toContain('METHOD:REQUEST');
      expect(ics).toContain(`UID:${id}@vigie`);
      expect(ics).toContain('SEQUENCE:0');
      expect(mail.text).toMatch(/https?:\/\/[^ ]+\/family\//);
    }
    const to = (address: string) => reminders.find((m) => addressOf(m) === address)!;
    expect(to('jeanne@vigie.test').subject).toMatch(/^Rappel : téléconsultation .+ avec Dr Roux$/);
    expect(to('jeanne@vigie.test').text).toContain('Rappel : votre consultation vidéo avec Dr Roux');
    expect(to('claire@vigie.test').text).toContain('Rappel : la consultation vidéo de Mme Lefèvre avec Dr Roux');
    // In the reader's language.
    expect(to('tom@vigie.test').subject).toMatch(/^Reminder: video consultation on .+ with Dr Roux$/);
    expect(to('tom@vigie.test').text).toContain("Reminder: Mme Lefèvre's video consultation with Dr Roux");
    // The reason stays the patient's to tell.
    expect(reminders.every((m) => !m.text?.includes('Suivi'))).toBe(true);
    expect(push.received).toEqual([]); // the day before is by e-mail only

    // The web service restarts (a new process: the store reopened on the same file); nothing is repeated.
    await s.web.close();
    const reopened = Appointments.open(registryPath(t.broker.dir), {
      now: () => Date.now() + s.appointmentsClock.aheadMs,
    });
    try {
      s.web = new WebServer({ ...s.webOptions, appointments: reopened });
      s.webUrl = await s.web.listen();
      await s.web.tickAppointments();
      const dayReminder = reopened.reminded(id)?.day;
      expect(dayReminder).toBe(s.appointments.reminded(id)?.day);

      // 15 minutes before: a push to each subscription, which opens the family page; no e-mail.
      await tickAt(startsAt - 16 * MINUTE);
      expect(reopened.reminded(id)?.soon).toBeNull();
      await tickAt(startsAt - 15 * MINUTE);
      const pushes = await push.waitFor(2);
      expect(pushes.map((p) => p.path).sort()).toEqual(['/push/claire-phone', '/push/jeanne-tablet']);
      const payloadOf = (path: string) => pushes.find((p) => p.path === path)!.payload;
      expect(payloadOf('/push/jeanne-tablet')).toMatchObject({
        title: expect.stringMatching(/^Téléconsultation à \d{1,2} h \d{2} avec Dr Roux$/),
        body: expect.stringContaining('Votre consultation vidéo avec Dr Roux commence à'),
        url: expect.stringMatching(/\/family\/$/),
        tag: `vigie-appointment-${id}`,
        urgent: false,
      });
      expect(payloadOf('/push/claire-phone')).toMatchObject({
        body: expect.stringContaining('La consultation vidéo de Mme Lefèvre avec Dr Roux commence à'),
      });
      await tickAt(startsAt - 5 * MINUTE);
      expect(reopened.reminded(id)).toEqual({ day: dayReminder, soon: expect.any(Number) });

      // What the ingest sends next arrives after anything sent before: no reminder came a second time.
      expect((await send('DELETE', `/api/console/appointments/${id}`, doctor.cookie)).status).toBe(204);
      const all = await smtp.waitFor(6);
      expect(
        all
          .slice(3)
          .every(
            (m) =>
              m.subject?.startsWith('Téléconsultation annulée') ||
              m.subject?.startsWith('Video consultation cancelled'),
          ),
      ).toBe(true);
      await push.waitFor(4);
      expect(all.filter((m) => /^(Rappel|Reminder)/.test(m.subject ?? ''))).toHaveLength(3);
      expect(push.received.filter((p) => /commence|starts/.test(JSON.stringify(p.payload)))).toHaveLength(2);
    } finally {
      reopened.close();
    }
  });

  it('sends nothing for a cancelled consultation, and to relatives only when invited', async () => {
    const { device } = await s.senior('M. Bernard');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    await s.family(patientId, { name: 'Marcel Bernard', email: 'marcel@vigie.test', role: 'patient' });
    await s.family(patientId, { name: 'Claire Bernard', email: 'claire@vigie.test' });
    const cancelled = inHours(50);
    const gone = await book(patientId, doctor.cookie, {
      startsAt: cancelled,
      minutes: 20,
      reason: 'x',
      inviteFamily: true,
    });
    expect((await send('DELETE', `/api/console/appointments/${gone}`, doctor.cookie)).status).toBe(204);
    const alone = inHours(80);
    const mine = await book(patientId, doctor.cookie, { startsAt: alone, minutes: 20, reason: 'y' });
    await smtp.waitFor(2 + 2 + 1); // the booking, the cancellation, the patient's own
    smtp.received.length = 0;

    await tickAt(cancelled - 24 * HOUR);
    await tickAt(cancelled - 10 * MINUTE);
    expect(s.appointments.reminded(gone)).toEqual({ day: null, soon: null });

    const together = inHours(90);
    const ours = await book(patientId, doctor.cookie, {
      startsAt: together,
      minutes: 20,
      reason: 'z',
      inviteFamily: true,
    });
    expect((await smtp.waitFor(2)).map(addressOf)).toEqual(['marcel@vigie.test', 'claire@vigie.test']);
    smtp.received.length = 0;

    // Not invited: the relatives get nothing of the patient's own consultation.
    await tickAt(alone - 24 * HOUR);
    expect(s.appointments.reminded(mine)?.day).toEqual(expect.any(Number));
    expect((await smtp.waitFor(1)).map(addressOf)).toEqual(['marcel@vigie.test']);
    await tickAt(together - 24 * HOUR);
    expect(s.appointments.reminded(ours)?.day).toEqual(expect.any(Number));
    const all = await smtp.waitFor(3);
    expect(all.map(addressOf)).toEqual(['marcel@vigie.test', 'marcel@vigie.test', 'claire@vigie.test']);
    expect(all.every((m) => m.subject?.startsWith('Rappel'))).toBe(true);
  });

  it('tries again at the next tick when the ingest cannot take the reminder', async () => {
    const { device } = await s.senior('Mme Garnier');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    await s.family(patientId, { name: 'Rose Garnier', email: 'rose@vigie.test', role: 'patient' });
    const startsAt = inHours(50);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 20, reason: 'x' });
    await smtp.waitFor(1);
    smtp.received.length = 0;
    const restart = async (alertsApi: { url: string; token: string }) => {
      await s.web.close();
      s.web = new WebServer({ ...s.webOptions, alertsApi });
      s.webUrl = await s.web.listen();
    };

    // The ingest is unreachable: the reminder is not marked sent.
    await restart({ url: 'http://127.0.0.1:9', token: s.alertsApi.token });
    await tickAt(startsAt - 24 * HOUR);
    expect(s.appointments.reminded(id)).toEqual({ day: null, soon: null });
    // It is back: the next tick sends it.
    await restart(s.alertsApi);
    await s.web.tickAppointments();
    expect(s.appointments.reminded(id)?.day).toEqual(expect.any(Number));
    expect((await smtp.waitFor(1)).map((m) => [addressOf(m), m.subject?.startsWith('Rappel')])).toEqual([
      ['rose@vigie.test', true],
    ]);
  });

  it('does not repeat the invitation as a reminder when booked less than 36 hours ahead', async () => {
    const { patientId, doctor } = await household('Mme Petit');
    const startsAt = inHours(30);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 20, reason: 'x' });
    await tickAt(startsAt - 24 * HOUR);
    await tickAt(startsAt - 20 * MINUTE);
    expect(s.appointments.reminded(id)).toEqual({ day: null, soon: null });
    await tickAt(startsAt - 15 * MINUTE);
    expect(s.appointments.reminded(id)).toEqual({ day: null, soon: expect.any(Number) });
  });
});

describe('who has joined, and how it ends', () => {
  it('shows the patient late, who has joined, and the consultation held once the patient joins', async () => {
    const { patientId, doctor, self, daughter } = await household('Mme Roy');
    const startsAt = inHours(2);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 30, reason: 'Bilan', inviteFamily: true });

    await tickAt(startsAt - 5 * MINUTE);
    expect((await listed(patientId, doctor.cookie))[0]).toMatchObject({
      id,
      status: 'booked',
      attendance: { open: false, people: [], lateMinutes: null },
    });
    await tickAt(startsAt + 6 * MINUTE + 1000);
    expect((await listed(patientId, doctor.cookie))[0]!.attendance).toEqual({
      open: false,
      people: [],
      lateMinutes: 6,
    });

    // The doctor opens the call in the slot: it holds this consultation.
    expect((await send('POST', '/api/consultations', doctor.cookie, { patientId })).status).toBe(201);
    const states = async () =>
      (await listed(patientId, doctor.cookie))[0]!.attendance.people.map((p) => [p.role, p.name, p.state]);
    expect(await states()).toEqual([
      ['patient', 'Mme Roy', 'invited'],
      ['family', 'Claire Lefèvre', 'invited'],
      ['family', 'Tom Lefèvre', 'invited'],
    ]);
    // The daughter joins; the patient is still late.
    expect((await send('POST', `/api/patients/${patientId}/call-link`, daughter.cookie)).status).toBe(200);
    let row = (await listed(patientId, doctor.cookie))[0]!;
    expect(row.attendance).toMatchObject({ open: true, lateMinutes: 6 });
    expect(row.attendance.people.find((p) => p.role === 'family' && p.name === 'Claire Lefèvre')?.state).toBe(
      'answered',
    );
    expect(row.status).toBe('booked');

    // The patient joins: the consultation is held.
    expect((await send('POST', `/api/patients/${patientId}/call-link`, self.cookie)).status).toBe(200);
    row = (await listed(patientId, doctor.cookie))[0]!;
    expect(row.status).toBe('done');
    expect(row.attendance.lateMinutes).toBeNull();
    expect(row.attendance.people.find((p) => p.role === 'patient')?.state).toBe('answered');
    const log = s.changes.list({ patientId }).filter((c) => c.action === 'appointment.done');
    expect(log.map((c) => [c.actorId, c.detail])).toEqual([
      [doctor.personId, { appointment: id, clinician: 'Dr Roux', startsAt }],
    ]);
    // Over, a held consultation stays held (never missed) and stays in the day's list.
    await tickAt(startsAt + 31 * MINUTE);
    expect((await listed(patientId, doctor.cookie)).map((a) => [a.id, a.status])).toEqual([[id, 'done']]);
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'appointment.missed')).toEqual([]);
  });

  it('counts the patient’s tablet opening the link the clinician gave it as the patient joining', async () => {
    const { device } = await s.senior('M. Blanc');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const startsAt = inHours(1);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 15, reason: 'x' });
    s.appointmentsClock.aheadMs = startsAt - 8 * MINUTE - Date.now();
    const opened = await send('POST', '/api/consultations', doctor.cookie, { patientId });
    const { roomId, links } = (await opened.json()) as { roomId: string; links: { patient: string } };
    const check = (token: string) =>
      fetch(`${s.webUrl}/api/call-links/check`, {
        method: 'POST',
        headers: { origin: s.webUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ roomId, token }),
      });
    expect((await check('not-a-token')).status).toBe(400);
    expect((await listed(patientId, doctor.cookie))[0]!.status).toBe('booked');
    expect((await check(new URL(links.patient).hash.slice(1))).status).toBe(200);
    expect((await listed(patientId, doctor.cookie))[0]).toMatchObject({ id, status: 'done' });
  });

  it('is missed when its slot ends without the patient, and a call opened outside any slot holds none', async () => {
    const { patientId, doctor } = await household('Mme Durand');
    const startsAt = inHours(3);
    const id = await book(patientId, doctor.cookie, { startsAt, minutes: 15, reason: 'x' });
    // Opened 11 minutes before: too early for this consultation, so it does not hold it.
    s.appointmentsClock.aheadMs = startsAt - 11 * MINUTE - Date.now();
    expect((await send('POST', '/api/consultations', doctor.cookie, { patientId })).status).toBe(201);
    expect((await listed(patientId, doctor.cookie))[0]!.attendance.open).toBe(false);

    await tickAt(startsAt + 14 * MINUTE);
    expect((await listed(patientId, doctor.cookie))[0]).toMatchObject({ id, status: 'booked' });
    await tickAt(startsAt + 15 * MINUTE);
    expect((await listed(patientId, doctor.cookie))[0]).toMatchObject({
      id,
      status: 'missed',
      attendance: { lateMinutes: null },
    });
    const log = s.changes.list({ patientId }).filter((c) => c.action === 'appointment.missed');
    expect(log.map((c) => [c.actorId, c.actor, c.detail])).toEqual([
      [AUTOMATIC_ACTOR, AUTOMATIC_ACTOR, { appointment: id, clinician: 'Dr Roux', startsAt }],
    ]);
    // Settled once: the next tick records nothing more, and a missed one cannot be cancelled.
    await tickAt(startsAt + 20 * MINUTE);
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'appointment.missed')).toHaveLength(1);
    const cancel = await send('DELETE', `/api/console/appointments/${id}`, doctor.cookie);
    expect(cancel.status).toBe(409);
    // Twelve hours after its end, it has left the patient's list (the change log keeps it).
    await tickAt(startsAt + 15 * MINUTE + 12 * HOUR + MINUTE);
    expect(await listed(patientId, doctor.cookie)).toEqual([]);
  });
});
