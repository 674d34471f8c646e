/**
 * A patient's readings as FHIR R4 Observations, in the style of the vital-signs profiles: category
 * `vital-signs`, the LOINC code and UCUM unit of devices/PROTOCOL.md, blood pressure as the 85354-9
 * panel with its systolic and diastolic components, the reading's time, the patient and the device.
 * Capillary glucose is not a vital sign: it is a `laboratory` observation (a point-of-care test).
 *
 * Readings come from InfluxDB's raw retention (ingest/SCHEMA.md), newest first, a page at a time: a
 * query never asks for more than a page's worth of points (LIMIT) between the search's time bounds,
 * and the next page starts from a cursor on time, so that a search never loads a patient's history.
 * An Observation's id is `{patient}.{series}.{time in ns}`: it says where to read it again.
 */
import type { InfluxDB } from 'influx';
import { escape } from 'influx';
import { VigieError } from '../../common/errors.ts';
import { RETENTION } from '../../ingest/schema.ts';

export const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

interface Coding {
  readonly code: string;
  readonly display: string;
}

interface Quantity {
  readonly field: 'hr' | 'spo2' | 'temp' | 'rr' | 'weight' | 'glucose' | 'sys' | 'dia';
  readonly unit: string;
  readonly ucum: string;
}

interface SeriesSpec {
  /** The codings of the Observation's code, the first one its main LOINC code. */
  readonly codes: readonly Coding[];
  readonly category: 'vital-signs' | 'laboratory';
  /** The base FHIR profile it follows, when there is one. */
  readonly profile: string | null;
  /** One value, or the components of a panel. */
  readonly value: Quantity | { readonly components: ReadonlyArray<Coding & Quantity> };
}

const VITAL_PROFILE = 'http://hl7.org/fhir/StructureDefinition/';
const mmHg = { unit: 'mmHg', ucum: 'mm[Hg]' } as const;

