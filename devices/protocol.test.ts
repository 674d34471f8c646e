import { describe, expect, it } from 'vitest';
import {
  acceptedSamplesJson,
  parseDeviceMessage,
  parseStatus,
  parseCommand,
  type ProtocolErrorCode,
} from './protocol.ts';
import { deviceTopic, parseDeviceTopic, allDevicesFilter, isDeviceId } from './topics.ts';
import { MAX_PAYLOAD_BYTES, MAX_FUTURE_MS, MAX_AGE_MS, MAX_SAMPLES } from './limits.ts';
import { MAX_LIVE_SECONDS } from './payloads.ts';

const now = Date.UTC(2026, 10, 23, 3, 0, 0);
const dev = 'w-0001';
const vitals = deviceTopic(dev, 'vitals');
const events = deviceTopic(dev, 'events');
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('topics', () => {
  it('builds and parses device topics', () => {
    expect(vitals).toBe('vigie/v1/devices/w-0001/vitals');
    expect(parseDeviceTopic(vitals)).toEqual({ deviceId: dev, channel: 'vitals' });
    expect(allDevicesFilter('events')).toBe('vigie/v1/devices/+/events');
  });
  it.each([
    'vigie/v1/devices/w-0001',
    'vigie/v1/devices/w-0001/vitals/x',
    'vigie/v1/devices/+/vitals',
    'vigie/v1/devices/W-0001/vitals',
    'vigie/v2/devices/w-0001/vitals',
    'vigie/v1/devices/w-0001/other',
  ])('rejects %s', (topic) => expect(parseDeviceTopic(topic)).toBeNull());
  it.each(['ab', 'a/b', 'a+b', 'a#b', '-abc', 'x'.repeat(65), 'ABC'])('refuses device id %s', (id) => {
    expect(isDeviceId(id)).toBe(false);
    expect(() => deviceTopic(id, 'vitals')).toThrow(TypeError);
  });
});

describe('vitals', () => {
  it('accepts a single reading', () => {
    const r = parseDeviceMessage(
      vitals,
      bytes({ ts: now, seq: 1, hr: 72, spo2: 97, temp: 36.6, sys: 130, dia: 80, rr: 16, steps: 3, battery: 88 }),
      { now },
    );
    expect(r).toEqual({
      ok: true,
      value: {
        channel: 'vitals',
        deviceId: dev,
        backfill: false,
        samples: [{ ts: now, seq: 1, hr: 72, spo2: 97, temp: 36.6, sys: 130, dia: 80, rr: 16, steps: 3, battery: 88 }],
      },
    });
  });
  it('accepts a backfill keeping original timestamps', () => {
    const samples = [
      { ts: now - 120_000, seq: 5, hr: 70 },
      { ts: now - 60_000, seq: 6, hr: 71 },
    ];
    const r = parseDeviceMessage(vitals, bytes({ samples }), { now });
    expect(r.ok && r.value.channel === 'vitals' && r.value.backfill && r.value.samples).toEqual(samples);
  });

  const cases: Array<[string, unknown, ProtocolErrorCode, RegExp]> = [
    ['not JSON', '{"ts":', 'not_json', /not JSON/],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00]), 'not_json', /UTF-8/],
    ['a JSON array', [1, 2], 'invalid', /object/],
    ['no seq', { ts: now, hr: 70 }, 'invalid', /seq/],
    ['a string hr', { ts: now, seq: 1, hr: '70' }, 'invalid', /hr/],
    ['an unknown field', { ts: now, seq: 1, heart_rate: 70 }, 'invalid', /heart_rate/],
    ['no measurement', { ts: now, seq: 1 }, 'invalid', /no measurement/],
    ['hr just above range', { ts: now, seq: 1, hr: 250.1 }, 'out_of_range', /hr: must be at most 250 beats\/min/],
    ['hr just below range', { ts: now, seq: 1, hr: 19.9 }, 'out_of_range', /hr: must be at least 20/],
    ['spo2 above 100', { ts: now, seq: 1, spo2: 101 }, 'out_of_range', /spo2/],
    ['temperature in Fahrenheit', { ts: now, seq: 1, temp: 98.6 }, 'out_of_range', /temp: must be at most 43 Cel/],
    ['battery fraction', { ts: now, seq: 1, battery: 50.5 }, 'invalid', /battery/],
    ['dia above sys', { ts: now, seq: 1, sys: 80, dia: 90 }, 'invalid', /higher than diastolic/],
    ['negative seq', { ts: now, seq: -1, hr: 70 }, 'out_of_range', /seq/],
    ['ts in seconds', { ts: 1.5, seq: 1, hr: 70 }, 'invalid', /ts/],
    ['ts in the future', { ts: now + MAX_FUTURE_MS + 1, seq: 9, hr: 70 }, 'future_timestamp', /in the future/],
    ['ts too old', { ts: now - MAX_AGE_MS - 1, seq: 9, hr: 70 }, 'stale_timestamp', /older than 30 days/],
    ['empty backfill', { samples: [] }, 'invalid', /at least one sample/],
    [
      'backfill repeating a seq',
      {
        samples: [
          { ts: now, seq: 1, hr: 70 },
          { ts: now, seq: 1, hr: 71 },
        ],
      },
      'invalid',
      /repeat a seq/,
    ],
    [
      'backfill with a bad sample',
      {
        samples: [
          { ts: now, seq: 1, hr: 70 },
          { ts: now, seq: 2, hr: 900 },
        ],
      },
      'out_of_range',
      /samples\[1\]\.hr/,
    ],
    [
      'backfill too long',
      { samples: Array.from({ length: MAX_SAMPLES + 1 }, (_, i) => ({ ts: now, seq: i, hr: 70 })) },
      'invalid',
      /at most 500/,
    ],
  ];
  it.each(cases)('rejects %s', (_name, payload, code, reason) => {
    const r = parseDeviceMessage(vitals, Buffer.isBuffer(payload) ? payload : bytes(payload), { now });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.reason).toMatch(reason);
    }
  });
  it('accepts a backfill of exactly MAX_SAMPLES readings (the over-long one above has one more)', () => {
    const samples = Array.from({ length: MAX_SAMPLES }, (_, i) => ({ ts: now, seq: i, hr: 70 }));
    expect(parseDeviceMessage(vitals, bytes({ samples }), { now }).ok).toBe(true);
  });
  it('calls an over-long backfill invalid even when one of its values is also out of range', () => {
    const samples = Array.from({ length: MAX_SAMPLES + 1 }, (_, i) => ({ ts: now, seq: i, hr: i === 0 ? 900 : 70 }));
    const r = parseDeviceMessage(vitals, bytes({ samples }), { now });
    expect(!r.ok && r.error.code).toBe('invalid');
  });
  it('keeps the seq of a rejected reading so the device can match it', () => {
    const r = parseDeviceMessage(vitals, bytes({ ts: now, seq: 42, hr: 999 }), { now });
    expect(!r.ok && r.error.seq).toBe(42);
  });
  it('refuses oversized payloads before parsing them', () => {
    const r = parseDeviceMessage(vitals, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { now });
    expect(!r.ok && r.error.code).toBe('too_large');
  });
});

