/**
 * Per-patient vital-sign thresholds: "SpO2 < 90 % for 60 s" (a duration) or "temperature ≥ 38.5 °C,
 * 3 readings in a row" (a count), with hysteresis so that a value hovering at the edge does not make
 * the alert flap. Pure: the state machine advances on the readings' own timestamps.
 */
import { rank, type Priority } from './priority.ts';

export const THRESHOLD_VITALS = ['hr', 'spo2', 'temp', 'sys', 'dia', 'rr', 'glucose'] as const;
export type ThresholdVital = (typeof THRESHOLD_VITALS)[number];

export type Sustain = { readonly seconds: number } | { readonly readings: number };

export interface ThresholdRule {
  readonly id: string;
  readonly vital: ThresholdVital;
  /** `below`: beyond when value < limit; `above`: beyond when value > limit. */
  readonly direction: 'below' | 'above';
  readonly limit: number;
  /** The alert clears once the value is back past the limit by this much. */
  readonly hysteresis: number;
  readonly sustain: Sustain;
  readonly priority: Priority;
  readonly enabled: boolean;
}

/**
 * Defaults for seniors living at home (a clinician adapts them per patient). Inspired by NEWS2's red
 * bands and common telemonitoring practice; they aim at calls worth making, not at every blip.
 */
