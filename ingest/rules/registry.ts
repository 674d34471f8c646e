/**
 * The alert rules the engine runs, in the order their findings come out for one input (a fall's
 * confirmation before the SOS that confirmed it; stale data cleared before the readings' own alerts).
 * Adding a rule kind is a file in plugins/ and a line here; the types below follow.
 */
import { fallRule } from './plugins/fall.ts';
import { lowBatteryRule } from './plugins/low-battery.ts';
import { news2Rule } from './plugins/news2.ts';
import { offlineRule } from './plugins/offline.ts';
import { removedRule } from './plugins/removed.ts';
import { sosRule } from './plugins/sos.ts';
import { staleDataRule } from './plugins/stale-data.ts';
import { thresholdRule } from './plugins/threshold.ts';
import type { Finding, RulePlugin } from './rule.ts';

export const RULE_PLUGINS = [
  fallRule,
  sosRule,
  staleDataRule,
  removedRule,
  thresholdRule,
  news2Rule,
  lowBatteryRule,
  offlineRule,
] as const;

export type AnyRulePlugin = (typeof RULE_PLUGINS)[number];

type FindingOf<P> = P extends RulePlugin<infer K, infer D> ? Finding<K, D> : never;
/** What any rule reports: the kind tells which `detail` it carries. */
export type AnyFinding = FindingOf<AnyRulePlugin>;
export type AlertKind = AnyFinding['kind'];

/** The rule an alert kind belongs to (undefined: no rule raises it). */
export function pluginOf(kind: string): AnyRulePlugin | undefined {
  return RULE_PLUGINS.find((p) => p.owns(kind));
}
