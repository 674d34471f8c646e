/** The registry: every rule declares the inputs it handles, and every alert kind has exactly one owner. */
import { describe, expect, it } from 'vitest';
import { pluginOf, RULE_PLUGINS } from './registry.ts';

const T0 = 1_800_000_000_000;

describe('the rule registry', () => {
  it.each(RULE_PLUGINS.map((p) => [p.name, p] as const))('%s handles exactly the inputs it needs', (_, plugin) => {
    const rule = plugin.create(T0);
    const needs = plugin.needs;
    expect(rule.vitals !== undefined, 'vitals').toBe(needs.readings === 'any' || needs.readings.length > 0);
    expect(rule.event !== undefined, 'events').toBe(needs.events.length > 0);
    expect(rule.presence !== undefined, 'presence').toBe(needs.presence);
    expect(rule.tick !== undefined && rule.deadline !== undefined, 'timed').toBe(needs.timed);
  });

  it.each([
    ['fall', 'fall'],
    ['sos', 'sos'],
    ['news2', 'news2'],
    ['stale-data', 'stale-data'],
    ['offline', 'offline'],
    ['removed', 'removed'],
    ['low-battery', 'low-battery'],
    ['threshold:spo2-low', 'threshold'],
    ['threshold:glucose-very-high', 'threshold'],
  ])('an alert of kind %s belongs to the %s rule, and to it alone', (kind, name) => {
    expect(pluginOf(kind)?.name).toBe(name);
    expect(RULE_PLUGINS.filter((p) => p.owns(kind))).toHaveLength(1);
  });

  it('knows no rule for an unknown kind', () => {
    expect(pluginOf('earthquake')).toBeUndefined();
    expect(pluginOf('threshold')).toBeUndefined();
  });

  it('names each rule once', () => {
    expect(new Set(RULE_PLUGINS.map((p) => p.name)).size).toBe(RULE_PLUGINS.length);
  });
});
