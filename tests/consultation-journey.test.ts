/**
 * One scheduled teleconsultation from end to end, as the people in it live it, against the real
 * broker, ingest (e-mail to a real SMTP server), InfluxDB and web service, the clock driven through
 * the appointments store (never a sleep): the clinician books it; the senior gets the invitation and,
 * the day before, the reminder with the same calendar event; her page shows it; at its time the
 * clinician opens the call and she joins (the consultation is held); her consent is recorded and the
 * report written and signed; she reads it on her page and as a PDF; her GP's software, an external
 * system, reads the appointment, the encounter, the report and its PDF through FHIR, and nothing
 * outside its scopes; and she sees that software in "who looked at my record".
 */
import { describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { z } from 'zod';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { useTestSmtp } from './support/smtp.ts';
import { recordIdentity } from './support/identity.ts';
import { readPdf } from './support/pdf.ts';
import { validFhir } from './support/fhir.ts';
import { accessToken, registerSystem } from './support/smart.ts';
import { reportSchema, reportSummarySchema, type ReportContent } from '../web/api/schemas.ts';

const smtp = useTestSmtp();
const t = usePipeline(undefined, {}, () => ({ channels: [smtp.channel()] }));
const s = useFamilyStack(t);

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);
type Json = Record<string, unknown>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const inHours = (hours: number) => Math.ceil((Date.now() + hours * HOUR) / MINUTE) * MINUTE;
async function tickAt(at: number): Promise<void> {
  s.appointmentsClock.aheadMs = at - Date.now();
  await s.web.tickAppointments();
}
function calendarOf(mail: ParsedMail): string {
  const file = mail.attachments.find((a) => a.contentType === 'text/calendar');
  return file?.content.toString('utf8').replace(/\r\n[ \t]/g, '') ?? '';
}

const CONTENT: ReportContent = {
  reason: 'Suivi de la tension',
  observations: 'Patiente en forme, pas de vertige.',
  vitals: { hr: 76, spo2: 96, sys: 138, dia: 82, temp: null, rr: null },
  conclusion: 'Traitement inchangé',
  followUp: 'Prochaine téléconsultation dans un mois.',
};

