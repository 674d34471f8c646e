/**
 * The consent and the report of a teleconsultation (web/reports.ts keeps them). The clinician's call
 * page records the consent and writes the report (a member of the patient's care team whose role has
 * the `calls` right); the care team reads the patient's reports (the `vitals` right; each read is
 * logged); the patient reads their finalised reports, and a relative only when the patient shares their
 * health data with them (the care link's `shareVitals`). Each step is in the change log.
 */
import { VigieError } from '../../common/errors.ts';
import type { Lang } from '../../common/people-rules.ts';
import { ROUTES } from '../api/routes.ts';
import type { ConsentView, ReportSummary, ReportView } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireAccess, requireRightOver } from '../access.ts';
import { noteRead } from '../record-reads.ts';
import type { Consent, Report } from '../reports.ts';
import { reportPdf } from '../report-pdf.ts';
import { routeOf } from './define.ts';

type Request = Parameters<typeof personOf>[0];

const nameIn = (c: WebContext, personId: string) => c.people.person(personId)?.name ?? personId;

const consentIn = (c: WebContext, consent: Consent | undefined): ConsentView | null =>
  consent ? { ...consent, recordedBy: nameIn(c, consent.recordedById) } : null;

function reportViewIn(c: WebContext, r: Report): ReportView {
  return {
    ...r,
    versions: [...r.versions],
    author: nameIn(c, r.authorId),
    consent: consentIn(c, c.reports.consentFor(r.patientId, r.roomId)),
  };
}

/** The report as a PDF in `lang` (web/report-pdf.ts): for its readers here and for the FHIR Binary. */
export function reportPdfOf(c: WebContext, report: Report, lang: Lang): Promise<Buffer> {
  return reportPdf(reportViewIn(c, report), {
    lang,
    label: c.registry.patientLabel(report.patientId) ?? report.patientId,
    identity: c.registry.patientIdentity(report.patientId) ?? null,
    authorRpps: c.people.staffAccount(report.authorId)?.rpps ?? null,
    now: Date.now(),
  });
}

