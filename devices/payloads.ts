/**
 * Protocol v1 payload schemas: one definition from which the TypeScript types are derived.
 * Parse through protocol.ts, which adds the checks that depend on the clock.
 */
import { z } from 'zod';
import { VITAL_RANGES, VITAL_NAMES, READING_NAMES, MAX_SAMPLES, type Range, type ReadingName } from './limits.ts';

function measure(range: Range) {
  const base = range.integer ? z.int() : z.number();
  return base
    .min(range.min, `must be at least ${range.min} ${range.unit}`)
    .max(range.max, `must be at most ${range.max} ${range.unit}`);
}

const ts = z.int('must be an integer epoch time in milliseconds').positive('must be an epoch time in milliseconds');
const seq = z.int('must be an integer').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER);

export const vitalSampleSchema = z
  .strictObject({
    ts,
    seq,
    hr: measure(VITAL_RANGES.hr).optional(),
    spo2: measure(VITAL_RANGES.spo2).optional(),
    temp: measure(VITAL_RANGES.temp).optional(),
    sys: measure(VITAL_RANGES.sys).optional(),
    dia: measure(VITAL_RANGES.dia).optional(),
    rr: measure(VITAL_RANGES.rr).optional(),
    steps: measure(VITAL_RANGES.steps).optional(),
    weight: measure(VITAL_RANGES.weight).optional(),
    glucose: measure(VITAL_RANGES.glucose).optional(),
    battery: measure(VITAL_RANGES.battery).optional(),
  })
  .refine((s) => Object.keys(s).length > 2, { message: `carries no measurement (${VITAL_NAMES.join(', ')})` })
  .refine((s) => s.sys === undefined || s.dia === undefined || s.sys > s.dia, {
    message: 'systolic pressure must be higher than diastolic',
    path: ['sys'],
  });

export type VitalSample = z.infer<typeof vitalSampleSchema>;

export const vitalsBatchSchema = z.strictObject({
  samples: z
    .array(vitalSampleSchema)
    .min(1, 'must hold at least one sample')
    .max(MAX_SAMPLES, `must hold at most ${MAX_SAMPLES} samples`)
    .refine((samples) => new Set(samples.map((s) => s.seq)).size === samples.length, 'must not repeat a seq'),
});

const eventBase = { ts, seq };

export const eventSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      ...eventBase,
      type: z.literal('fall'),
      confidence: z.number().min(0).max(1, 'must be between 0 and 1').optional(),
    }),
    z.strictObject({ ...eventBase, type: z.literal('sos') }),
    z.strictObject({ ...eventBase, type: z.literal('im_ok') }),
    z.strictObject({ ...eventBase, type: z.literal('low_battery'), battery: measure(VITAL_RANGES.battery).optional() }),
    z.strictObject({ ...eventBase, type: z.literal('removed') }),
    // A measurement the device took but could not give as a number: beyond what it can measure (a
    // glucose meter's "HI" or "LO"). The level is unknown, only that it is past the device's range.
    z.strictObject({
      ...eventBase,
      type: z.literal('out_of_range'),
      vital: z.enum(READING_NAMES as [ReadingName, ...ReadingName[]], {
        error: `vital must be one of ${READING_NAMES.join(', ')}`,
      }),
      direction: z.enum(['above', 'below'], { error: 'direction must be above or below' }),
    }),
  ],
  { error: 'type must be one of fall, sos, im_ok, low_battery, removed, out_of_range' },
);

export type DeviceEvent = z.infer<typeof eventSchema>;
export type EventType = DeviceEvent['type'];
export const ALARM_EVENT_TYPES: ReadonlySet<EventType> = new Set(['fall', 'sos']);

export const STATUS_VALUES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof STATUS_VALUES)[number];

/** Printable text a device reports about itself (no control characters). */
const label = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7e\u00a0-\u024f]+$/u, 'printable text');

/**
 * What a device says about itself on its retained `info` topic, at each connection: its maker and
 * model, its firmware version, and optionally its hardware revision. The console shows it beside the
 * device's presence and battery.
 */
export const deviceInfoSchema = z.strictObject({
  model: label(64),
  firmware: label(32),
  hardware: label(32).optional(),
});
export type DeviceInfo = z.infer<typeof deviceInfoSchema>;

/** Longest live lease a `live` command may ask for, in seconds; the platform renews it while someone watches. */
export const MAX_LIVE_SECONDS = 600;
/** How often a watch uploads its batch of readings when it is not live, in seconds. */
export const BATCH_SECONDS = 10;

const commandId = z.string().min(1).max(64);

export const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ id: commandId, type: z.literal('ping') }),
  z.strictObject({ id: commandId, type: z.literal('set_interval'), seconds: z.int().min(1).max(3600) }),
  // Send each reading as it is taken for the next `seconds`; 0 ends live mode at once (a lease: see PROTOCOL.md).
  z.strictObject({ id: commandId, type: z.literal('live'), seconds: z.int().min(0).max(MAX_LIVE_SECONDS) }),
]);
export type DeviceCommand = z.infer<typeof commandSchema>;
export type CommandType = DeviceCommand['type'];
export type LiveCommand = Extract<DeviceCommand, { type: 'live' }>;

/** What the platform publishes on a device's `errors` topic when it rejects one of its messages. */
export const rejectionSchema = z.strictObject({
  ts,
  channel: z.enum(['vitals', 'events', 'status', 'info']),
  seq: seq.optional(),
  code: z.string(),
  reason: z.string(),
});
export type Rejection = z.infer<typeof rejectionSchema>;
