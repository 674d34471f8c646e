/**
 * A signed teleconsultation report (web/reports.ts) as FHIR R4 DocumentReferences, one per signed
 * version: type LOINC 11488-4 "Consult note", the patient, the clinician who signed it (author and
 * authenticator), when, and the consultation's Encounter. A draft is not a document and is not sent.
 *
 * The latest version has the report's own id, status `current`, and its content is the report's PDF
 * (GET /api/reports/:id/pdf, which renders the latest version); each earlier version is
 * `{report}.v{n}`, status `superseded`, and replaced by the next one (`relatesTo`). The PDF route
 * renders only the latest version, so a superseded version carries its own text inline (text/plain).
 */
import { VITAL_UNITS } from '../../common/vital-units.ts';
import { REPORT_VITALS, type ReportContent, type ReportVersion } from '../api/schemas.ts';
import type { Report } from '../reports.ts';
import { LOINC } from './observation.ts';
import { instant } from './reference.ts';

export interface FhirDocumentReference {
  readonly resourceType: 'DocumentReference';
  readonly id: string;
  readonly [field: string]: unknown;
}

/** The id of a signed version: the report's own for the latest, `{report}.v{n}` for the ones before. */
export function versionId(report: Report, version: number): string {
  return version === report.versions.length ? report.id : `${report.id}.v${version}`;
}

const VITAL_LABEL: Readonly<Record<(typeof REPORT_VITALS)[number], string>> = {
  hr: 'Heart rate',
  spo2: 'SpO2',
  sys: 'Systolic blood pressure',
  dia: 'Diastolic blood pressure',
  temp: 'Temperature',
  rr: 'Respiratory rate',
};

/** A superseded version's text, as it was signed. */
export function versionText(content: ReportContent, v: ReportVersion): string {
  const vitals = REPORT_VITALS.flatMap((k) => {
    const value = content.vitals[k];
    return value === null ? [] : [`${VITAL_LABEL[k]}: ${value} ${VITAL_UNITS[k]}`];
  });
  return [
    `Teleconsultation report, version ${v.version}, signed by ${v.signedBy} on ${instant(v.signedAt)}`,
    ...(v.reason ? [`Amended because: ${v.reason}`] : []),
    `Reason: ${content.reason}`,
    `Observations: ${content.observations}`,
    ...(vitals.length > 0 ? [`Vital signs: ${vitals.join('; ')}`] : []),
    `Conclusion: ${content.conclusion}`,
    `Follow-up: ${content.followUp}`,
  ].join('\n');
}

/** Every signed version of a report, latest first (none for a draft). */
export function toFhirDocumentReferences(
  report: Report,
  o: { readonly pdfUrl: string; readonly encounter: boolean },
): FhirDocumentReference[] {
  return report.versions.map((v) => toFhirDocumentReference(report, v, o)).reverse();
}

function toFhirDocumentReference(
  report: Report,
  v: ReportVersion,
  o: { readonly pdfUrl: string; readonly encounter: boolean },
): FhirDocumentReference {
  const current = v.version === report.versions.length;
  const title = `Teleconsultation report, version ${v.version}`;
  const signer = { reference: `Practitioner/${v.signedById}`, display: v.signedBy };
  return {
    resourceType: 'DocumentReference',
    id: versionId(report, v.version),
    status: current ? 'current' : 'superseded',
    docStatus: v.version === 1 ? 'final' : 'amended',
    type: { coding: [{ system: LOINC, code: '11488-4', display: 'Consult note' }] },
    subject: { reference: `Patient/${report.patientId}` },
    date: instant(v.signedAt),
    author: [signer],
    authenticator: signer,
    ...(v.version > 1
      ? {
          relatesTo: [
            { code: 'replaces', target: { reference: `DocumentReference/${versionId(report, v.version - 1)}` } },
          ],
        }
      : {}),
    description: title,
    content: [
      {
        attachment: current
          ? { contentType: 'application/pdf', url: o.pdfUrl, title, creation: instant(v.signedAt) }
          : {
              contentType: 'text/plain; charset=utf-8',
              data: Buffer.from(versionText(v.content, v)).toString('base64'),
              title,
              creation: instant(v.signedAt),
            },
      },
    ],
    ...(o.encounter ? { context: { encounter: [{ reference: `Encounter/${report.roomId}` }] } } : {}),
  };
}
