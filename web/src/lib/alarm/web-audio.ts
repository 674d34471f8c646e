/**
 * The alarm's sound, with Web Audio: each pulse is a tone with harmonics (a pure sine is hard to
 * locate and easy to miss) and soft edges (no click). Browsers allow sound only after a person
 * interacts with the page: `enable()` is called from a click or a key press.
 */
import type { AlarmPattern } from './patterns.ts';
import type { ToneSink } from './sounder.ts';

/** The share of the pulse spent rising and falling. */
const EDGE = 0.15;
const LEVEL = 0.25;
/** Relative strengths of the fundamental and its harmonics. */
const HARMONICS = [0, 1, 0.6, 0.4, 0.3, 0.2];

export class WebAudioTones implements ToneSink {
  #context: AudioContext | undefined;
  #wave: PeriodicWave | undefined;

  static supported(): boolean {
    return typeof AudioContext === 'function';
  }

  get running(): boolean {
    return this.#context?.state === 'running';
  }

  /** From a person's gesture: creates or resumes the audio context. True when sound can play. */
  async enable(): Promise<boolean> {
    if (!WebAudioTones.supported()) return false;
    this.#context ??= new AudioContext();
    if (this.#context.state !== 'running') await this.#context.resume().catch(() => undefined);
    return this.running;
  }

  burst(pattern: AlarmPattern): boolean {
    const context = this.#context;
    if (!context || context.state !== 'running') return false;
    this.#wave ??= context.createPeriodicWave(new Float32Array(HARMONICS.length), Float32Array.from(HARMONICS));
    const start = context.currentTime + 0.02;
    for (const pulse of pattern.pulses) {
      const from = start + pulse.at / 1000;
      const length = pulse.duration / 1000;
      const oscillator = context.createOscillator();
      oscillator.setPeriodicWave(this.#wave);
      oscillator.frequency.value = pattern.frequency;
      const gain = context.createGain();
      gain.gain.setValueAtTime(0, from);
      gain.gain.linearRampToValueAtTime(LEVEL, from + length * EDGE);
      gain.gain.setValueAtTime(LEVEL, from + length * (1 - EDGE));
      gain.gain.linearRampToValueAtTime(0, from + length);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(from);
      oscillator.stop(from + length + 0.01);
    }
    return true;
  }

  close(): void {
    void this.#context?.close().catch(() => undefined);
    this.#context = undefined;
  }
}