describe('the text of accepted readings (acceptedSamplesJson)', () => {
  const a = `{"ts":${now},"seq":1,"hr":72}`;
  const b = `{"ts":${now},"seq":2,"spo2":97}`;
  it.each([
    ['a batch', `{"samples":[${a},${b}]}`, `${a},${b}`],
    ['a single reading', a, a],
    [
      'spaces and escaped keys inside the list',
      `{"samples":[ {"ts":${now},"seq":1,"h\\u0072":72} ]}`,
      ` {"ts":${now},"seq":1,"h\\u0072":72} `,
    ],
    ['a repeated "samples" key', `{"samples":[${a}],"samples":[${b}]}`, undefined],
    ['spaces around the list', `{"samples": [${a}]}`, undefined],
    ['spaces before the object', ` ${a}`, undefined],
  ])('%s', (_name, text, expected) => {
    const payload = Buffer.from(text);
    const parsed = parseDeviceMessage(vitals, payload, { now });
    if (!parsed.ok || parsed.value.channel !== 'vitals') throw new Error('the payload should be accepted');
    const json = acceptedSamplesJson(payload);
    expect(json === undefined ? undefined : Buffer.from(json).toString()).toBe(expected);
    // Copied into a list, the text reads as the readings accepted.
    if (json) expect(JSON.parse(`[${Buffer.from(json).toString()}]`)).toEqual(parsed.value.samples);
  });
});

