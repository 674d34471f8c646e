import { describe, expect, it } from 'vitest';
import { LiveValuesCoalescer, type Schedule } from './live-values.ts';
import { encodeLiveValues, parseLiveValues, type LiveDeviceValues, type LiveValues } from '../common/live-values.ts';
import type { VitalSample } from '../devices/payloads.ts';

/** A clock that moves only when told, and the timers it would have fired. */
function fakeTime() {
  let now = 1_700_000_000_000;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const schedule: Schedule = (fn, ms) => {
    const timer = { at: now + ms, fn, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  return {
    now: () => now,
    schedule,
    pending: () => timers.filter((t) => !t.cancelled).length,
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => !x.cancelled && x.at <= now)) {
        t.cancelled = true;
        t.fn();
      }
    },
  };
}

function harness(options: { intervalMs?: number; maxBytes?: number; maxPendingSamples?: number } = {}) {
  const time = fakeTime();
  const sent: LiveValues[] = [];
  const sizes: number[] = [];
  const live = new LiveValuesCoalescer({
    publish: (payload) => {
      sizes.push(payload.length);
      const parsed = parseLiveValues(payload);
      if (!parsed.ok) throw new Error(parsed.error);
      sent.push(parsed.value);
    },
    now: time.now,
    schedule: time.schedule,
    ...options,
  });
  return { time, sent, sizes, live };
}

const sample = (seq: number, ts: number, extra: Partial<VitalSample> = {}): VitalSample => ({
  ts,
  seq,
  hr: 70,
  ...extra,
});

