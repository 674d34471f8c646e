/**
 * A patient's vital signs over 1 h, 24 h, 7 d or 30 d, from InfluxDB (ingest/SCHEMA.md), with never
 * more points than the chart has pixels: the bucket is the range divided by the chart's width, read
 * from raw data when that is under a minute, from the 1-minute downsample under half an hour, else
 * from the 1-hour one. Each bucket is the mean of the readings in it; missing buckets are null (a gap).
 */
import type { InfluxDB } from 'influx';
import { escape } from 'influx';
import { RETENTION } from '../ingest/schema.ts';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Range = keyof typeof RANGES;
export const SERIES = ['hr', 'spo2', 'temp', 'sys', 'dia', 'rr', 'weight', 'glucose'] as const;
export type Series = (typeof SERIES)[number];

export interface History {
  readonly range: Range;
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly source: 'raw' | '1m' | '1h';
  /** Bucket start times (ms) and, per vital, the mean in each bucket (null: no reading). */
  readonly ts: number[];
  readonly values: Record<Series, Array<number | null>>;
}

export const MAX_POINTS = 2000;

export async function readHistory(
  influx: InfluxDB,
  patientId: string,
  range: Range,
  points: number,
  now = Date.now(),
): Promise<History> {
  const span = RANGES[range];
  const wanted = Math.max(10, Math.min(MAX_POINTS, Math.floor(points)));
  // Buckets are aligned on the epoch, so a range can touch one more bucket than it holds whole.
  const bucketSeconds = Math.max(1, Math.ceil(span / (wanted - 1) / 1000));
  // Half-hour buckets or more read hourly data (at most half the points asked for, a tenth of the work).
  const source = bucketSeconds < 60 ? 'raw' : bucketSeconds < 1800 ? '1m' : '1h';
  const rp = source === 'raw' ? RETENTION.raw.name : source === '1m' ? RETENTION.minute.name : RETENTION.hour.name;
  const step =
    source === 'raw'
      ? bucketSeconds
      : source === '1m'
        ? Math.ceil(bucketSeconds / 60) * 60
        : Math.ceil(bucketSeconds / 3600) * 3600;
  const from = now - span;
  const select = SERIES.map((s) => `mean("${s}") AS "${s}"`).join(', ');
  const rows = await influx
    .query<Record<string, unknown>>(
      `SELECT ${select} FROM "${rp}"."vitals" WHERE "patient" = ${escape.stringLit(patientId)} AND time >= ${from}ms AND time <= ${now}ms GROUP BY time(${step}s) fill(null)`,
    )
    // The ingest makes the database and then its retention policies with the first reading: until
    // then there is no history, not a fault.
    .catch((error: unknown) => {
      if (error instanceof Error && /database not found|retention policy not found/.test(error.message)) return [];
      throw error;
    });
  const ts: number[] = [];
  const values = Object.fromEntries(SERIES.map((s) => [s, [] as Array<number | null>])) as Record<
    Series,
    Array<number | null>
  >;
  for (const row of rows) {
    ts.push((row.time as Date).getTime());
    for (const s of SERIES) values[s].push(typeof row[s] === 'number' ? Math.round(row[s] * 10) / 10 : null);
  }
  return { range, from, to: now, bucketMs: step * 1000, source, ts, values };
}
