/**
 * Turns what a patient's devices say into alert conditions: fall (pending, then confirmed unless the
 * wearer says "I'm OK" in time), SOS, vital thresholds, NEWS2, and technical alerts (stale data,
 * offline, watch removed, low battery). Pure apart from its in-memory state: the clock comes in with
 * every call, and `nextDeadline()` says when `tick()` must run so that timed alerts are on time.
 * What happens to an alert next (acknowledgement, escalation) is the lifecycle's business.
 */
import type { DeviceEvent, VitalSample } from '../../devices/payloads.ts';
import { news2, type News2Result } from './news2.ts';
import type { Priority } from './priority.ts';
import {
  mostSevereRule,
  NORMAL,
  stepThreshold,
  thresholdsFor,
  THRESHOLD_VITALS,
  type ThresholdRule,
  type ThresholdState,
} from './thresholds.ts';

/** The readings NEWS2 scores (a glucose reading does not move it). */
const NEWS2_VITALS: ReadonlySet<string> = new Set(['rr', 'spo2', 'sys', 'hr', 'temp']);

export type AlertKind =
  'fall' | 'sos' | 'news2' | 'stale-data' | 'offline' | 'removed' | 'low-battery' | `threshold:${string}`;

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

export interface Condition {
  readonly patientId: string;
  readonly kind: AlertKind;
  readonly change: ConditionChange;
  readonly priority: Priority;
  readonly at: number;
  /** What the rule saw and which limits it used. */
  readonly detail: Readonly<Record<string, unknown>>;
}

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
  /** Vitals older than this are not combined into NEWS2. */
  readonly news2WindowMs: number;
}

export const DEFAULT_RULES: PatientRules = {
  thresholds: thresholdsFor(),
  spo2Scale: 1,
  onOxygen: false,
  fallWindowMs: 60_000,
  staleAfterMs: 15 * 60_000,
  offlineAfterMs: 5 * 60_000,
  lowBatteryPercent: 15,
  news2WindowMs: 10 * 60_000,
};

/** Hysteresis of the battery alert, in percentage points. */
const BATTERY_HYSTERESIS = 10;

interface PatientState {
  readonly thresholds: Map<string, ThresholdState>;
  readonly latest: Map<string, { value: number; ts: number }>;
  news2Risk: 'none' | Priority;
  fallDeadline: number | undefined;
  lastVitalsAt: number;
  stale: boolean;
  offlineSince: number | undefined;
  offline: boolean;
  removed: boolean;
  lowBattery: boolean;
}

export class RulesEngine {
  readonly #rulesFor: (patientId: string) => PatientRules;
  readonly #patients = new Map<string, PatientState>();

  constructor(rulesFor: (patientId: string) => PatientRules = () => DEFAULT_RULES) {
    this.#rulesFor = rulesFor;
  }

  /** Starts watching a patient (at start-up, for every patient with a device): the stale-data clock runs from now. */
  watch(patientId: string, now: number): void {
    this.#state(patientId, now);
  }

  /** After a restart: a fall still inside its window (from the durable alert store). */
  restorePendingFall(patientId: string, deadline: number, now: number): void {
    this.#state(patientId, now).fallDeadline = deadline;
  }

  /**
   * After a restart, from an alert still open and active in the durable store: the rule is put back
   * in its raised state, so that the condition's end clears the alert (and a repeat does not raise a
   * second one).
   */
  restoreActive(
    alert: {
      patientId: string;
      kind: AlertKind;
      priority: Priority;
      status: 'pending' | 'confirmed';
      detail: Readonly<Record<string, unknown>>;
    },
    now: number,
  ): void {
    const s = this.#state(alert.patientId, now);
    const kind = alert.kind;
    if (kind === 'fall') {
      if (alert.status === 'pending')
        s.fallDeadline = typeof alert.detail.confirmAt === 'number' ? alert.detail.confirmAt : now;
    } else if (kind === 'stale-data') s.stale = true;
    else if (kind === 'offline') s.offline = true;
    else if (kind === 'removed') s.removed = true;
    else if (kind === 'low-battery') s.lowBattery = true;
    else if (kind === 'news2') s.news2Risk = alert.priority;
    else if (kind.startsWith('threshold:')) {
      const worst = typeof alert.detail.value === 'number' ? alert.detail.value : Number.NaN;
      s.thresholds.set(kind.slice('threshold:'.length), { phase: 'active', since: now, lastTs: 0, worst });
    }
  }

