import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './hex.ts';
import { ByteReader } from './reader.ts';
import { ByteWriter } from './writer.ts';

describe('ByteReader', () => {
  it('reads little-endian fields in order', () => {
    const r = new ByteReader(fromHex('01 02 03 04 05 06 FF FF 07 08 09 0A 6D F1 6D 01 00 FF E9 07 0B 17 0E 1E 05'));
    expect(r.uint8('flags')).toEqual({ ok: true, value: 0x01 });
    expect(r.uint16('weight')).toEqual({ ok: true, value: 0x0302 });
    expect(r.uint24('device_and_sensor_status')).toEqual({ ok: true, value: 0x060504 });
    expect(r.int16('time_offset')).toEqual({ ok: true, value: -1 });
    expect(r.uint32('temperature')).toEqual({ ok: true, value: 0x0a090807 });
    expect(r.sfloat('spo2')).toEqual({ ok: true, value: { kind: 'value', mantissa: 365, exponent: -1, value: 36.5 } });
    expect(r.float('temperature')).toEqual({
      ok: true,
      value: { kind: 'value', mantissa: 365, exponent: -1, value: 36.5 },
    });
    expect(r.dateTime('timestamp')).toEqual({
      ok: true,
      value: { year: 2025, month: 11, day: 23, hours: 14, minutes: 30, seconds: 5 },
    });
    expect(r.remaining).toBe(0);
    expect(r.end()).toEqual({ ok: true, value: undefined });
  });

  it('reads a view into a larger buffer from the view, not the buffer', () => {
    const whole = fromHex('AA BB 48 00 CC');
    const r = new ByteReader(whole.subarray(2, 4));
    expect(r.uint16('heart_rate')).toEqual({ ok: true, value: 72 });
    expect(r.uint8('flags')).toMatchObject({ ok: false, error: { code: 'truncated', offset: 2, have: 0 } });
  });

  it('names the field and the offset of a read past the end, and does not move', () => {
    const r = new ByteReader(fromHex('19 48 00 E8 03 00 04 01'));
    expect(
      [r.uint8('flags'), r.uint16('heart_rate'), r.uint16('energy_expended'), r.uint16('rr_interval')].every(
        (x) => x.ok,
      ),
    ).toBe(true);
    const cut = r.uint16('rr_interval');
    expect(cut).toEqual({
      ok: false,
      error: {
        code: 'truncated',
        field: 'rr_interval',
        offset: 7,
        need: 2,
        have: 1,
        reason: "buffer ends at byte 8; 'RR interval' needs 2 bytes at offset 7",
      },
    });
    expect(r.offset).toBe(7);
    expect(r.uint8('flags')).toEqual({ ok: true, value: 1 });
  });

  it('says "byte" for one', () => {
    const r = new ByteReader(new Uint8Array(0));
    expect(r.uint8('flags')).toMatchObject({
      ok: false,
      error: { reason: "buffer ends at byte 0; 'flags' needs 1 byte at offset 0" },
    });
  });

  it('reports bytes left over, and the reserved flags that probably announce them', () => {
    const r = new ByteReader(fromHex('00 48 01 02'));
    r.uint8('flags');
    r.uint8('heart_rate');
    expect(r.end()).toEqual({
      ok: false,
      error: {
        code: 'trailing_bytes',
        offset: 2,
        extra: 2,
        reason: '2 unexpected bytes after the last field, from offset 2 (buffer is 4 bytes)',
      },
    });
    const withReserved = r.end(0x20);
    expect(withReserved.ok).toBe(false);
    if (!withReserved.ok) expect(withReserved.error.reason).toMatch(/reserved flag bits 0x20 are set/);
  });
});

describe('ByteWriter', () => {
  it('writes what ByteReader reads', () => {
    const bytes = new ByteWriter()
      .uint8(1, 'flags')
      .uint16(0x0302, 'weight')
      .uint24(0x060504, 'device_and_sensor_status')
      .int16(-1, 'time_offset')
      .sfloat({ kind: 'value', mantissa: 365, exponent: -1 }, 'spo2')
      .float({ kind: 'nan' }, 'temperature')
      .dateTime({ year: 2025, month: 11, day: 23, hours: 14, minutes: 30, seconds: 5 }, 'timestamp')
      .toBytes();
    expect(toHex(bytes)).toBe('01 02 03 04 05 06 FF FF 6D F1 FF FF 7F 00 E9 07 0B 17 0E 1E 05');
  });

  it.each([
    [() => new ByteWriter().uint8(256, 'user_id'), "'user ID' must be an integer from 0 to 255, got 256"],
    [() => new ByteWriter().uint16(-1, 'weight'), "'weight' must be an integer from 0 to 65535, got -1"],
    [() => new ByteWriter().uint8(1.5, 'user_id'), "'user ID' must be an integer from 0 to 255, got 1.5"],
    [
      () => new ByteWriter().int16(40_000, 'time_offset'),
      "'time offset' must be an integer from -32768 to 32767, got 40000",
    ],
    [
      () => new ByteWriter().sfloat({ kind: 'value', mantissa: 5000, exponent: 0 }, 'spo2'),
      "'SpO2': SFLOAT mantissa must be an integer from -2048 to 2047, got 5000",
    ],
  ])('throws a RangeError naming the field (%#)', (write, message) => {
    expect(write).toThrow(RangeError);
    expect(write).toThrow(message);
  });
});

describe('hex', () => {
  it('reads pairs with or without spaces and writes spaced upper case', () => {
    expect(toHex(fromHex('16485401ec02'))).toBe('16 48 54 01 EC 02');
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });
  it.each(['1', 'GG', '0x10'])('refuses %s', (hex) => expect(() => fromHex(hex)).toThrow(TypeError));
});
