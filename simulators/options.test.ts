import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';

describe('simulator options', () => {
  it('reads the example of the README', () => {
    const r = parseOptions(['--watches', '1000', '--rate', '1', '--seed', '7', '--scenario', 'fall'], {
      VIGIE_DATA_DIR: '/d',
    });
    expect(r).toMatchObject({
      ok: true,
      options: {
        watches: 1000,
        rate: 1,
        seed: 7,
        scenario: 'fall',
        qos: 1,
        duration: null,
        affected: 1,
        at: 10,
        cohort: '/d/cohort.json',
        broker: 'mqtt://127.0.0.1:1883',
        batchSeconds: 10,
      },
    });
  });
  it('takes the affected share as a count or a fraction', () => {
    const fraction = parseOptions(['--watches', '200', '--affected', '0.1']);
    expect(fraction.ok && fraction.options.affected).toBe(20);
    const count = parseOptions(['--watches', '5', '--affected', '9']);
    expect(count.ok && count.options.affected).toBe(5);
  });
  it('reports every problem at once, saying what is expected', () => {
    const r = parseOptions([
      '--watches',
      '0',
      '--rate',
      'fast',
      '--scenario',
      'earthquake',
      '--qos',
      '2',
      '--broker',
      'localhost',
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toHaveLength(5);
      expect(r.problems.join('\n')).toMatch(/--watches 0: expected a whole number from 1 to 100000/);
      expect(r.problems.join('\n')).toMatch(/--scenario earthquake: expected one of normal, fall-ok/);
    }
  });
  it.each([
    ['0', 0],
    ['2.5', 2.5],
    ['600', 600],
  ])('takes --batch-seconds %s', (raw, expected) => {
    const r = parseOptions(['--batch-seconds', raw]);
    expect(r.ok && r.options.batchSeconds).toBe(expected);
  });
  it.each(['-1', '0.5', '601', 'often', ''])('refuses --batch-seconds %j, saying what is expected', (raw) => {
    const r = parseOptions([`--batch-seconds=${raw}`]);
    expect(!r.ok && r.problems).toEqual([
      `--batch-seconds ${raw}: expected 0 (one message per reading) or seconds from 1 to 600`,
    ]);
  });
  it('refuses unknown options', () => {
    const r = parseOptions(['--wathces', '3']);
    expect(!r.ok && r.problems[0]).toMatch(/wathces/);
  });
});
