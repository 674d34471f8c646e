/** The rules engine with a fake clock: falls and their window, SOS, technical alerts on time, NEWS2. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, FULL_TICK_EVERY_MS, RulesEngine, type Condition, type PatientRules } from './engine.ts';
import { thresholdsFor } from './thresholds.ts';

const T0 = 1_800_000_000_000;
const P = 'p-1';
const brief = (cs: Condition[]) => cs.map((c) => [c.kind, c.change, c.priority]);
const sample = (sec: number, v: Record<string, number>) => ({ ts: T0 + sec * 1000, seq: sec, ...v });

/** Runs tick at every deadline up to `untilMs`, as the ingest's timer does. */
function runTimers(engine: RulesEngine, untilMs: number): Array<[number, ...ReturnType<typeof brief>[number]]> {
  const out: Array<[number, ...ReturnType<typeof brief>[number]]> = [];
  for (let next = engine.nextDeadline(); next !== undefined && next <= untilMs; next = engine.nextDeadline()) {
    for (const c of engine.tick(next)) out.push([next - T0, ...(brief([c])[0] ?? [])]);
  }
  return out;
}

describe('falls', () => {
  it('are raised at once as pending, and cancelled by "I\'m OK" inside the window', () => {
    const e = new RulesEngine();
    const raised = e.event(P, { type: 'fall', ts: T0, seq: 1, confidence: 0.9 }, T0);
    expect(brief(raised)).toEqual([['fall', 'raise', 'high']]);
    expect(raised[0]?.detail).toMatchObject({ status: 'pending', confidence: 0.9, confirmAt: T0 + 60_000 });
    expect(brief(e.event(P, { type: 'im_ok', ts: T0 + 59_999, seq: 2 }, T0 + 59_999))).toEqual([
      ['fall', 'cancel', 'high'],
    ]);
    expect(e.tick(T0 + 60_000)).toEqual([]);
  });

  it('are confirmed exactly when the window ends without an answer; a late "I\'m OK" changes nothing', () => {
    const e = new RulesEngine();
    e.event(P, { type: 'fall', ts: T0, seq: 1 }, T0);
    expect(e.nextDeadline()).toBe(T0 + 60_000);
    expect(e.tick(T0 + 59_999).filter((c) => c.kind === 'fall')).toEqual([]);
    expect(brief(e.tick(T0 + 60_000))).toEqual([['fall', 'confirm', 'high']]);
    expect(e.event(P, { type: 'im_ok', ts: T0 + 61_000, seq: 2 }, T0 + 61_000)).toEqual([]);
  });

  it('are confirmed at once by an SOS during the window, and the SOS is raised too', () => {
    const e = new RulesEngine();
    e.event(P, { type: 'fall', ts: T0, seq: 1 }, T0);
    expect(brief(e.event(P, { type: 'sos', ts: T0 + 5_000, seq: 2 }, T0 + 5_000))).toEqual([
      ['fall', 'confirm', 'high'],
      ['sos', 'raise', 'high'],
    ]);
    expect(e.tick(T0 + 60_000).filter((c) => c.kind === 'fall')).toEqual([]);
  });

  it('merge a second fall inside the window into the first, keeping its deadline', () => {
    const e = new RulesEngine();
    e.event(P, { type: 'fall', ts: T0, seq: 1 }, T0);
    const again = e.event(P, { type: 'fall', ts: T0 + 10_000, seq: 2 }, T0 + 10_000);
    expect(brief(again)).toEqual([['fall', 'update', 'high']]);
    expect(again[0]?.detail).toMatchObject({ confirmAt: T0 + 60_000 });
  });

  it("use the patient's own window", () => {
    const e = new RulesEngine(() => ({ ...DEFAULT_RULES, fallWindowMs: 30_000 }));
    e.event(P, { type: 'fall', ts: T0, seq: 1 }, T0);
    expect(e.nextDeadline()).toBe(T0 + 30_000);
  });

  it('resume their window after a restart', () => {
    const e = new RulesEngine();
    e.restorePendingFall(P, T0 + 42_000, T0 + 10_000);
    expect(brief(e.tick(T0 + 42_000)).filter(([k]) => k === 'fall')).toEqual([['fall', 'confirm', 'high']]);
  });
});

describe('SOS', () => {
  it('is immediate and high priority', () => {
    expect(brief(new RulesEngine().event(P, { type: 'sos', ts: T0, seq: 1 }, T0))).toEqual([['sos', 'raise', 'high']]);
  });
});

