/**
 * The auditory alarm signals, in the spirit of IEC 60601-1-8 (tables 3 and 4): a high-priority
 * burst is 10 pulses grouped "3 + 2, pause, 3 + 2" and repeats every few seconds; a medium-priority
 * burst is 3 slower, lower pulses and repeats less often. Distinct rhythms, so that a nurse knows
 * which it is without looking. Times in milliseconds from the start of the burst.
 *
 * High: pulses of 150 ms (standard: 75–200), spacing x = 100 ms (50–125), 2x + pulse between the
 * 3rd and 4th (and the 8th and 9th), 0.5 s between the 5th and 6th (0.35–1.30 s), 3 s of silence
 * after a burst (2.5–15 s). Medium: pulses of 200 ms (125–250), spacing 200 ms (125–250), 6 s of
 * silence after a burst (2.5–30 s).
 */
export type AlarmPriority = 'high' | 'medium';

export interface Pulse {
  /** From the start of the burst. */
  readonly at: number;
  readonly duration: number;
}

export interface AlarmPattern {
  readonly priority: AlarmPriority;
  readonly pulses: readonly Pulse[];
  /** From the start of one burst to the start of the next (the burst, then the silence between bursts). */
  readonly repeatMs: number;
  /** The fundamental frequency (Hz); the sound adds harmonics (web-audio.ts). */
  readonly frequency: number;
}

function burstEnd(p: readonly Pulse[]): number {
  const last = p.at(-1);
  return last ? last.at + last.duration : 0;
}

function pulses(duration: number, gapsAfter: readonly number[]): Pulse[] {
  const out: Pulse[] = [];
  let at = 0;
  for (const gap of [...gapsAfter, 0]) {
    out.push({ at, duration });
    at += duration + gap;
  }
  return out;
}

const X = 100;
const HIGH_PULSE = 150;
const HIGH_GROUP_GAP = 2 * X + HIGH_PULSE;
const HIGH_PAUSE = 500;

const HIGH = pulses(HIGH_PULSE, [X, X, HIGH_GROUP_GAP, X, HIGH_PAUSE, X, X, HIGH_GROUP_GAP, X]);
const MEDIUM = pulses(200, [200, 200]);

export const PATTERNS: Readonly<Record<AlarmPriority, AlarmPattern>> = {
  high: { priority: 'high', pulses: HIGH, repeatMs: burstEnd(HIGH) + 3000, frequency: 660 },
  medium: { priority: 'medium', pulses: MEDIUM, repeatMs: burstEnd(MEDIUM) + 6000, frequency: 440 },
};
