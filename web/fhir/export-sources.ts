/**
 * What an export (Bulk Data `$export`, and the patient's own download) holds of one patient: a
 * registry of sources, one per FHIR resource type, each listing every resource of that type about
 * the patient. Another type joins the exports by one entry here. A source is read as it goes
 * (an async iterable): Observations come from InfluxDB a page at a time, never a whole history.
 */
import type { FhirSystemType, RecordPart } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import type { FhirResource } from './bundle.ts';
import { toFhirDevice } from './device.ts';
import { OBSERVATION_SERIES_NAMES, parseCursor, searchObservations, type Cursor } from './observation.ts';
import type { Dated } from './paging.ts';
import {
  datedCommunications,
  datedDocumentReferences,
  datedFlags,
  encountersOf,
  appointmentsOf,
  relatedPersonsOf,
} from './patient-resources.ts';
import { patientResource } from './routes.ts';

export interface ExportSource {
  /** Who may export it is who may read it (web/fhir/reader.ts: a member's right, a system's scope). */
  readonly type: FhirSystemType;
  /** The part of the record a professional reads by exporting it (web/record-reads.ts). */
  readonly part: RecordPart;
  /**
   * Every resource of this type about the patient; `since` (ms): only those that changed after it,
   * for the types whose changes are dated (the others are always listed whole).
   */
  listFor(c: WebContext, patientId: string, since: number | null): Iterable<FhirResource> | AsyncIterable<FhirResource>;
}

/** Readings are written once and never changed: their time is when they changed. */
async function* observationsOf(c: WebContext, patientId: string, since: number | null) {
  let cursor: Cursor | null = null;
  do {
    const page = await searchObservations(c.influx, {
      patientId,
      series: OBSERVATION_SERIES_NAMES,
      bounds: { from: since === null ? null : BigInt(since) * 1_000_000n, to: null },
      count: c.exports.observationPage,
      cursor,
    });
    yield* page.resources;
    cursor = page.next === null ? null : parseCursor(page.next);
  } while (cursor !== null);
}

/** Records written once (a note, a signed version of a report): dated by when they were written. */
const writtenSince = <R extends FhirResource>(dated: Array<Dated<R>>, since: number | null): R[] =>
  dated.filter((d) => since === null || d.at >= since).map((d) => d.resource);

/** The read parts are those of the same search in web/fhir/routes.ts. */
export const EXPORT_SOURCES: readonly ExportSource[] = [
  // The registry keeps no modification time of a patient or a device: they are always exported.
  { type: 'Patient', part: 'record', listFor: (c, patientId) => [patientResource(c, patientId)] },
  {
    type: 'Device',
    part: 'record',
    listFor: (c, patientId) =>
      c.registry.devicesOf(patientId).map((d) => toFhirDevice(patientId, d, c.live.device(d.id).info)),
  },
  // A care link keeps no dated change either.
  { type: 'RelatedPerson', part: 'record', listFor: (c, patientId) => relatedPersonsOf(c, patientId) },
  { type: 'Observation', part: 'vitals', listFor: observationsOf },
  // An alert changes when it is handled, after it opened: `_since` takes those opened since.
  {
    type: 'Flag',
    part: 'alerts',
    listFor: async function* (c, patientId, since) {
      for (const d of await datedFlags(c, patientId, since ?? 0)) yield d.resource;
    },
  },
  {
    type: 'Communication',
    part: 'notes',
    listFor: (c, patientId, since) => writtenSince(datedCommunications(c, patientId), since),
  },
  // Consultations and appointments change status without a dated change: always exported whole.
  { type: 'Encounter', part: 'appointments', listFor: (c, patientId) => encountersOf(c, patientId) },
  {
    type: 'Appointment',
    part: 'appointments',
    listFor: (c, patientId) => appointmentsOf(c, patientId),
  },
  {
    type: 'DocumentReference',
    part: 'reports',
    listFor: (c, patientId, since) => writtenSince(datedDocumentReferences(c, patientId), since),
  },
];

export const EXPORT_TYPES = EXPORT_SOURCES.map((s) => s.type);