describe('technical alerts, on time', () => {
  it('stale data: raised exactly staleAfterMs after the last vitals, cleared by the next ones', () => {
    const e = new RulesEngine();
    e.watch(P, T0);
    e.vitals(P, sample(60, { hr: 70 }), T0 + 60_000);
    expect(runTimers(e, T0 + 60_000 + 15 * 60_000 - 1)).toEqual([]);
    expect(runTimers(e, T0 + 60_000 + 15 * 60_000)).toEqual([[60_000 + 15 * 60_000, 'stale-data', 'raise', 'medium']]);
    expect(brief(e.vitals(P, sample(2000, { hr: 70 }), T0 + 2_000_000))).toEqual([['stale-data', 'clear', 'medium']]);
  });

  it('offline: raised after the grace period, not for a quick reconnection; cleared when back', () => {
    const e = new RulesEngine();
    e.watch(P, T0);
    e.vitals(P, sample(0, { hr: 70 }), T0);
    e.presence(P, false, T0 + 1_000);
    e.presence(P, true, T0 + 30_000);
    expect(runTimers(e, T0 + 10 * 60_000).filter(([, k]) => k === 'offline')).toEqual([]);
    e.presence(P, false, T0 + 11 * 60_000);
    expect(runTimers(e, T0 + 16 * 60_000).filter(([, k]) => k === 'offline')).toEqual([
      [16 * 60_000, 'offline', 'raise', 'low'],
    ]);
    expect(brief(e.presence(P, true, T0 + 17 * 60_000))).toEqual([['offline', 'clear', 'low']]);
  });

  it('watch removed: raised once, cleared when a heart rate comes back', () => {
    const e = new RulesEngine();
    expect(brief(e.event(P, { type: 'removed', ts: T0, seq: 1 }, T0))).toEqual([['removed', 'raise', 'medium']]);
    expect(e.event(P, { type: 'removed', ts: T0 + 1, seq: 2 }, T0 + 1)).toEqual([]);
    expect(brief(e.vitals(P, sample(10, { battery: 50 }), T0 + 10_000))).toEqual([]);
    expect(brief(e.vitals(P, sample(20, { hr: 72 }), T0 + 20_000))).toEqual([['removed', 'clear', 'medium']]);
  });

  it('low battery: raised at 15 %, from the event or the readings; cleared only from 25 % (no flapping)', () => {
    const e = new RulesEngine();
    expect(brief(e.vitals(P, sample(1, { battery: 16 }), T0))).toEqual([]);
    expect(brief(e.vitals(P, sample(2, { battery: 15 }), T0))).toEqual([['low-battery', 'raise', 'low']]);
    expect(brief(e.event(P, { type: 'low_battery', ts: T0, seq: 3, battery: 14 }, T0))).toEqual([]);
    expect(brief(e.vitals(P, sample(4, { battery: 24 }), T0))).toEqual([]);
    expect(brief(e.vitals(P, sample(5, { battery: 25 }), T0))).toEqual([['low-battery', 'clear', 'low']]);
    expect(brief(e.event(P, { type: 'low_battery', ts: T0, seq: 6 }, T0))).toEqual([['low-battery', 'raise', 'low']]);
  });
});

