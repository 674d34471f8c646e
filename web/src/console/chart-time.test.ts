import { describe, expect, it } from 'vitest';
import { tickSteps, timeFull, timeOfDay, timeTick } from './chart-time.ts';

// Local times: the page shows the time where the clinician is.
const at = new Date(2026, 10, 28, 20, 6).getTime();
const HOUR = 3_600_000;

describe('chart times', () => {
  it.each<[string, string, number, string]>([
    ['fr', 'time of day on 24 h', 24 * HOUR, '20:06'],
    ['en', 'time of day on 24 h', 24 * HOUR, '20:06'],
    ['fr', 'the date on 7 days', 7 * 24 * HOUR, '28 nov.'],
    ['en', 'the date on 7 days', 7 * 24 * HOUR, '28 Nov'],
    ['fr', 'the date on 30 days', 30 * 24 * HOUR, '28 nov.'],
  ])('%s: %s', (lang, _, span, text) => {
    expect(timeTick(at, lang, span)).toBe(text);
  });
  it('never uses a 12-hour clock', () => {
    expect(timeOfDay(new Date(2026, 10, 28, 23, 32).getTime(), 'en')).toBe('23:32');
    expect(timeTick(new Date(2026, 10, 28, 0, 5).getTime(), 'en', HOUR)).toBe('00:05');
    expect(timeTick(new Date(2026, 10, 28, 13, 0).getTime(), 'en', HOUR)).toBe('13:00');
  });
  it('says the date and the time in tooltips and tables', () => {
    expect(timeFull(at, 'fr')).toBe('28 nov., 20:06');
    expect(timeFull(at, 'en')).toBe('28 Nov, 20:06');
  });
});

describe('time axis steps', () => {
  it('ticks whole days when the ticks are dates, and leaves shorter spans to the chart', () => {
    expect(tickSteps(24 * HOUR)).toBeUndefined();
    expect(tickSteps(7 * 24 * HOUR)?.every((s) => s % 86_400 === 0)).toBe(true);
    expect(tickSteps(30 * 24 * HOUR)?.[0]).toBe(86_400);
  });
});
