/**
 * A patient's device (a watch, a Bluetooth gateway) as a FHIR R4 Device: whose it is, whether it is
 * still enrolled (a revoked device is `inactive`) and, when it has said so on its retained `info`
 * topic, its model and firmware.
 */
import type { DeviceInfo } from '../../devices/payloads.ts';
import type { DeviceListing } from '../registry.ts';

export interface FhirDevice {
  readonly resourceType: 'Device';
  readonly id: string;
  readonly [field: string]: unknown;
}

const KIND_TEXT: Readonly<Record<string, string>> = {
  watch: 'Connected watch',
  'ble-gateway': 'Bluetooth gateway (tablet)',
};

export function toFhirDevice(patientId: string, d: DeviceListing, info: DeviceInfo | null): FhirDevice {
  return {
    resourceType: 'Device',
    id: d.id,
    status: d.revokedAt === null ? 'active' : 'inactive',
    ...(info ? { deviceName: [{ name: info.model, type: 'model-name' }], modelNumber: info.model } : {}),
    type: { text: KIND_TEXT[d.kind] ?? d.kind },
    ...(info ? { version: [{ value: info.firmware }] } : {}),
    patient: { reference: `Patient/${patientId}` },
  };
}
