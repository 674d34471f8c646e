/**
 * What an alert rule is (as Nightscout's `lib/plugins`): a small plugin that says which inputs it
 * needs, keeps its own state per patient, and on each input checks freshness (a late or old reading
 * does not move the present), then plausibility (values outside a device's range never get here:
 * the protocol rejects them; NEWS2 scores a median, so one implausible reading does not count), then
 * its thresholds, and reports findings whose typed `detail` records what it saw and which limits it
 * used. The engine (engine.ts) runs the plugins of the registry (registry.ts); it knows no rule by
 * name.
 */
import type { DeviceEvent, EventType, VitalSample } from '../../devices/payloads.ts';
import { NEWS2_WINDOW, type News2WindowRule } from './news2-window.ts';
import type { Priority } from './priority.ts';
import { thresholdsFor, type ThresholdRule } from './thresholds.ts';

export interface PatientRules {
  readonly thresholds: readonly ThresholdRule[];
  readonly spo2Scale: 1 | 2;
  readonly onOxygen: boolean;
  /** How long the wearer has to say "I'm OK" after a fall. */
  readonly fallWindowMs: number;
  /** No vitals for this long raises stale-data. */
  readonly staleAfterMs: number;
  /** Offline for this long (the Last Will) raises offline; a quick reconnection raises nothing. */
  readonly offlineAfterMs: number;
  readonly lowBatteryPercent: number;
  /** Which readings NEWS2 scores (news2-window.ts). */
  readonly news2Window: News2WindowRule;
}

export const DEFAULT_RULES: PatientRules = {
  thresholds: thresholdsFor(),
  spo2Scale: 1,
  onOxygen: false,
  fallWindowMs: 60_000,
  staleAfterMs: 15 * 60_000,
  offlineAfterMs: 5 * 60_000,
  lowBatteryPercent: 15,
  news2Window: NEWS2_WINDOW,
};

export type ConditionChange =
  /** Raised (a fall is raised as pending). */
  | 'raise'
  /** Still there, with new details (a worse value, another fall, a different NEWS2 risk). */
  | 'update'
  /** A pending fall is confirmed: no "I'm OK" in time, or an SOS. */
  | 'confirm'
  /** A pending fall is called off by the wearer. */
  | 'cancel'
  /** The condition is over. */
  | 'clear';

/** What a rule reports: the engine adds the patient and the time. */
export interface Finding<K extends string, D> {
  readonly kind: K;
  readonly change: ConditionChange;
  readonly priority: Priority;
  readonly detail: D;
}

/** A detail with nothing to say (a condition that is over). */
export type NoDetail = Readonly<Record<string, never>>;

/** An open alert from the durable store, after a restart: its detail is what was stored (untyped JSON). */
export interface RestoredAlert {
  readonly kind: string;
  readonly priority: Priority;
  readonly status: 'pending' | 'confirmed';
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The fields of a sample a rule may need ('battery' included). */
export type SampleField = Exclude<keyof VitalSample, 'ts' | 'seq'>;

export interface RuleNeeds {
  /** A sample with any of these wakes the rule ('any': every sample). */
  readonly readings: readonly SampleField[] | 'any';
  readonly events: readonly EventType[];
  /** Presence changes (the Last Will, back online). */
  readonly presence: boolean;
  /** It has deadlines: `deadline` and `tick`. */
  readonly timed: boolean;
}

/**
 * One patient's instance of a rule, holding that patient's state. The engine calls a method only
 * for the inputs the plugin's `needs` names, with the patient's current rules and the time.
 */
export interface Rule<K extends string, D> {
  vitals?(sample: VitalSample, rules: PatientRules, now: number): Finding<K, D>[];
  event?(event: DeviceEvent, rules: PatientRules, now: number): Finding<K, D>[];
  presence?(online: boolean, rules: PatientRules, now: number): Finding<K, D>[];
  tick?(rules: PatientRules, now: number): Finding<K, D>[];
  /** When `tick` must next run (epoch ms), if anything is timed. */
  deadline?(rules: PatientRules): number | undefined;
  /** Puts the rule back in its raised state from an alert still open in the durable store. */
  restore(alert: RestoredAlert, now: number): void;
}

export interface RulePlugin<K extends string, D> {
  /** The rule's name (the alert kind, or its family: `threshold` raises `threshold:<rule id>`). */
  readonly name: string;
  readonly needs: RuleNeeds;
  /** Whether an alert of this kind is this rule's (to restore it). */
  owns(kind: string): kind is K;
  /** A patient's instance, from `now` (a patient first seen, or at start-up). */
  create(now: number): Rule<K, D>;
}

/** Whether a sample carries any of the fields a rule needs. */
export function wakes(needs: RuleNeeds, sample: VitalSample): boolean {
  return needs.readings === 'any' || needs.readings.some((f) => sample[f] !== undefined);
}
