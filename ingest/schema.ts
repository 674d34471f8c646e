/**
 * The InfluxDB schema of Vigie (documented in ingest/SCHEMA.md): database, retention policies,
 * measurements, and the continuous queries that keep 1-minute and 1-hour downsamples.
 */
import { FieldType, type IPoint, type ISchemaOptions } from 'influx';
import type { DeviceEvent, VitalSample } from '../devices/payloads.ts';

export const DATABASE = 'vigie';

export const RETENTION = {
  raw: { name: 'raw', duration: '90d', default: true },
  minute: { name: 'rp_1m', duration: '400d', default: false },
  hour: { name: 'rp_1h', duration: 'INF', default: false },
} as const;

export const FLOAT_VITALS = ['hr', 'spo2', 'temp', 'sys', 'dia', 'rr', 'weight', 'glucose'] as const;
type FloatVital = (typeof FLOAT_VITALS)[number];

/** How many seqs the sub-millisecond digits of a point's time hold (nanosecond precision). */
const SEQS_IN_TIME = 1_000_000;

/**
 * The tag that keeps apart two readings of one device with the same `ts` whose seqs differ by a
 * multiple of 10^6, which share a point time (pointTime): floor(seq / 10^6), set only from 1 on.
 * Readings with a seq below 10^6 (every series written before the tag existed) keep their series,
 * and a reading written twice lands on its own point again. Queries that group by "device" and
 * "patient" (the continuous queries) or by nothing (web/history.ts) merge it.
 */
export const SEQ_BLOCK_TAG = 'seq_block';

export const SCHEMA: ISchemaOptions[] = [
  {
    measurement: 'vitals',
    tags: ['device', 'patient', SEQ_BLOCK_TAG],
    fields: {
      ...Object.fromEntries(FLOAT_VITALS.map((f) => [f, FieldType.FLOAT])),
      steps: FieldType.INTEGER,
      battery: FieldType.INTEGER,
      seq: FieldType.INTEGER,
      backfill: FieldType.BOOLEAN,
      // The downsamples (rp_1m, rp_1h): same measurement, other retention policies.
      ...Object.fromEntries(FLOAT_VITALS.flatMap((f) => [`${f}_min`, `${f}_max`]).map((f) => [f, FieldType.FLOAT])),
      samples: FieldType.INTEGER,
    },
  },
  {
    measurement: 'events',
    tags: ['device', 'patient', 'type', SEQ_BLOCK_TAG],
    fields: {
      seq: FieldType.INTEGER,
      confidence: FieldType.FLOAT,
      battery: FieldType.INTEGER,
      vital: FieldType.STRING,
      direction: FieldType.STRING,
    },
  },
  { measurement: 'status', tags: ['device', 'patient'], fields: { online: FieldType.BOOLEAN } },
];

/**
 * Point time in nanoseconds: the device's millisecond timestamp, with the seq modulo 10^6 in the
 * sub-millisecond digits. Two readings of one device in the same millisecond stay two points (the
 * rest of the seq goes in SEQ_BLOCK_TAG), and writing the same reading twice (a QoS 1 redelivery, a
 * replayed batch) overwrites it: storage is idempotent.
 */
export function pointTime(tsMs: number, seq: number): string {
  const sub = seq % SEQS_IN_TIME;
  // A positive ms time followed by six digits is the same number, without BigInt (the hot path).
  if (Number.isSafeInteger(tsMs) && tsMs > 0 && Number.isSafeInteger(sub) && sub >= 0)
    return `${tsMs}${String(SEQS_IN_TIME + sub).slice(1)}`;
  return (BigInt(tsMs) * BigInt(SEQS_IN_TIME) + BigInt(sub)).toString();
}

/** The seq's part that does not fit in the point time, as a tag (absent below 10^6). */
function seqBlock(seq: number): Record<string, string> {
  const block = Math.floor(seq / SEQS_IN_TIME);
  return block > 0 ? { [SEQ_BLOCK_TAG]: String(block) } : {};
}

export interface Identity {
  readonly device: string;
  readonly patient: string;
}

export function vitalsPoint(id: Identity, s: VitalSample, backfill: boolean): IPoint {
  const fields: Record<string, number | boolean> = { seq: s.seq, backfill };
  for (const key of [...FLOAT_VITALS, 'steps', 'battery'] as const) {
    const v = s[key];
    if (v !== undefined) fields[key] = v;
  }
  return { measurement: 'vitals', tags: { ...id, ...seqBlock(s.seq) }, fields, timestamp: pointTime(s.ts, s.seq) };
}

export function eventPoint(id: Identity, e: DeviceEvent): IPoint {
  const fields: Record<string, number | string> = { seq: e.seq };
  if (e.type === 'fall' && e.confidence !== undefined) fields.confidence = e.confidence;
  if (e.type === 'low_battery' && e.battery !== undefined) fields.battery = e.battery;
  if (e.type === 'out_of_range') Object.assign(fields, { vital: e.vital, direction: e.direction });
  return {
    measurement: 'events',
    tags: { ...id, type: e.type, ...seqBlock(e.seq) },
    fields,
    timestamp: pointTime(e.ts, e.seq),
  };
}

