import { describe, expect, it } from 'vitest';
import { clock, num, since } from './format.ts';

describe('console formats', () => {
  const now = 1_000_000_000;
  it.each<[string, number, string]>([
    ['fr', 0, '0 s'],
    ['fr', 59_000, '59 s'],
    ['fr', 60_000, '1 min'],
    ['fr', 3_599_000, '60 min'],
    ['fr', 7_200_000, '2 h'],
    ['fr', 3 * 86_400_000, '3 j'],
    ['en', 60_000, '1 min'],
    ['en', 3 * 86_400_000, '3 days'],
  ])('%s: %s ms ago is %s', (lang, ago, text) => {
    expect(since(now - ago, lang, now).replace(/\s/g, ' ')).toBe(text);
  });
  it('writes readings in the page language', () => {
    expect(num({ value: 37.25 }, 1, 'fr')).toBe('37,3');
    expect(num({ value: 37.25 }, 1, 'en')).toBe('37.3');
    expect(num({ value: 72 })).toBe('72');
    expect(num(undefined)).toBe('–');
  });
  it('tells the time of day on a 24-hour clock in English too', () => {
    expect(clock(new Date(2026, 10, 28, 23, 32).getTime(), 'en')).toBe('23:32');
    expect(clock(new Date(2026, 10, 28, 8, 5).getTime(), 'fr')).toBe('08:05');
  });
});
