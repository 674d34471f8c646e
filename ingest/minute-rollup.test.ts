import { describe, expect, it } from 'vitest';
import type { IPoint } from 'influx';
import { MinuteRollup, partialsOf, timestampMs } from './minute-rollup.ts';
import type { DeviceReadings } from './line-protocol.ts';
import type { VitalSample } from '../devices/payloads.ts';

const M = 60_000;
const T0 = 1_700_000_040_000 - (1_700_000_040_000 % M); // a minute boundary
const id = (device: string) => ({ device, patient: `p-${device}` });
const reading = (device: string, s: VitalSample): DeviceReadings => ({ ...id(device), samples: [s] });
const minutesOf = (points: readonly IPoint[]) =>
  points.map((p) => ({ device: p.tags?.device, minute: timestampMs(p) - T0, fields: p.fields }));

describe('MinuteRollup', () => {
  it("leaves a device's first minute since start to the raw readings, then writes each minute once the next begins", () => {
    const r = new MinuteRollup({ closeAfterMs: 2 * M });
    const first = r.add([reading('w1', { ts: T0 + 50_000, seq: 1, hr: 70 })]);
    expect(first).toEqual({ minutes: [], late: [{ device: 'w1', fromMs: T0 + 50_000, toMs: T0 + 50_000 }] });

    const minute1 = [
      { ts: T0 + M, seq: 2, hr: 60, spo2: 97, temp: 36.5, steps: 3, battery: 81 },
      { ts: T0 + M + 20_000, seq: 3, hr: 80, spo2: 95, steps: 4, battery: 80 },
      { ts: T0 + M + 40_000, seq: 4, hr: 70, temp: 36.9 },
    ];
    expect(r.add(minute1.map((s) => reading('w1', s)))).toEqual({ minutes: [], late: [] });
    expect(r.oldestOpen()).toBe(T0 + M);

    const next = r.add([reading('w1', { ts: T0 + 2 * M + 1, seq: 5, hr: 72 })]);
    expect(next.late).toEqual([]);
    expect(minutesOf(next.minutes)).toEqual([
      {
        device: 'w1',
        minute: M,
        fields: {
          samples: 3,
          hr: 70,
          hr_min: 60,
          hr_max: 80,
          spo2: 96,
          spo2_min: 95,
          spo2_max: 97,
          temp: 36.7,
          temp_min: 36.5,
          temp_max: 36.9,
          steps: 7,
          battery: 80,
        },
      },
    ]);
    expect(next.minutes[0]?.tags).toEqual({ device: 'w1', patient: 'p-w1' });
    expect(r.oldestOpen()).toBe(T0 + 2 * M);
  });

  it('rolls up a first minute that began after the newest reading stored before the start', () => {
    const r = new MinuteRollup({ closeAfterMs: 2 * M, storedBefore: T0 - 1 });
    // w1's first minute began after anything stored: it is new, rolled up like any other.
    expect(r.add([reading('w1', { ts: T0 + 50_000, seq: 1, hr: 70 })])).toEqual({ minutes: [], late: [] });
    const next = r.add([reading('w1', { ts: T0 + M, seq: 2, hr: 72 })]);
    expect(minutesOf(next.minutes)).toEqual([
      { device: 'w1', minute: 0, fields: { samples: 1, hr: 70, hr_min: 70, hr_max: 70 } },
    ]);
    // w2 is first heard in the minute the earlier run stored into: left to the raw readings.
    const stored = new MinuteRollup({ closeAfterMs: 2 * M, storedBefore: T0 + 10_000 });
    expect(stored.add([reading('w2', { ts: T0 + 50_000, seq: 1, hr: 70 })]).late).toEqual([
      { device: 'w2', fromMs: T0 + 50_000, toMs: T0 + 50_000 },
    ]);
    // Nothing stored before (a new queue): every first minute is new.
    const none = new MinuteRollup({ closeAfterMs: 2 * M, storedBefore: null });
    expect(none.add([reading('w3', { ts: T0 + 50_000, seq: 1, hr: 70 })]).late).toEqual([]);
  });

  it('takes back the minutes open at a clean stop: the readings of such a minute are added to it, not left to the raw readings', () => {
    const before = new MinuteRollup({ closeAfterMs: 2 * M, storedBefore: null });
    before.add([
      reading('w1', { ts: T0 + 10_000, seq: 1, hr: 60, battery: 80, steps: 2 }),
      reading('w2', { ts: T0 + M + 5_000, seq: 1, spo2: 97 }),
    ]);
    const open = before.open();
    expect(open.map((m) => [m.device, m.patient, m.minute - T0, m.agg.samples])).toEqual([
      ['w1', 'p-w1', 0, 1],
      ['w2', 'p-w2', M, 1],
    ]);
    expect(before.drain()).toHaveLength(2);
    expect(before.open()).toEqual([]);

    // The next run: every first minute may be partly stored, but the minutes kept are taken back.
    const after = new MinuteRollup({ closeAfterMs: 2 * M });
    after.restore(open);
    expect(after.oldestOpen()).toBe(T0);
    const more = after.add([
      reading('w1', { ts: T0 + 30_000, seq: 2, hr: 80, battery: 78, steps: 3 }),
      reading('w1', { ts: T0 - 1, seq: 3, hr: 90 }), // of a minute before the one kept: late
      reading('w3', { ts: T0 + 20_000, seq: 1, hr: 70 }), // nothing kept: its first minute from the raw readings
    ]);
    expect(more).toEqual({
      minutes: [],
      late: [
        { device: 'w1', fromMs: T0 - 1, toMs: T0 - 1 },
        { device: 'w3', fromMs: T0 + 20_000, toMs: T0 + 20_000 },
      ],
    });
    const next = after.add([reading('w1', { ts: T0 + M, seq: 4, hr: 70 })]);
    expect(minutesOf(next.minutes)).toEqual([
      { device: 'w1', minute: 0, fields: { samples: 2, hr: 70, hr_min: 60, hr_max: 80, steps: 5, battery: 78 } },
    ]);
    expect(open[0]?.agg.samples).toBe(1); // the minute kept is not changed by what is added to it
    // A minute kept long ago (a late restart) is closed like any quiet device's.
    expect(minutesOf(after.due(T0 + 4 * M)).filter((m) => m.device === 'w2')).toEqual([
      { device: 'w2', minute: M, fields: { samples: 1, spo2: 97, spo2_min: 97, spo2_max: 97 } },
    ]);
  });

  it('keeps the battery of the latest reading of the minute, whatever the order they came in', () => {
    const r = new MinuteRollup({ closeAfterMs: 2 * M });
    r.add([reading('w1', { ts: T0 - 1, seq: 1, hr: 70 })]);
    r.add([
      reading('w1', { ts: T0 + 30_000, seq: 3, hr: 70, battery: 50 }),
      reading('w1', { ts: T0 + 10_000, seq: 2, hr: 70, battery: 55 }),
    ]);
    const [minute] = r.drain();
    expect(minute?.fields).toMatchObject({ battery: 50, samples: 2 });
  });

  it('sends a reading of a minute already written to the raw readings, with its range per device', () => {
    const r = new MinuteRollup({ closeAfterMs: 2 * M });
    r.add([reading('w1', { ts: T0 - 1, seq: 1, hr: 70 })]);
    r.add([reading('w1', { ts: T0 + 1, seq: 2, hr: 70 }), reading('w1', { ts: T0 + M, seq: 3, hr: 70 })]);
    const late = r.add([
      reading('w1', { ts: T0 + 5, seq: 4, hr: 90 }),
      reading('w1', { ts: T0 - 3 * M, seq: 5, hr: 90 }),
      reading('w1', { ts: T0 + M + 5, seq: 6, hr: 90 }), // the open minute: not late
    ]);
    expect(late).toEqual({ minutes: [], late: [{ device: 'w1', fromMs: T0 - 3 * M, toMs: T0 + 5 }] });
  });

  it('writes the minute of a quiet device only after closeAfterMs past its end', () => {
    const r = new MinuteRollup({ closeAfterMs: 2 * M });
    r.add([reading('w1', { ts: T0 - 1, seq: 1, hr: 70 }), reading('w2', { ts: T0 - 1, seq: 1, hr: 70 })]);
    r.add([reading('w1', { ts: T0 + 10, seq: 2, hr: 70 }), reading('w2', { ts: T0 + 20, seq: 2, hr: 75 })]);
    expect(r.newestMs).toBe(T0 + 20);
    expect(r.due(T0 + 3 * M - 1)).toEqual([]);
    expect(minutesOf(r.due(T0 + 3 * M)).map((m) => [m.device, m.minute, m.fields?.hr])).toEqual([
      ['w1', 0, 70],
      ['w2', 0, 75],
    ]);
    expect(r.due(T0 + 10 * M)).toEqual([]);
    expect(r.oldestOpen()).toBeNull();
    // What the device sends afterwards for that minute is late.
    expect(r.add([reading('w1', { ts: T0 + 30, seq: 3, hr: 70 })]).late).toHaveLength(1);
  });

  it('sums a device minute up when its readings are taken in, and merges the parts of several appends', () => {
    const samples = [
      { ts: T0 + M + 1_000, seq: 2, hr: 60, battery: 81, steps: 2 },
      { ts: T0 + 2 * M + 1_000, seq: 4, hr: 90 }, // the next minute
      { ts: T0 + M + 3_000, seq: 3, hr: 80, battery: 79 }, // back to the first
    ];
    const parts = partialsOf(samples.map((s) => reading('w1', s)));
    expect(parts.map((p) => [p.minute - T0, p.fromMs - T0, p.toMs - T0, p.agg.samples])).toEqual([
      [M, M + 1_000, M + 3_000, 2],
      [2 * M, 2 * M + 1_000, 2 * M + 1_000, 1],
    ]);
    const r = new MinuteRollup({ closeAfterMs: 2 * M });
    r.add([reading('w1', { ts: T0 + 1, seq: 1, hr: 70 })]); // its first minute: left to the raw readings
    // The first minute in two appends, then the next one.
    const later = partialsOf([reading('w1', { ts: T0 + M + 2_000, seq: 5, hr: 70, battery: 80, steps: 1 })]);
    const out = r.addPartials([parts[0]!, ...later, parts[1]!]);
    expect(out.late).toEqual([]);
    expect(minutesOf(out.minutes)).toEqual([
      {
        device: 'w1',
        minute: M,
        fields: { samples: 3, hr: 70, hr_min: 60, hr_max: 80, steps: 3, battery: 79 },
      },
    ]);
    expect(r.newestMs).toBe(T0 + 2 * M + 1_000);
  });
});
