/** A patient's rules: the defaults with their clinician's settings (web/patient-settings.ts, read through web/directory.ts). */
import type { PatientSettings } from '../../common/patient-settings-schema.ts';
import { DEFAULT_RULES, type PatientRules } from './engine.ts';
import { thresholdsFor } from './thresholds.ts';

/** Throws a TypeError for a threshold rule id that does not exist. */
export function rulesFromSettings(s: PatientSettings | undefined): PatientRules {
  if (!s) return DEFAULT_RULES;
  return {
    ...DEFAULT_RULES,
    thresholds: thresholdsFor(s.thresholds),
    spo2Scale: s.spo2Scale,
    onOxygen: s.onOxygen,
    ...(s.fallWindowSeconds !== undefined ? { fallWindowMs: s.fallWindowSeconds * 1000 } : {}),
    ...(s.staleAfterMinutes !== undefined ? { staleAfterMs: s.staleAfterMinutes * 60_000 } : {}),
    ...(s.offlineAfterMinutes !== undefined ? { offlineAfterMs: s.offlineAfterMinutes * 60_000 } : {}),
    ...(s.lowBatteryPercent !== undefined ? { lowBatteryPercent: s.lowBatteryPercent } : {}),
  };
}

/**
 * `rulesFor` for the engine, from the settings store, cached: the cache is dropped when the store's
 * file has changed (checked at most once a second), so a clinician's change applies within a second.
 * Settings that do not make rules (an unknown rule id) fall back to the defaults, reported once.
 */
export function cachedRules(
  store: { get(patientId: string): PatientSettings | undefined; version(): number },
  onError: (patientId: string, error: Error) => void,
  clock = Date.now,
): (patientId: string) => PatientRules {
  const cache = new Map<string, PatientRules>();
  let version = store.version();
  let checkedAt = clock();
  return (patientId) => {
    const now = clock();
    if (now - checkedAt >= 1000) {
      checkedAt = now;
      const v = store.version();
      if (v !== version) {
        version = v;
        cache.clear();
      }
    }
    let rules = cache.get(patientId);
    if (!rules) {
      try {
        rules = rulesFromSettings(store.get(patientId));
      } catch (error) {
        onError(patientId, error as Error);
        rules = DEFAULT_RULES;
      }
      if (cache.size > 100_000) cache.clear();
      cache.set(patientId, rules);
    }
    return rules;
  };
}