export const OBSERVATION_SERIES = {
  hr: {
    codes: [{ code: '8867-4', display: 'Heart rate' }],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}heartrate`,
    value: { field: 'hr', unit: 'beats/minute', ucum: '/min' },
  },
  spo2: {
    codes: [
      { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
      { code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
    ],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}oxygensat`,
    value: { field: 'spo2', unit: '%', ucum: '%' },
  },
  temp: {
    codes: [{ code: '8310-5', display: 'Body temperature' }],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}bodytemp`,
    value: { field: 'temp', unit: 'C', ucum: 'Cel' },
  },
  rr: {
    codes: [{ code: '9279-1', display: 'Respiratory rate' }],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}resprate`,
    value: { field: 'rr', unit: 'breaths/minute', ucum: '/min' },
  },
  bp: {
    codes: [{ code: '85354-9', display: 'Blood pressure panel with all children optional' }],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}bp`,
    value: {
      components: [
        { code: '8480-6', display: 'Systolic blood pressure', field: 'sys', ...mmHg },
        { code: '8462-4', display: 'Diastolic blood pressure', field: 'dia', ...mmHg },
      ],
    },
  },
  weight: {
    codes: [{ code: '29463-7', display: 'Body weight' }],
    category: 'vital-signs',
    profile: `${VITAL_PROFILE}bodyweight`,
    value: { field: 'weight', unit: 'kg', ucum: 'kg' },
  },
  glucose: {
    codes: [{ code: '15074-8', display: 'Glucose [Moles/volume] in Blood' }],
    category: 'laboratory',
    profile: null,
    value: { field: 'glucose', unit: 'mmol/L', ucum: 'mmol/L' },
  },
} as const satisfies Record<string, SeriesSpec>;

export type ObservationSeries = keyof typeof OBSERVATION_SERIES;
export const OBSERVATION_SERIES_NAMES = Object.keys(OBSERVATION_SERIES) as ObservationSeries[];

function fieldsOf(series: ObservationSeries): string[] {
  const value: SeriesSpec['value'] = OBSERVATION_SERIES[series].value;
  return 'components' in value ? value.components.map((c) => c.field) : [value.field];
}

/** The series whose codes match a LOINC code (any of its codings). */
export function seriesOfCode(code: string): ObservationSeries | undefined {
  return OBSERVATION_SERIES_NAMES.find((s) => OBSERVATION_SERIES[s].codes.some((c) => c.code === code));
}

export interface FhirObservation {
  readonly resourceType: 'Observation';
  readonly id: string;
  readonly [field: string]: unknown;
}

/** One reading row of InfluxDB: its time in ns, its device and its fields. */
export interface Reading {
  readonly ns: string;
  readonly device: string | null;
  readonly values: Readonly<Record<string, number | null>>;
}

const quantity = (v: number, q: Quantity) => ({ value: v, unit: q.unit, system: UCUM, code: q.ucum });

/** The Observation of one series of a reading, or null when the reading lacks it. */
export function toFhirObservation(patientId: string, series: ObservationSeries, r: Reading): FhirObservation | null {
  const spec: SeriesSpec = OBSERVATION_SERIES[series];
  const number = (field: string) => r.values[field] ?? null;
  let value: object;
  if ('components' in spec.value) {
    const parts = spec.value.components.map((c) => ({ c, v: number(c.field) }));
    if (parts.some((p) => p.v === null)) return null;
    value = {
      component: parts.map(({ c, v }) => ({
        code: { coding: [{ system: LOINC, code: c.code, display: c.display }] },
        valueQuantity: quantity(v ?? 0, c),
      })),
    };
  } else {
    const v = number(spec.value.field);
    if (v === null) return null;
    value = { valueQuantity: quantity(v, spec.value) };
  }
  const ms = Number(BigInt(r.ns) / 1_000_000n);
  return {
    resourceType: 'Observation',
    id: `${patientId}.${series}.${r.ns}`,
    ...(spec.profile ? { meta: { profile: [spec.profile] } } : {}),
    status: 'final',
    category: [
      {
        coding: [
          {
            system: OBSERVATION_CATEGORY,
            code: spec.category,
            display: spec.category === 'vital-signs' ? 'Vital Signs' : 'Laboratory',
          },
        ],
      },
    ],
    code: { coding: spec.codes.map((c) => ({ system: LOINC, code: c.code, display: c.display })) },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(ms).toISOString(),
    ...value,
    ...(r.device ? { device: { reference: `Device/${r.device}` } } : {}),
  };
}

/** The time bounds of a search, in ns, each end optional: from ≤ t < to. */
export interface TimeBounds {
  readonly from: bigint | null;
  readonly to: bigint | null;
}

/** Where a page starts: at time `ns` (inclusive), past the `skip` readings of that time already sent. */
export interface Cursor {
  readonly ns: bigint;
  readonly skip: number;
}

const CURSOR = /^(\d{1,20})\.(\d{1,3})$/;

export function parseCursor(text: string): Cursor {
  const m = CURSOR.exec(text);
  if (!m?.[1] || m[2] === undefined) throw new VigieError('invalid_request', '_cursor is not one this server gave');
  return { ns: BigInt(m[1]), skip: Number(m[2]) };
}

const cursorText = (c: Cursor) => `${c.ns}.${c.skip}`;

interface NanoTime {
  getNanoTime(): string;
}
const isNanoTime = (x: unknown): x is NanoTime =>
  typeof x === 'object' && x !== null && 'getNanoTime' in x && typeof x.getNanoTime === 'function';

async function readings(
  influx: InfluxDB,
  patientId: string,
  fields: readonly string[],
  where: string[],
  limit: number,
) {
  const select = [...fields.map((f) => `"${f}"`), '"device"'].join(', ');
  const rows = await influx
    .query<Record<string, unknown>>(
      `SELECT ${select} FROM "${RETENTION.raw.name}"."vitals" WHERE "patient" = ${escape.stringLit(patientId)}${where.map((w) => ` AND ${w}`).join('')} ORDER BY time DESC LIMIT ${limit}`,
    )
    // The ingest makes the database with the first reading: until then there is nothing, not a fault.
    .catch((error: unknown) => {
      if (error instanceof Error && /database not found/.test(error.message)) return [];
      throw error;
    });
  return rows.flatMap((row): Reading[] => {
    if (!isNanoTime(row.time)) return [];
    const values: Record<string, number | null> = {};
    for (const f of fields) values[f] = typeof row[f] === 'number' ? row[f] : null;
    return [{ ns: row.time.getNanoTime(), device: typeof row.device === 'string' ? row.device : null, values }];
  });
}

export interface ObservationPage {
  readonly resources: FhirObservation[];
  readonly next: string | null;
}

/**
 * One page of a patient's Observations of these series, newest first, at most `count` of them.
 * Asks InfluxDB for at most `count + skip + 1` readings: each gives at least one Observation, so
 * that is enough to fill the page past the `skip` already sent and to know whether more follow.
 */
export async function searchObservations(
  influx: InfluxDB,
  q: {
    patientId: string;
    series: readonly ObservationSeries[];
    bounds: TimeBounds;
    count: number;
    cursor: Cursor | null;
  },
): Promise<ObservationPage> {
  const fields = [...new Set(q.series.flatMap(fieldsOf))];
  const where: string[] = [];
  if (q.bounds.from !== null) where.push(`time >= ${q.bounds.from}`);
  if (q.bounds.to !== null) where.push(`time < ${q.bounds.to}`);
  if (q.cursor) where.push(`time <= ${q.cursor.ns}`);
  const skip = q.cursor?.skip ?? 0;
  const limit = q.count + skip + 1;
  const rows = await readings(influx, q.patientId, fields, where, limit);
  // Every Observation of these readings in order, with its time; the page is a window of them.
  const all = rows.flatMap((row) =>
    q.series.flatMap((series) => {
      const o = toFhirObservation(q.patientId, series, row);
      return o ? [{ ns: BigInt(row.ns), o }] : [];
    }),
  );
  const start = q.cursor ? Math.min(skip, all.filter((x) => x.ns === q.cursor?.ns).length) : 0;
  const page = all.slice(start, start + q.count);
  const rest = all[start + q.count];
  // The next page starts at the time of the first one left out, past those of that time already sent.
  const at = rest?.ns ?? (rows.length === limit ? page.at(-1)?.ns : undefined);
  const next =
    at === undefined
      ? null
      : cursorText({ ns: at, skip: all.slice(0, start + page.length).filter((x) => x.ns === at).length });
  return { resources: page.map((x) => x.o), next };
}

/** One Observation by its id, or null when there is no such reading. */
export async function readObservation(
  influx: InfluxDB,
  patientId: string,
  series: ObservationSeries,
  ns: bigint,
): Promise<FhirObservation | null> {
  const [row] = await readings(influx, patientId, fieldsOf(series), [`time = ${ns}`], 1);
  return row ? toFhirObservation(patientId, series, row) : null;
}
