/**
 * The one place where device messages are parsed and validated. Broker, ingest, simulators and web
 * call parseDeviceMessage (or the narrower parsers below) at every trust boundary.
 */
import type { z } from 'zod';
import { MAX_AGE_MS, MAX_FUTURE_MS, MAX_PAYLOAD_BYTES } from './limits.ts';
import {
  deviceInfoSchema,
  type DeviceInfo,
  commandSchema,
  eventSchema,
  rejectionSchema,
  STATUS_VALUES,
  vitalSampleSchema,
  vitalsBatchSchema,
  type DeviceCommand,
  type DeviceEvent,
  type DeviceStatus,
  type Rejection,
  type VitalSample,
} from './payloads.ts';
import { err, ok, type Result } from './result.ts';
import { isVitalSample, isVitalsBatch } from './vitals-check.ts';
import { parseDeviceTopic, type Channel } from './topics.ts';

export type ProtocolErrorCode =
  | 'unknown_topic'
  | 'not_publishable'
  | 'too_large'
  | 'not_json'
  | 'invalid'
  | 'out_of_range'
  | 'future_timestamp'
  | 'stale_timestamp';

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  /** What is wrong, in words a watch maker or an operator can act on. */
  readonly reason: string;
  /** The seq of the offending message, when it could be read. */
  readonly seq?: number;
}

export type DeviceMessage =
  | {
      readonly channel: 'vitals';
      readonly deviceId: string;
      readonly samples: readonly VitalSample[];
      readonly backfill: boolean;
    }
  | { readonly channel: 'events'; readonly deviceId: string; readonly event: DeviceEvent }
  | { readonly channel: 'status'; readonly deviceId: string; readonly status: DeviceStatus }
  | { readonly channel: 'info'; readonly deviceId: string; readonly info: DeviceInfo };