describe('vital thresholds and NEWS2 through the engine', () => {
  it('raise a threshold alert with the limits it used, and clear it', () => {
    const e = new RulesEngine();
    let out: Condition[] = [];
    for (let sec = 0; sec <= 60; sec += 1) out = out.concat(e.vitals(P, sample(sec, { spo2: 86 }), T0 + sec * 1000));
    const spo2 = out.filter((c) => c.kind.startsWith('threshold:'));
    expect(brief(spo2)).toEqual([['threshold:spo2-very-low', 'raise', 'high']]);
    expect(spo2[0]?.detail).toMatchObject({
      vital: 'spo2',
      value: 86,
      limit: 88,
      direction: 'below',
      sustain: { seconds: 60 },
    });
  });

  it("raise NEWS2 as medium at 5, high at 7, and clear only below 4, on each parameter's median of 5 minutes", () => {
    const e = new RulesEngine();
    let sec = 0;
    /** A reading every 10 s for `minutes`: the NEWS2 changes it made. */
    const hold = (minutes: number, v: (i: number) => Record<string, number>) => {
      const out: ReturnType<typeof brief> = [];
      for (let i = 0, end = sec + minutes * 60; sec < end; sec += 10, i += 1)
        out.push(...brief(e.vitals(P, sample(sec, v(i)), T0 + sec * 1000)).filter(([k]) => k === 'news2'));
      return out;
    };
    expect(hold(5, () => ({ hr: 80, spo2: 97, temp: 37 }))).toEqual([]);
    expect(hold(5, () => ({ hr: 115, spo2: 93, temp: 38.2 }))).toEqual([['news2', 'raise', 'medium']]); // 2 + 2 + 1
    expect(hold(5, () => ({ hr: 135, spo2: 93, temp: 38.2 }))).toEqual([]); // 3 + 2 + 1 = 6: still medium
    expect(hold(5, () => ({ hr: 135, spo2: 91, temp: 38.2 }))).toEqual([['news2', 'update', 'high']]); // 3 + 3 + 1 = 7
    expect(hold(5, () => ({ hr: 100, spo2: 93, temp: 38.5 }))).toEqual([['news2', 'update', 'medium']]); // 1 + 2 + 1 = 4: one step down, not cleared
    expect(hold(5, (i) => ({ hr: i % 2 ? 115 : 100 }))).toEqual([]); // hovering 4-5: no flapping
    expect(hold(5, () => ({ hr: 80, spo2: 96, temp: 37 }))).toEqual([['news2', 'clear', 'medium']]);
  });

  it('keep NEWS2 through a single outlier, and follow a sustained change once it is most of the window', () => {
    const e = new RulesEngine();
    const news2At = (sec: number, hr: number) =>
      e.vitals(P, sample(sec, { hr, spo2: 97, temp: 37 }), T0 + sec * 1000).filter((c) => c.kind === 'news2');
    for (let sec = 0; sec < 60; sec += 5) expect(news2At(sec, 75)).toEqual([]);
    expect(news2At(60, 140)).toEqual([]); // one reading in the red: latest-value scoring would raise
    for (let sec = 65; sec < 120; sec += 5) expect(news2At(sec, 75)).toEqual([]);
    const raised: number[] = [];
    for (let sec = 120; sec <= 420; sec += 5) if (news2At(sec, 140).length > 0) raised.push(sec);
    // From 120 s every reading is 140; the 23 readings of 75 stay in the window (all since 0 s).
    // At 230 s the 140s are 24 of 47 (the outlier among them): the median is 140, a red pulse.
    expect(raised).toEqual([230]);
  });

  it('let a late reading (older than one already seen) be stored without moving NEWS2 or a threshold', () => {
    const e = new RulesEngine();
    const kinds = (cs: Condition[]) => brief(cs).filter(([k]) => k === 'news2' || String(k).startsWith('threshold:'));
    expect(kinds(e.vitals(P, sample(10, { hr: 80, spo2: 97, temp: 37 }), T0 + 10_000))).toEqual([]);
    // Redelivered after the newer one: a NEWS2 of 6 at its time, but not the present.
    expect(kinds(e.vitals(P, sample(5, { hr: 135, spo2: 93, temp: 38.2 }), T0 + 10_500))).toEqual([]);
    for (let sec = 0; sec < 10; sec += 1)
      expect(kinds(e.vitals(P, sample(sec, { spo2: 86 }), T0 + 10_600 + sec))).toEqual([]); // red SpO2, but late
    expect(kinds(e.vitals(P, sample(11, { hr: 135, spo2: 93, temp: 38.2 }), T0 + 11_000))).toEqual([
      ['news2', 'raise', 'medium'],
    ]);
  });

  it('say which NEWS2 parameters a watch cannot give', () => {
    const e = new RulesEngine();
    const [c] = e.vitals(P, sample(0, { hr: 135 }), T0).filter((x) => x.kind === 'news2');
    expect(c).toMatchObject({
      change: 'raise',
      priority: 'low',
      detail: { score: 3, partial: true, missing: ['respiration', 'spo2', 'systolic', 'consciousness', 'temperature'] },
    });
  });
});

