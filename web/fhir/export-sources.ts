/**
 * What an export (Bulk Data `$export`, and the patient's own download) holds of one patient: a
 * registry of sources, one per FHIR resource type, each listing every resource of that type about
 * the patient. Another type joins the exports by one entry here. A source is read as it goes
 * (an async iterable): Observations come from InfluxDB a page at a time, never a whole history.
 */
import type { StaffRight } from '../../common/people-rules.ts';
import type { WebContext } from '../context.ts';
import type { FhirResource } from './bundle.ts';
import { toFhirDevice } from './device.ts';
import { OBSERVATION_SERIES_NAMES, parseCursor, searchObservations, type Cursor } from './observation.ts';
import { patientResource } from './routes.ts';

export interface ExportSource {
  readonly type: string;
  /** The staff right a member needs for this type beyond seeing the patient (none: null). */
  readonly right: StaffRight | null;
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

export const EXPORT_SOURCES: readonly ExportSource[] = [
  // The registry keeps no modification time of a patient or a device: they are always exported.
  { type: 'Patient', right: null, listFor: (c, patientId) => [patientResource(c, patientId)] },
  {
    type: 'Device',
    right: null,
    listFor: (c, patientId) =>
      c.registry.devicesOf(patientId).map((d) => toFhirDevice(patientId, d, c.live.device(d.id).info)),
  },
  { type: 'Observation', right: 'vitals', listFor: observationsOf },
];

export const EXPORT_TYPES = EXPORT_SOURCES.map((s) => s.type);
