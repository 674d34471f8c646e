import { describe, expect, it } from 'vitest';
import { BAND_HOLD_MS, compareNames, matches, news2Band, rowOrder, StableOrder, type Band } from './order.ts';
import type { ConsoleRow, News2View } from '../../api/schemas.ts';
import type { AlertView } from '../../../common/alert-api.ts';

type Priority = 'high' | 'medium' | 'low';
const row = (
  name: string,
  alerts: Array<Priority | { priority: Priority; acked: boolean }>,
  score: number | null,
  online: boolean | null = true,
): ConsoleRow => ({
  id: `p-${name.toLowerCase()}`,
  name,
  identity: null,
  presence: { online, lastSeen: null, battery: null },
  latest: {},
  news2: score === null ? null : news2(score),
  alerts: alerts.map((a, i) => {
    const { priority, acked } = typeof a === 'string' ? { priority: a, acked: false } : a;
    return { id: i, priority, acknowledgedAt: acked ? 1 : null } as AlertView;
  }),
  names: {},
  news2Options: { spo2Scale: 1, onOxygen: false },
  thresholds: [],
  live: false,
});
const news2 = (score: number, risk?: News2View['risk']): News2View => ({
  score,
  risk: risk ?? (score >= 7 ? 'high' : score >= 5 ? 'medium' : 'low'),
  partial: false,
  missing: [],
});

describe('patient list order', () => {
  it('puts the most severe open alert first, then the NEWS2 band, then the name', () => {
    const rows = [
      row('Zoé', [], 7),
      row('Anne', ['low'], 0),
      row('Marc', ['medium', 'high'], 1),
      row('Léa', [], 9),
      row('Paul', [], null),
      row('Eve', ['medium'], 2),
      row('Ines', [], 0),
      row('Bob', [], 4),
      row('Alain', [], 1),
    ];
    expect(rows.sort((a, b) => rowOrder(a, b)).map((r) => r.name)).toEqual([
      'Marc',
      'Eve',
      'Anne',
      'Léa', // high band, by name: 9 and 7 are the same band
      'Zoé',
      'Alain', // low band (1–4), by name
      'Bob',
      'Ines', // 0
      'Paul', // no reading
    ]);
  });
  it.each(['fr', 'en'] as const)('sorts names with numbers by their value, in %s', (lang) => {
    const names = ['Alerte 10', 'alerte 2', 'Alerte 1', 'Élise', 'Eve', 'Alerte 21', 'Alerte 3'];
    expect([...names].sort((a, b) => compareNames(a, b, lang))).toEqual([
      'Alerte 1',
      'alerte 2',
      'Alerte 3',
      'Alerte 10',
      'Alerte 21',
      'Élise',
      'Eve',
    ]);
    const rows = ['Patient 10', 'Patient 9', 'Patient 100'].map((n) => row(n, [], 0));
    expect(rows.sort((a, b) => rowOrder(a, b, undefined, lang)).map((r) => r.name)).toEqual([
      'Patient 9',
      'Patient 10',
      'Patient 100',
    ]);
  });
  it('lists an alert nobody has acknowledged before one of the same priority in hand', () => {
    const rows = [
      row('Anne', [{ priority: 'high', acked: true }], 9),
      row('Bea', [{ priority: 'high', acked: false }], 0),
      row('Cid', [{ priority: 'medium', acked: false }], 9),
      row('Dan', [{ priority: 'high', acked: true }, 'high'], 0),
    ];
    expect(rows.sort((a, b) => rowOrder(a, b)).map((r) => r.name)).toEqual(['Bea', 'Dan', 'Anne', 'Cid']);
  });
  it.each<[string, News2View | null, Band]>([
    ['no reading', null, 'unknown'],
    ['0', news2(0), 'none'],
    ['1', news2(1), 'low'],
    ['4', news2(4), 'low'],
    ['3 in one parameter', news2(3, 'low-medium'), 'medium'],
    ['5', news2(5), 'medium'],
    ['6', news2(6), 'medium'],
    ['7', news2(7), 'high'],
  ])('puts a NEWS2 of %s in the band %s', (_, n, band) => {
    expect(news2Band(n)).toBe(band);
  });
  it('filters by name or id, alerts, and offline', () => {
    expect(matches(row('Jeanne', [], 0), 'jean', 'all')).toBe(true);
    expect(matches(row('Jeanne', [], 0), 'p-jea', 'all')).toBe(true);
    expect(matches(row('Jeanne', [], 0), 'marc', 'all')).toBe(false);
    expect(matches(row('Jeanne', [], 0), '', 'alerts')).toBe(false);
    expect(matches(row('Jeanne', ['low'], 0), '', 'alerts')).toBe(true);
    expect(matches(row('Jeanne', [], 0, false), '', 'offline')).toBe(true);
  });
  it('finds a patient by their recorded identity: birth name, first names, name used, birth date', () => {
    const identity = {
      birthName: 'MARTIN',
      firstNames: 'Jeanne Marie',
      usedName: 'DUPONT',
      birthDate: '1941-02-03',
      sex: 'female',
      birthplace: null,
      status: 'provisional',
      ins: null,
    } as const;
    const jeanne = { ...row('Mme D.', [], 0), identity };
    for (const q of ['martin', 'marie', 'dupont', '1941-02']) expect(matches(jeanne, q, 'all'), q).toBe(true);
    expect(matches(jeanne, '1942', 'all')).toBe(false);
  });
});

