/**
 * The ingest's contract with the web service for live values (on devices/topics.ts `liveValuesTopic`):
 * the readings the ingest has validated and stored, per device and patient, coalesced into a few
 * messages a second. The web service shows them without parsing device messages again; it still
 * parses this payload with the schema below, the boundary between two services.
 *
 *   { "v": 1, "devices": [{ "deviceId", "patientId", "receivedAt", "samples": [{ "ts", "seq", "hr", ... }] }] }
 *
 * `receivedAt` is when the ingest received the device's last message of the entry (its clock): it is
 * when the device was last heard from. Samples keep the device's own `ts` and `seq`.
 */
import { z } from 'zod';
import { VITAL_NAMES, MAX_PACKET_BYTES, type VitalName } from '../devices/limits.ts';
import { err, ok, type Result } from '../devices/result.ts';

/**
 * Largest payload of one message: half the broker's packet limit, so a message is never refused, and
 * a tick of a full node (about 400 devices' batches) goes in a dozen messages.
 */
export const LIVE_VALUES_MAX_BYTES = MAX_PACKET_BYTES / 2;

const vitalShape = Object.fromEntries(VITAL_NAMES.map((k) => [k, z.number().optional()])) as {
  [K in VitalName]: z.ZodOptional<z.ZodNumber>;
};

/** One reading as the ingest stored it (the device's schema checked its ranges already). */
export const liveValueSampleSchema = z.object({
  ts: z.int().positive(),
  seq: z.int().min(0),
  ...vitalShape,
});
export type LiveValueSample = z.infer<typeof liveValueSampleSchema>;

const id = z.string().min(1).max(100);

export const liveDeviceValuesSchema = z.object({
  deviceId: id,
  patientId: id,
  receivedAt: z.int().positive(),
  samples: z.array(liveValueSampleSchema).min(1),
});
export type LiveDeviceValues = z.infer<typeof liveDeviceValuesSchema>;

export const liveValuesSchema = z.object({ v: z.literal(1), devices: z.array(liveDeviceValuesSchema) });
export type LiveValues = z.infer<typeof liveValuesSchema>;

const HEAD = '{"v":1,"devices":[';
const TAIL = ']}';

/**
 * The messages that carry these entries, each at most `maxBytes`: entries are serialised once each
 * and packed in order; an entry too big for one message is split between its samples (one sample is
 * a few hundred bytes at most).
 */
export function encodeLiveValues(
  entries: Iterable<LiveDeviceValues>,
  maxBytes: number = LIVE_VALUES_MAX_BYTES,
): Buffer[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4096)
    throw new TypeError(`maxBytes must be at least 4096, not ${maxBytes}`);
  const room = maxBytes - HEAD.length - TAIL.length;
  const messages: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  const close = () => {
    if (parts.length === 0) return;
    messages.push(Buffer.from(HEAD + parts.join(',') + TAIL));
    parts = [];
    size = 0;
  };
  const add = (entry: LiveDeviceValues) => {
    const json = JSON.stringify(entry);
    const bytes = Buffer.byteLength(json);
    if (bytes > room && entry.samples.length > 1) {
      const half = Math.ceil(entry.samples.length / 2);
      add({ ...entry, samples: entry.samples.slice(0, half) });
      add({ ...entry, samples: entry.samples.slice(half) });
      return;
    }
    const separator = parts.length > 0 ? 1 : 0;
    if (size + separator + bytes > room) close();
    size += (parts.length > 0 ? 1 : 0) + bytes;
    parts.push(json);
  };
  for (const entry of entries) add(entry);
  close();
  return messages;
}

/** Parses one message of live values, or says what is wrong with it. */
export function parseLiveValues(payload: Uint8Array): Result<LiveValues, string> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return err('not JSON');
  }
  const parsed = liveValuesSchema.safeParse(json);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  return err(issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid');
}