export interface ParseOptions {
  /** The receiver's clock, epoch ms. */
  readonly now: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a message a device published on `topic`. Never throws. */
export function parseDeviceMessage(
  topic: string,
  payload: Uint8Array,
  options: ParseOptions,
): Result<DeviceMessage, ProtocolError> {
  const parsed = parseDeviceTopic(topic);
  if (!parsed)
    return err({ code: 'unknown_topic', reason: `topic ${JSON.stringify(topic)} is not a protocol v1 device topic` });
  const { deviceId, channel } = parsed;
  switch (channel) {
    case 'vitals': {
      const r = parseVitals(payload, options);
      return r.ok ? ok({ channel, deviceId, samples: r.value.samples, backfill: r.value.backfill }) : r;
    }
    case 'events': {
      const r = parseEvent(payload, options);
      return r.ok ? ok({ channel, deviceId, event: r.value }) : r;
    }
    case 'status': {
      const r = parseStatus(payload);
      return r.ok ? ok({ channel, deviceId, status: r.value }) : r;
    }
    case 'info': {
      const r = parseInfo(payload);
      return r.ok ? ok({ channel, deviceId, info: r.value }) : r;
    }
    case 'commands':
    case 'errors':
      return err({ code: 'not_publishable', reason: `devices do not publish on ${channel}; it is for the platform` });
    default:
      return assertNever(channel);
  }
}

const textEncoder = new TextEncoder();
const BATCH_HEAD = textEncoder.encode('{"samples":[');
const BATCH_TAIL = textEncoder.encode(']}');
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The samples of a vitals payload that parseVitals accepted, as the JSON text they came in: the
 * elements of their list, comma-separated, to be copied into another JSON list as they are (the
 * ingest's live values, without serialising each reading again). Undefined unless the payload is a
 * batch written `{"samples":[...]}` or a single reading `{...}`, and the text of the samples holds no
 * bracket: an accepted reading has only numbers (its keys are known names), so a bracket there
 * means some other shape (a repeated "samples" key, spaces around the list) the copy could change.
 * Valid only for a payload parseVitals accepted: it checks nothing else.
 */
export function acceptedSamplesJson(payload: Uint8Array): Uint8Array | undefined {
  const batch =
    payload.length >= BATCH_HEAD.length + BATCH_TAIL.length &&
    BATCH_HEAD.every((b, i) => payload[i] === b) &&
    BATCH_TAIL.every((b, i) => payload[payload.length - BATCH_TAIL.length + i] === b);
  if (!batch && payload[0] !== OPEN_BRACE) return undefined;
  const samples = batch ? payload.subarray(BATCH_HEAD.length, payload.length - BATCH_TAIL.length) : payload;
  return samples.includes(OPEN_BRACKET) || samples.includes(CLOSE_BRACKET) ? undefined : samples;
}

export function parseVitals(
  payload: Uint8Array,
  options: ParseOptions,
): Result<{ samples: VitalSample[]; backfill: boolean }, ProtocolError> {
  const json = readJson(payload);
  if (!json.ok) return json;
  const isBatch = typeof json.value === 'object' && json.value !== null && 'samples' in json.value;
  if (isBatch) {
    // The checks of vitals-check.ts accept what the schema accepts, without zod; zod says why not.
    let samples: VitalSample[];
    if (isVitalsBatch(json.value)) samples = json.value.samples;
    else {
      const r = vitalsBatchSchema.safeParse(json.value);
      if (!r.success) return err(schemaError(r.error, json.value));
      samples = r.data.samples;
    }
    for (let i = 0; i < samples.length; i += 1) {
      const sample = samples[i]!;
      const t = checkTimestamp(sample.ts, options.now, `samples[${i}].ts`, sample.seq);
      if (t) return err(t);
    }
    return ok({ samples, backfill: true });
  }
  let sample: VitalSample;
  if (isVitalSample(json.value)) sample = json.value;
  else {
    const r = vitalSampleSchema.safeParse(json.value);
    if (!r.success) return err(schemaError(r.error, json.value));
    sample = r.data;
  }
  const t = checkTimestamp(sample.ts, options.now, 'ts', sample.seq);
  return t ? err(t) : ok({ samples: [sample], backfill: false });
}

export function parseEvent(payload: Uint8Array, options: ParseOptions): Result<DeviceEvent, ProtocolError> {
  const json = readJson(payload);
  if (!json.ok) return json;
  const r = eventSchema.safeParse(json.value);
  if (!r.success) return err(schemaError(r.error, json.value));
  const t = checkTimestamp(r.data.ts, options.now, 'ts', r.data.seq);
  return t ? err(t) : ok(r.data);
}

export function parseInfo(payload: Uint8Array): Result<DeviceInfo, ProtocolError> {
  const json = readJson(payload);
  if (!json.ok) return json;
  const r = deviceInfoSchema.safeParse(json.value);
  return r.success ? ok(r.data) : err(schemaError(r.error, json.value));
}

export function parseStatus(payload: Uint8Array): Result<DeviceStatus, ProtocolError> {
  const text = readText(payload);
  if (!text.ok) return text;
  const status = STATUS_VALUES.find((s) => s === text.value);
  return status
    ? ok(status)
    : err({
        code: 'invalid',
        reason: `status must be "online" or "offline", got ${JSON.stringify(text.value.slice(0, 32))}`,
      });
}

/** Device side: parses a command the platform sent. */
export function parseCommand(payload: Uint8Array): Result<DeviceCommand, ProtocolError> {
  const json = readJson(payload);
  if (!json.ok) return json;
  const r = commandSchema.safeParse(json.value);
  return r.success ? ok(r.data) : err(schemaError(r.error, json.value));
}

/** Device side: parses the platform's explanation of a rejected message. */
export function parseRejection(payload: Uint8Array): Result<Rejection, ProtocolError> {
  const json = readJson(payload);
  if (!json.ok) return json;
  const r = rejectionSchema.safeParse(json.value);
  return r.success ? ok(r.data) : err(schemaError(r.error, json.value));
}

export function encodeJson(
  value: VitalSample | { samples: readonly VitalSample[] } | DeviceEvent | DeviceCommand | Rejection,
): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/**
 * The codes the platform sends on a device's `errors` topic: why it refused a message (a
 * ProtocolErrorCode), or `qos`: an event published at QoS 0 was taken (an alarm that arrived is
 * raised), but events must be published at QoS 1 or the next one may be lost on the way.
 */
export type ErrorsTopicCode = ProtocolErrorCode | 'qos';

/** What the platform tells a device that published an event at QoS 0 (see ErrorsTopicCode). */
export function qosNotice(seq: number, now: number): Rejection {
  return {
    ts: now,
    channel: 'events',
    seq,
    code: 'qos' satisfies ErrorsTopicCode,
    reason: 'events must be published with QoS 1: this one was taken, but at QoS 0 an event can be lost on the way',
  };
}

export function rejectionFor(channel: Rejection['channel'], error: ProtocolError, now: number): Rejection {
  return {
    ts: now,
    channel,
    code: error.code,
    reason: error.reason,
    ...(error.seq === undefined ? {} : { seq: error.seq }),
  };
}

/** Channels whose messages carry a seq and a timestamp. */
export function isDataChannel(channel: Channel): channel is 'vitals' | 'events' {
  return channel === 'vitals' || channel === 'events';
}

function readText(payload: Uint8Array): Result<string, ProtocolError> {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return err({
      code: 'too_large',
      reason: `payload is ${payload.byteLength} bytes; the limit is ${MAX_PAYLOAD_BYTES}`,
    });
  }
  try {
    return ok(decoder.decode(payload));
  } catch {
    return err({ code: 'not_json', reason: 'payload is not valid UTF-8' });
  }
}

function readJson(payload: Uint8Array): Result<unknown, ProtocolError> {
  const text = readText(payload);
  if (!text.ok) return text;
  try {
    return ok(JSON.parse(text.value) as unknown);
  } catch (e) {
    return err({ code: 'not_json', reason: `payload is not JSON: ${(e as Error).message}` });
  }
}

function checkTimestamp(ts: number, now: number, path: string, seq: number): ProtocolError | null {
  if (ts > now + MAX_FUTURE_MS) {
    return {
      code: 'future_timestamp',
      seq,
      reason: `${path} is ${Math.round((ts - now) / 1000)} s in the future (limit ${MAX_FUTURE_MS / 1000} s): check the device clock`,
    };
  }
  if (ts < now - MAX_AGE_MS) {
    return {
      code: 'stale_timestamp',
      seq,
      reason: `${path} is older than ${MAX_AGE_MS / 86_400_000} days: readings that old are not accepted`,
    };
  }
  return null;
}

function schemaError(error: z.ZodError, input: unknown): ProtocolError {
  const issues = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message));
  const seq = readSeq(input);
  return {
    code: error.issues.every(isValueRange) ? 'out_of_range' : 'invalid',
    reason: issues.join('; ') + (error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : ''),
    ...(seq === undefined ? {} : { seq }),
  };
}

/**
 * A number outside its accepted range. The same zod codes on an array (an empty or over-long
 * backfill) or a string are about the message's shape, which is `invalid`.
 */
function isValueRange(issue: z.core.$ZodIssue): boolean {
  if (issue.code !== 'too_big' && issue.code !== 'too_small') return false;
  return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint';
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function readSeq(input: unknown): number | undefined {
  if (typeof input !== 'object' || input === null || !('seq' in input)) return undefined;
  const { seq } = input;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected value ${String(value)}`);
}
