/**
 * Simulated Bluetooth health devices: the characteristic values a heart-rate strap, a blood-pressure
 * cuff, a thermometer, a pulse oximeter, a scale or a glucose meter would send for a reading of the
 * physiology model, encoded by devices/ble. Demos and tests feed these bytes to the patient page's
 * gateway (through Chromium's Bluetooth emulation), so they go through the same decoding as a real
 * device's. The golden vectors give the bytes of the specifications' own examples as well.
 */
import { encodeBloodPressureMeasurement } from '../devices/ble/blood-pressure.ts';
import { encodeGlucoseMeasurement, GLUCOSE_SENSOR_STATUS_BITS } from '../devices/ble/glucose.ts';
import { encodeHeartRateMeasurement } from '../devices/ble/heart-rate.ts';
import { floatFromValue, sfloatFromValue, type Ieee11073Value } from '../devices/ble/ieee11073.ts';
import { encodePlxSpotCheckMeasurement } from '../devices/ble/plx.ts';
import { encodeTemperatureMeasurement } from '../devices/ble/temperature.ts';
import { encodeWeightMeasurement } from '../devices/ble/weight.ts';
import { GOLDEN_VECTORS } from '../devices/ble/golden.ts';
import { fromHex } from '../devices/ble/hex.ts';
import type { CharacteristicName, ServiceName } from '../devices/ble/gatt.ts';
import type { VitalSample } from '../devices/payloads.ts';

/** What the simulated glucose meter can measure, in mmol/L (common meters: 0.6–1.1 to 33.3). */
export const GLUCOSE_METER_RANGE = { min: 1.1, max: 33.3 } as const;

export type SimulatedBleKind =
  'heart_rate_strap' | 'blood_pressure_cuff' | 'thermometer' | 'pulse_oximeter' | 'scale' | 'glucose_meter';

/** What each kind of device offers: its measuring service and characteristic, and its name. */
export const SIMULATED_BLE_DEVICES: Record<
  SimulatedBleKind,
  { readonly service: ServiceName; readonly characteristic: CharacteristicName; readonly name: string }
> = {
  heart_rate_strap: { service: 'heart_rate', characteristic: 'heart_rate_measurement', name: 'Vigie HR strap' },
  blood_pressure_cuff: {
    service: 'blood_pressure',
    characteristic: 'blood_pressure_measurement',
    name: 'Vigie BP cuff',
  },
  thermometer: { service: 'health_thermometer', characteristic: 'temperature_measurement', name: 'Vigie thermometer' },
  pulse_oximeter: { service: 'pulse_oximeter', characteristic: 'plx_spot_check_measurement', name: 'Vigie oximeter' },
  scale: { service: 'weight_scale', characteristic: 'weight_measurement', name: 'Vigie scale' },
  glucose_meter: { service: 'glucose', characteristic: 'glucose_measurement', name: 'Vigie glucose meter' },
};

/** A reading of the model, plus what a watch does not measure. */
export interface BleReadingInput {
  readonly sample: Pick<VitalSample, 'hr' | 'spo2' | 'temp' | 'sys' | 'dia'>;
  readonly weightKg?: number;
  readonly glucoseMmolPerL?: number;
  /**
   * The meter's "HI" or "LO": the level is beyond what it measures (1.1–33.3 mmol/L here). It sends
   * its limit with the Sensor Status Annunciation bit that says so, as meters do.
   */
  readonly glucoseBeyondRange?: 'above' | 'below';
  /** For the glucose meter's record number. */
  readonly sequence?: number;
  readonly at?: Date;
}

/**
 * The value the device would notify or indicate for this reading; undefined when the model has no
 * such measurement in it (a watch sample without blood pressure, say).
 */
export function bleValue(kind: SimulatedBleKind, r: BleReadingInput): Uint8Array | undefined {
  const { hr, spo2, temp, sys, dia } = r.sample;
  switch (kind) {
    case 'heart_rate_strap':
      if (hr === undefined) return undefined;
      return encodeHeartRateMeasurement({
        bpm: Math.round(hr),
        sensorContact: 'detected',
        rrIntervals: [{ raw: Math.round((60 / hr) * 1024) }],
      });
    case 'blood_pressure_cuff':
      if (sys === undefined || dia === undefined) return undefined;
      return encodeBloodPressureMeasurement({
        unit: 'mmHg',
        systolic: sfloat(sys, 0),
        diastolic: sfloat(dia, 0),
        meanArterialPressure: sfloat((sys + 2 * dia) / 3, 0),
        ...(hr === undefined ? {} : { pulseRate: sfloat(hr, 0) }),
      });
    case 'thermometer':
      if (temp === undefined) return undefined;
      return encodeTemperatureMeasurement({
        unit: 'celsius',
        temperature: float(temp, -1),
        temperatureType: { code: 3 },
      }); // ear
    case 'pulse_oximeter':
      if (spo2 === undefined || hr === undefined) return undefined;
      return encodePlxSpotCheckMeasurement({ spo2: sfloat(spo2, 0), pulseRate: sfloat(hr, 0) });
    case 'scale':
      if (r.weightKg === undefined) return undefined;
      return encodeWeightMeasurement({ units: 'si', weightRaw: Math.round(r.weightKg / 0.005) });
    case 'glucose_meter': {
      const beyond = r.glucoseBeyondRange;
      const level =
        beyond === 'above' ? GLUCOSE_METER_RANGE.max : beyond === 'below' ? GLUCOSE_METER_RANGE.min : r.glucoseMmolPerL;
      if (level === undefined) return undefined;
      const at = r.at ?? new Date();
      return encodeGlucoseMeasurement({
        sequenceNumber: r.sequence ?? 1,
        baseTime: {
          year: at.getFullYear(),
          month: at.getMonth() + 1,
          day: at.getDate(),
          hours: at.getHours(),
          minutes: at.getMinutes(),
          seconds: at.getSeconds(),
        },
        units: 'mol/L',
        // mol/L; 0.01 mmol/L steps up to 20.47 mmol/L (the SFLOAT mantissa's limit), 0.1 above.
        concentration: {
          value: sfloat(level / 1000, level < 20 ? -5 : -4),
          type: { code: 1 },
          sampleLocation: { code: 1 },
        }, // capillary whole blood, finger
        ...(beyond
          ? {
              sensorStatus: {
                raw:
                  1 <<
                  GLUCOSE_SENSOR_STATUS_BITS.indexOf(
                    beyond === 'above' ? 'result_above_device_range' : 'result_below_device_range',
                  ),
              },
            }
          : {}),
      });
    }
    default:
      return assertNever(kind);
  }
}

/** The valid golden vectors of a characteristic, as the bytes a device would send. */
export function goldenValues(characteristic: CharacteristicName): Uint8Array[] {
  return GOLDEN_VECTORS.filter((v) => v.characteristic === characteristic && v.expected.ok).map((v) => fromHex(v.hex));
}

/** The value rounded to 10^exponent, in the 16-bit SFLOAT or 32-bit FLOAT form. */
function number(fromValue: typeof sfloatFromValue, value: number, exponent: number): Ieee11073Value {
  const r = fromValue(Math.round(value * 10 ** -exponent) / 10 ** -exponent, exponent);
  if (!r.ok) throw new RangeError(r.error.reason);
  return r.value;
}
const sfloat = (value: number, exponent: number) => number(sfloatFromValue, value, exponent);
const float = (value: number, exponent: number) => number(floatFromValue, value, exponent);

function assertNever(value: never): never {
  throw new TypeError(`unknown simulated device ${String(value)}`);
}
