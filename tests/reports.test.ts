/**
 * A teleconsultation's consent and report over HTTP, against the real broker, ingest and web service:
 * the report cannot be signed before the consent is recorded; a draft becomes a signed report and an
 * amendment keeps the version before; the care team, the patient and a relative the patient shares
 * with read it, nobody else; the PDF is a real one naming the patient strictly; every step is in the
 * change log and every professional read in the record-reads log.
 */
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { sendAs, signIn } from './support/cookies.ts';
import { recordIdentity } from './support/identity.ts';
import { readPdf } from './support/pdf.ts';
import { reportSchema, reportSummarySchema, type ReportContent } from '../web/api/schemas.ts';
import { z } from 'zod';

const t = usePipeline();
const s = useFamilyStack(t);

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);

const CONTENT: ReportContent = {
  reason: 'Essoufflement signalé par la fille',
  observations: 'Patiente calme, parole fluide, pas de cyanose.',
  vitals: { hr: 88, spo2: 94, sys: 132, dia: 78, temp: 37.2, rr: 18 },
  conclusion: 'Pas de signe de gravité',
  followUp: 'Rappel dans 48 heures.',
};

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** A senior with a recorded identity, their clinician, and a consultation opened by the clinician. */
async function consultation(name: string, email: string) {
  const { device } = await s.senior(name);
  const { patientId } = device;
  recordIdentity(t.broker.registry, patientId, {
    birthName: 'Martin',
    firstNames: 'Jeanne Marie',
    birthDate: '1941-02-03',
    sex: 'female',
  });
  const doctor = await s.clinician({ name: 'Dr Roux', email });
  const created = await send('POST', '/api/consultations', doctor.cookie, { patientId, inviteFamily: false });
  expect(created.status).toBe(201);
  const { roomId } = z.object({ roomId: z.string() }).parse(await created.json());
  return { patientId, doctor, roomId };
}