describe('live values coalescer', () => {
  it('sends the first readings after a quiet interval at once, then at most one tick per interval', () => {
    const { time, sent, live } = harness({ intervalMs: 200 });
    live.add('p-1', 'w-1', [sample(1, 1000)], time.now());
    expect(sent).toHaveLength(1);
    expect(sent[0]!.devices).toEqual([
      { deviceId: 'w-1', patientId: 'p-1', receivedAt: time.now(), samples: [sample(1, 1000)] },
    ]);
    time.advance(50);
    live.add('p-1', 'w-1', [sample(2, 2000)], time.now());
    live.add('p-2', 'w-2', [sample(1, 2000, { spo2: 97 })], time.now());
    time.advance(149);
    expect(sent).toHaveLength(1); // the interval since the last message has not passed
    time.advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.devices.map((d) => [d.patientId, d.deviceId, d.samples.map((s) => s.seq)])).toEqual([
      ['p-1', 'w-1', [2]],
      ['p-2', 'w-2', [1]],
    ]);
    expect(time.pending()).toBe(0);
  });

  it("merges one device's messages of a tick into one entry, keeping every reading in order and the last reception time", () => {
    const { time, sent, live } = harness({ intervalMs: 200 });
    live.add('p-0', 'w-0', [sample(0, 500)], time.now()); // opens the interval
    live.add('p-1', 'w-1', [sample(1, 1000), sample(2, 1001)], time.now());
    time.advance(10);
    live.add('p-1', 'w-1', [sample(3, 1002, { battery: 40 })], time.now());
    const last = time.now();
    time.advance(190);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.devices).toEqual([
      {
        deviceId: 'w-1',
        patientId: 'p-1',
        receivedAt: last,
        samples: [sample(1, 1000), sample(2, 1001), sample(3, 1002, { battery: 40 })],
      },
    ]);
  });

  it('keeps apart a device seen for two patients within a tick (reassigned)', () => {
    const { time, sent, live } = harness();
    live.add('p-0', 'w-0', [sample(0, 500)], time.now());
    live.add('p-1', 'w-1', [sample(1, 1000)], time.now());
    live.add('p-2', 'w-1', [sample(2, 1001)], time.now());
    time.advance(200);
    expect(sent[1]!.devices.map((d) => d.patientId)).toEqual(['p-1', 'p-2']);
  });

  it('sends nothing for nothing', () => {
    const { time, sent, live } = harness();
    live.add('p-1', 'w-1', [], time.now());
    live.flush();
    time.advance(1000);
    expect(sent).toHaveLength(0);
    expect(time.pending()).toBe(0);
  });

  it('splits a tick into messages under the byte cap, every reading once, in order', () => {
    const maxBytes = 4096;
    const { time, sent, sizes, live } = harness({ maxBytes });
    live.add('p-0', 'w-0', [sample(0, 500)], time.now());
    const expected: Array<[string, number]> = [];
    for (let d = 0; d < 100; d += 1) {
      const samples = Array.from({ length: 10 }, (_, i) => sample(i, 1000 + i, { spo2: 95, temp: 36.6, battery: 80 }));
      live.add(`p-${d}`, `w-device-${d}`, samples, time.now());
      for (const s of samples) expected.push([`w-device-${d}`, s.seq]);
    }
    time.advance(200);
    const tick = sent.slice(1);
    expect(tick.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maxBytes);
    expect(tick.flatMap((m) => m.devices.flatMap((d) => d.samples.map((s) => [d.deviceId, s.seq])))).toEqual(expected);
  });

  it("splits one device's readings bigger than a message between its samples", () => {
    const maxBytes = 4096;
    const { time, sent, sizes, live } = harness({ maxBytes });
    const samples = Array.from({ length: 500 }, (_, i) => sample(i, 1000 + i, { spo2: 95, battery: 80 }));
    live.add('p-1', 'w-1', samples, time.now());
    expect(sent.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maxBytes);
    expect(sent.flatMap((m) => m.devices.flatMap((d) => d.samples))).toEqual(samples);
  });

  it('sends at once, whatever the interval, when too many readings wait (bounded memory)', () => {
    const { time, sent, live } = harness({ intervalMs: 10_000, maxPendingSamples: 30 });
    live.add('p-0', 'w-0', [sample(0, 500)], time.now());
    for (let d = 0; d < 2; d += 1)
      live.add(
        `p-${d}`,
        `w-${d}x`,
        Array.from({ length: 10 }, (_, i) => sample(i, 1000 + i)),
        time.now(),
      );
    expect(sent).toHaveLength(1);
    live.add(
      'p-3',
      'w-3x',
      Array.from({ length: 10 }, (_, i) => sample(i, 1000 + i)),
      time.now(),
    );
    expect(sent).toHaveLength(2);
    expect(sent[1]!.devices).toHaveLength(3);
    expect(time.pending()).toBe(0);
  });

  it('sends what waits when closed, then takes nothing more', () => {
    const { time, sent, live } = harness();
    live.add('p-0', 'w-0', [sample(0, 500)], time.now());
    live.add('p-1', 'w-1', [sample(1, 1000)], time.now());
    live.close();
    expect(sent).toHaveLength(2);
    live.add('p-1', 'w-1', [sample(2, 1001)], time.now());
    time.advance(1000);
    expect(sent).toHaveLength(2);
  });

  it('sends the text of the readings as it came, unless a reading of the entry came without it', () => {
    const payloads: string[] = [];
    const live = new LiveValuesCoalescer({ publish: (p) => payloads.push(p.toString()), intervalMs: 0 });
    // Spaces the device put in its text stay: the text is copied, not serialised again.
    const text = (x: VitalSample) => Buffer.from(` ${JSON.stringify(x)}`);
    live.add('p-1', 'w-1', [sample(1, 1000)], 5000, text(sample(1, 1000)));
    expect(payloads.at(-1)).toContain(` ${JSON.stringify(sample(1, 1000))}`);
    // Within one interval: one entry, text for the first message only, so serialised.
    const slow = new LiveValuesCoalescer({ publish: (p) => payloads.push(p.toString()), intervalMs: 60_000 });
    slow.add('p-0', 'w-0', [sample(0, 999)], 5000); // leaves at once: the interval starts
    slow.add('p-1', 'w-1', [sample(2, 1001)], 5000, text(sample(2, 1001)));
    slow.add('p-1', 'w-1', [sample(3, 1002)], 5000);
    slow.flush();
    expect(payloads.at(-1)).not.toContain(' {');
    expect(parseLiveValues(Buffer.from(payloads.at(-1)!))).toMatchObject({
      ok: true,
      value: { devices: [{ samples: [sample(2, 1001), sample(3, 1002)] }] },
    });
    live.close();
    slow.close();
  });

  it('refuses a negative interval', () => {
    expect(() => new LiveValuesCoalescer({ publish: () => undefined, intervalMs: -1 })).toThrow(TypeError);
  });
});