describe('stable order', () => {
  const S = 1000;
  /** Readings of one patient: [ms after the start, NEWS2 score], and the band listed after each. */
  it.each<[string, Array<[number, number | null]>, Band[]]>([
    ['a first reading is listed at once', [[0, 6]], ['medium']],
    [
      'noise within a band changes nothing',
      [
        [0, 1],
        [S, 4],
        [2 * S, 2],
        [3 * S, 3],
      ],
      ['low', 'low', 'low', 'low'],
    ],
    [
      'noise across bands does not move the row',
      [
        [0, 4],
        [S, 5],
        [2 * S, 4],
        [3 * S, 6],
        [4 * S, 3],
        [61 * S, 5],
        [62 * S, 4],
      ],
      ['low', 'low', 'low', 'low', 'low', 'low', 'low'],
    ],
    [
      'a band held for the hold time is adopted',
      [
        [0, 4],
        [S, 5],
        [30 * S, 6],
        [S + BAND_HOLD_MS - 1, 5],
        [S + BAND_HOLD_MS, 5],
      ],
      ['low', 'low', 'low', 'low', 'medium'],
    ],
    [
      'a break restarts the hold',
      [
        [0, 4],
        [S, 7],
        [30 * S, 4],
        [31 * S, 7],
        [S + BAND_HOLD_MS, 8],
        [31 * S + BAND_HOLD_MS, 7],
      ],
      ['low', 'low', 'low', 'low', 'low', 'high'],
    ],
    [
      'another new band restarts the hold',
      [
        [0, 0],
        [S, 5],
        [30 * S, 7],
        [S + BAND_HOLD_MS, 7],
        [30 * S + BAND_HOLD_MS, 7],
      ],
      ['none', 'none', 'none', 'none', 'high'],
    ],
    [
      'readings that stop are a band too (no NEWS2)',
      [
        [0, 2],
        [S, null],
        [S + BAND_HOLD_MS, null],
      ],
      ['low', 'low', 'unknown'],
    ],
  ])('%s', (_, readings, bands) => {
    let now = 0;
    const order = new StableOrder(() => now);
    const listed = readings.map(([at, score]) => {
      now = at;
      order.observe('p', score === null ? null : news2(score));
      return order.band('p');
    });
    expect(listed).toEqual(bands);
  });

  it('tells when to sort again: a new patient, an adopted band; not noise', () => {
    let now = 0;
    const order = new StableOrder(() => now);
    expect(order.observe('p', news2(1))).toBe(true);
    expect(order.observe('p', news2(3))).toBe(false);
    expect(order.observe('p', news2(5))).toBe(false);
    now = BAND_HOLD_MS;
    expect(order.observe('p', news2(6))).toBe(true);
    expect(order.observe('p', news2(6))).toBe(false);
  });

  it('adopts a band that has held once readings stop, on settle', () => {
    let now = 0;
    const order = new StableOrder(() => now);
    order.observe('p', news2(1));
    order.observe('p', news2(7));
    now = BAND_HOLD_MS - 1;
    expect(order.settle()).toBe(false);
    expect(order.band('p')).toBe('low');
    now = BAND_HOLD_MS;
    expect(order.settle()).toBe(true);
    expect(order.band('p')).toBe('high');
    expect(order.settle()).toBe(false);
  });

  it('sorts on the held bands, so that noise does not swap two rows', () => {
    let now = 0;
    const order = new StableOrder(() => now);
    const anne = row('Anne', [], 2);
    const zoe = row('Zoé', [], 5);
    order.observe(anne.id, anne.news2);
    order.observe(zoe.id, zoe.news2);
    expect(order.sort([anne, zoe]).map((r) => r.name)).toEqual(['Zoé', 'Anne']);
    // Anne's score jumps to 7 and Zoé's falls to 4 for a moment: the order stays.
    const anneHigh = { ...anne, news2: news2(7) };
    const zoeLow = { ...zoe, news2: news2(4) };
    now = 1000;
    order.observe(anne.id, anneHigh.news2);
    order.observe(zoe.id, zoeLow.news2);
    expect(order.sort([anneHigh, zoeLow]).map((r) => r.name)).toEqual(['Zoé', 'Anne']);
    // An alert moves a row at once.
    const anneAlert = { ...anne, alerts: row('Anne', ['medium'], 2).alerts };
    expect(order.sort([anneAlert, zoeLow]).map((r) => r.name)).toEqual(['Anne', 'Zoé']);
    // The bands that held a minute move them.
    now = 1000 + BAND_HOLD_MS;
    expect(order.settle()).toBe(true);
    expect(order.sort([zoeLow, anneHigh]).map((r) => r.name)).toEqual(['Anne', 'Zoé']);
  });

  it('forgets the patients no longer listed, and lists them at once when they come back', () => {
    let now = 0;
    const order = new StableOrder(() => now);
    order.observe('a', news2(1));
    order.observe('b', news2(1));
    order.observe('b', news2(7));
    order.retain(new Set(['a']));
    expect(order.band('b')).toBe('unknown');
    now = BAND_HOLD_MS;
    expect(order.settle()).toBe(false);
    expect(order.observe('b', news2(0))).toBe(true);
    expect(order.band('b')).toBe('none');
  });
});
