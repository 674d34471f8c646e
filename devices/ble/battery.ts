/** Battery Level, 0x2A19 (Battery Service 1.0): uint8, percent, 0-100 (101-255 reserved). */
import { err, ok, type Result } from '../result.ts';
import { ByteReader, type BleDecodeError } from './reader.ts';
import { ByteWriter } from './writer.ts';

export function decodeBatteryLevel(bytes: Uint8Array): Result<number, BleDecodeError> {
  const r = new ByteReader(bytes);
  const level = r.uint8('battery_level');
  if (!level.ok) return level;
  const end = r.end();
  if (!end.ok) return end;
  if (level.value > 100) {
    return err({
      code: 'out_of_range',
      field: 'battery_level',
      offset: 0,
      reason: `battery level must be 0 to 100 %, got ${level.value}`,
    });
  }
  return ok(level.value);
}

/** Throws RangeError outside 0-100. */
export function encodeBatteryLevel(percent: number): Uint8Array {
  if (percent > 100) throw new RangeError(`battery level must be 0 to 100 %, got ${percent}`);
  return new ByteWriter().uint8(percent, 'battery_level').toBytes();
}
