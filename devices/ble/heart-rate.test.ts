import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeHeartRateMeasurement as decode,
  encodeHeartRateMeasurement as encode,
  rrInterval,
  type HeartRateMeasurementInput,
  type SensorContact,
} from './heart-rate.ts';
import { fromHex, toHex } from './hex.ts';
import {
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  uint16Arb,
  type Layout,
} from './test-support.ts';

const CONTACT_BITS: Record<SensorContact, number> = { not_supported: 0b000, not_detected: 0b100, detected: 0b110 };
const RATE_UINT16 = 0x01;
const ENERGY = 0x08;
const RR = 0x10;

const combinations = flagCombinations([RATE_UINT16, ENERGY, RR]).flatMap((flags) =>
  (['not_supported', 'not_detected', 'detected'] as const).map(
    (contact) => [flags | CONTACT_BITS[contact], contact] as const,
  ),
);

describe.each(
  combinations.map(([flags, contact]) => [`0x${flags.toString(16).padStart(2, '0')}`, flags, contact] as const),
)('flags %s', (_, flags, contact) => {
  const wide = (flags & RATE_UINT16) !== 0;
  const input: HeartRateMeasurementInput = {
    bpm: wide ? 300 : 72,
    rateFormat: wide ? 'uint16' : 'uint8',
    sensorContact: contact,
    ...(flags & ENERGY ? { energyExpendedKj: 1234 } : {}),
    ...(flags & RR ? { rrIntervals: [{ raw: 800 }] } : {}),
  };
  const layout: Layout = [
    ['flags', 1],
    ['heart_rate', wide ? 2 : 1],
    ...(flags & ENERGY ? [['energy_expended', 2] as const] : []),
    ...(flags & RR ? [['rr_interval', 2] as const] : []),
  ];
  const bytes = encode(input);

  it('encodes the flags and decodes back', () => {
    expect(bytes[0]).toBe(flags);
    expect(decode(bytes)).toEqual({
      ok: true,
      value: {
        ...input,
        ...(flags & RR ? { rrIntervals: [{ raw: 800, ms: 781.25 }] } : {}),
        reservedFlags: 0,
      },
    });
  });

  it('reports the field cut at every shorter length', () => expectTruncatedAtEveryLength(decode, bytes, layout));

  if (flags & RR) {
    it('reads two more bytes as another RR interval, and one as a cut interval', () => {
      const plusTwo = decode(new Uint8Array([...bytes, 0x00, 0x02]));
      expect(plusTwo.ok && plusTwo.value.rrIntervals).toEqual([rrInterval(800), { raw: 512, ms: 500 }]);
      expect(decode(new Uint8Array([...bytes, 0x00]))).toMatchObject({
        ok: false,
        error: { code: 'truncated', field: 'rr_interval', offset: bytes.length, need: 2, have: 1 },
      });
    });
  } else {
    it('refuses trailing bytes', () => expectTrailingRefused(decode, bytes));
  }
});

describe('heart rate measurement', () => {
  it('reads contact bits 0b01 as "not supported", like 0b00', () => {
    expect(decode(fromHex('02 48'))).toMatchObject({ ok: true, value: { sensorContact: 'not_supported' } });
  });

  it('gives RR intervals in ms exactly', () => {
    expect([1024, 512, 1, 0xffff].map((raw) => rrInterval(raw).ms)).toEqual([1000, 500, 0.9765625, 63999.0234375]);
  });

  it('reads as many RR intervals as follow; a cut after a whole interval is a shorter list', () => {
    const bytes = fromHex('10 48 00 04 00 02 00 01');
    expect(decode(bytes)).toMatchObject({
      ok: true,
      value: { rrIntervals: [{ raw: 1024 }, { raw: 512 }, { raw: 256 }] },
    });
    expect(decode(bytes.slice(0, 6))).toMatchObject({
      ok: true,
      value: { rrIntervals: [{ raw: 1024 }, { raw: 512 }] },
    });
  });

  it('picks the uint16 format for a rate above 255 unless told', () => {
    expect(toHex(encode({ bpm: 256, sensorContact: 'detected' }))).toBe('07 00 01');
    expect(toHex(encode({ bpm: 255, sensorContact: 'detected' }))).toBe('06 FF');
    expect(toHex(encode({ bpm: 72, rateFormat: 'uint16', sensorContact: 'not_supported' }))).toBe('01 48 00');
  });

  it.each<[string, HeartRateMeasurementInput]>([
    ['a rate above 255 in uint8', { bpm: 256, rateFormat: 'uint8', sensorContact: 'detected' }],
    ['an empty RR interval list', { bpm: 72, sensorContact: 'detected', rrIntervals: [] }],
    ['an RR interval above 0xFFFF', { bpm: 72, sensorContact: 'detected', rrIntervals: [{ raw: 0x10000 }] }],
    ['a defined bit in reservedFlags', { bpm: 72, sensorContact: 'detected', reservedFlags: 0x10 }],
  ])('refuses to encode %s', (_, input) => expect(() => encode(input)).toThrow(RangeError));

  it('round-trips any measurement', () => {
    const arb = fc
      .record(
        {
          bpm: uint16Arb,
          rateFormat: fc.constantFrom('uint8' as const, 'uint16' as const),
          sensorContact: fc.constantFrom('not_supported' as const, 'not_detected' as const, 'detected' as const),
          energyExpendedKj: uint16Arb,
          rrIntervals: fc.array(fc.record({ raw: uint16Arb }, { noNullPrototype: true }), {
            minLength: 1,
            maxLength: 9,
          }),
          reservedFlags: fc.constantFrom(0, 0x20, 0x40, 0x80, 0xe0),
        },
        { requiredKeys: ['bpm', 'sensorContact'], noNullPrototype: true },
      )
      .map((m): HeartRateMeasurementInput =>
        m.rateFormat === 'uint8' && m.bpm > 0xff ? { ...m, rateFormat: 'uint16' } : m,
      );
    expectRoundTrips(arb, encode, decode);
  });
});