describe('live values on the wire', () => {
  const entry: LiveDeviceValues = { deviceId: 'w-1', patientId: 'p-1', receivedAt: 1000, samples: [sample(1, 999)] };

  it('round-trips', () => {
    const [payload, ...rest] = encodeLiveValues([entry]);
    expect(rest).toEqual([]);
    expect(parseLiveValues(payload!)).toEqual({ ok: true, value: { v: 1, devices: [entry] } });
  });

  it('copies the readings given as JSON text, and serialises them when that text is too big for a message', () => {
    const samples = Array.from({ length: 200 }, (_, i) => sample(i, 1000 + i));
    const text = (list: readonly VitalSample[]) => Buffer.from(list.map((x) => JSON.stringify(x)).join(','));
    const whole = { deviceId: 'w-2', patientId: 'p-2', receivedAt: 2000, samples };
    // Two pieces of text, as two messages of the device gave them.
    const copied = encodeLiveValues([entry, { ...whole, json: [text(samples.slice(0, 20)), text(samples.slice(20))] }]);
    expect(copied).toHaveLength(1);
    expect(copied[0]!.toString()).toContain(text(samples.slice(0, 20)).toString());
    expect(parseLiveValues(copied[0]!)).toEqual({ ok: true, value: { v: 1, devices: [entry, whole] } });
    // Pieces that do not fit together go in two entries of the device, still copied.
    const two = encodeLiveValues([{ ...whole, json: [text(samples.slice(0, 100)), text(samples.slice(100))] }], 4096);
    expect(two).toHaveLength(2);
    expect(two[0]!.toString()).toContain(text(samples.slice(0, 100)).toString());
    expect(two[1]!.toString()).toContain(text(samples.slice(100)).toString());
    expect(two.map((m) => parseLiveValues(m)).flatMap((p) => (p.ok ? p.value.devices : []))).toEqual([
      { ...whole, samples: samples.slice(0, 100) },
      { ...whole, samples: samples.slice(100) },
    ]);
    // A piece too big for a message (here with spaces) is not cut: the readings are split, as objects.
    const padded = Buffer.concat([Buffer.alloc(4000, 0x20), text(samples)]);
    const split = encodeLiveValues([{ ...whole, json: [padded] }], 4096);
    expect(split.length).toBeGreaterThan(1);
    expect(split.map((m) => m.toString()).join('')).not.toContain(padded.toString());
    expect(split.flatMap((m) => (parseLiveValues(m).ok ? [] : [m]))).toEqual([]);
    const back = split.flatMap((m) => {
      const parsed = parseLiveValues(m);
      return parsed.ok ? parsed.value.devices.flatMap((d) => d.samples) : [];
    });
    expect(back).toEqual(samples);
  });

  it('encodes nothing as no message', () => {
    expect(encodeLiveValues([])).toEqual([]);
  });

  it('refuses a cap too small to hold a device', () => {
    expect(() => encodeLiveValues([entry], 100)).toThrow(TypeError);
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['another version', JSON.stringify({ v: 2, devices: [] }), 'v:'],
    ['no devices', JSON.stringify({ v: 1 }), 'devices:'],
    [
      'a reading that is not a number',
      JSON.stringify({ v: 1, devices: [{ ...entry, samples: [{ ts: 1, seq: 1, hr: '70' }] }] }),
      'devices.0.samples.0.hr:',
    ],
    [
      'an infinite reading',
      '{"v":1,"devices":[{"deviceId":"w-1","patientId":"p-1","receivedAt":1,"samples":[{"ts":1,"seq":1,"hr":1e999}]}]}',
      'devices.0.samples.0.hr:',
    ],
    ['no samples', JSON.stringify({ v: 1, devices: [{ ...entry, samples: [] }] }), 'devices.0.samples:'],
    ['an empty patient', JSON.stringify({ v: 1, devices: [{ ...entry, patientId: '' }] }), 'devices.0.patientId:'],
    [
      'a negative seq',
      JSON.stringify({ v: 1, devices: [{ ...entry, samples: [{ ts: 1, seq: -1 }] }] }),
      'devices.0.samples.0.seq:',
    ],
  ])('refuses %s with a reason', (_name, text, reason) => {
    const parsed = parseLiveValues(Buffer.from(text));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(reason);
  });
});