  vitals(patientId: string, sample: VitalSample, now: number): Condition[] {
    const rules = this.#rulesFor(patientId);
    const s = this.#state(patientId, now);
    const out: Condition[] = [];
    const emit = (kind: AlertKind, change: ConditionChange, priority: Priority, detail: Record<string, unknown>) =>
      out.push({ patientId, kind, change, priority, at: now, detail });

    s.lastVitalsAt = Math.max(s.lastVitalsAt, now);
    if (s.stale) {
      s.stale = false;
      emit('stale-data', 'clear', 'medium', {});
    }
    if (s.removed && sample.hr !== undefined) {
      s.removed = false;
      emit('removed', 'clear', 'medium', {});
    }
    let changed = false;
    for (const vital of THRESHOLD_VITALS) {
      const value = sample[vital];
      if (value === undefined) continue;
      // A late reading (redelivered, or overtaken by a newer one) is stored, but the alerts follow the
      // present: it must not replace a newer value nor step a threshold back in time.
      if ((s.latest.get(vital)?.ts ?? -Infinity) > sample.ts) continue;
      if (NEWS2_VITALS.has(vital)) changed = true;
      s.latest.set(vital, { value, ts: sample.ts });
      for (const rule of rules.thresholds.filter((r) => r.vital === vital)) {
        const step = stepThreshold(rule, s.thresholds.get(rule.id) ?? NORMAL, value, sample.ts);
        s.thresholds.set(rule.id, step.state);
        if (!step.change) continue;
        const detail = thresholdDetail(rule, step.change.value);
        const change = step.change.type === 'raise' ? 'raise' : step.change.type === 'worse' ? 'update' : 'clear';
        emit(`threshold:${rule.id}`, change, rule.priority, detail);
      }
    }
    if (changed)
      this.#news2(s, rules, Math.max(...[...NEWS2_VITALS].map((v) => s.latest.get(v)?.ts ?? -Infinity)), emit);
    if (sample.battery !== undefined) this.#battery(s, rules, sample.battery, emit);
    return out;
  }

