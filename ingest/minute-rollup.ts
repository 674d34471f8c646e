/**
 * The 1-minute downsample of vitals, made by the ingest as it stores readings instead of by an
 * InfluxDB continuous query. The query re-read a window of every device's raw readings every
 * minute: with 19,250 watches one run over three minutes took influxd about 20 s of CPU, 27
 * aggregates across 19,250 series (`FOR 2h` was far worse), where adding each reading to its
 * minute here costs a few additions.
 *
 * A device's minute is written once a reading of a later minute of that device is stored (a device
 * sends in order), or once it is quiet for a while (closeAfterMs). What a minute in memory cannot
 * be trusted with is left to the writer's by-hand downsample from the raw readings (late()):
 * - a reading of a minute already written (it came late, or out of order);
 * - the first minute of each device since this process started, if it began before the newest
 *   reading stored before the start (`storedBefore`): part of it may be stored, and is not in memory.
 *   On a new queue nothing is stored, and a fleet's first minutes are rolled up like any other: one
 *   by-hand downsample of the first minute of 19,470 watches kept influxd busy for minutes on the
 *   machine of 30 November (pti=on), and was tried again after each 5-minute deadline.
 *
 * A clean stop keeps the minutes still open in the queue (open()), and the next start takes them back
 * (restore()): the rest of such a minute is added to it, as if the process had not stopped, and its
 * device's first minute is not left to the raw readings. After a crash nothing is kept: the writer
 * redoes the open minutes from the raw readings, from the oldest minute it held only in memory (its mark).
 */
import type { IPoint } from 'influx';
import { FLOAT_VITALS, minutePoint, type MinuteAggregate } from './schema.ts';
import type { DeviceReadings, ReadingValues } from './line-protocol.ts';

/**
 * The readings of one device in one minute, summed up: what the ingest keeps of a queued append
 * (ingest/queue.ts) for the roll-up, instead of its readings. Made when the readings are taken in
 * (partialsOf), so the writer neither keeps nor reads back a reading to roll it up.
 */
export interface MinutePartial {
  readonly device: string;
  readonly patient: string;
  readonly minute: number;
  /** The earliest and the latest reading (ms). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly agg: MinuteAggregate;
}

/** A device's minute still open: what a clean stop keeps in the queue for the next start. */
export interface OpenMinute {
  readonly device: string;
  readonly patient: string;
  readonly minute: number;
  readonly agg: MinuteAggregate;
}

type Open = Omit<OpenMinute, 'device'>;

interface DeviceState {
  /** Minutes before this one are written (or left to the by-hand downsample). */
  writtenUntil: number;
  open: Open | undefined;
}

export interface RollupResult {
  /** Complete minutes to write into the 1-minute retention policy. */
  readonly minutes: IPoint[];
  /** Per device, the range of readings to downsample from the raw readings instead. */
  readonly late: Array<{ device: string; fromMs: number; toMs: number }>;
}

const MINUTE_MS = 60_000;

export class MinuteRollup {
  readonly #devices = new Map<string, DeviceState>();
  readonly #closeAfterMs: number;
  readonly #storedBefore: number;
  /** The newest reading added (ms): how far the stored readings have come. */
  newestMs = Number.NEGATIVE_INFINITY;

  /**
   * `storedBefore`: the newest reading (ms) stored before this roll-up began; a device's first minute
   * that began after it is new. Unknown (the default): every first minute may be partly stored.
   */
  constructor(options: { closeAfterMs: number; storedBefore?: number | null }) {
    this.#closeAfterMs = options.closeAfterMs;
    this.#storedBefore =
      options.storedBefore === undefined
        ? Number.POSITIVE_INFINITY
        : (options.storedBefore ?? Number.NEGATIVE_INFINITY);
  }

  /** Adds readings now stored in the raw retention policy. */
  add(readings: Iterable<DeviceReadings>): RollupResult {
    return this.addPartials(partialsOf(readings));
  }

  /** Adds readings now stored, summed up by device and minute (partialsOf), in the order they came. */
  addPartials(partials: Iterable<MinutePartial>): RollupResult {
    const minutes: IPoint[] = [];
    const late = new Map<string, { fromMs: number; toMs: number }>();
    for (const p of partials) this.#add(p, minutes, late);
    return { minutes, late: [...late].map(([device, r]) => ({ device, ...r })) };
  }

  #add(p: MinutePartial, minutes: IPoint[], late: Map<string, { fromMs: number; toMs: number }>): void {
    const { device, patient, minute } = p;
    if (p.toMs > this.newestMs) this.newestMs = p.toMs;
    let state = this.#devices.get(device);
    if (!state) {
      // First heard since start: its first minute may be partly stored already, unless it began later.
      state = { writtenUntil: minute > this.#storedBefore ? minute : minute + MINUTE_MS, open: undefined };
      this.#devices.set(device, state);
    }
    if (minute < state.writtenUntil) {
      const r = late.get(device);
      late.set(
        device,
        r
          ? { fromMs: Math.min(r.fromMs, p.fromMs), toMs: Math.max(r.toMs, p.toMs) }
          : { fromMs: p.fromMs, toMs: p.toMs },
      );
      return;
    }
    if (state.open && state.open.minute < minute) {
      minutes.push(minutePoint(device, state.open.patient, state.open.minute, state.open.agg));
      state.open = undefined;
      state.writtenUntil = minute;
    }
    state.open ??= { minute, patient, agg: emptyAggregate() };
    merge(state.open.agg, p.agg);
  }

