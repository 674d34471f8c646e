/**
 * The page's alarm sound, as reactive state: which pattern is wanted, how many bursts sounded,
 * whether the browser lets the page make sound, and for how long it is muted. Sound is allowed by
 * the person's first click or key press on the page (or the "turn sound on" button).
 */
import { AlarmSounder, realScheduler, type Scheduler, type SounderState } from './sounder.ts';
import { WebAudioTones } from './web-audio.ts';
import type { AlarmPriority } from './patterns.ts';

/** Muting is bounded: the alarm sounds again after this if nobody acknowledged it. */
export const MUTE_MS = 2 * 60_000;

export type AudioStatus = 'off' | 'on' | 'unsupported';

export class AlarmSound {
  pattern = $state<AlarmPriority | null>(null);
  bursts = $state(0);
  mutedUntil = $state<number | null>(null);
  audio = $state<AudioStatus>(WebAudioTones.supported() ? 'off' : 'unsupported');
  readonly #tones = new WebAudioTones();
  readonly #sounder: AlarmSounder;
  readonly #gesture = () => void this.enable();

  constructor(clock: Scheduler = realScheduler) {
    this.#sounder = new AlarmSounder(this.#tones, clock, (s) => this.#show(s));
    if (this.audio === 'off') {
      // On the click, not the press: turning sound on changes the control's size, and a layout that
      // moved between press and release would lose the very click the person meant for a button.
      addEventListener('click', this.#gesture, true);
      addEventListener('keydown', this.#gesture, true);
    }
  }

  /** Called from a person's gesture. */
  async enable(): Promise<void> {
    if (this.audio !== 'off' || !(await this.#tones.enable())) return;
    this.audio = 'on';
    this.#forgetGestures();
    this.#sounder.retry();
  }

  play(priority: AlarmPriority | null): void {
    this.#sounder.play(priority);
  }

  mute(): void {
    this.#sounder.mute(MUTE_MS);
  }

  unmute(): void {
    this.#sounder.unmute();
  }

  close(): void {
    this.#sounder.close();
    this.#tones.close();
    this.#forgetGestures();
  }

  #show(s: SounderState): void {
    this.pattern = s.pattern;
    this.bursts = s.bursts;
    this.mutedUntil = s.mutedUntil;
  }

  #forgetGestures(): void {
    removeEventListener('click', this.#gesture, true);
    removeEventListener('keydown', this.#gesture, true);
  }
}
