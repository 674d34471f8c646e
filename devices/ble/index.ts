/** Bluetooth LE GATT codecs for health devices: pure, bounds-checked, with golden vectors. */
export * from './reader.ts';
export * from './writer.ts';
export * from './fields.ts';
export * from './ieee11073.ts';
export * from './bit-field.ts';
export * from './enumeration.ts';
export * from './units.ts';
export * from './hex.ts';
export * from './heart-rate.ts';
export * from './plx.ts';
export * from './blood-pressure.ts';
export * from './temperature.ts';
export * from './weight.ts';
export * from './glucose.ts';
export * from './battery.ts';
export * from './gatt.ts';
export * from './golden.ts';
