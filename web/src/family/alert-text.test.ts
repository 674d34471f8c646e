import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../../common/alert-api.ts';
import { alertTitleKey, alertValue, callsForAction } from './alert-text.ts';

const alert = (kind: string, detail: Record<string, unknown>) => ({ kind, detail }) as unknown as AlertView;

describe('alert texts', () => {
  it("name a threshold alert by its value, or by the meter's own HI / LO when it had no number", () => {
    expect(alertValue(alert('threshold:spo2-very-low', { vital: 'spo2', value: 86 }))).toBe('SPO2 86');
    expect(
      alertValue(alert('threshold:glucose-very-low', { vital: 'glucose', value: null, beyondDeviceRange: 'below' })),
    ).toBe('GLUCOSE LO');
    expect(
      alertValue(alert('threshold:glucose-very-high', { vital: 'glucose', value: null, beyondDeviceRange: 'above' })),
    ).toBe('GLUCOSE HI');
    expect(alertValue(alert('fall', { seq: 3 }))).toBe('');
    expect(alertTitleKey(alert('threshold:glucose-very-low', {}))).toBe('alert.kind.threshold');
  });
});

describe('what the relative does now', () => {
  const view = (over: Partial<AlertView>) =>
    ({ kind: 'fall', closedAt: null, escalation: null, ...over }) as unknown as AlertView;

  it('is asked for an open fall or SOS only', () => {
    expect(callsForAction(view({ kind: 'fall' }))).toBe(true);
    expect(callsForAction(view({ kind: 'sos' }))).toBe(true);
    expect(callsForAction(view({ kind: 'sos', closedAt: 5 }))).toBe(false);
    expect(callsForAction(view({ kind: 'low-battery' }))).toBe(false);
  });
});
