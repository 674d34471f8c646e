/**
 * Scheduled teleconsultations over HTTP against the real broker, ingest (its alert API and e-mail
 * channel, to a real SMTP server) and web service: a member whose role may call books one with a
 * patient of their team, in the future, 10 to 60 minutes, never over another of their own; the
 * patient (and the relatives when invited) receive an e-mail with the calendar file, and its
 * cancellation with the same UID; every booking and cancellation is in the change log; the family
 * page reads the next one, the reason only for the patient themself.
 */
import { describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { sendAs, signIn } from './support/cookies.ts';
import { codeOf } from './support/http.ts';
import { useTestSmtp } from './support/smtp.ts';

const smtp = useTestSmtp();
const t = usePipeline(undefined, {}, () => ({ channels: [smtp.channel()] }));
const s = useFamilyStack(t);

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);

const HOUR = 3600_000;
/** A start on a whole minute, `hours` from now. */
const inHours = (hours: number) => Math.ceil((Date.now() + hours * HOUR) / 60_000) * 60_000;

interface AppointmentBody {
  id: string;
  patientId: string;
  clinician: string;
  startsAt: number;
  minutes: number;
  inviteFamily: boolean;
  reason: string;
  status: string;
}

function book(patientId: string, cookie: string, body: object) {
  return send('POST', `/api/console/patients/${patientId}/appointments`, cookie, body);
}

async function upcoming(patientId: string, cookie: string): Promise<AppointmentBody[]> {
  const res = await send('GET', `/api/console/patients/${patientId}/appointments`, cookie);
  expect(res.status).toBe(200);
  return ((await res.json()) as { appointments: AppointmentBody[] }).appointments;
}

/** The properties of an iCalendar file's lines (folded lines unfolded), the calendar's then the event's. */
function calendarOf(mail: ParsedMail): { method: string; event: Map<string, string> } {
  const file = mail.attachments.find((a) => a.contentType === 'text/calendar');
  expect(file?.filename).toBe('consultation.ics');
  const lines = file!.content
    .toString('utf8')
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n');
  const value = (line: string) => line.slice(line.indexOf(':') + 1);
  const method = value(lines.find((l) => l.startsWith('METHOD:')) ?? '');
  const begin = lines.indexOf('BEGIN:VEVENT');
  const end = lines.indexOf('END:VEVENT');
  const event = new Map(lines.slice(begin + 1, end).map((l) => [l.split(/[:;]/)[0]!, l] as const));
  return { method, event };
}

/** 2026-12-03T09:30:00Z as iCalendar writes a UTC time: 20261203T093000Z. */
const icalUtc = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