describe('glucose from a Bluetooth meter', () => {
  const glucose = (e: RulesEngine, sec: number, value: number) =>
    brief(e.vitals(P, sample(sec, { glucose: value }), T0 + sec * 1000));

  it('raises hypoglycaemia from one reading (medium below 3.9, high below 3.0) and clears it past the hysteresis', () => {
    const e = new RulesEngine();
    expect(glucose(e, 0, 5.6)).toEqual([]);
    expect(glucose(e, 3600, 3.5)).toEqual([['threshold:glucose-low', 'raise', 'medium']]);
    expect(glucose(e, 3700, 2.7)).toEqual([
      ['threshold:glucose-low', 'update', 'medium'],
      ['threshold:glucose-very-low', 'raise', 'high'],
    ]);
    expect(glucose(e, 3750, 3.4)).toEqual([]); // within the hysteresis of 3.0
    expect(glucose(e, 3800, 3.6)).toEqual([['threshold:glucose-very-low', 'clear', 'high']]); // 3.6 < 3.9: still low
    expect(glucose(e, 3900, 4.2)).toEqual([]); // within the hysteresis of 3.9
    expect(glucose(e, 4000, 4.4)).toEqual([['threshold:glucose-low', 'clear', 'medium']]);
  });

  it('raises hyperglycaemia at 13.9 only twice in a row, at 22.2 at once; NEWS2 does not move', () => {
    const e = new RulesEngine();
    expect(glucose(e, 0, 15)).toEqual([]);
    expect(glucose(e, 7200, 9)).toEqual([]);
    expect(glucose(e, 9000, 15)).toEqual([]);
    expect(glucose(e, 12000, 16)).toEqual([['threshold:glucose-high', 'raise', 'medium']]);
    expect(glucose(e, 13000, 23)).toEqual([
      ['threshold:glucose-high', 'update', 'medium'],
      ['threshold:glucose-very-high', 'raise', 'high'],
    ]);
  });

  it("raises the most severe rule at once for a meter's LO or HI, with no number, and clears it with the next normal reading", () => {
    const e = new RulesEngine();
    const lo = e.event(P, { type: 'out_of_range', ts: T0, seq: 1, vital: 'glucose', direction: 'below' }, T0);
    expect(brief(lo)).toEqual([['threshold:glucose-very-low', 'raise', 'high']]);
    expect(lo[0]?.detail).toMatchObject({ vital: 'glucose', value: null, beyondDeviceRange: 'below', limit: 3.0 });
    expect(
      brief(
        e.event(
          P,
          { type: 'out_of_range', ts: T0 + 60_000, seq: 2, vital: 'glucose', direction: 'below' },
          T0 + 60_000,
        ),
      ),
    ).toEqual([['threshold:glucose-very-low', 'update', 'high']]);
    expect(glucose(e, 600, 2.0)).toEqual([['threshold:glucose-low', 'raise', 'medium']]); // a number after a LO is not "worse"
    expect(glucose(e, 1200, 6.1)).toEqual([
      ['threshold:glucose-low', 'clear', 'medium'],
      ['threshold:glucose-very-low', 'clear', 'high'],
    ]);
    expect(
      brief(
        e.event(
          P,
          { type: 'out_of_range', ts: T0 + 2_000_000, seq: 3, vital: 'glucose', direction: 'above' },
          T0 + 2_000_000,
        ),
      ),
    ).toEqual([['threshold:glucose-very-high', 'raise', 'high']]);
  });

  it("follows the patient's rules: a disabled rule gives way to the next one, none enabled raises nothing", () => {
    const event = { type: 'out_of_range', ts: T0, seq: 1, vital: 'glucose', direction: 'below' } as const;
    const withRules = (overrides: Parameters<typeof thresholdsFor>[0]) =>
      new RulesEngine(() => ({ ...DEFAULT_RULES, thresholds: thresholdsFor(overrides) }));
    expect(brief(withRules({ 'glucose-very-low': { enabled: false } }).event(P, event, T0))).toEqual([
      ['threshold:glucose-low', 'raise', 'medium'],
    ]);
    expect(
      withRules({ 'glucose-very-low': { enabled: false }, 'glucose-low': { enabled: false } }).event(P, event, T0),
    ).toEqual([]);
    expect(new RulesEngine().event(P, { ...event, vital: 'steps' }, T0)).toEqual([]);
  });
});

