/**
 * Live mode: while someone watches a patient (a clinician's patient page or call, a relative's family
 * page), that patient's watches send each reading as it is taken instead of a batch every 10 s. The
 * web service counts the viewers per patient, commands the watches when the first one arrives and
 * renews the command while any remain; a viewer leaving starts a grace period (a page reload must not
 * flap the watch), and when it passes with nobody back the watches are told to return to batches.
 *
 * Time comes from an injected clock and moves only through `tick()` (the server calls it every
 * second), so tests drive it without sleeping.
 */
import type { Logger } from '../common/log.ts';
import { commandSchema, MAX_LIVE_SECONDS, type LiveCommand } from '../devices/payloads.ts';

export type { LiveCommand };

/** How long one command keeps a watch live: twice the renewal period, so one lost renewal is harmless. */
export const LIVE_SECONDS = 120;
export const RENEW_MS = 60_000;
/** How long a patient stays live after their last viewer left. */
export const GRACE_MS = 120_000;

let commandSeq = 0;

/**
 * The one place the `live` command is built (`seconds: 0`: back to batches now), checked against the
 * device protocol's own schema (devices/payloads.ts), so that the platform never sends a command a
 * watch would refuse.
 */
export function liveCommand(seconds: number, now = Date.now()): LiveCommand {
  commandSeq = (commandSeq + 1) % 1_000_000;
  const command = commandSchema.safeParse({
    id: `live-${now.toString(36)}-${process.pid.toString(36)}-${commandSeq.toString(36)}`,
    type: 'live',
    seconds,
  });
  if (!command.success || command.data.type !== 'live')
    throw new TypeError(`live seconds must be an integer in 0..${MAX_LIVE_SECONDS}, not ${seconds}`);
  return command.data;
}

export interface LiveModeOptions {
  /** The patient's watches that may receive commands (active, not revoked). */
  readonly watchesOf: (patientId: string) => readonly string[];
  /** Publishes a command to one device (QoS 1); a failure is logged by the caller, never thrown here. */
  readonly publish: (deviceId: string, command: LiveCommand) => void;
  readonly now?: () => number;
  readonly logger: Logger;
}

interface PatientMode {
  viewers: number;
  /** When the command is next renewed. */
  renewAt: number;
  /** When the patient leaves live mode if nobody came back (null while someone watches). */
  leaveAt: number | null;
}

export class LiveMode {
  readonly #o: LiveModeOptions;
  readonly #now: () => number;
  readonly #patients = new Map<string, PatientMode>();
  readonly #listeners = new Set<(patientId: string, live: boolean) => void>();
  #sent = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: LiveModeOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Commands sent since start-up (the `vigie_web_live_commands_total` metric). */
  get commandsSent(): number {
    return this.#sent;
  }

  /** Checks renewals and graces every `everyMs` of real time. */
  start(everyMs = 1_000): void {
    this.#timer ??= setInterval(() => this.tick(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  isLive(patientId: string): boolean {
    return this.#patients.has(patientId);
  }

  /** How many are watching the patient now (0 during the grace after the last one left). */
  viewers(patientId: string): number {
    return this.#patients.get(patientId)?.viewers ?? 0;
  }

  /** The patients in live mode now. */
  livePatients(): string[] {
    return [...this.#patients.keys()];
  }

  /** Calls `listener` when a patient enters (`true`) or leaves (`false`) live mode; returns the unsubscribe function. */
  onChange(listener: (patientId: string, live: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Someone starts watching the patient; the returned function says they left (calling it twice counts once). */
  watch(patientId: string): () => void {
    const now = this.#now();
    const mode = this.#patients.get(patientId);
    if (mode) {
      mode.viewers += 1;
      mode.leaveAt = null;
    } else {
      this.#patients.set(patientId, { viewers: 1, renewAt: now + RENEW_MS, leaveAt: null });
      this.#send(patientId, LIVE_SECONDS, now);
      this.#emit(patientId, true);
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#leave(patientId);
    };
  }

  /** Renews the commands due and ends the graces passed, as of the clock's now. */
  tick(): void {
    const now = this.#now();
    for (const [patientId, mode] of this.#patients) {
      if (mode.leaveAt !== null && now >= mode.leaveAt) {
        this.#patients.delete(patientId);
        this.#send(patientId, 0, now);
        this.#emit(patientId, false);
        continue;
      }
      if (now >= mode.renewAt) {
        mode.renewAt = now + RENEW_MS;
        this.#send(patientId, LIVE_SECONDS, now);
      }
    }
  }

  #leave(patientId: string): void {
    const mode = this.#patients.get(patientId);
    if (!mode) return;
    mode.viewers -= 1;
    if (mode.viewers === 0) mode.leaveAt = this.#now() + GRACE_MS;
  }

  #send(patientId: string, seconds: number, now: number): void {
    const watches = this.#o.watchesOf(patientId);
    for (const deviceId of watches) {
      this.#o.publish(deviceId, liveCommand(seconds, now));
      this.#sent += 1;
    }
    this.#o.logger.info({ patientId, seconds, devices: watches.length, sent: this.#sent }, 'live command sent');
  }

  #emit(patientId: string, live: boolean): void {
    for (const listener of this.#listeners) {
      try {
        listener(patientId, live);
      } catch (error) {
        this.#o.logger.error({ patientId, error: String(error) }, 'live mode listener failed');
      }
    }
  }
}
