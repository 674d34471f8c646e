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

const HEAD = Buffer.from('{"v":1,"devices":[');
const TAIL = Buffer.from(']}');
const COMMA = Buffer.from(',');
const ENTRY_TAIL = Buffer.from(']}');

/**
 * An entry to encode. `json`: its samples as JSON text already (devices/protocol.ts
 * `acceptedSamplesJson`, each the comma-separated elements of a list, together every sample in
 * order), copied as it is: pieces that do not fit in one message go in several entries of the
 * device, and only a piece too big for any message is serialised again from the samples.
 */
export interface LiveEntry extends LiveDeviceValues {
  readonly json?: readonly Uint8Array[] | undefined;
}

/**
 * The messages that carry these entries, each at most `maxBytes`: entries are serialised once each
 * and packed in order; an entry too big for one message is split between its samples (one sample is
 * a few hundred bytes at most).
 */
export function encodeLiveValues(entries: Iterable<LiveEntry>, maxBytes: number = LIVE_VALUES_MAX_BYTES): Buffer[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4096)
    throw new TypeError(`maxBytes must be at least 4096, not ${maxBytes}`);
  const room = maxBytes - HEAD.length - TAIL.length;
  const messages: Buffer[] = [];
  let chunks: Uint8Array[] = [HEAD];
  let size = 0;
  const close = () => {
    if (size === 0) return;
    chunks.push(TAIL);
    messages.push(Buffer.concat(chunks, HEAD.length + size + TAIL.length));
    chunks = [HEAD];
    size = 0;
  };
  /** One entry's chunks, `bytes` long. */
  const place = (entry: readonly Uint8Array[], bytes: number) => {
    if (size > 0 && size + 1 + bytes > room) close();
    if (size > 0) {
      chunks.push(COMMA);
      size += 1;
    }
    for (const c of entry) chunks.push(c);
    size += bytes;
  };
  const add = (entry: LiveEntry) => {
    const { deviceId, patientId, receivedAt, samples, json: texts } = entry;
    if (texts && texts.length > 0) {
      const head = Buffer.from(
        `{"deviceId":${JSON.stringify(deviceId)},"patientId":${JSON.stringify(patientId)},"receivedAt":${receivedAt},"samples":[`,
      );
      const frame = head.length + ENTRY_TAIL.length;
      // The text as it is, in as many entries of the device as it takes; a piece is never cut.
      if (texts.every((t) => frame + t.length <= room)) {
        let parts: Uint8Array[] = [];
        let bytes = frame;
        const entryOf = () => {
          place([head, ...parts, ENTRY_TAIL], bytes);
          parts = [];
          bytes = frame;
        };
        for (const t of texts) {
          if (parts.length > 0 && bytes + 1 + t.length > room) entryOf();
          if (parts.length > 0) {
            parts.push(COMMA);
            bytes += 1;
          }
          parts.push(t);
          bytes += t.length;
        }
        return entryOf();
      }
    }
    const json = Buffer.from(JSON.stringify({ deviceId, patientId, receivedAt, samples }));
    if (json.length > room && samples.length > 1) {
      const half = Math.ceil(samples.length / 2);
      add({ deviceId, patientId, receivedAt, samples: samples.slice(0, half) });
      add({ deviceId, patientId, receivedAt, samples: samples.slice(half) });
      return;
    }
    place([json], json.length);
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