describe('after a restart', () => {
  it('puts raised rules back from the open alerts, so that the end of the condition clears them', () => {
    const e = new RulesEngine();
    const open = (kind: Condition['kind'], priority: Condition['priority'], detail: Record<string, unknown> = {}) =>
      e.restoreActive({ patientId: P, kind, priority, status: 'confirmed', detail }, T0);
    open('low-battery', 'low');
    open('threshold:spo2-low', 'medium', { value: 89 });
    open('news2', 'medium');
    e.restoreActive(
      { patientId: P, kind: 'fall', priority: 'high', status: 'pending', detail: { confirmAt: T0 + 20_000 } },
      T0,
    );
    expect(e.nextDeadline()).toBe(T0 + 20_000);
    expect(brief(e.vitals(P, sample(1, { battery: 14, spo2: 88 }), T0 + 1000))).toEqual([
      ['threshold:spo2-low', 'update', 'medium'],
      ['news2', 'update', 'low'],
    ]); // SpO2 88 alone: one red parameter
    expect(brief(e.vitals(P, sample(2, { battery: 80, spo2: 97, hr: 70, temp: 37 }), T0 + 2000))).toEqual([
      ['threshold:spo2-low', 'clear', 'medium'],
      ['news2', 'clear', 'low'],
      ['low-battery', 'clear', 'low'],
    ]);
    expect(brief(e.tick(T0 + 20_000)).filter(([k]) => k === 'fall')).toEqual([['fall', 'confirm', 'high']]);
  });
});

describe('the registry behind the engine', () => {
  it('ignores an open alert of a kind no rule raises (a kind from an older version)', () => {
    const e = new RulesEngine();
    e.restoreActive(
      { patientId: P, kind: 'earthquake' as Condition['kind'], priority: 'high', status: 'confirmed', detail: {} },
      T0,
    );
    expect(e.vitals(P, sample(1, { hr: 70 }), T0 + 1000)).toEqual([]);
  });

  it("types each finding's detail by its kind (the kind narrows it)", () => {
    const [c] = new RulesEngine().vitals(P, sample(0, { hr: 135 }), T0);
    if (c?.kind !== 'news2') throw new Error(`expected NEWS2, got ${c?.kind}`);
    expect(c.detail.scored.hr).toEqual({ value: 135, readings: 1, method: 'spot' });
    expect(c.detail.window.spanMs).toBe(5 * 60_000);
  });

  it('wakes only the rules a sample concerns: a step count clears stale data and nothing else', () => {
    const e = new RulesEngine();
    e.watch(P, T0);
    expect(brief(e.tick(T0 + 15 * 60_000))).toEqual([['stale-data', 'raise', 'medium']]);
    expect(brief(e.vitals(P, sample(901, { steps: 12 }), T0 + 901_000))).toEqual([['stale-data', 'clear', 'medium']]);
  });
});

describe('timers across many patients', () => {
  it("runs the one patient due among thousands, on time, and tells the next deadline from each one's own", () => {
    const e = new RulesEngine();
    for (let i = 0; i < 5_000; i += 1) e.watch(`p-${i}`, T0);
    e.event('p-4321', { type: 'fall', ts: T0 + 1_000, seq: 1, confidence: 0.9 }, T0 + 1_000);
    expect(e.nextDeadline()).toBe(T0 + 61_000);
    expect(e.tick(T0 + 60_999).filter((c) => c.kind === 'fall')).toEqual([]);
    const confirmed = e.tick(T0 + 61_000);
    expect(confirmed.map((c) => [c.patientId, c.kind, c.change])).toEqual([['p-4321', 'fall', 'confirm']]);
    // Then every patient's stale-data clock, from when they were watched.
    expect(e.nextDeadline()).toBe(T0 + DEFAULT_RULES.staleAfterMs);
    expect(e.tick(T0 + DEFAULT_RULES.staleAfterMs).filter((c) => c.kind === 'stale-data')).toHaveLength(5_000);
  });

  it("takes a clinician's shorter delay at the next full tick, FULL_TICK_EVERY_MS at most after the previous one", () => {
    let rules: PatientRules = DEFAULT_RULES;
    const e = new RulesEngine(() => rules);
    e.watch(P, T0);
    expect(e.tick(T0 + 58_000)).toEqual([]); // a full tick
    rules = { ...DEFAULT_RULES, staleAfterMs: 60_000 };
    // Due under the new rules at T0 + 60 s, but read with the old ones until the next full tick.
    expect(e.tick(T0 + 60_000)).toEqual([]);
    expect(brief(e.tick(T0 + 58_000 + FULL_TICK_EVERY_MS))).toEqual([['stale-data', 'raise', 'medium']]);
  });
});