  event(patientId: string, event: DeviceEvent, now: number): Condition[] {
    const rules = this.#rulesFor(patientId);
    const s = this.#state(patientId, now);
    const c = (
      kind: AlertKind,
      change: ConditionChange,
      priority: Priority,
      detail: Record<string, unknown> = {},
    ): Condition => ({ patientId, kind, change, priority, at: now, detail });
    switch (event.type) {
      case 'fall': {
        const detail = {
          seq: event.seq,
          ts: event.ts,
          confidence: event.confidence ?? null,
          confirmAt: now + rules.fallWindowMs,
        };
        if (s.fallDeadline !== undefined)
          return [c('fall', 'update', 'high', { ...detail, confirmAt: s.fallDeadline })];
        s.fallDeadline = now + rules.fallWindowMs;
        return [c('fall', 'raise', 'high', { ...detail, status: 'pending' })];
      }
      case 'im_ok': {
        if (s.fallDeadline === undefined) return [];
        s.fallDeadline = undefined;
        return [c('fall', 'cancel', 'high', { by: 'wearer', seq: event.seq })];
      }
      case 'sos': {
        const out = [c('sos', 'raise', 'high', { seq: event.seq, ts: event.ts })];
        if (s.fallDeadline !== undefined) {
          s.fallDeadline = undefined;
          out.unshift(c('fall', 'confirm', 'high', { reason: 'sos' }));
        }
        return out;
      }
      case 'removed':
        if (s.removed) return [];
        s.removed = true;
        return [c('removed', 'raise', 'medium', { seq: event.seq })];
      case 'low_battery': {
        const out: Condition[] = [];
        this.#battery(s, rules, event.battery ?? 0, (kind, change, priority, detail) =>
          out.push(c(kind, change, priority, detail)),
        );
        return out;
      }
      case 'out_of_range': {
        // Past the device's range: raised at once (no sustain: no number could be further out), and
        // cleared like any threshold by a later reading back within the limit and its hysteresis.
        const rule = mostSevereRule(rules.thresholds, event.vital, event.direction);
        if (!rule) return [];
        const before = s.thresholds.get(rule.id) ?? NORMAL;
        s.thresholds.set(rule.id, {
          phase: 'active',
          since: before.phase === 'active' ? before.since : event.ts,
          lastTs: Math.max(event.ts, before.phase === 'normal' ? 0 : before.lastTs),
          worst: Number.NaN,
        });
        const detail = { ...thresholdDetail(rule, null), beyondDeviceRange: event.direction, seq: event.seq };
        return [c(`threshold:${rule.id}`, before.phase === 'active' ? 'update' : 'raise', rule.priority, detail)];
      }
      default:
        return assertNever(event);
    }
  }

  presence(patientId: string, online: boolean, now: number): Condition[] {
    const s = this.#state(patientId, now);
    if (online) {
      s.offlineSince = undefined;
      if (!s.offline) return [];
      s.offline = false;
      return [{ patientId, kind: 'offline', change: 'clear', priority: 'low', at: now, detail: {} }];
    }
    s.offlineSince ??= now;
    return [];
  }

  /** Runs the timers that are due: fall windows, stale data, offline. */
  tick(now: number): Condition[] {
    const out: Condition[] = [];
    for (const [patientId, s] of this.#patients) {
      const rules = this.#rulesFor(patientId);
      if (s.fallDeadline !== undefined && now >= s.fallDeadline) {
        out.push({
          patientId,
          kind: 'fall',
          change: 'confirm',
          priority: 'high',
          at: now,
          detail: { reason: 'no_response', windowMs: rules.fallWindowMs },
        });
        s.fallDeadline = undefined;
      }
      if (!s.stale && now - s.lastVitalsAt >= rules.staleAfterMs) {
        s.stale = true;
        out.push({
          patientId,
          kind: 'stale-data',
          change: 'raise',
          priority: 'medium',
          at: now,
          detail: { lastVitalsAt: s.lastVitalsAt, afterMs: rules.staleAfterMs },
        });
      }
      if (!s.offline && s.offlineSince !== undefined && now - s.offlineSince >= rules.offlineAfterMs) {
        s.offline = true;
        out.push({
          patientId,
          kind: 'offline',
          change: 'raise',
          priority: 'low',
          at: now,
          detail: { since: s.offlineSince },
        });
      }
    }
    return out;
  }

  /** When `tick` must next run (epoch ms), if anything is timed. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    const consider = (t: number) => (next = next === undefined ? t : Math.min(next, t));
    for (const [patientId, s] of this.#patients) {
      const rules = this.#rulesFor(patientId);
      if (s.fallDeadline !== undefined) consider(s.fallDeadline);
      if (!s.stale) consider(s.lastVitalsAt + rules.staleAfterMs);
      if (!s.offline && s.offlineSince !== undefined) consider(s.offlineSince + rules.offlineAfterMs);
    }
    return next;
  }

  #state(patientId: string, now: number): PatientState {
    let s = this.#patients.get(patientId);
    if (!s) {
      s = {
        thresholds: new Map(),
        latest: new Map(),
        news2Risk: 'none',
        fallDeadline: undefined,
        lastVitalsAt: now,
        stale: false,
        offlineSince: undefined,
        offline: false,
        removed: false,
        lowBattery: false,
      };
      this.#patients.set(patientId, s);
    }
    return s;
  }

  #news2(
    s: PatientState,
    rules: PatientRules,
    ts: number,
    emit: (kind: AlertKind, change: ConditionChange, priority: Priority, detail: Record<string, unknown>) => void,
  ): void {
    const recent = (k: string) => {
      const v = s.latest.get(k);
      return v && ts - v.ts <= rules.news2WindowMs ? v.value : undefined;
    };
    const result = news2(
      {
        rr: recent('rr'),
        spo2: recent('spo2'),
        sys: recent('sys'),
        hr: recent('hr'),
        temp: recent('temp'),
        onOxygen: rules.onOxygen,
      },
      { spo2Scale: rules.spo2Scale },
    );
    const level = news2Level(result, s.news2Risk);
    if (level === s.news2Risk) return;
    const previous = s.news2Risk;
    s.news2Risk = level;
    const detail = {
      score: result.score,
      risk: result.risk,
      points: result.points,
      missing: result.missing,
      partial: result.partial,
      spo2Scale: result.spo2Scale,
    };
    if (level === 'none') emit('news2', 'clear', previous === 'none' ? 'low' : previous, detail);
    else emit('news2', previous === 'none' ? 'raise' : 'update', level, detail);
  }

  #battery(
    s: PatientState,
    rules: PatientRules,
    percent: number,
    emit: (kind: AlertKind, change: ConditionChange, priority: Priority, detail: Record<string, unknown>) => void,
  ): void {
    if (!s.lowBattery && percent <= rules.lowBatteryPercent) {
      s.lowBattery = true;
      emit('low-battery', 'raise', 'low', { battery: percent, limit: rules.lowBatteryPercent });
    } else if (s.lowBattery && percent >= rules.lowBatteryPercent + BATTERY_HYSTERESIS) {
      s.lowBattery = false;
      emit('low-battery', 'clear', 'low', { battery: percent });
    }
  }
}

/**
 * NEWS2 as an alert: 7+ high, 5-6 medium, a single red parameter low; it clears only when the score
 * falls below 4 with no red parameter, so a score hovering at a band edge does not flap.
 */
export function news2Level(r: News2Result, current: 'none' | Priority): 'none' | Priority {
  const red = Object.values(r.points).includes(3);
  if (r.score >= 7) return 'high';
  if (r.score >= 5) return 'medium';
  if (red) return 'low';
  if (current !== 'none' && r.score >= 4) return current === 'high' ? 'medium' : current;
  return 'none';
}

/** What a threshold alert says: the value that crossed (null: beyond the device's range) and the rule. */
function thresholdDetail(rule: ThresholdRule, value: number | null): Record<string, unknown> {
  return {
    vital: rule.vital,
    value,
    limit: rule.limit,
    direction: rule.direction,
    sustain: rule.sustain,
    hysteresis: rule.hysteresis,
  };
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected event ${JSON.stringify(value)}`);
}
