/**
 * InfluxDB line protocol for Vigie's points, built once when a message is accepted: the durable
 * queue holds these lines and the writer sends them as they are. The lines are what node-influx
 * writes for the same points (same field types, from SCHEMA), without an object per point on the
 * hot path; `pointLine` serialises any point (the downsamples, queues written by earlier versions).
 *
 * Line protocol: https://docs.influxdata.com/influxdb/v1.6/write_protocols/line_protocol_reference/
 */
import { FieldType, type IPoint } from 'influx';
import type { VitalSample } from '../devices/payloads.ts';
import { FLOAT_VITALS, SCHEMA, SEQ_BLOCK_TAG, pointTime, type Identity } from './schema.ts';

const FIELD_TYPES = new Map(SCHEMA.map((s) => [s.measurement, s.fields]));
const NEEDS_ESCAPE = /[,= \\]/;

/** A tag key or value, or a field key: commas, equals signs and spaces escaped. */
function escapeKey(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/([,= \\])/g, '\\$1') : s;
}

function escapeMeasurement(s: string): string {
  return /[, \\]/.test(s) ? s.replace(/([, \\])/g, '\\$1') : s;
}

function fieldValue(type: FieldType | undefined, value: unknown): string {
  switch (type) {
    case FieldType.INTEGER:
      return `${Math.floor(Number(value))}i`;
    case FieldType.FLOAT:
      return String(Number(value));
    case FieldType.BOOLEAN:
      return value ? 'T' : 'F';
    case FieldType.STRING:
      return quoted(String(value));
    case undefined: // a field the schema does not know (a queue of an earlier version): typed by its value
      return typeof value === 'string'
        ? quoted(value)
        : typeof value === 'boolean'
          ? value
            ? 'T'
            : 'F'
          : String(value);
    default:
      return String(value);
  }
}

function quoted(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Any point as one line, its fields typed by SCHEMA (as node-influx writes it). */
export function pointLine(p: IPoint): string {
  const measurement = p.measurement ?? '';
  const types = FIELD_TYPES.get(measurement);
  let line = escapeMeasurement(measurement);
  for (const [k, v] of Object.entries(p.tags ?? {})) line += `,${escapeKey(k)}=${escapeKey(v)}`;
  let sep = ' ';
  for (const [k, v] of Object.entries(p.fields ?? {})) {
    if (v === null || v === undefined) continue;
    line += `${sep}${escapeKey(k)}=${fieldValue(types?.[k], v)}`;
    sep = ',';
  }
  return p.timestamp === undefined ? line : `${line} ${String(p.timestamp)}`;
}

const SAMPLE_FIELDS = [...FLOAT_VITALS, 'steps', 'battery'] as const;
const INTEGER_FIELDS: ReadonlySet<string> = new Set(['steps', 'battery']);

/** The tag part of a device's lines ("vitals,device=…,patient=…"), built once per message. */
export function seriesKey(measurement: 'vitals' | 'events' | 'status', id: Identity): string {
  return `${measurement},device=${escapeKey(id.device)},patient=${escapeKey(id.patient)}`;
}

/** ",hr=" and so on: each field's prefix in a line. */
const FIELD_PREFIX: Readonly<Record<string, string>> = Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, `,${f}=`]));

/**
 * One reading as a `vitals` line: the same as pointLine(vitalsPoint(id, s, backfill)). `key`:
 * seriesKey('vitals', id). Its parts are joined once, into a flat string: a string grown field by
 * field is a tree of pieces, which the queue's join of a group's lines walked again (the ingest's CPU
 * a point for building and joining lines: 2.0 µs grown, 1.3 joined; 10,000 readings, 2026-12-01).
 */
export function vitalsLine(key: string, s: VitalSample, backfill: boolean): string {
  const block = Math.floor(s.seq / 1_000_000);
  const parts: Array<string | number> = [
    block > 0 ? `${key},${SEQ_BLOCK_TAG}=${block}` : key,
    ' seq=',
    s.seq,
    backfill ? 'i,backfill=T' : 'i,backfill=F',
  ];
  for (const f of SAMPLE_FIELDS) {
    const v = s[f];
    if (v !== undefined) parts.push(FIELD_PREFIX[f]!, INTEGER_FIELDS.has(f) ? `${Math.floor(v)}i` : v);
  }
  parts.push(' ', pointTime(s.ts, s.seq));
  return parts.join('');
}

/** A reading's values as the 1-minute downsample reads them: a VitalSample, or a stored line read back. */
export interface ReadingValues {
  /** Epoch ms. */
  readonly ts: number;
  readonly [field: string]: number | undefined;
}

/** Readings of one device, for the 1-minute downsample (ingest/minute-rollup.ts). */
export interface DeviceReadings {
  readonly device: string;
  readonly patient: string;
  readonly samples: readonly ReadingValues[];
}