describe('scheduled teleconsultations', () => {
  it('books one, e-mails the calendar invitation, lists it, and cancels it with the same UID', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    await s.family(patientId, { name: 'Jeanne Lefèvre', email: 'jeanne@vigie.test', role: 'patient' });
    await s.family(patientId, { name: 'Claire Lefèvre', email: 'claire@vigie.test' });
    smtp.received.length = 0; // the invitations to create the accounts

    const startsAt = inHours(50);
    const res = await book(patientId, doctor.cookie, {
      startsAt,
      minutes: 30,
      reason: 'Suivi tension',
      inviteFamily: true,
    });
    expect(res.status).toBe(201);
    const { appointment } = (await res.json()) as { appointment: AppointmentBody };
    expect(appointment).toMatchObject({
      patientId,
      clinician: 'Dr Roux',
      startsAt,
      minutes: 30,
      inviteFamily: true,
      reason: 'Suivi tension',
      status: 'booked',
    });
    expect(appointment.id).toMatch(/^a-[0-9a-f]{12}$/);

    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address).sort()).toEqual([
      'claire@vigie.test',
      'jeanne@vigie.test',
    ]);
    for (const mail of mails) {
      expect(mail.subject).toMatch(/^Téléconsultation .+ avec Dr Roux$/);
      expect(mail.text).toMatch(/https?:\/\/[^ ]+\/family\//);
      const { method, event } = calendarOf(mail);
      expect(method).toBe('REQUEST');
      expect(event.get('UID')).toBe(`UID:${appointment.id}@vigie`);
      expect(event.get('DTSTART')).toBe(`DTSTART:${icalUtc(startsAt)}`);
      expect(event.get('DTEND')).toBe(`DTEND:${icalUtc(startsAt + 30 * 60_000)}`);
      expect(event.get('ORGANIZER')).toBe('ORGANIZER;CN="Dr Roux":mailto:roux@vigie.test');
    }
    const addressOf = (m: ParsedMail) => (m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : undefined);
    const toDaughter = mails.find((m) => addressOf(m) === 'claire@vigie.test');
    expect(toDaughter?.text).toContain('vous invite à la consultation vidéo de Mme Lefèvre');
    const toSenior = mails.find((m) => addressOf(m) === 'jeanne@vigie.test');
    expect(toSenior?.text).toContain('Dr Roux vous propose une consultation vidéo');

    expect(await upcoming(patientId, doctor.cookie)).toEqual([appointment]);

    const cancel = await send('DELETE', `/api/console/appointments/${appointment.id}`, doctor.cookie);
    expect(cancel.status).toBe(204);
    const cancellations = (await smtp.waitFor(4)).slice(2);
    for (const mail of cancellations) {
      expect(mail.subject).toMatch(/^Téléconsultation annulée/);
      const { method, event } = calendarOf(mail);
      expect(method).toBe('CANCEL');
      expect(event.get('UID')).toBe(`UID:${appointment.id}@vigie`);
      expect(event.get('STATUS')).toBe('STATUS:CANCELLED');
      expect(event.get('SEQUENCE')).toBe('SEQUENCE:1');
    }
    expect(await upcoming(patientId, doctor.cookie)).toEqual([]);
    const again = await send('DELETE', `/api/console/appointments/${appointment.id}`, doctor.cookie);
    expect(await codeOf(again)).toBe('appointment_not_cancellable');

    const log = s.changes.list({ patientId }).filter((c) => c.action.startsWith('appointment.'));
    expect(log.map((c) => [c.action, c.actorId, c.detail])).toEqual([
      ['appointment.cancelled', doctor.personId, { appointment: appointment.id, clinician: 'Dr Roux', startsAt }],
      [
        'appointment.booked',
        doctor.personId,
        { appointment: appointment.id, clinician: 'Dr Roux', startsAt, minutes: 30, inviteFamily: true },
      ],
    ]);
    // Nothing a relative could not read was sent to them: the reason is not in their e-mail.
    expect(mails.every((m) => !m.text?.includes('Suivi tension'))).toBe(true);
  });

  it('invites only the patient when the relatives are not invited', async () => {
    const { device } = await s.senior('M. Bernard');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Martin', email: 'martin@vigie.test' });
    await s.family(patientId, { name: 'Marcel Bernard', email: 'marcel@vigie.test', role: 'patient' });
    await s.family(patientId, { name: 'Paul Bernard', email: 'paul@vigie.test' });
    smtp.received.length = 0;
    const res = await book(patientId, doctor.cookie, { startsAt: inHours(3), minutes: 15, reason: 'Bilan' });
    expect(res.status).toBe(201);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.subject).toMatch(/^Téléconsultation .+ avec Dr Martin$/);
    expect(mail!.text).toContain('vous propose une consultation vidéo');
    expect(calendarOf(mail!).method).toBe('REQUEST');
    // The relative's mail would have arrived with the patient's: the two are sent one after the other.
    await send(
      'DELETE',
      `/api/console/appointments/${((await res.json()) as { appointment: AppointmentBody }).appointment.id}`,
      doctor.cookie,
    );
    const after = await smtp.waitFor(2);
    expect(after.map((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address)).toEqual([
      'marcel@vigie.test',
      'marcel@vigie.test',
    ]);
  });

  it('refuses a time in the past, a length out of bounds, an overlap, hostile fields, and changes nothing', async () => {
    const { device } = await s.senior('Mme Petit');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const colleague = await s.clinician({ name: 'Dr Blanc', email: 'blanc@vigie.test' });
    const at = inHours(24);
    expect((await book(patientId, doctor.cookie, { startsAt: at, minutes: 30, reason: 'Suivi' })).status).toBe(201);

    const cases: Array<[object, string]> = [
      [{ startsAt: Date.now() - 60_000, minutes: 30, reason: 'Suivi' }, 'appointment_in_past'],
      [{ startsAt: inHours(24 * 400), minutes: 30, reason: 'Suivi' }, 'appointment_too_far'],
      [{ startsAt: inHours(30), minutes: 9, reason: 'Suivi' }, 'appointment_duration_invalid'],
      [{ startsAt: inHours(30), minutes: 61, reason: 'Suivi' }, 'appointment_duration_invalid'],
      // Overlaps the one booked above, at either end and inside.
      [{ startsAt: at + 29 * 60_000, minutes: 10, reason: 'Suivi' }, 'appointment_overlap'],
      [{ startsAt: at - 10 * 60_000, minutes: 11, reason: 'Suivi' }, 'appointment_overlap'],
      [{ startsAt: at - 10 * 60_000, minutes: 60, reason: 'Suivi' }, 'appointment_overlap'],
      [{ startsAt: inHours(30), minutes: 30, reason: '' }, 'invalid_request'],
      [{ startsAt: inHours(30), minutes: 30, reason: 'x'.repeat(201) }, 'invalid_request'],
      [{ startsAt: inHours(30), minutes: 30.5, reason: 'Suivi' }, 'invalid_request'],
      [{ startsAt: 'demain', minutes: 30, reason: 'Suivi' }, 'invalid_request'],
      [{ startsAt: inHours(30), minutes: 30 }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      expect(await codeOf(await book(patientId, doctor.cookie, body)), JSON.stringify(body)).toBe(code);
    }
    // Back to back is not an overlap; another clinician at the same time is not either.
    expect(
      (await book(patientId, doctor.cookie, { startsAt: at + 30 * 60_000, minutes: 10, reason: 'Suite' })).status,
    ).toBe(201);
    expect((await book(patientId, colleague.cookie, { startsAt: at, minutes: 30, reason: 'Avis' })).status).toBe(201);
    expect((await upcoming(patientId, doctor.cookie)).map((a) => [a.clinician, a.startsAt])).toEqual([
      ['Dr Roux', at],
      ['Dr Blanc', at],
      ['Dr Roux', at + 30 * 60_000],
    ]);
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'appointment.booked')).toHaveLength(3);
  });

  it('is for a role that may call, over their own team’s patients only', async () => {
    const { device } = await s.senior('Mme Durand');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const homecare = await s.clinician({ name: 'Aide Lucie', email: 'lucie@vigie.test', role: 'homecare' });
    const coordinator = await s.clinician({ name: 'Coord Anne', email: 'anne@vigie.test', role: 'coordinator' });
    const outsider = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Ailleurs',
      email: 'ailleurs@vigie.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.people.createTeam('Sud').id, { people: [outsider.id] });
    const outsiderCookie = await signIn(s.webUrl, 'ailleurs@vigie.test', FAMILY_PASSWORD);
    const daughter = await s.family(patientId, { name: 'Claire Durand', email: 'claire@vigie.test' });

    const body = { startsAt: inHours(5), minutes: 20, reason: 'Suivi' };
    expect(await codeOf(await book(patientId, homecare.cookie, body))).toBe('role_not_allowed');
    expect(await codeOf(await book(patientId, coordinator.cookie, body))).toBe('role_not_allowed');
    expect(await codeOf(await book(patientId, outsiderCookie, body))).toBe('patient_not_in_team');
    expect(await codeOf(await book(patientId, daughter.cookie, body))).toBe('staff_only');
    expect(await codeOf(await book('nobody', doctor.cookie, body))).toBe('patient_not_in_team');

    const res = await book(patientId, doctor.cookie, body);
    const { appointment } = (await res.json()) as { appointment: AppointmentBody };
    const list = `/api/console/patients/${patientId}/appointments`;
    expect(await codeOf(await send('GET', list, homecare.cookie))).toBe('role_not_allowed');
    expect(await codeOf(await send('GET', list, outsiderCookie))).toBe('patient_not_in_team');
    // Another team's consultation is unknown to them, not merely forbidden.
    const cancel = `/api/console/appointments/${appointment.id}`;
    expect(await codeOf(await send('DELETE', cancel, outsiderCookie))).toBe('appointment_not_found');
    expect(await codeOf(await send('DELETE', cancel, homecare.cookie))).toBe('role_not_allowed');
    expect(await codeOf(await send('DELETE', '/api/console/appointments/a-000000000000', doctor.cookie))).toBe(
      'appointment_not_found',
    );
    expect(await codeOf(await send('DELETE', '/api/console/appointments/a-12', doctor.cookie))).toBe('invalid_request');
    expect(await upcoming(patientId, doctor.cookie)).toHaveLength(1);
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'appointment.cancelled')).toEqual([]);
  });

  it('lists the clinician’s own consultations of the day, the patients named strictly', async () => {
    const a = await s.senior('Mme Lefèvre');
    const b = await s.senior('M. Bernard');
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const colleague = await s.clinician({ name: 'Dr Blanc', email: 'blanc@vigie.test' });
    const from = Date.now();
    const to = from + 24 * HOUR;
    const first = inHours(2);
    expect(
      (await book(b.device.patientId, doctor.cookie, { startsAt: inHours(5), minutes: 15, reason: 'x' })).status,
    ).toBe(201);
    expect((await book(a.device.patientId, doctor.cookie, { startsAt: first, minutes: 15, reason: 'y' })).status).toBe(
      201,
    );
    expect(
      (await book(a.device.patientId, colleague.cookie, { startsAt: first, minutes: 15, reason: 'z' })).status,
    ).toBe(201);
    expect(
      (await book(a.device.patientId, doctor.cookie, { startsAt: inHours(30), minutes: 15, reason: 'w' })).status,
    ).toBe(201);

    const res = await send('GET', `/api/console/appointments?from=${from}&to=${to}`, doctor.cookie);
    expect(res.status).toBe(200);
    const { appointments } = (await res.json()) as { appointments: Array<AppointmentBody & { patient: string }> };
    expect(appointments.map((x) => [x.patient, x.startsAt, x.clinician])).toEqual([
      ['Mme Lefèvre', first, 'Dr Roux'],
      ['M. Bernard', inHours(5), 'Dr Roux'],
    ]);
    const tooLong = await send('GET', `/api/console/appointments?from=${from}&to=${from + 49 * HOUR}`, doctor.cookie);
    expect(await codeOf(tooLong)).toBe('invalid_request');
    const reversed = await send('GET', `/api/console/appointments?from=${to}&to=${from}`, doctor.cookie);
    expect(await codeOf(reversed)).toBe('invalid_request');
    // Each patient whose consultation was listed is in the record-reads log.
    expect(s.reads.list({ personId: doctor.personId }).filter((r) => r.what === 'appointments')).toHaveLength(2);
  });

  it('tells the patient their next consultation, and the relatives only when invited', async () => {
    const { device } = await s.senior('Mme Roy');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const senior = await s.family(patientId, { name: 'Hélène Roy', email: 'helene@vigie.test', role: 'patient' });
    const son = await s.family(patientId, { name: 'Marc Roy', email: 'marc@vigie.test' });
    const next = async (cookie: string) => {
      const res = await send('GET', `/api/patients/${patientId}/next-appointment`, cookie);
      expect(res.status).toBe(200);
      return ((await res.json()) as { appointment: null | Record<string, unknown> }).appointment;
    };
    expect(await next(senior.cookie)).toBeNull();

    const alone = inHours(3);
    await book(patientId, doctor.cookie, { startsAt: alone, minutes: 20, reason: 'Douleurs' });
    const together = inHours(6);
    await book(patientId, doctor.cookie, { startsAt: together, minutes: 30, reason: 'Bilan', inviteFamily: true });

    expect(await next(senior.cookie)).toMatchObject({
      startsAt: alone,
      minutes: 20,
      clinician: 'Dr Roux',
      reason: 'Douleurs',
      open: false,
    });
    expect(await next(son.cookie)).toMatchObject({ startsAt: together, clinician: 'Dr Roux', reason: null });
    const staffRead = await send('GET', `/api/patients/${patientId}/next-appointment`, doctor.cookie);
    expect(await codeOf(staffRead)).toBe('family_only');

    // Once the clinician opens the consultation, the page may join it.
    expect((await send('POST', '/api/consultations', doctor.cookie, { patientId })).status).toBe(201);
    expect(await next(senior.cookie)).toMatchObject({ startsAt: alone, open: true });
    // A consultation over is no longer the next one.
    s.appointmentsClock.aheadMs = 3 * HOUR + 21 * 60_000;
    expect(await next(senior.cookie)).toMatchObject({ startsAt: together });
  });
});
