import { describe, expect, it } from 'vitest';
import { AlarmSounder, type Scheduler, type ToneSink } from './sounder.ts';
import { PATTERNS, type AlarmPattern } from './patterns.ts';

/** A clock that only moves when the test says so. */
class FakeClock implements Scheduler {
  time = 1_000_000;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.#timers.delete(handle as number);
  };
  get pending(): number {
    return this.#timers.size;
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

class Sink implements ToneSink {
  played: Array<{ at: number; priority: string }> = [];
  allowed = true;
  constructor(private readonly clock: FakeClock) {}
  burst(pattern: AlarmPattern): boolean {
    if (!this.allowed) return false;
    this.played.push({ at: this.clock.time, priority: pattern.priority });
    return true;
  }
}

function setup() {
  const clock = new FakeClock();
  const sink = new Sink(clock);
  const sounder = new AlarmSounder(sink, clock);
  return { clock, sink, sounder };
}

describe('alarm patterns', () => {
  it('has a high burst of 10 pulses grouped 3 + 2, pause, 3 + 2, and a medium burst of 3', () => {
    const high = PATTERNS.high.pulses;
    expect(high).toHaveLength(10);
    const gaps = high.slice(1).map((p, i) => p.at - (high[i]!.at + high[i]!.duration));
    expect(gaps).toEqual([100, 100, 350, 100, 500, 100, 100, 350, 100]);
    expect(PATTERNS.medium.pulses).toHaveLength(3);
    // At least 2.5 s of silence between bursts; the two are told apart by rhythm and pitch.
    const last = high.at(-1)!;
    expect(PATTERNS.high.repeatMs - (last.at + last.duration)).toBeGreaterThanOrEqual(2500);
    expect(PATTERNS.medium.repeatMs).toBeGreaterThan(PATTERNS.high.repeatMs);
    expect(PATTERNS.medium.frequency).toBeLessThan(PATTERNS.high.frequency);
  });
});

describe('AlarmSounder', () => {
  it('sounds a high alarm at once and repeats it every burst interval until stopped', () => {
    const { clock, sink, sounder } = setup();
    sounder.play('high');
    expect(sounder.state).toEqual({ pattern: 'high', bursts: 1, mutedUntil: null });
    clock.advance(PATTERNS.high.repeatMs - 1);
    expect(sink.played).toHaveLength(1);
    clock.advance(1);
    clock.advance(PATTERNS.high.repeatMs);
    expect(sink.played.map((p) => p.at - sink.played[0]!.at)).toEqual([0, 1, 2].map((i) => i * PATTERNS.high.repeatMs));
    expect(sounder.state.bursts).toBe(3);
    sounder.play(null);
    clock.advance(60_000);
    expect(sink.played).toHaveLength(3);
    expect(sounder.state).toEqual({ pattern: null, bursts: 0, mutedUntil: null });
    expect(clock.pending).toBe(0);
  });

  it('keeps the rhythm when asked for the same pattern again, and switches to the medium pattern', () => {
    const { clock, sink, sounder } = setup();
    sounder.play('high');
    clock.advance(2000);
    sounder.play('high');
    expect(sink.played).toHaveLength(1);
    sounder.play('medium');
    expect(sounder.state).toEqual({ pattern: 'medium', bursts: 1, mutedUntil: null });
    clock.advance(PATTERNS.medium.repeatMs);
    expect(sink.played.map((p) => p.priority)).toEqual(['high', 'medium', 'medium']);
  });

  it('counts only the bursts that sounded, and sounds at once when sound is allowed', () => {
    const { clock, sink, sounder } = setup();
    sink.allowed = false;
    sounder.play('high');
    clock.advance(PATTERNS.high.repeatMs * 2);
    expect(sounder.state).toEqual({ pattern: 'high', bursts: 0, mutedUntil: null });
    sink.allowed = true;
    sounder.retry();
    expect(sounder.state.bursts).toBe(1);
    expect(clock.pending).toBe(1);
  });

  it('mutes for a bounded time, then sounds again by itself', () => {
    const { clock, sink, sounder } = setup();
    sounder.play('high');
    sounder.mute(120_000);
    expect(sounder.state.mutedUntil).toBe(clock.time + 120_000);
    clock.advance(119_999);
    expect(sink.played).toHaveLength(1);
    clock.advance(1);
    expect(sink.played).toHaveLength(2);
    expect(sounder.state.mutedUntil).toBeNull();
    sounder.mute(60_000);
    sounder.unmute();
    expect(sink.played).toHaveLength(3);
  });

  it('forgets a mute when the alarm ends: the next alarm is heard', () => {
    const { sink, sounder } = setup();
    sounder.play('medium');
    sounder.mute(120_000);
    sounder.play(null);
    sounder.play('high');
    expect(sink.played.map((p) => p.priority)).toEqual(['medium', 'high']);
  });

  it('refuses a mute without a positive duration', () => {
    const { sounder } = setup();
    expect(() => sounder.mute(0)).toThrow(TypeError);
    expect(() => sounder.mute(Number.NaN)).toThrow(TypeError);
  });

  it('reports each change, and stops scheduling when closed', () => {
    const clock = new FakeClock();
    const seen: Array<string | null> = [];
    const sounder = new AlarmSounder(new Sink(clock), clock, (s) => seen.push(s.pattern));
    sounder.play('high');
    clock.advance(PATTERNS.high.repeatMs);
    sounder.close();
    clock.advance(PATTERNS.high.repeatMs * 3);
    expect(seen).toEqual(['high', 'high']);
    expect(clock.pending).toBe(0);
  });
});
