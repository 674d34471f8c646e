import { describe, expect, it } from 'vitest';
import { matches, rowOrder } from './order.ts';
import type { ConsoleRow } from '../../api/schemas.ts';
import type { AlertView } from '../../../common/alert-api.ts';

const row = (
  name: string,
  priorities: Array<'high' | 'medium' | 'low'>,
  score: number | null,
  online: boolean | null = true,
): ConsoleRow => ({
  id: `p-${name.toLowerCase()}`,
  name,
  presence: { online, lastSeen: null, battery: null },
  latest: {},
  news2: score === null ? null : { score, risk: 'low', partial: true, missing: [] },
  alerts: priorities.map((priority, i) => ({ id: i, priority }) as AlertView),
  names: {},
  news2Options: { spo2Scale: 1, onOxygen: false },
});

describe('patient list order', () => {
  it('puts the most severe open alert first, then the highest NEWS2, then the name', () => {
    const rows = [
      row('Zoé', [], 7),
      row('Anne', ['low'], 0),
      row('Marc', ['medium', 'high'], 1),
      row('Léa', [], 7),
      row('Paul', [], null),
      row('Eve', ['medium'], 2),
    ];
    expect(rows.sort(rowOrder).map((r) => r.name)).toEqual(['Marc', 'Eve', 'Anne', 'Léa', 'Zoé', 'Paul']);
  });
  it('filters by name or id, alerts, and offline', () => {
    expect(matches(row('Jeanne', [], 0), 'jean', 'all')).toBe(true);
    expect(matches(row('Jeanne', [], 0), 'p-jea', 'all')).toBe(true);
    expect(matches(row('Jeanne', [], 0), 'marc', 'all')).toBe(false);
    expect(matches(row('Jeanne', [], 0), '', 'alerts')).toBe(false);
    expect(matches(row('Jeanne', ['low'], 0), '', 'alerts')).toBe(true);
    expect(matches(row('Jeanne', [], 0, false), '', 'offline')).toBe(true);
  });
});
