/**
 * The Bluetooth gateway of the patient page: pairs health devices with Web Bluetooth, listens to
 * their measurements (notifications or indications), decodes them with devices/ble and sends each
 * reading through the uplink as protocol v1 vitals of this browser's gateway identity. Keeps each
 * device's state for the page, reconnects a device that drops, and reconnects the devices this
 * browser remembers (getDevices, where the browser has it).
 */
import { errorText } from '../../lib/error-text.ts';
import { ApiError } from '../../lib/api.ts';
import { i18n } from '../../lib/lang.svelte.ts';
import {
  CHARACTERISTICS,
  CHARACTERISTIC_NAMES,
  SERVICES,
  decodeCharacteristic,
  toVitals,
  type CharacteristicName,
  type ServiceName,
} from '../../../../devices/ble/gatt.ts';
import { Uplink } from './uplink.ts';
import { noticeOf, problemOf, type GatewayProblem, type MeasurementNotice } from './problems.ts';
import { measuredAt } from './reading-time.ts';

/** Services a health device may offer; the chooser lists devices that advertise one of them. */
const MEASURING: readonly ServiceName[] = [
  'heart_rate',
  'pulse_oximeter',
  'blood_pressure',
  'health_thermometer',
  'weight_scale',
  'glucose',
];
const RECONNECT_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
const NAMES_KEY = 'vigie.ble.names';

function rememberedNames(): Record<string, string> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(NAMES_KEY) ?? '{}');
    return typeof v === 'object' && v !== null
      ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  } catch {
    return {};
  }
}

export type DeviceState = 'connecting' | 'waiting' | 'receiving' | 'reconnecting' | 'failed';

export interface DeviceView {
  readonly id: string;
  name: string;
  state: DeviceState;
  /** What the last reading said, in the page's terms (vital → value). */
  last: { at: number; vitals: Record<string, number> } | undefined;
  battery: number | undefined;
  /** Why the last reading was not sent, or why the device failed (said by the page: ble.device.*). */
  problem: DeviceProblem | undefined;
  /** What the device said about its last measurement that the senior must know. */
  notice: MeasurementNotice | undefined;
  sent: number;
}

/**
 * What went wrong with one device, as a code the page says in its language (the browser's and the
 * decoder's own words are English, for developers: they go to the console).
 */
export type DeviceProblem = 'no_service' | 'connection' | 'unreadable' | 'not_sent';

export class BleGateway {
  devices: DeviceView[] = $state([]);
  problem: { kind: GatewayProblem; detail?: string } | undefined = $state();
  rejected: string | undefined = $state();
  readonly supported = typeof navigator !== 'undefined' && 'bluetooth' in navigator;
  readonly #up: Uplink;
  readonly #attached = new Map<string, BluetoothDevice>();
  #closed = false;

  constructor(patientId: string) {
    this.#up = new Uplink(patientId, { rejected: (reason) => (this.rejected = reason) });
  }

