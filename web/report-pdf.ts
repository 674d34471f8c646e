/**
 * A teleconsultation report as an A4 PDF, in the reader's language: the patient named strictly
 * (common/identity-name.ts; the INS only when the identity is qualified), the consultation's date and
 * consent, the author with their RPPS number, the sections, the vital signs with their units
 * (common/vital-units.ts; blood pressure as one systolic/diastolic pair), and each signed version (an
 * amendment says why and keeps the one before). Every page says in its footer which report, which
 * version, when it was printed and the page of how many; every page after the first names the patient. PDFKit's standard Helvetica only: no
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
    rpps: 'RPPS {rpps}',
    footer: 'Compte rendu {id} · {state} · édité le {at}',
    page: 'Page {page} sur {pages}',
    continued: '{patient} — {title} (suite)',
    stateDraft: 'brouillon',
    stateVersion: 'version {version}',
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
      bp: 'Tension artérielle',
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
    rpps: 'RPPS {rpps}',
    footer: 'Report {id} · {state} · printed {at}',
    page: 'Page {page} of {pages}',
    continued: '{patient} — {title} (continued)',
    stateDraft: 'draft',
    stateVersion: 'version {version}',
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
      bp: 'Blood pressure',
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
  /** The author's RPPS number, said after their name when they have one. */
  readonly authorRpps?: string | null;
  /** When the PDF is made (said in every page's footer). */
  readonly now: number;
  /** Where the times are said (the organisation's zone). */
  readonly timeZone?: string;
}

const MARGIN = 56;
const FOOTER_SIZE = 8.5;

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
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + 2 * FOOTER_SIZE },
    bufferPages: true,
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
  const patient = strictName(o.lang, o.identity?.traits, o.label);
  line(t.patient, patient);
  const ins = o.identity ? shownIns(o.identity) : null;
  if (ins) line(t.ins, `${ins.matricule} ${ins.key}`);
  line(t.date, at(report.createdAt));
  line(t.author, o.authorRpps ? `${report.author}, ${fill(t.rpps, { rpps: o.authorRpps })}` : report.author);
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
  footers(doc, t, report, { patient, printedAt: at(o.now) });
  doc.end();
  return done;
}

/**
 * On every page, under the text: which report, which version, when printed, and the page of how many;
 * above the text of every page but the first, whose report it is (a loose page still names its patient).
 */
function footers(
  doc: PDFKit.PDFDocument,
  t: Text,
  report: ReportView,
  { patient, printedAt }: { patient: string; printedAt: string },
): void {
  const { start, count } = doc.bufferedPageRange();
  const state =
    report.status === 'draft' ? t.stateDraft : fill(t.stateVersion, { version: report.versions.at(-1)?.version ?? 1 });
  const left = fill(t.footer, { id: report.id, state, at: printedAt });
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const width = doc.page.width - 2 * MARGIN;
    const y = doc.page.height - MARGIN - FOOTER_SIZE;
    // Writing inside the bottom margin would otherwise start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .moveTo(MARGIN, y - 6)
      .lineTo(MARGIN + width, y - 6)
      .lineWidth(0.5)
      .strokeColor('#888888')
      .stroke();
    doc.font('Helvetica').fontSize(FOOTER_SIZE).fillColor('#444444');
    doc.text(left, MARGIN, y, { width: width * 0.75, lineBreak: false });
    doc.text(fill(t.page, { page: i - start + 1, pages: count }), MARGIN, y, {
      width,
      align: 'right',
      lineBreak: false,
    });
    if (i > start)
      doc.text(fill(t.continued, { patient, title: t.title }), MARGIN, MARGIN / 2, { width, lineBreak: false });
    doc.fillColor('black');
    doc.page.margins.bottom = bottom;
  }
}

type Text = (typeof TEXT)[Lang];

function consentText(t: Text, consent: ConsentView | null, at: (ms: number) => string): string {
  if (!consent) return t.noConsent;
  const by = fill(t.consentBy[consent.givenBy], { name: consent.representative ?? '' });
  return `${by}, ${t.consentHow[consent.method]}, ${at(consent.givenAt)} (${fill(t.consentRecorded, { name: consent.recordedBy })})`;
}

function vitalsText(t: Text, vitals: ReportView['content']['vitals'], lang: Lang): string {
  const number = new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1 });
  const { sys, dia } = vitals;
  const lines = REPORT_VITALS.flatMap((v: ReportVital) => {
    const value = vitals[v];
    if (value === null) return [];
    // Blood pressure is said as a pair, systolic/diastolic, as clinicians write it.
    if (v === 'dia' && sys !== null) return [];
    if (v === 'sys' && dia !== null)
      return [`${t.vital.bp}${t.colon}${number.format(sys ?? value)}/${number.format(dia)} ${VITAL_UNITS.sys}`];
    const label = v === 'sys' || v === 'dia' ? `${t.vital.bp} (${v === 'sys' ? 'sys.' : 'dia.'})` : t.vital[v];
    return [`${label}${t.colon}${number.format(value)} ${VITAL_UNITS[v]}`];
  });
  return lines.length > 0 ? lines.join('\n') : t.noVitals;
}
