import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, thresholdsFor } from '../../../ingest/rules/thresholds.ts';
import { proposedSettings, risesALot, ruleForms } from './setup-rules.ts';

const base = { thresholds: {}, spo2Scale: 1 as const, onOxygen: false };

describe('the thresholds form', () => {
  it('proposes only what differs from the defaults', () => {
    const forms = ruleForms(thresholdsFor());
    expect(proposedSettings(base, forms).thresholds).toEqual({});
    const hr = forms.find((f) => f.id === 'hr-high')!;
    hr.limit = 125;
    hr.sustain = 60;
    forms.find((f) => f.id === 'temp-low')!.enabled = false;
    expect(proposedSettings(base, forms).thresholds).toEqual({
      'hr-high': { limit: 125, sustain: { seconds: 60 } },
      'temp-low': { enabled: false },
    });
  });

  it('keeps a rule counted in readings as readings, and a hysteresis set before', () => {
    const withHysteresis = { ...base, thresholds: { 'temp-high': { hysteresis: 0.5 } } };
    const forms = ruleForms(thresholdsFor(withHysteresis.thresholds));
    forms.find((f) => f.id === 'temp-high')!.sustain = 2;
    expect(proposedSettings(withHysteresis, forms).thresholds).toEqual({
      'temp-high': { sustain: { readings: 2 }, hysteresis: 0.5 },
    });
    expect(ruleForms(DEFAULT_THRESHOLDS).map((f) => f.id)).toEqual(DEFAULT_THRESHOLDS.map((r) => r.id));
  });

  it.each([
    [3, 14, true],
    [0, 5, true],
    [0, 4, false],
    [10, 19, false],
    [10, 20, true],
    [5, 3, false],
  ])('from %i to %i alerts a week asks to confirm: %s', (current, proposed, confirm) => {
    expect(risesALot({ current, proposed })).toBe(confirm);
  });
});
