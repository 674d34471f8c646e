import { describe, expect, it } from 'vitest';
import { appointmentWhen, CARE_TIME_ZONE, clockTime } from './appointment-time.ts';

describe('appointmentWhen', () => {
  it.each([
    // 09:30 UTC in winter is 10:30 in Paris; in summer 11:30.
    ['fr', Date.UTC(2026, 11, 3, 9, 30), 'jeudi 3 décembre à 10 h 30'],
    ['en', Date.UTC(2026, 11, 3, 9, 30), 'Thursday 3 December at 10:30'],
    ['fr', Date.UTC(2026, 6, 2, 7, 5), 'jeudi 2 juillet à 9 h 05'],
    ['en', Date.UTC(2026, 6, 2, 22, 0), 'Friday 3 July at 00:00'],
  ] as const)('%s %s → %s', (lang, at, text) => {
    expect(appointmentWhen(lang, at, CARE_TIME_ZONE)).toBe(text);
  });
});

describe('clockTime', () => {
  it.each([
    ['fr', Date.UTC(2026, 11, 3, 9, 20), '10 h 20'],
    ['en', Date.UTC(2026, 11, 3, 9, 20), '10:20'],
    ['fr', Date.UTC(2026, 11, 3, 23, 0), '0 h 00'],
  ] as const)('%s %s → %s', (lang, at, text) => {
    expect(clockTime(lang, at, CARE_TIME_ZONE)).toBe(text);
  });
});
