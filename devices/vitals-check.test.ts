import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SAMPLES, VITAL_RANGES, VITAL_NAMES } from './limits.ts';
import { vitalSampleSchema, vitalsBatchSchema } from './payloads.ts';
import { parseVitals } from './protocol.ts';
import { isVitalSample, isVitalsBatch } from './vitals-check.ts';

/** JSON text from entries, so that keys such as __proto__ become own properties, as a payload makes them. */
const objectText = (entries: ReadonlyArray<readonly [string, string]>) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const boundaries = [
  ...Object.values(VITAL_RANGES).flatMap((r) => [r.min, r.max, r.min - 1, r.max + 1, r.min - 0.001, r.max + 0.5]),
  0,
  -1,
  0.5,
  1,
  1e300,
  -1e300,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  1_700_000_000_000,
];
/** A field's value as JSON text: mostly numbers near the limits, sometimes anything. */
const anyValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...boundaries).map(String) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)) },
  { weight: 3, arbitrary: fc.integer({ min: -10, max: 300 }).map(String) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)) },
);
const keys = ['ts', 'seq', ...VITAL_NAMES, 'extra', '__proto__', 'constructor', 'toString', 'samples'];

/** A reading that may be valid (in-range values of the right kind) or not. */
const validSample = fc
  .record({
    ts: fc.integer({ min: 1, max: 2_000_000_000_000 }),
    seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    vitals: fc.subarray([...VITAL_NAMES], { minLength: 1 }),
    fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 10, maxLength: 10 }),
  })
  .map(({ ts, seq, vitals, fractions }) => {
    const entries: Array<[string, string]> = [
      ['ts', String(ts)],
      ['seq', String(seq)],
    ];
    vitals.forEach((name, i) => {
      const r = VITAL_RANGES[name];
      const v = r.min + (r.max - r.min) * (fractions[i] ?? 0);
      entries.push([name, String(r.integer ? Math.floor(v) : v)]);
    });
    return entries;
  });
const mutated = fc
  .tuple(validSample, fc.constantFrom(...keys), anyValue, fc.boolean())
  .map(([entries, key, value, drop]) =>
    drop ? entries.filter(([k]) => k !== key) : [...entries.filter(([k]) => k !== key), [key, value] as const],
  );
const anything = fc.array(fc.tuple(fc.constantFrom(...keys), anyValue), { maxLength: 6 });
const sampleText = fc.oneof(validSample, mutated, anything).map(objectText);

describe('vitals checks without zod', () => {
  it('accept a reading exactly when vitalSampleSchema does, and then the parsed JSON is its output', () => {
    let accepted = 0;
    fc.assert(
      fc.property(sampleText, (text) => {
        const value: unknown = JSON.parse(text);
        const zod = vitalSampleSchema.safeParse(value);
        expect(isVitalSample(value), text).toBe(zod.success);
        if (zod.success) {
          accepted += 1;
          expect(value).toEqual(zod.data);
        }
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(5_000); // the generators reach both verdicts
  });

  it('accept a batch exactly when vitalsBatchSchema does', () => {
    const batchText = fc.oneof(
      fc.array(sampleText, { maxLength: 5 }).map((samples) => `{"samples":[${samples.join(',')}]}`),
      fc.array(validSample.map(objectText), { minLength: 1, maxLength: 5 }).map((s) => `{"samples":[${s.join(',')}]}`),
      // The same seq twice, another key beside samples, or samples that is not a list.
      validSample.map(objectText).map((s) => `{"samples":[${s},${s}]}`),
      fc.tuple(validSample.map(objectText), anyValue).map(([s, v]) => `{"samples":[${s}],"extra":${v}}`),
      anyValue.map((v) => `{"samples":${v}}`),
    );
    let accepted = 0;
    fc.assert(
      fc.property(batchText, (text) => {
        const value: unknown = JSON.parse(text);
        const zod = vitalsBatchSchema.safeParse(value);
        expect(isVitalsBatch(value), text).toBe(zod.success);
        if (zod.success) {
          accepted += 1;
          expect(value).toEqual(zod.data);
        }
      }),
      { numRuns: 10_000 },
    );
    expect(accepted).toBeGreaterThan(1_000);
  });

  it.each([
    [MAX_SAMPLES, true],
    [MAX_SAMPLES + 1, false],
  ])('a batch of %i readings: %s, as the schema says', (n, ok) => {
    const value = { samples: Array.from({ length: n }, (_, i) => ({ ts: 1_700_000_000_000 + i, seq: i, hr: 70 })) };
    expect(isVitalsBatch(value)).toBe(ok);
    expect(vitalsBatchSchema.safeParse(value).success).toBe(ok);
  });

  it('leave the reason of a refusal to zod', () => {
    const now = 1_700_000_000_000;
    const refused = parseVitals(Buffer.from(JSON.stringify({ samples: [{ ts: now, seq: 1, hr: 999 }] })), { now });
    expect(refused).toEqual({
      ok: false,
      error: { code: 'out_of_range', reason: 'samples[0].hr: must be at most 250 beats/min' },
    });
    const duplicate = parseVitals(
      Buffer.from(
        JSON.stringify({
          samples: [
            { ts: now, seq: 1, hr: 70 },
            { ts: now, seq: 1, hr: 71 },
          ],
        }),
      ),
      { now },
    );
    expect(duplicate).toEqual({ ok: false, error: { code: 'invalid', reason: 'samples: must not repeat a seq' } });
  });
});
