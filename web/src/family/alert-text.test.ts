import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../../common/alert-api.ts';
import { alertTitle, alertTitleKey, alertValue, callsForAction, onTheWay } from './alert-text.ts';
import { translate } from '../lib/i18n.ts';

const fr = (key: Parameters<typeof translate>[1]) => translate('fr', key);
const en = (key: Parameters<typeof translate>[1]) => translate('en', key);

const alert = (kind: string, detail: Record<string, unknown>) => ({ kind, detail }) as unknown as AlertView;

describe('alert texts', () => {
  it("name a threshold alert by its value in the page's language, or by the meter's own HI / LO", () => {
    expect(alertValue(alert('threshold:spo2-very-low', { vital: 'spo2', value: 86 }), fr, 'fr')).toBe(
      'Oxygène (SpO2) 86 %',
    );
    expect(alertValue(alert('threshold:temp-high', { vital: 'temp', value: 38.4 }), fr, 'fr')).toBe(
      'Température 38,4 °C',
    );
    expect(alertValue(alert('threshold:temp-high', { vital: 'temp', value: 38.4 }), en, 'en')).toBe(
      'Temperature 38.4 °C',
    );
    expect(alertValue(alert('threshold:hr-high', { vital: 'hr', value: 140 }), en, 'en')).toBe('Pulse 140 /min');
    expect(
      alertValue(
        alert('threshold:glucose-very-low', { vital: 'glucose', value: null, beyondDeviceRange: 'below' }),
        fr,
        'fr',
      ),
    ).toBe('Glycémie LO');
    expect(
      alertValue(
        alert('threshold:glucose-very-high', { vital: 'glucose', value: null, beyondDeviceRange: 'above' }),
        en,
        'en',
      ),
    ).toBe('Glucose HI');
    expect(alertValue(alert('news2', { score: 7 }), fr, 'fr')).toBe('NEWS2 7');
    expect(alertValue(alert('fall', { seq: 3 }), fr, 'fr')).toBe('');
    expect(alertTitleKey(alert('threshold:glucose-very-low', {}))).toBe('alert.kind.threshold');
  });
  it('title an alert with what it measured, punctuated for the language', () => {
    expect(alertTitle(alert('threshold:hr-high', { vital: 'hr', value: 140 }), fr, 'fr')).toBe(
      'Mesure hors limites\u202f: Pouls 140 /min',
    );
    expect(alertTitle(alert('news2', { score: 5 }), en, 'en')).toBe('Worrying vital signs: NEWS2 5');
    expect(alertTitle(alert('fall', {}), fr, 'fr')).toBe('Chute');
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

describe('who is on the way', () => {
  const esc = (state: 'notifying' | 'accepted' | 'arrived', owner: string | null) => ({
    state,
    owner,
    step: 1,
    steps: 1,
    acceptedAt: null,
    arrivedAt: null,
    arrivalDueAt: null,
  });
  const view = (kind: string, escalation: ReturnType<typeof esc> | null, closedAt: number | null = null) =>
    ({ kind, closedAt, escalation }) as unknown as AlertView;
  const people = { 'u-1': 'Claire', 'u-2': 'Marc', 'u-3': 'Paul' };

  it('names who answered any open fall or SOS, without the reader, once each', () => {
    expect(onTheWay([], people, 'u-9')).toEqual({ going: [], there: [] });
    expect(
      onTheWay(
        [
          view('fall', esc('notifying', null)),
          view('sos', esc('accepted', 'u-1')),
          view('fall', esc('accepted', 'u-1')),
          view('sos', esc('arrived', 'u-2')),
          view('sos', esc('accepted', 'u-9')),
          view('sos', esc('accepted', 'u-3'), 5), // closed
          view('low-battery', esc('accepted', 'u-3')),
          view('sos', esc('accepted', 'u-4')), // not among the names: the id
        ],
        people,
        'u-9',
      ),
    ).toEqual({ going: ['Claire', 'u-4'], there: ['Marc'] });
  });

  it('says someone is there rather than on the way once they arrived for either alert', () => {
    expect(onTheWay([view('fall', esc('accepted', 'u-1')), view('sos', esc('arrived', 'u-1'))], people, 'u-9')).toEqual(
      { going: [], there: ['Claire'] },
    );
  });
});
