/**
 * Vital-sign thresholds (thresholds.ts): one alert per rule, `threshold:<rule id>`, raised when a
 * value stays beyond the limit for the rule's duration or count, updated when it gets worse, cleared
 * back past the limit by the hysteresis. A reading beyond the device's own range (`out_of_range`, a
 * meter's HI or LO) raises the most severe enabled rule in that direction at once.
 */
import type { Finding, RulePlugin } from '../rule.ts';
import {
  mostSevereRule,
  NORMAL,
  stepThreshold,
  THRESHOLD_VITALS,
  type ThresholdRule,
  type ThresholdState,
  type ThresholdVital,
} from '../thresholds.ts';

export type ThresholdKind = `threshold:${string}`;

/** The value that crossed (null: beyond the device's range) and the rule it crossed. */
export type ThresholdDetail = {
  readonly vital: ThresholdVital;
  readonly value: number | null;
  readonly limit: number;
  readonly direction: ThresholdRule['direction'];
  readonly sustain: ThresholdRule['sustain'];
  readonly hysteresis: number;
  /** Set for a device's HI or LO. */
  readonly beyondDeviceRange?: ThresholdRule['direction'];
  readonly seq?: number;
};

type Found = Finding<ThresholdKind, ThresholdDetail>;

const PREFIX = 'threshold:';

function found(rule: ThresholdRule, change: Found['change'], value: number | null): Found {
  const { vital, limit, direction, sustain, hysteresis } = rule;
  return {
    kind: `${PREFIX}${rule.id}`,
    change,
    priority: rule.priority,
    detail: { vital, value, limit, direction, sustain, hysteresis },
  };
}

export const thresholdRule: RulePlugin<ThresholdKind, ThresholdDetail> = {
  name: 'threshold',
  needs: { readings: THRESHOLD_VITALS, events: ['out_of_range'], presence: false, timed: false },
  owns: (kind): kind is ThresholdKind => kind.startsWith(PREFIX),
  create() {
    const states = new Map<string, ThresholdState>();
    /** The newest reading's time per vital: a late one is stored, but the alerts follow the present. */
    const newest = new Map<ThresholdVital, number>();
    return {
      vitals(sample, rules) {
        const out: Found[] = [];
        for (const vital of THRESHOLD_VITALS) {
          const value = sample[vital];
          if (value === undefined || (newest.get(vital) ?? -Infinity) > sample.ts) continue;
          newest.set(vital, sample.ts);
          for (const rule of rules.thresholds) {
            if (rule.vital !== vital) continue;
            const step = stepThreshold(rule, states.get(rule.id) ?? NORMAL, value, sample.ts);
            states.set(rule.id, step.state);
            if (!step.change) continue;
            const change = step.change.type === 'raise' ? 'raise' : step.change.type === 'worse' ? 'update' : 'clear';
            out.push(found(rule, change, step.change.value));
          }
        }
        return out;
      },
      event(event, rules) {
        if (event.type !== 'out_of_range') return [];
        // Past the device's range: raised at once (no sustain: no number could be further out), and
        // cleared like any threshold by a later reading back within the limit and its hysteresis.
        const rule = mostSevereRule(rules.thresholds, event.vital, event.direction);
        if (!rule) return [];
        const before = states.get(rule.id) ?? NORMAL;
        states.set(rule.id, {
          phase: 'active',
          since: before.phase === 'active' ? before.since : event.ts,
          lastTs: Math.max(event.ts, before.phase === 'normal' ? 0 : before.lastTs),
          worst: Number.NaN,
        });
        const f = found(rule, before.phase === 'active' ? 'update' : 'raise', null);
        return [{ ...f, detail: { ...f.detail, beyondDeviceRange: event.direction, seq: event.seq } }];
      },
      restore(alert, now) {
        const worst = typeof alert.detail.value === 'number' ? alert.detail.value : Number.NaN;
        states.set(alert.kind.slice(PREFIX.length), { phase: 'active', since: now, lastTs: 0, worst });
      },
    };
  },
};