export const DEFAULT_THRESHOLDS: readonly ThresholdRule[] = [
  {
    id: 'spo2-low',
    vital: 'spo2',
    direction: 'below',
    limit: 92,
    hysteresis: 2,
    sustain: { seconds: 120 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'spo2-very-low',
    vital: 'spo2',
    direction: 'below',
    limit: 88,
    hysteresis: 2,
    sustain: { seconds: 60 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'hr-high',
    vital: 'hr',
    direction: 'above',
    limit: 120,
    hysteresis: 10,
    sustain: { seconds: 120 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'hr-very-high',
    vital: 'hr',
    direction: 'above',
    limit: 140,
    hysteresis: 10,
    sustain: { seconds: 60 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'hr-low',
    vital: 'hr',
    direction: 'below',
    limit: 45,
    hysteresis: 5,
    sustain: { seconds: 120 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'hr-very-low',
    vital: 'hr',
    direction: 'below',
    limit: 40,
    hysteresis: 5,
    sustain: { seconds: 60 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'temp-high',
    vital: 'temp',
    direction: 'above',
    limit: 38.0,
    hysteresis: 0.3,
    sustain: { readings: 3 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'temp-very-high',
    vital: 'temp',
    direction: 'above',
    limit: 39.0,
    hysteresis: 0.3,
    sustain: { readings: 3 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'temp-low',
    vital: 'temp',
    direction: 'below',
    limit: 35.5,
    hysteresis: 0.3,
    sustain: { readings: 3 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'sys-high',
    vital: 'sys',
    direction: 'above',
    limit: 180,
    hysteresis: 10,
    sustain: { readings: 3 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'sys-low',
    vital: 'sys',
    direction: 'below',
    limit: 90,
    hysteresis: 10,
    sustain: { readings: 3 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'dia-high',
    vital: 'dia',
    direction: 'above',
    limit: 110,
    hysteresis: 5,
    sustain: { readings: 3 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'rr-high',
    vital: 'rr',
    direction: 'above',
    limit: 24,
    hysteresis: 2,
    sustain: { seconds: 120 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'rr-low',
    vital: 'rr',
    direction: 'below',
    limit: 9,
    hysteresis: 2,
    sustain: { seconds: 60 },
    priority: 'high',
    enabled: true,
  },
  // Capillary glucose (mmol/L) from a Bluetooth meter: spot readings, a few a day, so counted in
  // readings. Hypoglycaemia levels 1 and 2 (< 3.9 and < 3.0 mmol/L, ADA / IHSG); a single level 2
  // reading is urgent at any age. High: 13.9 mmol/L (2.5 g/L) twice in a row, or 22.2 (4 g/L) once.
  {
    id: 'glucose-low',
    vital: 'glucose',
    direction: 'below',
    limit: 3.9,
    hysteresis: 0.5,
    sustain: { readings: 1 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'glucose-very-low',
    vital: 'glucose',
    direction: 'below',
    limit: 3.0,
    hysteresis: 0.5,
    sustain: { readings: 1 },
    priority: 'high',
    enabled: true,
  },
  {
    id: 'glucose-high',
    vital: 'glucose',
    direction: 'above',
    limit: 13.9,
    hysteresis: 1,
    sustain: { readings: 2 },
    priority: 'medium',
    enabled: true,
  },
  {
    id: 'glucose-very-high',
    vital: 'glucose',
    direction: 'above',
    limit: 22.2,
    hysteresis: 1,
    sustain: { readings: 1 },
    priority: 'high',
    enabled: true,
  },
];

export type ThresholdOverride = Partial<
  Pick<ThresholdRule, 'limit' | 'hysteresis' | 'sustain' | 'priority' | 'enabled'>
>;

export function isThresholdRuleId(id: string): boolean {
  return DEFAULT_THRESHOLDS.some((r) => r.id === id);
}

/** A patient's rules: the defaults with a clinician's changes, by rule id. */
export function thresholdsFor(overrides: Readonly<Record<string, ThresholdOverride>> = {}): ThresholdRule[] {
  for (const id of Object.keys(overrides)) {
    if (!isThresholdRuleId(id)) throw new TypeError(`unknown threshold rule "${id}"`);
  }
  return DEFAULT_THRESHOLDS.map((rule) => ({ ...rule, ...overrides[rule.id] }));
}

/** For duration rules: readings further apart than this do not make a continuous duration. */
export const MAX_GAP_MS = 5 * 60_000;

export type ThresholdState =
  | { readonly phase: 'normal' }
  | { readonly phase: 'pending'; readonly since: number; readonly count: number; readonly lastTs: number }
  | { readonly phase: 'active'; readonly since: number; readonly lastTs: number; readonly worst: number };

export type ThresholdChange =
  | { readonly type: 'raise'; readonly since: number; readonly value: number }
  | { readonly type: 'worse'; readonly value: number }
  | { readonly type: 'clear'; readonly value: number };

export const NORMAL: ThresholdState = { phase: 'normal' };

function beyond(rule: ThresholdRule, value: number): boolean {
  return rule.direction === 'below' ? value < rule.limit : value > rule.limit;
}

function cleared(rule: ThresholdRule, value: number): boolean {
  return rule.direction === 'below' ? value >= rule.limit + rule.hysteresis : value <= rule.limit - rule.hysteresis;
}

function worse(rule: ThresholdRule, a: number, b: number): boolean {
  return rule.direction === 'below' ? a < b : a > b;
}

function sustained(rule: ThresholdRule, since: number, count: number, ts: number): boolean {
  return 'seconds' in rule.sustain ? ts - since >= rule.sustain.seconds * 1000 : count >= rule.sustain.readings;
}

/**
 * One reading of the rule's vital at `ts`. Readings older than the last one seen are ignored (a
 * backfill does not rewind live state).
 */
export function stepThreshold(
  rule: ThresholdRule,
  state: ThresholdState,
  value: number,
  ts: number,
): { state: ThresholdState; change?: ThresholdChange } {
  if (!rule.enabled) return { state: NORMAL };
  if (state.phase !== 'normal' && ts <= state.lastTs) return { state };
  switch (state.phase) {
    case 'normal': {
      if (!beyond(rule, value)) return { state };
      return promote(rule, { phase: 'pending', since: ts, count: 1, lastTs: ts }, value, ts);
    }
    case 'pending': {
      if (!beyond(rule, value)) return { state: NORMAL };
      // "3 readings in a row" counts readings however far apart; a duration needs continuous data.
      const restart = 'seconds' in rule.sustain && ts - state.lastTs > MAX_GAP_MS;
      const next = restart
        ? { phase: 'pending' as const, since: ts, count: 1, lastTs: ts }
        : { ...state, count: state.count + 1, lastTs: ts };
      return promote(rule, next, value, ts);
    }
    case 'active': {
      if (cleared(rule, value)) return { state: NORMAL, change: { type: 'clear', value } };
      if (beyond(rule, value) && worse(rule, value, state.worst))
        return { state: { ...state, lastTs: ts, worst: value }, change: { type: 'worse', value } };
      return { state: { ...state, lastTs: ts } };
    }
    default:
      return assertNever(state);
  }
}

/**
 * The rule to raise for a reading beyond the device's own range (a glucose meter's "HI" or "LO"):
 * its level is unknown but past every limit in that direction, so the most severe enabled rule
 * (highest priority, then furthest limit). None when the patient has no such rule enabled.
 */
export function mostSevereRule(
  rules: readonly ThresholdRule[],
  vital: string,
  direction: ThresholdRule['direction'],
): ThresholdRule | undefined {
  return rules
    .filter((r) => r.enabled && r.vital === vital && r.direction === direction)
    .sort(
      (a, b) => rank(b.priority) - rank(a.priority) || (direction === 'below' ? a.limit - b.limit : b.limit - a.limit),
    )[0];
}

function promote(
  rule: ThresholdRule,
  pending: Extract<ThresholdState, { phase: 'pending' }>,
  value: number,
  ts: number,
): { state: ThresholdState; change?: ThresholdChange } {
  if (!sustained(rule, pending.since, pending.count, ts)) return { state: pending };
  return {
    state: { phase: 'active', since: pending.since, lastTs: ts, worst: value },
    change: { type: 'raise', since: pending.since, value },
  };
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected state ${JSON.stringify(value)}`);
}
