/**
 * The alarm load a clinician is choosing: how many threshold alerts a patient's proposed settings
 * would have raised over their last days of stored readings, next to the count with their current
 * settings. The readings are replayed through the ingest's own threshold rule
 * (ingest/rules/plugins/threshold.ts, with the rules made from settings by
 * ingest/rules/patient-rules.ts), in time order, one time chunk of InfluxDB at a time (ingest/SCHEMA.md),
 * so that a week at one reading a second never sits in memory at once.
 *
 * A count is of the times a rule raised: each is a new alert in the ingest, except when a
 * high-priority alert of the same rule is still open, unacknowledged, from an earlier raise (it
 * latches; the repeat updates it). Readings that arrived late (after newer ones) are replayed in
 * their time order, where the live ingest skipped them.
 */
import { escape, type InfluxDB } from 'influx';
import type { PatientSettings } from '../common/patient-settings-schema.ts';
import { eventSchema, type DeviceEvent, type VitalSample } from '../devices/payloads.ts';
import { rulesFromSettings } from '../ingest/rules/patient-rules.ts';
import { thresholdRule } from '../ingest/rules/plugins/threshold.ts';
import { DEFAULT_THRESHOLDS, THRESHOLD_VITALS } from '../ingest/rules/thresholds.ts';
import { RETENTION } from '../ingest/schema.ts';

export const PREVIEW_DAYS = 7;
/** Three hours of readings at 1 Hz: about 11,000 rows per query. */
export const PREVIEW_CHUNK_MS = 3 * 3600_000;

export interface RuleLoad {
  readonly id: string;
  readonly current: number;
  readonly proposed: number;
}

export interface AlarmLoad {
  readonly from: number;
  readonly to: number;
  /** Readings replayed (vital-sign samples and out-of-range events). */
  readonly readings: number;
  /** Every threshold rule, in the defaults' order. */
  readonly rules: RuleLoad[];
  readonly total: { readonly current: number; readonly proposed: number };
}

type Input =
  { readonly ts: number; readonly sample: VitalSample } | { readonly ts: number; readonly event: DeviceEvent };

export async function alarmLoad(
  influx: InfluxDB,
  patientId: string,
  settings: { readonly current: PatientSettings; readonly proposed: PatientSettings },
  options: { readonly now?: number; readonly days?: number; readonly chunkMs?: number } = {},
): Promise<AlarmLoad> {
  const to = options.now ?? Date.now();
  const from = to - (options.days ?? PREVIEW_DAYS) * 86_400_000;
  const chunkMs = options.chunkMs ?? PREVIEW_CHUNK_MS;
  const replays = {
    current: replay(rulesFromSettings(settings.current)),
    proposed: replay(rulesFromSettings(settings.proposed)),
  };
  let readings = 0;
  for (let start = from; start < to; start += chunkMs) {
    const inputs = await readChunk(influx, patientId, start, Math.min(to, start + chunkMs));
    readings += inputs.length;
    for (const input of inputs) {
      replays.current.feed(input);
      replays.proposed.feed(input);
    }
  }
  const rules = DEFAULT_THRESHOLDS.map(({ id }) => ({
    id,
    current: replays.current.raised.get(id) ?? 0,
    proposed: replays.proposed.raised.get(id) ?? 0,
  }));
  const sum = (k: 'current' | 'proposed') => rules.reduce((n, r) => n + r[k], 0);
  return { from, to, readings, rules, total: { current: sum('current'), proposed: sum('proposed') } };
}

/** One instance of the ingest's threshold rule, counting its raises by rule id. */
function replay(rules: ReturnType<typeof rulesFromSettings>) {
  const rule = thresholdRule.create(0);
  const raised = new Map<string, number>();
  const count = (findings: ReadonlyArray<{ kind: string; change: string }>) => {
    for (const f of findings) {
      if (f.change !== 'raise') continue;
      const id = f.kind.slice('threshold:'.length);
      raised.set(id, (raised.get(id) ?? 0) + 1);
    }
  };
  return {
    raised,
    feed(input: Input) {
      count(
        ('sample' in input
          ? rule.vitals?.(input.sample, rules, input.ts)
          : rule.event?.(input.event, rules, input.ts)) ?? [],
      );
    },
  };
}

const ms = (time: unknown): number | undefined => (time instanceof Date ? time.getTime() : undefined);

/** A chunk's vital signs and out-of-range events, in time order (an event after the samples of its millisecond). */
async function readChunk(influx: InfluxDB, patientId: string, start: number, end: number): Promise<Input[]> {
  const where = `"patient" = ${escape.stringLit(patientId)} AND time >= ${start}ms AND time < ${end}ms`;
  const rp = RETENTION.raw.name;
  const [vitals, events] = await Promise.all([
    query(
      influx,
      `SELECT ${['seq', ...THRESHOLD_VITALS].map((f) => `"${f}"`).join(', ')} FROM "${rp}"."vitals" WHERE ${where}`,
    ),
    query(
      influx,
      `SELECT "seq", "vital", "direction" FROM "${rp}"."events" WHERE ${where} AND "type" = 'out_of_range'`,
    ),
  ]);
  const inputs: Input[] = [];
  for (const row of vitals) {
    const ts = ms(row.time);
    if (ts === undefined) continue;
    const sample: VitalSample = { ts, seq: typeof row.seq === 'number' ? row.seq : 0 };
    for (const vital of THRESHOLD_VITALS) {
      const v = row[vital];
      if (typeof v === 'number') sample[vital] = v;
    }
    inputs.push({ ts, sample });
  }
  for (const row of events) {
    const parsed = eventSchema.safeParse({
      type: 'out_of_range',
      ts: ms(row.time),
      seq: row.seq,
      vital: row.vital,
      direction: row.direction,
    });
    if (parsed.success) inputs.push({ ts: parsed.data.ts, event: parsed.data });
  }
  // Stable: samples stay in the order InfluxDB gave them (time, then seq), events after them.
  return inputs.sort((a, b) => a.ts - b.ts);
}

async function query(influx: InfluxDB, q: string): Promise<Array<Record<string, unknown>>> {
  try {
    return await influx.query<Record<string, unknown>>(q);
  } catch (error) {
    // The ingest makes the database with the first reading: until then, nothing to replay.
    if (error instanceof Error && /database not found/.test(error.message)) return [];
    throw error;
  }
}
