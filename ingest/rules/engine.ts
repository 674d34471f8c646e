/**
 * Turns what a patient's devices say into alert conditions, by running the rule plugins of the
 * registry (registry.ts; one file per rule kind in plugins/): each input goes to the rules that
 * need it, in the registry's order. Pure apart from the rules' in-memory state: the clock comes in
 * with every call, and `nextDeadline()` says when `tick()` must run so that timed alerts are on
 * time. What happens to an alert next (acknowledgement, escalation) is the lifecycle's business.
 */
import type { DeviceEvent, VitalSample } from '../../devices/payloads.ts';
import type { Priority } from './priority.ts';
import { pluginOf, RULE_PLUGINS, type AlertKind, type AnyFinding, type AnyRulePlugin } from './registry.ts';
import { DEFAULT_RULES, wakes, type ConditionChange, type PatientRules } from './rule.ts';

export { DEFAULT_RULES, type AlertKind, type ConditionChange, type PatientRules };

/** A rule's finding about a patient at a time: its `detail` is typed by its kind. */
export type RuleCondition = AnyFinding & { readonly patientId: string; readonly at: number };

/** A condition as the lifecycle takes it (stored and published as JSON). */
export interface Condition {
  readonly patientId: string;
  readonly kind: AlertKind;
  readonly change: ConditionChange;
  readonly priority: Priority;
  readonly at: number;
  /** What the rule saw and which limits it used. */
  readonly detail: Readonly<Record<string, unknown>>;
}

type AnyRule = ReturnType<AnyRulePlugin['create']>;
type PatientState = readonly { readonly plugin: AnyRulePlugin; readonly rule: AnyRule }[];

/**
 * At most this often (engine time), `tick` runs every patient's timed rules and takes every deadline
 * again with the patient's current rules (a clinician's setting may have moved one earlier); in
 * between, only the patients with a deadline due.
 */
export const FULL_TICK_EVERY_MS = 5_000;

export class RulesEngine {
  readonly #rulesFor: (patientId: string) => PatientRules;
  readonly #patients = new Map<string, PatientState>();
  /**
   * Each patient's next deadline (absent: none), taken again after every call about them. A node
   * has tens of thousands of patients and the timer runs several times a second while alerts are
   * open: the deadlines are read here, not asked of every timed rule of every patient each time.
   */
  readonly #deadlines = new Map<string, number>();
  #fullTickAt = Number.NEGATIVE_INFINITY;

  constructor(rulesFor: (patientId: string) => PatientRules = () => DEFAULT_RULES) {
    this.#rulesFor = rulesFor;
  }

  /** Starts watching a patient (at start-up, for every patient with a device): the stale-data clock runs from now. */
  watch(patientId: string, now: number): void {
    this.#state(patientId, now);
  }

  /** After a restart: a fall still inside its window (from the durable alert store). */
  restorePendingFall(patientId: string, deadline: number, now: number): void {
    this.restoreActive(
      { patientId, kind: 'fall', priority: 'high', status: 'pending', detail: { confirmAt: deadline } },
      now,
    );
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
    const plugin = pluginOf(alert.kind);
    this.#state(alert.patientId, now)
      .find((r) => r.plugin === plugin)
      ?.rule.restore(alert, now);
    this.#takeDeadline(alert.patientId, this.#rulesFor(alert.patientId));
  }

  vitals(patientId: string, sample: VitalSample, now: number): RuleCondition[] {
    const rules = this.#rulesFor(patientId);
    return this.#run(patientId, now, rules, (plugin, rule) =>
      wakes(plugin.needs, sample) ? rule.vitals?.(sample, rules, now) : undefined,
    );
  }

  event(patientId: string, event: DeviceEvent, now: number): RuleCondition[] {
    const rules = this.#rulesFor(patientId);
    return this.#run(patientId, now, rules, (plugin, rule) =>
      plugin.needs.events.includes(event.type) ? rule.event?.(event, rules, now) : undefined,
    );
  }

  presence(patientId: string, online: boolean, now: number): RuleCondition[] {
    const rules = this.#rulesFor(patientId);
    return this.#run(patientId, now, rules, (plugin, rule) =>
      plugin.needs.presence ? rule.presence?.(online, rules, now) : undefined,
    );
  }

  /**
   * Runs the timers that are due (fall windows, stale data, offline), patient by patient: those of
   * the patients with a deadline due, and every patient's at most every FULL_TICK_EVERY_MS.
   */
  tick(now: number): RuleCondition[] {
    const full = now - this.#fullTickAt >= FULL_TICK_EVERY_MS;
    if (full) this.#fullTickAt = now;
    const due = full
      ? [...this.#patients.keys()]
      : [...this.#deadlines].filter(([, t]) => t <= now).map(([patientId]) => patientId);
    const out: RuleCondition[] = [];
    for (const patientId of due) {
      const rules = this.#rulesFor(patientId);
      for (const c of this.#run(patientId, now, rules, (plugin, rule) =>
        plugin.needs.timed ? rule.tick?.(rules, now) : undefined,
      ))
        out.push(c);
    }
    return out;
  }

  /** When `tick` must next run (epoch ms), if anything is timed. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const t of this.#deadlines.values()) if (next === undefined || t < next) next = t;
    return next;
  }

  #run(
    patientId: string,
    now: number,
    rules: PatientRules,
    each: (plugin: AnyRulePlugin, rule: AnyRule) => readonly AnyFinding[] | undefined,
  ): RuleCondition[] {
    const out: RuleCondition[] = [];
    for (const { plugin, rule } of this.#state(patientId, now)) {
      for (const finding of each(plugin, rule) ?? []) out.push({ ...finding, patientId, at: now });
    }
    this.#takeDeadline(patientId, rules);
    return out;
  }

  /** Takes the patient's next deadline again from their timed rules. */
  #takeDeadline(patientId: string, rules: PatientRules): void {
    let next: number | undefined;
    for (const { plugin, rule } of this.#patients.get(patientId) ?? []) {
      const t = plugin.needs.timed ? rule.deadline?.(rules) : undefined;
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    if (next === undefined) this.#deadlines.delete(patientId);
    else this.#deadlines.set(patientId, next);
  }

  #state(patientId: string, now: number): PatientState {
    let s = this.#patients.get(patientId);
    if (!s) {
      s = RULE_PLUGINS.map((plugin) => ({ plugin, rule: plugin.create(now) }));
      this.#patients.set(patientId, s);
      this.#takeDeadline(patientId, this.#rulesFor(patientId));
    }
    return s;
  }
}
