/**
 * An alert of the ingest's alert engine (common/alert-api.ts) as a FHIR R4 Flag.
 *
 * Why Flag and not DetectedIssue: R4 defines DetectedIssue for a problem with a patient's clinical
 * actions (a drug interaction, a duplicate therapy, a contraindication: its `implicated` and
 * `mitigation` are about orders), while a Flag is "a warning for the attention of care providers"
 * about the patient, with a period and an active/inactive status, authored by a Device if need be.
 * The alert profiles that carry a patient's alarms do the same (IPS's Flag-alert-uv-ips, the EU and
 * national summaries built on it), with the `flag-priority` extension for the alarm's priority
 * (IEEE 11073's PN/PL/PM/PH, the codes of device alarms).
 *
 * A fall is SNOMED CT 1912002 "Fall" (the watch cannot tell whether it was accidental: 217082002
 * "Accidental fall" is a narrower concept); a threshold alert carries the LOINC code of its vital
 * (web/fhir/observation.ts); every alert also carries Vigie's own kind. Active while the alert is
 * open, inactive once it is closed (cleared, resolved or cancelled). No measurement goes out: what
 * was measured is the Observations' (and their `vitals` right).
 */
import type { AlertView } from '../../common/alert-api.ts';
import { LOINC, OBSERVATION_SERIES } from './observation.ts';
import { instant } from './reference.ts';

export const SNOMED = 'http://snomed.info/sct';
/** Vigie's alert kinds (ingest/rules/plugins), as codes. */
export const ALERT_KIND_SYSTEM = 'urn:vigie:alert-kind';
const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';
const FLAG_PRIORITY = 'http://hl7.org/fhir/StructureDefinition/flag-priority';
const FLAG_PRIORITY_CODES = 'http://hl7.org/fhir/flag-priority-code';

export interface FhirFlag {
  readonly resourceType: 'Flag';
  readonly id: string;
  readonly [field: string]: unknown;
}

const PRIORITY = {
  high: { code: 'PH', display: 'High priority' },
  medium: { code: 'PM', display: 'Medium priority' },
  low: { code: 'PL', display: 'Low priority' },
} as const;

/** The LOINC coding of a threshold's vital: the vital-signs codes, and the blood pressure's components. */
const coding = ({ code, display }: { readonly code: string; readonly display: string }) => ({ code, display });
const VITAL_CODING: Readonly<Record<string, { readonly code: string; readonly display: string }>> = {
  hr: coding(OBSERVATION_SERIES.hr.codes[0]),
  spo2: coding(OBSERVATION_SERIES.spo2.codes[0]),
  temp: coding(OBSERVATION_SERIES.temp.codes[0]),
  rr: coding(OBSERVATION_SERIES.rr.codes[0]),
  glucose: coding(OBSERVATION_SERIES.glucose.codes[0]),
  sys: coding(OBSERVATION_SERIES.bp.value.components[0]),
  dia: coding(OBSERVATION_SERIES.bp.value.components[1]),
};

const KIND_TEXT: Readonly<Record<string, string>> = {
  fall: 'Fall detected by the watch',
  sos: 'SOS call from the watch',
  news2: 'NEWS2 early warning score',
  offline: 'Watch offline',
  'low-battery': 'Watch battery low',
  'stale-data': 'No recent measurements',
  removed: 'Watch taken off',
};

/** Kinds that the watch itself raises (an event it sent, its battery): the Flag's author is the watch. */
const WATCH_RAISED: ReadonlySet<string> = new Set(['fall', 'sos', 'removed', 'low-battery']);

function codeOf(a: AlertView) {
  const kind = { system: ALERT_KIND_SYSTEM, code: a.kind };
  if (a.kind === 'fall')
    return { coding: [{ system: SNOMED, code: '1912002', display: 'Fall' }, kind], text: KIND_TEXT.fall };
  if (a.kind.startsWith('threshold:')) {
    const vital = typeof a.detail.vital === 'string' ? a.detail.vital : '';
    const loinc = VITAL_CODING[vital];
    const direction = a.detail.direction === 'above' || a.detail.direction === 'below' ? a.detail.direction : null;
    const text = loinc
      ? `${loinc.display}${direction ? ` ${direction} its limit` : ' out of its limits'}`
      : 'Measurement out of its limits';
    return { coding: [...(loinc ? [{ system: LOINC, ...loinc }] : []), kind], text };
  }
  return { coding: [kind], text: KIND_TEXT[a.kind] ?? a.kind };
}

/** `watchId`: the watch enrolled when the alert opened, for the kinds the watch raises (else null). */
export function toFhirFlag(a: AlertView, watchId: string | null): FhirFlag {
  const clinical = a.kind.startsWith('threshold:') || a.kind === 'news2';
  return {
    resourceType: 'Flag',
    id: String(a.id),
    extension: [
      {
        url: FLAG_PRIORITY,
        valueCodeableConcept: { coding: [{ system: FLAG_PRIORITY_CODES, ...PRIORITY[a.priority] }] },
      },
    ],
    status: a.closedAt === null ? 'active' : 'inactive',
    category: [
      {
        coding: [
          clinical
            ? { system: FLAG_CATEGORY, code: 'clinical', display: 'Clinical' }
            : { system: FLAG_CATEGORY, code: 'safety', display: 'Safety' },
        ],
      },
    ],
    code: codeOf(a),
    subject: { reference: `Patient/${a.patientId}` },
    period: { start: instant(a.openedAt), ...(a.closedAt === null ? {} : { end: instant(a.closedAt) }) },
    ...(watchId && WATCH_RAISED.has(a.kind) ? { author: { reference: `Device/${watchId}` } } : {}),
  };
}
