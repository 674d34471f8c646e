import fc from 'fast-check';
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { VITAL_NAMES, VITAL_RANGES } from '../devices/limits.ts';
import type { VitalSample } from '../devices/payloads.ts';
import { pointLine, readingsOf, seriesKey, vitalsLine } from './line-protocol.ts';
import { SCHEMA, eventPoint, pointTime, statusPoint, vitalsPoint } from './schema.ts';

const sample: fc.Arbitrary<VitalSample> = fc
  .record({
    ts: fc.integer({ min: 1, max: 4_000_000_000_000 }),
    seq: fc.oneof(fc.nat(), fc.integer({ min: 999_990, max: 3_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    vitals: fc.subarray([...VITAL_NAMES], { minLength: 1 }),
    fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 10, maxLength: 10 }),
  })
  .map(({ ts, seq, vitals, fractions }) => {
    const s: Record<string, number> = { ts, seq };
    vitals.forEach((name, i) => {
      const r = VITAL_RANGES[name];
      const v = r.min + (r.max - r.min) * (fractions[i] ?? 0);
      s[name] = r.integer ? Math.floor(v) : v;
    });
    return s as VitalSample; // built from the ranges above
  });
const id = { device: 'w-0001', patient: 'p-0001' };

/** What node-influx sends for a point (its own serialisation, which the writer used before). */
function nodeInfluxLine(influx: InfluxDB, p: Parameters<InfluxDB['parsePoint']>[0]): string {
  const { measurement, tags, fieldsPairs, tagsNames, castedTimestamp } = influx.parsePoint(p, { precision: 'n' });
  const tagText = tagsNames.map((t) => `,${t}=${tags?.[t] ?? ''}`).join('');
  return `${measurement}${tagText} ${fieldsPairs.map(([k, v]) => `${k}=${v}`).join(',')} ${castedTimestamp}`;
}
/** A line's fields, in any order. */
const fieldsOf = (line: string) => new Set(line.split(' ')[1]?.split(','));

describe('line protocol', () => {
  const influx = new InfluxDB({ database: 'vigie', schema: SCHEMA });

  it('writes a reading as node-influx writes its point, and reads it back for the downsample', () => {
    fc.assert(
      fc.property(sample, fc.boolean(), (s, backfill) => {
        const line = vitalsLine(seriesKey('vitals', id), s, backfill);
        const point = vitalsPoint(id, s, backfill);
        expect(line).toBe(pointLine(point));
        const theirs = nodeInfluxLine(influx, point);
        expect(line.split(' ')[0]).toBe(theirs.split(' ')[0]);
        expect(fieldsOf(line)).toEqual(fieldsOf(theirs));
        expect(line.split(' ')[2]).toBe(theirs.split(' ')[2]);
        const { ts, seq, ...vitals } = s;
        expect(readingsOf([line])).toEqual([{ ...id, samples: [{ ts, seq, ...vitals }] }]);
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes events and presence as node-influx does', () => {
    for (const point of [
      eventPoint(id, { ts: 1_700_000_000_000, seq: 4, type: 'fall', confidence: 0.9 }),
      eventPoint(id, {
        ts: 1_700_000_000_000,
        seq: 2_000_005,
        type: 'out_of_range',
        vital: 'glucose',
        direction: 'above',
      }),
      statusPoint(id, false, 1_700_000_000_123),
    ]) {
      const line = pointLine(point);
      const theirs = nodeInfluxLine(influx, point);
      expect(line.split(' ')[0]).toBe(theirs.split(' ')[0]);
      expect(fieldsOf(line)).toEqual(fieldsOf(theirs));
      expect(readingsOf([line])).toEqual([]);
    }
  });

  it('escapes what line protocol needs escaped, and reads it back', () => {
    const line = pointLine({
      measurement: 'vitals',
      tags: { device: 'a b,c=d', patient: 'p\\1' },
      fields: { hr: 70, note: 'say "hi"' },
      timestamp: '1700000000000000001',
    });
    expect(line).toBe('vitals,device=a\\ b\\,c\\=d,patient=p\\\\1 hr=70,note="say \\"hi\\"" 1700000000000000001');
    expect(readingsOf([line])).toEqual([
      { device: 'a b,c=d', patient: 'p\\1', samples: [{ ts: 1_700_000_000_000, hr: 70 }] },
    ]);
  });

  it('reads back only readings: not events, presence, a point without a patient, nor what does not parse', () => {
    expect(
      readingsOf([
        pointLine(eventPoint(id, { ts: 1_700_000_000_000, seq: 1, type: 'fall' })),
        pointLine(statusPoint(id, true, 1_700_000_000_000)),
        pointLine({ measurement: 'vitals', tags: { device: 'w1' }, fields: { hr: 1 }, timestamp: '1000000' }),
        'vitals,device=w1,patient=p-w1 not a line',
        'vitals,device=w1,patient=p-w1 hr=70 12x',
      ]),
    ).toEqual([]);
  });

  it('puts the seq in the sub-millisecond digits as BigInt arithmetic does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4_000_000_000_000 }), fc.nat(), (ts, seq) => {
        expect(pointTime(ts, seq)).toBe((BigInt(ts) * 1_000_000n + BigInt(seq % 1_000_000)).toString());
      }),
    );
  });
});