describe('a teleconsultation report', () => {
  it('needs the consent to be signed; a signed report is amended, never overwritten; each step is logged', async () => {
    const { patientId, doctor, roomId } = await consultation('Mme Martin', 'roux@vigie.test');

    const empty = await send('GET', `/api/consultations/${roomId}/report`, doctor.cookie);
    expect(await empty.json()).toEqual({ patientId, consent: null, report: null });

    const draft = await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT });
    expect(draft.status).toBe(200);
    const saved = reportSchema.parse(await draft.json());
    expect(saved).toMatchObject({ status: 'draft', author: 'Dr Roux', consent: null, versions: [], content: CONTENT });

    const early = await send('POST', `/api/reports/${saved.id}/finalise`, doctor.cookie);
    expect(early.status).toBe(409);
    expect(await errorCode(early)).toBe('consent_required');

    // A representative is named, a patient's own consent names nobody, and nobody consents in the future.
    const unnamed = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'representative',
      method: 'written',
      givenAt: Date.now(),
    });
    expect(await errorCode(unnamed)).toBe('consent_representative_missing');
    const named = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'patient',
      representative: 'Claire Martin',
      method: 'oral',
      givenAt: Date.now(),
    });
    expect(await errorCode(named)).toBe('consent_representative_unexpected');
    const future = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'patient',
      method: 'oral',
      givenAt: Date.now() + 3600_000,
    });
    expect(await errorCode(future)).toBe('consent_time_invalid');
    const hostile = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'neighbour',
      method: 'oral',
      givenAt: Date.now(),
    });
    expect(hostile.status).toBe(400);

    const givenAt = Date.now() - 60_000;
    const consent = await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'patient',
      method: 'oral',
      givenAt,
    });
    expect(consent.status).toBe(201);
    expect(await consent.json()).toMatchObject({
      consent: { givenBy: 'patient', representative: null, method: 'oral', givenAt, recordedBy: 'Dr Roux' },
    });

    // Signing needs a reason and a conclusion.
    await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, {
      content: { ...CONTENT, conclusion: '' },
    });
    const incomplete = await send('POST', `/api/reports/${saved.id}/finalise`, doctor.cookie);
    expect(incomplete.status).toBe(400);
    expect(await errorCode(incomplete)).toBe('report_incomplete');
    await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT });

    const signed = reportSchema.parse(
      await (await send('POST', `/api/reports/${saved.id}/finalise`, doctor.cookie)).json(),
    );
    expect(signed.status).toBe('final');
    expect(signed.consent).toMatchObject({ givenBy: 'patient', method: 'oral' });
    expect(signed.versions).toEqual([
      expect.objectContaining({ version: 1, signedBy: 'Dr Roux', reason: null, content: CONTENT }),
    ]);

    // Signed: the draft route refuses, and so does signing again.
    const overwrite = await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, {
      content: { ...CONTENT, conclusion: 'Autre' },
    });
    expect(await errorCode(overwrite)).toBe('report_final');
    expect(await errorCode(await send('POST', `/api/reports/${saved.id}/finalise`, doctor.cookie))).toBe(
      'report_final',
    );

    const amendedContent = { ...CONTENT, conclusion: 'Bronchite probable', followUp: 'Radio de thorax.' };
    const noReason = await send('POST', `/api/reports/${saved.id}/amendments`, doctor.cookie, {
      content: amendedContent,
      reason: '',
    });
    expect(noReason.status).toBe(400);
    const amended = reportSchema.parse(
      await (
        await send('POST', `/api/reports/${saved.id}/amendments`, doctor.cookie, {
          content: amendedContent,
          reason: 'Résultat de la radio',
        })
      ).json(),
    );
    expect(amended.content).toEqual(amendedContent);
    expect(amended.versions.map((v) => [v.version, v.content.conclusion, v.reason])).toEqual([
      [1, 'Pas de signe de gravité', null],
      [2, 'Bronchite probable', 'Résultat de la radio'],
    ]);

    const { changes } = z
      .object({
        changes: z.array(
          z.object({ action: z.string(), actor: z.string(), detail: z.record(z.string(), z.unknown()) }),
        ),
      })
      .parse(await (await send('GET', `/api/console/patients/${patientId}/changes`, doctor.cookie)).json());
    expect(
      changes
        .filter((c) => c.action.startsWith('consent.') || c.action.startsWith('report.'))
        .map((c) => [c.action, c.actor, c.detail]),
    ).toEqual([
      ['report.amended', 'Dr Roux', { reportId: saved.id, version: 2 }],
      ['report.written', 'Dr Roux', { reportId: saved.id }],
      ['consent.recorded', 'Dr Roux', { roomId, givenBy: 'patient', method: 'oral' }],
    ]);
  });

  it('is read by the care team (logged), the patient and a relative they share with; nobody else', async () => {
    const { patientId, doctor, roomId } = await consultation('Mme Martin', 'roux2@vigie.test');
    const patient = await s.family(patientId, { name: 'Jeanne Martin', email: 'jeanne@vigie.test', role: 'patient' });
    const sharing = await s.family(patientId, { name: 'Claire Martin', email: 'claire@vigie.test', shareVitals: true });
    const notSharing = await s.family(patientId, { name: 'Paul Martin', email: 'paul@vigie.test', shareVitals: false });
    const other = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Autre',
      email: 'autre@vigie.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.people.team('Ailleurs'), { people: [other.id], patients: [] });
    const outsider = await signIn(s.webUrl, 'autre@vigie.test', FAMILY_PASSWORD);
    const homecare = await s.clinician({ name: 'Aide Dupont', email: 'aide@vigie.test', role: 'homecare' });

    await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'representative',
      representative: 'Claire Martin',
      method: 'written',
      givenAt: Date.now() - 3600_000,
    });
    const draft = reportSchema.parse(
      await (await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT })).json(),
    );
    const list = z.object({ reports: z.array(reportSummarySchema) });

    // A draft is the care team's: the patient does not see it yet.
    expect(
      list.parse(await (await send('GET', `/api/patients/${patientId}/reports`, patient.cookie)).json()).reports,
    ).toEqual([]);
    expect(await errorCode(await send('GET', `/api/reports/${draft.id}`, patient.cookie))).toBe('report_not_found');
    await send('POST', `/api/reports/${draft.id}/finalise`, doctor.cookie);

    const staffList = list.parse(
      await (await send('GET', `/api/console/patients/${patientId}/reports`, doctor.cookie)).json(),
    );
    expect(staffList.reports).toMatchObject([{ id: draft.id, status: 'final', author: 'Dr Roux', versions: 1 }]);
    for (const reader of [patient, sharing]) {
      const mine = list.parse(await (await send('GET', `/api/patients/${patientId}/reports`, reader.cookie)).json());
      expect(mine.reports.map((r) => r.conclusion)).toEqual(['Pas de signe de gravité']);
      const one = reportSchema.parse(await (await send('GET', `/api/reports/${draft.id}`, reader.cookie)).json());
      expect(one.consent).toMatchObject({ givenBy: 'representative', representative: 'Claire Martin' });
    }

    const refusals: Array<[string, string, string]> = [
      [notSharing.cookie, `/api/patients/${patientId}/reports`, 'report_not_shared'],
      [notSharing.cookie, `/api/reports/${draft.id}`, 'report_not_shared'],
      [notSharing.cookie, `/api/reports/${draft.id}/pdf`, 'report_not_shared'],
      [outsider, `/api/reports/${draft.id}`, 'patient_not_in_team'],
      [outsider, `/api/console/patients/${patientId}/reports`, 'patient_not_in_team'],
      [outsider, `/api/consultations/${roomId}/report`, 'call_not_found'],
      [homecare.cookie, `/api/reports/${draft.id}`, 'role_not_allowed'],
      [patient.cookie, `/api/console/patients/${patientId}/reports`, 'staff_only'],
    ];
    for (const [cookie, path, code] of refusals) {
      expect(await errorCode(await send('GET', path, cookie)), path).toBe(code);
    }
    // Writing is for the care team with the `calls` right.
    expect(
      await errorCode(
        await send('POST', `/api/reports/${draft.id}/amendments`, homecare.cookie, { content: CONTENT, reason: 'x' }),
      ),
    ).toBe('role_not_allowed');
    expect(
      await errorCode(
        await send('POST', `/api/consultations/${roomId}/consent`, outsider, {
          givenBy: 'patient',
          method: 'oral',
          givenAt: Date.now(),
        }),
      ),
    ).toBe('call_not_found');

    // The professionals' reads are in the patient's record-reads log, the relatives' are not.
    const reads = z
      .object({ reads: z.array(z.object({ name: z.string(), what: z.string() })) })
      .parse(await (await send('GET', `/api/patients/${patientId}/record-reads`, patient.cookie)).json());
    expect(reads.reads.filter((r) => r.what === 'reports').map((r) => r.name)).toEqual(['Dr Roux']);
  });

  it('is a PDF in the reader’s language naming the patient strictly, with its conclusion and units', async () => {
    const { patientId, doctor, roomId } = await consultation('Mme Martin', 'roux3@vigie.test');
    s.people.setRpps(doctor.personId, '10101010101');
    const patient = await s.family(patientId, { name: 'Jeanne Martin', email: 'jeanne3@vigie.test', role: 'patient' });
    await send('POST', `/api/consultations/${roomId}/consent`, doctor.cookie, {
      givenBy: 'patient',
      method: 'oral',
      givenAt: Date.now(),
    });
    const report = reportSchema.parse(
      await (await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content: CONTENT })).json(),
    );
    await send('POST', `/api/reports/${report.id}/finalise`, doctor.cookie);

    const res = await send('GET', `/api/reports/${report.id}/pdf`, patient.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const read = await readPdf(pdf, 'report-pdf-fr');
    expect(read.sizes[0]).toEqual({ width: 595, height: 842 });
    const text = read.text;
    expect(text).toContain('Compte rendu de téléconsultation');
    expect(text).toContain('MARTIN Jeanne, née le 03/02/1941 (F)');
    expect(text).toContain('Pas de signe de gravité');
    expect(text).toContain('Fréquence cardiaque : 88 /min');
    expect(text).toContain('37,2 °C');
    expect(text).toContain('Tension artérielle : 132/78 mmHg');
    expect(text).toContain('Rédigé par : Dr Roux, RPPS 10101010101');
    expect(text).toContain('Signé par Dr Roux');
    expect(text).toContain(`Compte rendu ${report.id} · version 1 · édité le`);
    expect(text).toContain('Page 1 sur 1');
    // The identity is not qualified: no INS.
    expect(text).not.toContain('INS');

    // In English for an English reader.
    const { text: en } = await readPdf(
      Buffer.from(await (await send('GET', `/api/reports/${report.id}/pdf?lang=en`, patient.cookie)).arrayBuffer()),
      'report-pdf-en',
    );
    expect(en).toContain('Teleconsultation report');
    expect(en).toContain('MARTIN Jeanne, born 3 Feb 1941 (F)');
    expect(en).toContain('Heart rate: 88 /min');
    expect(en).toContain('Blood pressure: 132/78 mmHg');
    expect(en).toContain('Page 1 of 1');
  });

  it('says on every page of a long report which report, which version, and the page of how many', async () => {
    const { doctor, roomId } = await consultation('Mme Martin', 'roux4@vigie.test');
    const long = (word: string) => Array.from({ length: 220 }, (_, i) => `${word} ${i + 1}.`).join(' ');
    const content = { ...CONTENT, observations: long('Observation'), followUp: long('Suivi') };
    const draft = reportSchema.parse(
      await (await send('PUT', `/api/consultations/${roomId}/report`, doctor.cookie, { content })).json(),
    );
    const read = await readPdf(
      Buffer.from(await (await send('GET', `/api/reports/${draft.id}/pdf`, doctor.cookie)).arrayBuffer()),
      'report-pdf-long',
    );
    expect(read.pages).toBeGreaterThan(1);
    for (let i = 1; i <= read.pages; i++) {
      expect(read.text).toContain(`Page ${i} sur ${read.pages}`);
    }
    expect(read.text.split(`Compte rendu ${draft.id} · brouillon · édité le`)).toHaveLength(read.pages + 1);
    // A loose page still names its patient.
    expect(
      read.text.split('MARTIN Jeanne, née le 03/02/1941 (F) — Compte rendu de téléconsultation (suite)'),
    ).toHaveLength(read.pages);
    // Nothing is lost at a page break: the last sentence of each long field is there.
    expect(read.text).toContain('Observation 220.');
    expect(read.text).toContain('Suivi 220.');
  });
});
