/**
 * A teleconsultation report as an A4 PDF, in the reader's language: the patient named strictly
 * (common/identity-name.ts; the INS only when the identity is qualified), the consultation's date and
 * consent, the sections, the vital signs with their units (common/vital-units.ts), and each signed
 * version (an amendment says why and keeps the one before). PDFKit's standard Helvetica only: no
 * font file, nothing fetched.
 */
import PDFDocument from 'pdfkit';
import { shownIns, type Identity } from '../common/ins.ts';
import { strictName } from '../common/identity-name.ts';
import type { Lang } from '../common/people-rules.ts';
import { VITAL_UNITS } from '../common/vital-units.ts';
import { REPORT_VITALS, type ConsentView, type ReportView, type ReportVital } from './api/schemas.ts';

const TEXT = {
  fr: {
    title: 'Compte rendu de téléconsultation',
    patient: 'Patient',
    ins: 'INS',
    date: 'Consultation du',
    author: 'Rédigé par',
    draft: 'BROUILLON — non signé',
    consent: 'Consentement',
    noConsent: 'Consentement non enregistré',
    consentBy: { patient: 'donné par le patient', representative: 'donné par son représentant légal, {name}' },
    consentHow: { oral: 'oralement pendant l’appel', written: 'par écrit au préalable' },
    consentRecorded: 'enregistré par {name}',
    reason: 'Motif',
    observations: 'Observations',
    vitals: 'Constantes',
    noVitals: 'Aucune constante notée.',
    conclusion: 'Conclusion',
    followUp: 'Suivi',
    signed: 'Signé par {name} le {at}',
    amended: 'Avenant (version {version}) signé par {name} le {at} : {reason}',
    history: 'Versions précédentes',
    version: 'Version {version}, signée par {name} le {at}',
    vital: {
      hr: 'Fréquence cardiaque',
      spo2: 'SpO2',
      sys: 'Tension systolique',
      dia: 'Tension diastolique',
      temp: 'Température',
      rr: 'Fréquence respiratoire',
    },
    empty: '—',
    colon: ' : ',
  },
  en: {
    title: 'Teleconsultation report',
    patient: 'Patient',
    ins: 'INS',
    date: 'Consultation of',
    author: 'Written by',
    draft: 'DRAFT — not signed',
    consent: 'Consent',
    noConsent: 'Consent not recorded',
    consentBy: { patient: 'given by the patient', representative: 'given by their legal representative, {name}' },
    consentHow: { oral: 'orally during the call', written: 'in writing beforehand' },
    consentRecorded: 'recorded by {name}',
    reason: 'Reason',
    observations: 'Observations',
    vitals: 'Vital signs',
    noVitals: 'No vital sign noted.',
    conclusion: 'Conclusion',
    followUp: 'Follow-up',
    signed: 'Signed by {name} on {at}',
    amended: 'Amendment (version {version}) signed by {name} on {at}: {reason}',
    history: 'Previous versions',
    version: 'Version {version}, signed by {name} on {at}',
    vital: {
      hr: 'Heart rate',
      spo2: 'SpO2',
      sys: 'Systolic pressure',
      dia: 'Diastolic pressure',
      temp: 'Temperature',
      rr: 'Respiratory rate',
    },
    empty: '—',
    colon: ': ',
  },
} as const satisfies Record<Lang, unknown>;

export interface PdfOptions {
  readonly lang: Lang;
  /** The name the care team gave the patient (used when no identity is recorded). */
  readonly label: string;
  readonly identity: Identity | null;
  /** Where the times are said (the organisation's zone). */
  readonly timeZone?: string;
}

const fill = (template: string, params: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (all, key: string) => String(params[key] ?? all));

export function reportPdf(report: ReportView, o: PdfOptions): Promise<Buffer> {
  const t = TEXT[o.lang];
  const when = new Intl.DateTimeFormat(o.lang === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: o.timeZone ?? 'Europe/Paris',
  });
  const at = (ms: number) => when.format(new Date(ms));
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: t.title, Author: report.author },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text(t.title);
  doc.moveDown(0.5);
  const line = (label: string, value: string) =>
    doc
      .font('Helvetica-Bold')
      .fontSize(10.5)
      .text(`${label}${t.colon}`, { continued: true })
      .font('Helvetica')
      .text(value);
  line(t.patient, strictName(o.lang, o.identity?.traits, o.label));
  const ins = o.identity ? shownIns(o.identity) : null;
  if (ins) line(t.ins, `${ins.matricule} ${ins.key}`);
  line(t.date, at(report.createdAt));
  line(t.author, report.author);
  line(t.consent, consentText(t, report.consent, at));
  if (report.status === 'draft') {
    doc.moveDown(0.5).font('Helvetica-Bold').fillColor('#a32020').text(t.draft).fillColor('black');
  }

  const section = (title: string, body: string) => {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12.5).text(title);
    doc
      .moveDown(0.2)
      .font('Helvetica')
      .fontSize(10.5)
      .text(body === '' ? t.empty : body);
  };
  section(t.reason, report.content.reason);
  section(t.observations, report.content.observations);
  section(t.vitals, vitalsText(t, report.content.vitals, o.lang));
  section(t.conclusion, report.content.conclusion);
  section(t.followUp, report.content.followUp);

  const first = report.versions[0];
  const last = report.versions.at(-1);
  if (first && last) {
    doc.moveDown(1.2).font('Helvetica-Bold').fontSize(10.5);
    doc.text(fill(t.signed, { name: first.signedBy, at: at(first.signedAt) }));
    if (last.version > 1) {
      doc.font('Helvetica').text(
        fill(t.amended, {
          version: last.version,
          name: last.signedBy,
          at: at(last.signedAt),
          reason: last.reason ?? '',
        }),
      );
      doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12.5).text(t.history);
      for (const v of report.versions.slice(0, -1)) {
        doc
          .moveDown(0.4)
          .font('Helvetica-Bold')
          .fontSize(10)
          .text(fill(t.version, { version: v.version, name: v.signedBy, at: at(v.signedAt) }));
        doc.font('Helvetica').text(`${t.conclusion}${t.colon}${v.content.conclusion}`);
      }
    }
  }
  doc.end();
  return done;
}

type Text = (typeof TEXT)[Lang];

function consentText(t: Text, consent: ConsentView | null, at: (ms: number) => string): string {
  if (!consent) return t.noConsent;
  const by = fill(t.consentBy[consent.givenBy], { name: consent.representative ?? '' });
  return `${by}, ${t.consentHow[consent.method]}, ${at(consent.givenAt)} (${fill(t.consentRecorded, { name: consent.recordedBy })})`;
}

function vitalsText(t: Text, vitals: ReportView['content']['vitals'], lang: Lang): string {
  const number = new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1 });
  const lines = REPORT_VITALS.flatMap((v: ReportVital) => {
    const value = vitals[v];
    return value === null ? [] : [`${t.vital[v]}${t.colon}${number.format(value)} ${VITAL_UNITS[v]}`];
  });
  return lines.length > 0 ? lines.join('\n') : t.noVitals;
}
