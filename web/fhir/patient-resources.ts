/**
 * All of one patient's resources of each type that web/fhir/ builds from Vigie's own records, for a
 * search (web/fhir/routes.ts) and for an export. These do not check who asks: the caller has.
 *
 * Each `dated*` gives the resources with the time they are searched by (Flag: opened; Communication:
 * sent; Encounter: started; Appointment: its start; DocumentReference: signed), newest first;
 * each `*Of` the resources alone.
 */
import type { WebContext } from '../context.ts';
import type { Appointment } from '../appointments.ts';
import type { AlertView } from '../../common/alert-api.ts';
import type { CoordinationNote } from '../people.ts';
import type { HeldConsultation, Report } from '../reports.ts';
import { toFhirAppointment, type FhirAppointment } from './appointment.ts';
import { toFhirCommunication, type FhirCommunication } from './communication.ts';
import { toFhirDocumentReferences, type FhirDocumentReference } from './document-reference.ts';
import { toFhirEncounter, type FhirEncounter } from './encounter.ts';
import { toFhirFlag, type FhirFlag } from './flag.ts';
import type { Dated } from './paging.ts';
import { toFhirRelatedPerson, type FhirRelatedPerson } from './related-person.ts';
import { FHIR_BASE_PATH } from './base.ts';

/** How many notes are read from the people database at a time. */
const NOTES_PAGE = 500;

/** The watch enrolled for the patient when the alert opened. */
function watchAt(c: WebContext, patientId: string, at: number): string | null {
  const watch = c.registry
    .devicesOf(patientId)
    .find((d) => d.kind === 'watch' && d.createdAt <= at && (d.revokedAt === null || d.revokedAt > at));
  return watch?.id ?? null;
}

export function flagOf(c: WebContext, alert: AlertView): FhirFlag {
  return toFhirFlag(alert, watchAt(c, alert.patientId, alert.openedAt));
}

/** The patient's alerts opened since `since` (ms), open or closed (the ingest keeps the newest 5,000). */
export async function datedFlags(c: WebContext, patientId: string, since = 0): Promise<Array<Dated<FhirFlag>>> {
  const alerts = await c.alerts.since(patientId, since);
  return alerts.map((a) => ({ at: a.openedAt, resource: flagOf(c, a) })).reverse();
}

export function communicationOf(patientId: string, note: CoordinationNote): FhirCommunication {
  return toFhirCommunication(patientId, note);
}

export function datedCommunications(c: WebContext, patientId: string): Array<Dated<FhirCommunication>> {
  const out: Array<Dated<FhirCommunication>> = [];
  let before = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const notes = c.people.notes(patientId, NOTES_PAGE, before);
    out.push(...notes.map((n) => ({ at: n.at, resource: communicationOf(patientId, n) })));
    const last = notes.at(-1);
    if (notes.length < NOTES_PAGE || !last) return out;
    before = last.id;
  }
}

const nameOf = (c: WebContext, personId: string) => c.people.person(personId)?.name ?? null;

export function encounterOf(c: WebContext, held: HeldConsultation, now = Date.now()): FhirEncounter {
  return toFhirEncounter(held, { clinician: nameOf(c, held.clinicianId), now });
}

export function datedEncounters(c: WebContext, patientId: string, now = Date.now()): Array<Dated<FhirEncounter>> {
  return c.reports
    .consultationsOf(patientId)
    .map((held) => ({ at: held.startedAt, resource: encounterOf(c, held, now) }));
}

/** The patient's relatives and other caregivers (every care link but the patient's own account). */
export function relatedPersonsOf(c: WebContext, patientId: string): FhirRelatedPerson[] {
  return c.people
    .peopleOf(patientId)
    .filter(({ link }) => !link.self)
    .map(({ person, link }) =>
      toFhirRelatedPerson(patientId, { ...person, active: !c.people.isDisabled(person.id) }, link),
    );
}

export function appointmentOf(c: WebContext, a: Appointment, now = Date.now()): FhirAppointment {
  const relatives = c.people
    .peopleOf(a.patientId)
    .filter(({ link }) => !link.self)
    .map(({ person }) => ({ id: person.id, name: person.name }));
  return toFhirAppointment(a, {
    clinician: nameOf(c, a.clinicianId),
    relatives,
    now,
  });
}

export function datedAppointments(c: WebContext, patientId: string, now = Date.now()): Array<Dated<FhirAppointment>> {
  return c.appointments.allOfPatient(patientId).map((a) => ({ at: a.startsAt, resource: appointmentOf(c, a, now) }));
}

/** A report's signed versions (none for a draft), latest first. */
export function documentReferencesOfReport(c: WebContext, report: Report): FhirDocumentReference[] {
  return toFhirDocumentReferences(report, {
    pdfUrl: `${c.publicUrl()}${FHIR_BASE_PATH}/Binary/${report.id}`,
    encounter: c.reports.consultation(report.roomId) !== undefined,
  });
}

export function datedDocumentReferences(c: WebContext, patientId: string): Array<Dated<FhirDocumentReference>> {
  return c.reports.reportsOf(patientId).flatMap((report) =>
    documentReferencesOfReport(c, report).map((resource, i) => ({
      at: report.versions[report.versions.length - 1 - i]?.signedAt ?? report.updatedAt,
      resource,
    })),
  );
}

const resourcesOf = <R extends { readonly resourceType: string; readonly id: string }>(dated: Array<Dated<R>>) =>
  dated.map((d) => d.resource);

export const flagsOf = async (c: WebContext, patientId: string) => resourcesOf(await datedFlags(c, patientId));
export const communicationsOf = (c: WebContext, patientId: string) => resourcesOf(datedCommunications(c, patientId));
export const encountersOf = (c: WebContext, patientId: string) => resourcesOf(datedEncounters(c, patientId));
export const appointmentsOf = (c: WebContext, patientId: string) => resourcesOf(datedAppointments(c, patientId));
export const documentReferencesOf = (c: WebContext, patientId: string) =>
  resourcesOf(datedDocumentReferences(c, patientId));
