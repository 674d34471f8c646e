/**
 * Repeats an alarm's bursts until it is stopped, on an injected scheduler (tests drive time), and
 * counts the bursts that actually sounded: a burst the sink cannot play (the browser has not allowed
 * sound yet) does not count. Muting is bounded: the sound comes back by itself when the time is up.
 */
import { PATTERNS, type AlarmPattern, type AlarmPriority } from './patterns.ts';

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ToneSink {
  /** Plays one burst from now; false when it cannot sound (audio not allowed yet). */
  burst(pattern: AlarmPattern): boolean;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SounderState {
  /** The pattern wanted now (null: no alarm), whether or not it can sound. */
  readonly pattern: AlarmPriority | null;
  /** Bursts of this pattern that sounded since it started. */
  readonly bursts: number;
  /** Silenced until then (ms), or null. */
  readonly mutedUntil: number | null;
}

export class AlarmSounder {
  readonly #sink: ToneSink;
  readonly #clock: Scheduler;
  readonly #changed: (state: SounderState) => void;
  #pattern: AlarmPattern | undefined;
  #bursts = 0;
  #mutedUntil: number | null = null;
  #timer: unknown;

  constructor(sink: ToneSink, clock: Scheduler, changed: (state: SounderState) => void = () => undefined) {
    this.#sink = sink;
    this.#clock = clock;
    this.#changed = changed;
  }

  get state(): SounderState {
    return { pattern: this.#pattern?.priority ?? null, bursts: this.#bursts, mutedUntil: this.#mutedUntil };
  }

  /** The alarm to sound (null: silence). The same priority again changes nothing: its rhythm goes on. */
  play(priority: AlarmPriority | null): void {
    if ((this.#pattern?.priority ?? null) === priority) return;
    this.#pattern = priority ? PATTERNS[priority] : undefined;
    this.#bursts = 0;
    // A new alarm after silence is heard even if the last one was muted.
    if (!priority) this.#mutedUntil = null;
    this.#restart();
  }

  /** Sounds at once again (the browser just allowed sound). */
  retry(): void {
    this.#restart();
  }

  /** Silences the alarm for `ms`; it sounds again by itself afterwards if still wanted. */
  mute(ms: number): void {
    if (!(ms > 0)) throw new TypeError(`mute needs a positive duration, not ${ms}`);
    this.#mutedUntil = this.#clock.now() + ms;
    this.#restart();
  }

  unmute(): void {
    this.#mutedUntil = null;
    this.#restart();
  }

  close(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pattern = undefined;
  }

  #restart(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tick();
  }

  #tick(): void {
    const pattern = this.#pattern;
    if (!pattern) return this.#changed(this.state);
    const now = this.#clock.now();
    if (this.#mutedUntil !== null && now >= this.#mutedUntil) this.#mutedUntil = null;
    if (this.#mutedUntil !== null) {
      this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#mutedUntil - now);
    } else {
      if (this.#sink.burst(pattern)) this.#bursts += 1;
      this.#timer = this.#clock.setTimeout(() => this.#tick(), pattern.repeatMs);
    }
    this.#changed(this.state);
  }
}