/**
 * The readings among lines (points of any measurement), read back: for queued points that are no
 * longer in memory (written before a restart). Lines come from this module, so a line that does not
 * parse is not a reading, never an error.
 */
export function readingsOf(lines: Iterable<string>): DeviceReadings[] {
  const out: DeviceReadings[] = [];
  for (const line of lines) {
    const r = readVitalsLine(line);
    if (r) out.push({ device: r.device, patient: r.patient, samples: [r.values] });
  }
  return out;
}

/** The device and patient of recent series keys ("vitals,device=…,patient=…"): most lines repeat one. */
const seriesCache = new Map<string, { device: string; patient: string } | undefined>();
const SERIES_CACHE_MAX = 50_000;

function readVitalsLine(line: string): { device: string; patient: string; values: ReadingValues } | undefined {
  if (!line.startsWith('vitals,')) return undefined;
  if (line.includes('\\') || line.includes('"')) return readEscapedVitalsLine(line);
  const fieldsAt = line.indexOf(' ') + 1;
  const timeAt = line.indexOf(' ', fieldsAt) + 1;
  if (fieldsAt === 0 || timeAt === 0 || line.indexOf(' ', timeAt) >= 0) return undefined;
  const series = line.slice(0, fieldsAt - 1);
  let id = seriesCache.get(series);
  if (!seriesCache.has(series)) {
    id = seriesOf(series);
    if (seriesCache.size >= SERIES_CACHE_MAX) seriesCache.clear();
    seriesCache.set(series, id);
  }
  const time = line.slice(timeAt);
  if (!id || !/^\d+$/.test(time)) return undefined;
  // Milliseconds: the time without its last six (sub-millisecond) digits.
  const values: Record<string, number> = { ts: time.length > 6 ? Number(time.slice(0, -6)) : 0 };
  let at = fieldsAt;
  const end = timeAt - 1;
  while (at < end) {
    let next = line.indexOf(',', at);
    if (next < 0 || next > end) next = end;
    const eq = line.indexOf('=', at);
    if (eq > at && eq < next) {
      const last = line.charCodeAt(next - 1);
      // Integers end in `i` (105); booleans (T, F) are not numbers, nor is an empty value.
      const n = Number(line.slice(eq + 1, last === 105 ? next - 1 : next));
      const key = line.slice(at, eq);
      if (eq + 1 < next && key !== 'ts' && Number.isFinite(n)) values[key] = n;
    }
    at = next + 1;
  }
  return { device: id.device, patient: id.patient, values: { ...values, ts: values.ts ?? 0 } };
}

function seriesOf(series: string): { device: string; patient: string } | undefined {
  let device: string | undefined;
  let patient: string | undefined;
  for (const tag of series.split(',').slice(1)) {
    const eq = tag.indexOf('=');
    if (tag.slice(0, eq) === 'device') device = tag.slice(eq + 1);
    else if (tag.slice(0, eq) === 'patient') patient = tag.slice(eq + 1);
  }
  return device && patient ? { device, patient } : undefined;
}

/** readVitalsLine for a line with escaped characters or a string field (not a line of ours in practice). */
function readEscapedVitalsLine(line: string): { device: string; patient: string; values: ReadingValues } | undefined {
  const parts = splitUnescaped(line, ' ');
  if (parts.length !== 3) return undefined;
  const [series, fieldText, time] = parts as [string, string, string];
  let device: string | undefined;
  let patient: string | undefined;
  for (const tag of splitUnescaped(series, ',').slice(1)) {
    const [k, v] = splitUnescaped(tag, '=');
    if (k === 'device') device = unescape(v ?? '');
    else if (k === 'patient') patient = unescape(v ?? '');
  }
  if (!device || !patient || !/^\d+$/.test(time)) return undefined;
  const values: Record<string, number> = { ts: time.length > 6 ? Number(time.slice(0, -6)) : 0 };
  for (const field of splitUnescaped(fieldText, ',')) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const raw = field.slice(eq + 1);
    const n = Number(raw.endsWith('i') ? raw.slice(0, -1) : raw);
    const key = unescape(field.slice(0, eq));
    if (key !== 'ts' && raw !== 'T' && raw !== 'F' && !raw.startsWith('"') && Number.isFinite(n)) values[key] = n;
  }
  return { device, patient, values: { ...values, ts: values.ts ?? 0 } };
}

/** Splits at `sep` where it is neither escaped nor inside a quoted string. */
function splitUnescaped(s: string, sep: string): string[] {
  if (!s.includes('\\') && !s.includes('"')) return s.split(sep);
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    if (c === '\\') i += 1;
    else if (c === '"') inQuotes = !inQuotes;
    else if (c === sep && !inQuotes) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function unescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\(.)/g, '$1') : s;
}
