import { describe, expect, it } from 'vitest';
import { alertFor, redactDetail } from './redact.ts';

describe('redactDetail', () => {
  it.each([
    [
      'a threshold alert',
      { vital: 'spo2', direction: 'below', limit: 90, value: 86, sustainedMs: 60_000 },
      { vital: 'spo2', direction: 'below' },
    ],
    [
      "a meter's LO",
      { vital: 'glucose', direction: 'below', limit: 3, value: null, beyondDeviceRange: 'below', seq: 4 },
      { vital: 'glucose', direction: 'below', seq: 4 },
    ],
    ['a NEWS2 alert', { score: 7, risk: 'high', points: { spo2: 3 }, missing: [], partial: false, spo2Scale: 1 }, {}],
    [
      'a fall',
      { seq: 3, ts: 1, confidence: 0.9, confirmAt: 2, status: 'pending' },
      { seq: 3, ts: 1, confidence: 0.9, confirmAt: 2, status: 'pending' },
    ],
    ['a low battery', { battery: 8 }, { battery: 8 }],
  ])('keeps no measurement of %s from a relative without consent', (_name, detail, redacted) => {
    expect(redactDetail(detail, false)).toEqual(redacted);
    expect(redactDetail(detail, true)).toBe(detail);
  });

  it('redacts a whole alert only for those without consent', () => {
    const alert = { id: 1, detail: { value: 86, vital: 'spo2' } };
    expect(alertFor(alert, { vitals: false })).toEqual({ id: 1, detail: { vital: 'spo2' } });
    expect(alertFor(alert, { vitals: true })).toBe(alert);
  });
});
