/**
 * Low battery, from the watch's `low_battery` event (no level: taken as empty) or a reading: raised
 * at `lowBatteryPercent`, cleared only BATTERY_HYSTERESIS points above it, so that a level hovering
 * at the limit does not flap.
 */
import type { Finding, RulePlugin } from '../rule.ts';

/** Hysteresis of the battery alert, in percentage points. */
export const BATTERY_HYSTERESIS = 10;

export type LowBatteryDetail =
  { readonly battery: number; readonly limit: number } | { readonly battery: number; readonly clearAt: number };

export const lowBatteryRule: RulePlugin<'low-battery', LowBatteryDetail> = {
  name: 'low-battery',
  needs: { readings: ['battery'], events: ['low_battery'], presence: false, timed: false },
  owns: (kind): kind is 'low-battery' => kind === 'low-battery',
  create() {
    let low = false;
    const step = (percent: number, limit: number): Finding<'low-battery', LowBatteryDetail>[] => {
      if (!low && percent <= limit) {
        low = true;
        return [{ kind: 'low-battery', change: 'raise', priority: 'low', detail: { battery: percent, limit } }];
      }
      const clearAt = limit + BATTERY_HYSTERESIS;
      if (low && percent >= clearAt) {
        low = false;
        return [{ kind: 'low-battery', change: 'clear', priority: 'low', detail: { battery: percent, clearAt } }];
      }
      return [];
    };
    return {
      vitals: (sample, rules) => (sample.battery === undefined ? [] : step(sample.battery, rules.lowBatteryPercent)),
      event: (event, rules) => (event.type === 'low_battery' ? step(event.battery ?? 0, rules.lowBatteryPercent) : []),
      restore() {
        low = true;
      },
    };
  },
};