describe('events', () => {
  it.each([
    [{ ts: now, seq: 3, type: 'fall', confidence: 0.93 }],
    [{ ts: now, seq: 3, type: 'fall' }],
    [{ ts: now, seq: 3, type: 'sos' }],
    [{ ts: now, seq: 3, type: 'im_ok' }],
    [{ ts: now, seq: 3, type: 'low_battery', battery: 9 }],
    [{ ts: now, seq: 3, type: 'removed' }],
    [{ ts: now, seq: 3, type: 'out_of_range', vital: 'glucose', direction: 'below' }],
    [{ ts: now, seq: 3, type: 'out_of_range', vital: 'temp', direction: 'above' }],
  ])('accepts %j', (event) => {
    expect(parseDeviceMessage(events, bytes(event), { now })).toEqual({
      ok: true,
      value: { channel: 'events', deviceId: dev, event },
    });
  });
  it.each([
    [{ ts: now, seq: 3, type: 'explosion' }, /type must be one of/],
    [{ ts: now, seq: 3, type: 'fall', confidence: 1.2 }, /confidence/],
    [{ ts: now, seq: 3, type: 'sos', confidence: 1 }, /confidence/],
    [{ ts: now, type: 'sos' }, /seq/],
    [{ ts: now, seq: 3, type: 'out_of_range', vital: 'glucose' }, /direction must be above or below/],
    [
      { ts: now, seq: 3, type: 'out_of_range', vital: 'glucose', direction: 'sideways' },
      /direction must be above or below/,
    ],
    [{ ts: now, seq: 3, type: 'out_of_range', vital: 'battery', direction: 'below' }, /vital must be one of hr, /],
    [{ ts: now, seq: 3, type: 'out_of_range', vital: 'glucose', direction: 'above', value: 40 }, /value/],
  ])('rejects %j', (event, reason) => {
    const r = parseDeviceMessage(events, bytes(event), { now });
    expect(!r.ok && r.error.reason).toMatch(reason);
  });
});

describe('status, commands and platform-only channels', () => {
  it('reads online and offline', () => {
    expect(parseStatus(bytes('offline'))).toEqual({ ok: true, value: 'offline' });
    expect(parseDeviceMessage(deviceTopic(dev, 'status'), bytes('online'), { now }).ok).toBe(true);
    expect(parseStatus(bytes('asleep')).ok).toBe(false);
  });
  it('reads what a device says about itself, and refuses anything else on info', () => {
    const info = { model: 'Vigie Watch S2', firmware: '2.4.1', hardware: 'rev C' };
    expect(parseDeviceMessage(deviceTopic(dev, 'info'), bytes(info), { now })).toEqual({
      ok: true,
      value: { channel: 'info', deviceId: dev, info },
    });
    for (const bad of [
      {},
      { model: 'S2' },
      { model: 'S2', firmware: '' },
      { model: 'S2', firmware: 'x'.repeat(33) },
      { model: 'S2\u0007', firmware: '1' },
      { model: 'S2', firmware: '1', serial: 'ABC' },
      'S2 1.0',
    ]) {
      expect(parseDeviceMessage(deviceTopic(dev, 'info'), bytes(bad), { now }).ok, JSON.stringify(bad)).toBe(false);
    }
  });
  it('refuses device publications on commands and errors', () => {
    for (const channel of ['commands', 'errors'] as const) {
      const r = parseDeviceMessage(deviceTopic(dev, channel), bytes({}), { now });
      expect(!r.ok && r.error.code).toBe('not_publishable');
    }
  });
  it.each([
    [{ id: 'c1', type: 'ping' }],
    [{ id: 'c1', type: 'set_interval', seconds: 1 }],
    [{ id: 'c1', type: 'set_interval', seconds: 3600 }],
    [{ id: 'c-20', type: 'live', seconds: 120 }],
    [{ id: 'c-21', type: 'live', seconds: 0 }],
    [{ id: 'c-22', type: 'live', seconds: MAX_LIVE_SECONDS }],
  ])('accepts the command %j', (command) => {
    expect(parseCommand(bytes(command))).toEqual({ ok: true, value: command });
  });
  const badCommands: Array<[unknown, ProtocolErrorCode, RegExp]> = [
    [{ id: 'c1', type: 'set_interval', seconds: 0 }, 'out_of_range', /seconds/],
    [{ id: 'c1', type: 'set_interval', seconds: 3601 }, 'out_of_range', /seconds/],
    [{ id: 'c1', type: 'live', seconds: -1 }, 'out_of_range', /seconds/],
    [{ id: 'c1', type: 'live', seconds: MAX_LIVE_SECONDS + 1 }, 'out_of_range', /seconds/],
    [{ id: 'c1', type: 'live', seconds: 1.5 }, 'invalid', /seconds/],
    [{ id: 'c1', type: 'live', seconds: '120' }, 'invalid', /seconds/],
    [{ id: 'c1', type: 'live' }, 'invalid', /seconds/],
    [{ type: 'live', seconds: 120 }, 'invalid', /id/],
    [{ id: '', type: 'live', seconds: 120 }, 'invalid', /id/],
    [{ id: 'c1', type: 'live', seconds: 120, until: 1 }, 'invalid', /until/],
    [{ id: 'c1', type: 'stream', seconds: 120 }, 'invalid', /type/],
  ];
  it.each(badCommands)('refuses the command %j with %s', (command, code, reason) => {
    const r = parseCommand(bytes(command));
    expect(!r.ok && r.error.code).toBe(code);
    expect(!r.ok && r.error.reason).toMatch(reason);
  });
  it('parses commands', () => {
    // A string's length is its shape, not a value's range.
    expect(parseCommand(bytes({ id: 'c'.repeat(65), type: 'ping' }))).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
  });
});
