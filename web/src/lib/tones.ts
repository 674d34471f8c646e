/**
 * The call's sounds, made with Web Audio (no files to load): a phone-like ring for an incoming call,
 * a knock when someone waits to be let in. What the page is playing is kept in `toneState` (and on
 * `window.vigieTones` for browser tests and support staff). Browsers start audio only after a first
 * interaction with the page (unless the site is allowed to autoplay), so the page's first tap or key
 * prepares it: a tablet touched once since it was opened rings aloud later. Until then the state
 * says `suspended`, and the call is seen without being heard.
 */
let context: AudioContext | undefined;

export interface ToneState {
  ringing: boolean;
  rings: number;
  knocks: number;
  audio: AudioContextState | 'none';
}

export const toneState: ToneState = { ringing: false, rings: 0, knocks: 0, audio: 'none' };
Object.assign(globalThis, { vigieTones: toneState });
if (typeof addEventListener === 'function') {
  for (const type of ['click', 'keydown'] as const)
    addEventListener(type, () => void audio(), { once: true, capture: true, passive: true });
}

function audio(): AudioContext | undefined {
  if (typeof AudioContext === 'undefined') return undefined;
  if (!context) {
    const created = new AudioContext();
    created.addEventListener('statechange', () => (toneState.audio = created.state));
    context = created;
  }
  if (context.state === 'suspended') void context.resume().catch(() => undefined);
  toneState.audio = context.state;
  return context;
}

function tone(c: AudioContext, at: number, frequency: number, duration: number, volume: number, type: OscillatorType) {
  const osc = c.createOscillator();
  const gain = c.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  // A short attack and release: no clicks.
  gain.gain.setValueAtTime(0, at);
  gain.gain.linearRampToValueAtTime(volume, at + 0.02);
  gain.gain.setValueAtTime(volume, at + duration - 0.04);
  gain.gain.linearRampToValueAtTime(0, at + duration);
  osc.connect(gain).connect(c.destination);
  osc.start(at);
  osc.stop(at + duration);
}

/** One "ring-ring" (two bursts of a 440 + 480 Hz pair, as a telephone), about 1.2 s. */
function ringOnce(): void {
  const c = audio();
  toneState.rings += 1;
  if (!c) return;
  for (const start of [0, 0.6]) {
    tone(c, c.currentTime + start, 440, 0.45, 0.15, 'sine');
    tone(c, c.currentTime + start, 480, 0.45, 0.15, 'sine');
  }
}

export const RING_EVERY_MS = 3_000;

/** Rings now and every few seconds until the returned function is called. */
export function startRinging(): () => void {
  toneState.ringing = true;
  ringOnce();
  const timer = setInterval(ringOnce, RING_EVERY_MS);
  return () => {
    clearInterval(timer);
    toneState.ringing = false;
  };
}

/** Three soft knocks (low, short, woody). */
export function knock(): void {
  const c = audio();
  toneState.knocks += 1;
  if (!c) return;
  for (const start of [0, 0.18, 0.36]) tone(c, c.currentTime + start, 180, 0.09, 0.35, 'triangle');
}