describe('a scheduled teleconsultation, from booking to the report in the GP’s software', () => {
  it('is booked, reminded, held with consent, reported, read by the senior and fetched through FHIR', async () => {
    const { device } = await s.senior('Mme Martin');
    const { patientId } = device;
    recordIdentity(t.broker.registry, patientId, {
      birthName: 'Martin',
      firstNames: 'Jeanne',
      birthDate: '1941-02-03',
      sex: 'female',
    });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const self = await s.family(patientId, { name: 'Jeanne Martin', email: 'jeanne@vigie.test', role: 'patient' });

    // Booked two days ahead: the senior is invited with a calendar event.
    const startsAt = inHours(50);
    const booked = await send('POST', `/api/console/patients/${patientId}/appointments`, doctor.cookie, {
      startsAt,
      minutes: 20,
      reason: 'Suivi de la tension',
      inviteFamily: false,
    });
    expect(booked.status).toBe(201);
    const appointmentId = z.object({ appointment: z.object({ id: z.string() }) }).parse(await booked.json())
      .appointment.id;
    const [invitation] = await smtp.waitFor(1);
    const uid = `UID:${appointmentId}@vigie`;
    expect(calendarOf(invitation!)).toContain(uid);
    expect(calendarOf(invitation!)).toContain('METHOD:REQUEST');

    // The day before, the reminder: the same event, so that her calendar updates it.
    smtp.received.length = 0;
    await tickAt(startsAt - 24 * HOUR);
    const [reminder] = await smtp.waitFor(1);
    expect(reminder!.subject).toMatch(/^Rappel : téléconsultation .+ avec Dr Roux$/);
    expect(calendarOf(reminder!)).toContain(uid);

    // Her page shows it; at its time, the doctor opens the call and her page may join.
    const next = async () =>
      ((await (await send('GET', `/api/patients/${patientId}/next-appointment`, self.cookie)).json()) as Json)
        .appointment as Json;
    expect(await next()).toMatchObject({ id: appointmentId, startsAt, clinician: 'Dr Roux', open: false });
    await tickAt(startsAt + MINUTE);
    const opened = await send('POST', '/api/consultations', doctor.cookie, { patientId, inviteFamily: false });
    expect(opened.status).toBe(201);
    const { roomId } = z.object({ roomId: z.string() }).parse(await opened.json());
    expect(await next()).toMatchObject({ id: appointmentId, open: true });
    expect((await send('POST', `/api/patients/${patientId}/call-link`, self.cookie)).status).toBe(200);
    const listed = (await (
      await send('GET', `/api/console/patients/${patientId}/appointments`, doctor.cookie)
    ).json()) as { appointments: Array<{ id: string; status: string }> };
    expect(listed.appointments).toContainEqual(expect.objectContaining({ id: appointmentId, status: 'done' }));

    // Her consent, then the report, signed.
    const consent = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'patient',
      method: 'oral',
      givenAt: Date.now(),
    });
    expect(consent.status).toBe(201);
    const draft = reportSchema.parse(
      await (await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT })).json(),
    );
    expect((await send('POST', `/api/reports/${draft.id}/finalise`, doctor.cookie)).status).toBe(200);

    // She reads it on her page, and as a PDF that names her strictly.
    const mine = z
      .object({ reports: z.array(reportSummarySchema) })
      .parse(await (await send('GET', `/api/patients/${patientId}/reports`, self.cookie)).json());
    expect(mine.reports.map((r) => [r.id, r.status, r.conclusion])).toEqual([
      [draft.id, 'final', 'Traitement inchangé'],
    ]);
    const pdf = await send('GET', `/api/reports/${draft.id}/pdf`, self.cookie);
    const read = await readPdf(Buffer.from(await pdf.arrayBuffer()), 'journey-report');
    expect(read.text).toContain('MARTIN Jeanne, née le 03/02/1941 (F)');
    expect(read.text).toContain('Tension artérielle : 138/82 mmHg');
    expect(read.text).toContain('Consentement : donné par le patient, oralement pendant l’appel');
    expect(read.text).toContain('Signé par Dr Roux');

    // Her GP's software reads the consultation through FHIR, within its scopes.
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const gp = await registerSystem(s, admin.cookie, {
      scopes: ['system/Appointment.rs', 'system/Encounter.rs', 'system/DocumentReference.rs', 'system/Binary.rs'],
    });
    const bearer = await accessToken(s, gp, 'system/*.rs');
    const fhir = async (path: string) => {
      const res = await fetch(path.startsWith('http') ? path : `${s.webUrl}/fhir/R4${path}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      const body = (await res.json()) as Json;
      validFhir(body);
      return { status: res.status, body };
    };
    const only = async (path: string) => {
      const { status, body } = await fhir(path);
      expect(status).toBe(200);
      const entries = (body.entry ?? []) as Array<{ resource: Json }>;
      expect(entries).toHaveLength(1);
      return entries[0]!.resource;
    };
    expect(await only(`/Appointment?patient=${patientId}`)).toMatchObject({ id: appointmentId, status: 'fulfilled' });
    expect(await only(`/Encounter?patient=${patientId}`)).toMatchObject({
      id: roomId,
      class: { code: 'VR' },
      appointment: [{ reference: `Appointment/${appointmentId}` }],
    });
    const document = await only(`/DocumentReference?patient=${patientId}`);
    expect(document).toMatchObject({
      status: 'current',
      context: { encounter: [{ reference: `Encounter/${roomId}` }] },
    });
    const url = (document.content as Array<{ attachment: { url: string } }>)[0]!.attachment.url;
    const attached = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
    expect(attached.headers.get('content-type')).toBe('application/pdf');
    expect((await readPdf(Buffer.from(await attached.arrayBuffer()))).text).toContain('Traitement inchangé');
    // Her vital signs are not in its scopes.
    const refused = await fhir(`/Observation?patient=${patientId}`);
    expect(refused.status).toBe(403);

    // She sees her GP's software among those who read her record.
    const reads = (await (await send('GET', `/api/patients/${patientId}/record-reads`, self.cookie)).json()) as {
      reads: Array<{ name: string; reader: string; what: string }>;
    };
    expect(reads.reads).toContainEqual(
      expect.objectContaining({ name: 'Logiciel du médecin traitant', reader: 'system', what: 'reports' }),
    );
  });
});