  /**
   * Minutes of devices quiet for `closeAfterMs` after the minute's end, written as they are. `now`:
   * the wall clock once the queue is drained; while it is not, how far the stored readings have come
   * (a device is not quiet for being behind others in the queue).
   */
  due(now: number): IPoint[] {
    const out: IPoint[] = [];
    for (const [device, state] of this.#devices) {
      const open = state.open;
      if (!open || open.minute + MINUTE_MS + this.#closeAfterMs > now) continue;
      out.push(minutePoint(device, open.patient, open.minute, open.agg));
      state.open = undefined;
      state.writtenUntil = open.minute + MINUTE_MS;
    }
    return out;
  }

  /**
   * Every minute still open (at a clean stop), written as it is: what comes later is late, unless
   * the minute is taken back (open(), then restore() in the next roll-up).
   */
  drain(): IPoint[] {
    return this.due(Number.POSITIVE_INFINITY);
  }

  /** The minutes still open, one per device (at a clean stop, before drain()). */
  open(): OpenMinute[] {
    const out: OpenMinute[] = [];
    for (const [device, { open }] of this.#devices) if (open) out.push({ device, ...open });
    return out;
  }

  /**
   * Opens again minutes of an earlier roll-up (its open()), before readings are added: the readings of
   * such a minute are added to it, and the whole minute is written when it closes (over the part written
   * at the stop: same series and time). Its device's earlier minutes are written: their readings are late.
   */
  restore(minutes: Iterable<OpenMinute>): void {
    for (const { device, patient, minute, agg } of minutes) {
      const open = { minute, patient, agg: emptyAggregate() };
      merge(open.agg, agg);
      this.#devices.set(device, { writtenUntil: minute, open });
    }
  }

  /** The oldest minute still open (only in memory), or null. */
  oldestOpen(): number | null {
    let oldest: number | null = null;
    for (const { open } of this.#devices.values())
      if (open && (oldest === null || open.minute < oldest)) oldest = open.minute;
    return oldest;
  }
}

function emptyAggregate(): MinuteAggregate {
  return { sums: {}, mins: {}, maxs: {}, counts: {}, steps: null, battery: null, samples: 0 };
}

/**
 * Readings summed up by device and minute, in the order each device's minutes first came. A
 * device's readings of one minute are summed together even when a reading of another minute came
 * between them (in the same call).
 */
export function partialsOf(readings: Iterable<DeviceReadings>): MinutePartial[] {
  const out: MinutePartial[] = [];
  const byKey = new Map<string, MinutePartial & { fromMs: number; toMs: number }>();
  let last: (MinutePartial & { fromMs: number; toMs: number }) | undefined;
  for (const { device, patient, samples } of readings)
    for (const sample of samples) {
      const ms = sample.ts;
      const minute = ms - (ms % MINUTE_MS);
      // Most readings follow one of the same device and minute.
      let p = last && last.device === device && last.minute === minute ? last : undefined;
      if (!p) {
        const key = `${minute} ${device}`;
        p = byKey.get(key);
        if (!p) {
          p = { device, patient, minute, fromMs: ms, toMs: ms, agg: emptyAggregate() };
          byKey.set(key, p);
          out.push(p);
        }
      }
      if (ms < p.fromMs) p.fromMs = ms;
      if (ms > p.toMs) p.toMs = ms;
      accumulate(p.agg, sample, ms);
      last = p;
    }
  return out;
}

/** Adds `other` into `agg`. */
function merge(agg: MinuteAggregate, other: MinuteAggregate): void {
  for (const f of FLOAT_VITALS) {
    const n = other.counts[f];
    if (!n) continue;
    agg.sums[f] = (agg.sums[f] ?? 0) + (other.sums[f] ?? 0);
    agg.counts[f] = (agg.counts[f] ?? 0) + n;
    agg.mins[f] = Math.min(agg.mins[f] ?? Number.POSITIVE_INFINITY, other.mins[f] ?? Number.POSITIVE_INFINITY);
    agg.maxs[f] = Math.max(agg.maxs[f] ?? Number.NEGATIVE_INFINITY, other.maxs[f] ?? Number.NEGATIVE_INFINITY);
  }
  if (other.steps !== null) agg.steps = (agg.steps ?? 0) + other.steps;
  if (other.battery !== null && (agg.battery === null || other.battery.ms >= agg.battery.ms))
    agg.battery = { ...other.battery };
  agg.samples += other.samples;
}

function accumulate(agg: MinuteAggregate, fields: ReadingValues, ms: number): void {
  for (const f of FLOAT_VITALS) {
    const v = fields[f];
    if (typeof v !== 'number') continue;
    agg.sums[f] = (agg.sums[f] ?? 0) + v;
    agg.counts[f] = (agg.counts[f] ?? 0) + 1;
    agg.mins[f] = Math.min(agg.mins[f] ?? v, v);
    agg.maxs[f] = Math.max(agg.maxs[f] ?? v, v);
  }
  if (typeof fields.steps === 'number') agg.steps = (agg.steps ?? 0) + fields.steps;
  if (typeof fields.battery === 'number' && (agg.battery === null || ms >= agg.battery.ms))
    agg.battery = { value: fields.battery, ms };
  if (typeof fields.seq === 'number') agg.samples += 1;
}

export function timestampMs(point: IPoint): number {
  return typeof point.timestamp === 'string' ? Number(BigInt(point.timestamp) / 1_000_000n) : 0;
}