  /**
   * Reconnects the devices this browser already paired (where it lets the page see them): each is
   * connected when it is next heard advertising (it may be switched off or away now).
   */
  async restore(): Promise<void> {
    if (!this.supported || typeof navigator.bluetooth.getDevices !== 'function') return;
    const known = await navigator.bluetooth.getDevices().catch(() => []);
    for (const device of known) {
      this.#view(device).state = 'reconnecting';
      if (typeof device.watchAdvertisements !== 'function') {
        void this.#attach(device);
        continue;
      }
      device.addEventListener('advertisementreceived', () => void this.#attach(device), { once: true });
      device.watchAdvertisements().catch(() => void this.#attach(device));
    }
  }

  /** Opens the browser's chooser (must run from a click), then connects the chosen device. */
  async pair(): Promise<void> {
    this.problem = undefined;
    if (!this.supported) return void (this.problem = { kind: 'unsupported' });
    if (!(await navigator.bluetooth.getAvailability().catch(() => true))) return void (this.problem = { kind: 'off' });
    let device: BluetoothDevice;
    try {
      device = await navigator.bluetooth.requestDevice({
        filters: MEASURING.map((s) => ({ services: [SERVICES[s]] })),
        optionalServices: [SERVICES.battery_service, SERVICES.device_information],
      });
    } catch (error) {
      console.warn('Bluetooth chooser failed', error);
      return void (this.problem = problemOf(error));
    }
    try {
      await this.#up.start();
    } catch (error) {
      return void (this.problem = { kind: 'enrolment', detail: enrolmentDetail(error) });
    }
    await this.#attach(device);
  }

  stop(): void {
    this.#closed = true;
    for (const device of this.#attached.values()) device.gatt?.disconnect();
    this.#up.stop();
  }

  async #attach(device: BluetoothDevice): Promise<void> {
    if (this.#attached.has(device.id)) return;
    this.#attached.set(device.id, device);
    const view = this.#view(device);
    device.addEventListener('gattserverdisconnected', () => void this.#reconnect(device, view));
    void this.#up
      .start()
      .catch((error: unknown) => (this.problem = { kind: 'enrolment', detail: enrolmentDetail(error) }));
    if (!(await this.#connect(device, view)) && view.state !== 'failed') void this.#reconnect(device, view);
  }

  #view(device: BluetoothDevice): DeviceView {
    const existing = this.devices.find((d) => d.id === device.id);
    if (existing) return existing;
    // A remembered device may come back without its name (Chromium): the one it had when paired.
    const names = rememberedNames();
    if (device.name) localStorage.setItem(NAMES_KEY, JSON.stringify({ ...names, [device.id]: device.name }));
    this.devices.push({
      id: device.id,
      name: device.name || names[device.id] || device.id,
      state: 'connecting',
      last: undefined,
      battery: undefined,
      problem: undefined,
      notice: undefined,
      sent: 0,
    });
    return this.devices.at(-1)!; // the reactive proxy, so that changes show
  }

  async #connect(device: BluetoothDevice, view: DeviceView): Promise<boolean> {
    view.state = view.state === 'reconnecting' ? 'reconnecting' : 'connecting';
    try {
      const server = await device.gatt!.connect();
      let listening = 0;
      for (const name of CHARACTERISTIC_NAMES) {
        const spec = CHARACTERISTICS[name];
        const service = await server.getPrimaryService(SERVICES[spec.service]).catch(() => undefined);
        const characteristic = await service?.getCharacteristic(spec.uuid).catch(() => undefined);
        if (!characteristic) continue;
        characteristic.addEventListener('characteristicvaluechanged', () => {
          if (characteristic.value) void this.#received(view, name, characteristic.value);
        });
        if (name === 'battery_level' && characteristic.properties.read) {
          const value = await characteristic.readValue().catch(() => undefined);
          if (value) void this.#received(view, name, value);
        }
        if (characteristic.properties.notify || characteristic.properties.indicate) {
          await characteristic.startNotifications();
          if (name !== 'battery_level') listening += 1;
        }
      }
      if (listening === 0) {
        view.state = 'failed';
        view.problem = 'no_service';
        device.gatt?.disconnect();
        return false;
      }
      view.state = view.last ? 'receiving' : 'waiting';
      view.problem = undefined;
      return true;
    } catch (error) {
      console.warn('Bluetooth connection failed', error);
      view.problem = 'connection';
      return false;
    }
  }

  /** A device that drops (out of range, switched off) is tried again with growing pauses. */
  async #reconnect(device: BluetoothDevice, view: DeviceView): Promise<void> {
    if (this.#closed || view.state === 'failed') return;
    view.state = 'reconnecting';
    for (let attempt = 0; !this.#closed; attempt += 1) {
      await new Promise((r) => setTimeout(r, RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]));
      if (device.gatt?.connected || (await this.#connect(device, view))) return;
    }
  }

  async #received(view: DeviceView, name: CharacteristicName, data: DataView): Promise<void> {
    const decoded = decodeCharacteristic(name, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (!decoded.ok) {
      console.warn('Bluetooth measurement not understood', decoded.error);
      view.problem = 'unreadable';
      return;
    }
    view.notice = noticeOf(decoded.value);
    if (view.notice) {
      view.last = { at: Date.now(), vitals: {} };
      view.state = 'receiving';
      const direction = view.notice === 'glucose_below_range' ? 'below' : 'above';
      await this.#send(view, () =>
        this.#up.event({
          ts: measuredAt(decoded.value, Date.now()),
          type: 'out_of_range',
          vital: 'glucose',
          direction,
        }),
      );
      return;
    }
    const { battery, ...vitals } = toVitals(decoded.value);
    if (battery !== undefined) view.battery = battery; // the device's own battery, not the patient's watch
    if (Object.keys(vitals).length === 0) return;
    view.last = { at: Date.now(), vitals: { ...vitals } };
    view.state = 'receiving';
    await this.#send(view, () => this.#up.publish({ ts: measuredAt(decoded.value, Date.now()), ...vitals }));
  }

  async #send(view: DeviceView, send: () => Promise<void>): Promise<void> {
    try {
      await send();
      view.sent += 1;
      view.problem = undefined;
    } catch (error) {
      console.warn('Bluetooth measurement not sent', error);
      view.problem = 'not_sent';
    }
  }
}

/**
 * Why enrolment failed, in the page's language: the API's refusal, or no connection to the service
 * (the MQTT client's own words are English, for developers: they go to the console).
 */
function enrolmentDetail(error: unknown): string {
  if (error instanceof ApiError) return i18n.error(error);
  console.warn('Bluetooth gateway enrolment failed', error);
  return errorText(i18n.lang, 'network');
}
