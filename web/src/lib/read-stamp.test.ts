import { describe, expect, it } from 'vitest';
import { readStamp } from './read-stamp.ts';

describe('when a record was read', () => {
  const lastAt = Date.UTC(2026, 10, 29, 9, 5);
  it.each([
    ['fr', 1, /^29 nov\..*\d\d:05$/],
    ['fr', 3, /^29 nov\..*\d\d:05 · 3 fois$/],
    ['en', 1, /^Nov 29, \d\d:05 [AP]M$/],
    ['en', 2, /^Nov 29, \d\d:05 [AP]M · 2 times$/],
  ] as const)('in %s, %i read(s)', (lang, count, expected) => {
    expect(readStamp(lang, { lastAt, count })).toMatch(expected);
  });
});