export function reportRoutes(app: App, c: WebContext): void {
  const nameOf = (personId: string) => nameIn(c, personId);
  const reportView = (r: Report): ReportView => reportViewIn(c, r);
  const consentView = (consent: Consent | undefined) => consentIn(c, consent);
  const summary = (r: Report): ReportSummary => ({
    id: r.id,
    status: r.status,
    author: nameOf(r.authorId),
    createdAt: r.createdAt,
    signedAt: r.versions.at(-1)?.signedAt ?? null,
    versions: r.versions.length,
    conclusion: r.content.conclusion,
  });

  /** The patient of a consultation the clinician may write for: a live call, or one that has a report. */
  const consultationPatient = (request: Request, roomId: string): string => {
    const patientId = c.calls.byRoom(roomId)?.patientId ?? c.reports.byRoom(roomId)?.patientId;
    if (patientId === undefined || !requireAccessOrNone(request, patientId))
      throw new VigieError('call_not_found', 'no such consultation');
    requireRightOver(c.people, personOf(request), patientId, 'calls');
    return patientId;
  };
  /** Unknown and foreign consultations are refused alike, so that room ids cannot be probed. */
  const requireAccessOrNone = (request: Request, patientId: string): boolean => {
    try {
      requireAccess(c.people, personOf(request), patientId);
      return true;
    } catch {
      return false;
    }
  };
  /** A report of the writer's team's patient (their role with the `calls` right); foreign ones are unknown. */
  const writable = (request: Request, reportId: string): Report => {
    const report = c.reports.report(reportId);
    if (!report || !requireAccessOrNone(request, report.patientId))
      throw new VigieError('report_not_found', 'no such report');
    requireRightOver(c.people, personOf(request), report.patientId, 'calls');
    return report;
  };
  /** A report its reader may read: their team's (with the `vitals` right), or their own or shared with them once final. */
  const readable = (request: Request, reportId: string): Report => {
    const report = c.reports.report(reportId);
    if (!report) throw new VigieError('report_not_found', 'no such report');
    const person = personOf(request);
    const access = requireAccess(c.people, person, report.patientId);
    if (access.kind === 'staff') {
      requireRightOver(c.people, person, report.patientId, 'vitals');
      noteRead(c.reads, request, person, report.patientId, 'reports');
      return report;
    }
    if (!access.link.self && !access.link.shareVitals)
      throw new VigieError('report_not_shared', 'the patient does not share their reports with you');
    if (report.status !== 'final') throw new VigieError('report_not_found', 'no such report');
    return report;
  };

  app.route({
    ...routeOf(ROUTES.consultationReport, 'staff'),
    handler: async (request) => {
      const { roomId } = request.params;
      const patientId = consultationPatient(request, roomId);
      const report = c.reports.byRoom(roomId);
      if (report) noteRead(c.reads, request, personOf(request), patientId, 'reports');
      return {
        patientId,
        consent: consentView(c.reports.consentFor(patientId, roomId)),
        report: report ? reportView(report) : null,
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.recordConsent, 'staff'),
    handler: async (request) => {
      const { roomId } = request.params;
      const patientId = consultationPatient(request, roomId);
      const staffId = personOf(request).id;
      const consent = c.reports.recordConsent(patientId, roomId, request.body, staffId);
      c.logger.info({ patientId, staffId, room: roomId }, 'consent recorded');
      c.changes.record(staffId, 'consent.recorded', {
        patientId,
        detail: { roomId, givenBy: consent.givenBy, method: consent.method },
      });
      return { consent: { ...consent, recordedBy: nameOf(staffId) } };
    },
  });

  app.route({
    ...routeOf(ROUTES.saveReportDraft, 'staff'),
    handler: async (request) => {
      const { roomId } = request.params;
      const patientId = consultationPatient(request, roomId);
      const report = c.reports.saveDraft(patientId, roomId, request.body.content, personOf(request).id);
      return reportView(report);
    },
  });

  app.route({
    ...routeOf(ROUTES.finaliseReport, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const report = c.reports.finalise(writable(request, request.params.reportId).id, {
        id: person.id,
        name: person.name,
      });
      c.logger.info({ patientId: report.patientId, staffId: person.id, report: report.id }, 'report signed');
      c.changes.record(person.id, 'report.written', { patientId: report.patientId, detail: { reportId: report.id } });
      return reportView(report);
    },
  });

  app.route({
    ...routeOf(ROUTES.amendReport, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { content, reason } = request.body;
      const report = c.reports.amend(writable(request, request.params.reportId).id, content, reason, {
        id: person.id,
        name: person.name,
      });
      const version = report.versions.length;
      c.logger.info({ patientId: report.patientId, staffId: person.id, report: report.id, version }, 'report amended');
      c.changes.record(person.id, 'report.amended', {
        patientId: report.patientId,
        detail: { reportId: report.id, version },
      });
      return reportView(report);
    },
  });

  app.route({
    ...routeOf(ROUTES.patientReports, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      requireRightOver(c.people, personOf(request), patientId, 'vitals');
      noteRead(c.reads, request, personOf(request), patientId, 'reports');
      return { reports: c.reports.reportsOf(patientId).map(summary) };
    },
  });

  app.route({
    ...routeOf(ROUTES.familyReports, 'person'),
    handler: async (request) => {
      const { patientId } = request.params;
      const access = requireAccess(c.people, personOf(request), patientId);
      if (access.kind === 'staff') throw new VigieError('family_only', 'the care team reads reports in the console');
      if (!access.link.self && !access.link.shareVitals)
        throw new VigieError('report_not_shared', 'the patient does not share their reports with you');
      return {
        reports: c.reports
          .reportsOf(patientId)
          .filter((r) => r.status === 'final')
          .map(summary),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.report, 'person'),
    handler: async (request) => reportView(readable(request, request.params.reportId)),
  });

  const pdf = ROUTES.reportPdf;
  app.route({
    method: pdf.method,
    url: pdf.url,
    schema: { params: pdf.params, querystring: pdf.query },
    config: { access: 'person' },
    handler: async (request, reply) => {
      const report = readable(request, request.params.reportId);
      const person = personOf(request);
      const body = await reportPdfOf(c, report, request.query.lang ?? person.lang);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${report.id}.pdf"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  });
}