export function statusPoint(id: Identity, online: boolean, receivedAtMs: number): IPoint {
  return { measurement: 'status', tags: { ...id }, fields: { online }, timestamp: pointTime(receivedAtMs, 0) };
}

/** A device's readings of one minute, as they are added (ingest/minute-rollup.ts). */
export interface MinuteAggregate {
  readonly sums: Partial<Record<FloatVital, number>>;
  readonly mins: Partial<Record<FloatVital, number>>;
  readonly maxs: Partial<Record<FloatVital, number>>;
  readonly counts: Partial<Record<FloatVital, number>>;
  steps: number | null;
  battery: { value: number; ms: number } | null;
  samples: number;
}

/** The 1-minute downsample point of a device, with the fields MINUTE_SELECT gives. */
export function minutePoint(device: string, patient: string, minuteMs: number, agg: MinuteAggregate): IPoint {
  const fields: Record<string, number> = { samples: agg.samples };
  for (const f of FLOAT_VITALS) {
    const n = agg.counts[f];
    if (!n) continue;
    fields[f] = (agg.sums[f] ?? 0) / n;
    fields[`${f}_min`] = agg.mins[f] ?? 0;
    fields[`${f}_max`] = agg.maxs[f] ?? 0;
  }
  if (agg.steps !== null) fields.steps = agg.steps;
  if (agg.battery !== null) fields.battery = agg.battery.value;
  return { measurement: 'vitals', tags: { device, patient }, fields, timestamp: pointTime(minuteMs, 0) };
}

/** SELECT clause of the 1-minute downsample, from raw points (the by-hand downsample of late readings). */
const MINUTE_SELECT = [
  ...FLOAT_VITALS.flatMap((f) => [`mean("${f}") AS "${f}"`, `min("${f}") AS "${f}_min"`, `max("${f}") AS "${f}_max"`]),
  'sum("steps") AS "steps"',
  'last("battery") AS "battery"',
  'count("seq") AS "samples"',
].join(', ');

/** SELECT clause of the 1-hour downsample, from 1-minute points (minute means weigh equally). */
const HOUR_SELECT = [
  ...FLOAT_VITALS.flatMap((f) => [
    `mean("${f}") AS "${f}"`,
    `min("${f}_min") AS "${f}_min"`,
    `max("${f}_max") AS "${f}_max"`,
  ]),
  'sum("steps") AS "steps"',
  'last("battery") AS "battery"',
  'sum("samples") AS "samples"',
].join(', ');

const from = (rp: string) => `"${DATABASE}"."${rp}"."vitals"`;

/**
 * Continuous queries cannot be altered: a changed one gets a new name (`_vN`), and ensureDatabase
 * drops the `cq_vitals_*` queries that are no longer listed. The 1-minute downsample is the
 * ingest's (ingest/minute-rollup.ts): a query re-reading every device's raw readings every minute
 * cost influxd a third of a core for 19,250 watches.
 */
export const CONTINUOUS_QUERIES = [
  {
    // Two hours: the hour that just ended, complete even if its last minutes were written late.
    name: 'cq_vitals_1h_v3',
    resample: 'EVERY 1h FOR 2h',
    select: `SELECT ${HOUR_SELECT} INTO ${from(RETENTION.hour.name)} FROM ${from(RETENTION.minute.name)} GROUP BY time(1h), "device", "patient"`,
  },
] as const;

/** Every device with readings, in any retention policy (an index lookup, no data read). */
export const DEVICES_QUERY = 'SHOW TAG VALUES FROM "vitals" WITH KEY = "device"';

/**
 * The same downsamples run by hand over a past range, for some devices or (null) for every device:
 * used for readings that arrive later than the continuous queries look back (InfluxDB's documented
 * way to backfill CQ results).
 */
export function downsampleQueries(devices: readonly string[] | null, fromMs: number, toMs: number): string[] {
  if (devices?.length === 0) return [];
  const minuteStart = Math.floor(fromMs / 60_000) * 60_000;
  const minuteEnd = Math.ceil((toMs + 1) / 60_000) * 60_000;
  const hourStart = Math.floor(fromMs / 3_600_000) * 3_600_000;
  const hourEnd = Math.ceil((toMs + 1) / 3_600_000) * 3_600_000;
  const which =
    devices === null ? '' : `(${devices.map((d) => `"device" = '${d.replace(/['\\]/g, '')}'`).join(' OR ')}) AND `;
  const where = (a: number, b: number) => `WHERE ${which}time >= ${a}ms AND time < ${b}ms`;
  return [
    `SELECT ${MINUTE_SELECT} INTO ${from(RETENTION.minute.name)} FROM ${from(RETENTION.raw.name)} ${where(minuteStart, minuteEnd)} GROUP BY time(1m), "device", "patient"`,
    `SELECT ${HOUR_SELECT} INTO ${from(RETENTION.hour.name)} FROM ${from(RETENTION.minute.name)} ${where(hourStart, hourEnd)} GROUP BY time(1h), "device", "patient"`,
  ];
}
