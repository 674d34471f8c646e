/**
 * The thresholds form of a patient's set-up: each rule as the form edits it, the settings it proposes
 * (only what differs from the defaults, so the change log counts real changes), and when the alarm
 * load it would make rises enough to ask the clinician to confirm.
 */
import { DEFAULT_THRESHOLDS, type ThresholdRule } from '../../../ingest/rules/thresholds.ts';
import type { PatientSettings } from '../../../common/patient-settings-schema.ts';

export interface RuleForm {
  readonly id: string;
  readonly vital: ThresholdRule['vital'];
  readonly direction: ThresholdRule['direction'];
  limit: number;
  /** How the rule is sustained: a duration in seconds, or a number of readings in a row. */
  readonly sustainKind: 'seconds' | 'readings';
  sustain: number;
  priority: ThresholdRule['priority'];
  enabled: boolean;
}

export function ruleForms(rules: readonly ThresholdRule[]): RuleForm[] {
  return rules.map((r) => ({
    id: r.id,
    vital: r.vital,
    direction: r.direction,
    limit: r.limit,
    sustainKind: 'seconds' in r.sustain ? 'seconds' : 'readings',
    sustain: 'seconds' in r.sustain ? r.sustain.seconds : r.sustain.readings,
    priority: r.priority,
    enabled: r.enabled,
  }));
}

/** The settings the form proposes: `base` (the others, as edited) with each rule's changes from the defaults. */
export function proposedSettings(base: PatientSettings, forms: readonly RuleForm[]): PatientSettings {
  const thresholds: PatientSettings['thresholds'] = {};
  for (const form of forms) {
    const d = DEFAULT_THRESHOLDS.find((r) => r.id === form.id);
    if (!d) continue;
    const sustain = form.sustainKind === 'seconds' ? { seconds: form.sustain } : { readings: form.sustain };
    const dSustain = 'seconds' in d.sustain ? d.sustain.seconds : d.sustain.readings;
    const override = {
      ...(form.limit !== d.limit ? { limit: form.limit } : {}),
      ...(form.sustain !== dSustain ? { sustain } : {}),
      ...(form.priority !== d.priority ? { priority: form.priority } : {}),
      ...(form.enabled !== d.enabled ? { enabled: form.enabled } : {}),
      // A hysteresis set before (by API) is kept: the form does not show it.
      ...(base.thresholds[form.id]?.hysteresis !== undefined
        ? { hysteresis: base.thresholds[form.id]!.hysteresis }
        : {}),
    };
    if (Object.keys(override).length > 0) thresholds[form.id] = override;
  }
  return { ...base, thresholds };
}

/** The settings left to their default when empty, with the bounds of common/patient-settings-schema.ts. */
export const OPTIONAL_SETTINGS = [
  { key: 'fallWindowSeconds', label: 'setup.rules.fallWindow', min: 15, max: 300 },
  { key: 'staleAfterMinutes', label: 'setup.rules.staleAfter', min: 1, max: 1440 },
  { key: 'offlineAfterMinutes', label: 'setup.rules.offlineAfter', min: 1, max: 1440 },
  { key: 'lowBatteryPercent', label: 'setup.rules.lowBattery', min: 5, max: 50 },
] as const satisfies ReadonlyArray<{ key: keyof PatientSettings; label: string; min: number; max: number }>;
export type OptionalSetting = (typeof OPTIONAL_SETTINGS)[number]['key'];

/** At least this many more alerts a week, and at least twice as many: the clinician confirms. */
export const LOAD_RISE_MIN = 5;

export function risesALot(total: { readonly current: number; readonly proposed: number }): boolean {
  return total.proposed - total.current >= LOAD_RISE_MIN && total.proposed >= 2 * total.current;
}
