/**
 * Bluetooth health devices emulated in headless Chromium through the DevTools Protocol
 * (BluetoothEmulation on the browser session, DeviceAccess on the page session for the chooser),
 * speaking the bytes of simulators/ble.ts. What this Chromium's emulation can and cannot do, found
 * by experiment (see ../shared/ENVIRONMENT.md):
 * - every connection, discovery and (un)subscription must be answered, or the page's call hangs;
 *   a characteristic needs its 0x2902 descriptor for startNotifications;
 * - there is no command to send a notification. A successful read fires the page's
 *   `characteristicvaluechanged` listeners on the same (cached) characteristic object, so `notify`
 *   makes the page read once while we answer with the value: the gateway's own listener receives
 *   it, as it would a notification;
 * - a disconnection removes the emulated services: `comeBack` adds them again for the reconnection;
 * - loading the page again resets the emulation, and a remembered device (getDevices, which needs
 *   `--enable-features=WebBluetoothNewPermissionsBackend`) comes back without its name.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { SERVICES, CHARACTERISTICS, uuid128 } from '../../devices/ble/gatt.ts';
import { SIMULATED_BLE_DEVICES, type SimulatedBleKind } from '../../simulators/ble.ts';

const CCCD = 0x2902;
const b64 = (bytes: Uint8Array | number[]) => Buffer.from(bytes).toString('base64');
/** The emulation refuses a peripheral without manufacturer data. */
const MANUFACTURER_DATA = [{ key: 0xffff, data: b64([1, 2, 3]) }];

interface Emulated {
  readonly kind: SimulatedBleKind;
  readonly address: string;
  readonly name: string;
  /** What the next read of each characteristic answers (by characteristic id). */
  readonly reads: Map<string, Uint8Array>;
  measuringId: string;
  batteryId: string;
}

export class BleEmulation {
  readonly #bt: CDPSession;
  readonly #devices = new Map<string, Emulated>();
  readonly #byCharacteristic = new Map<string, Emulated>();
  /** Set before a click: which device (address) the chooser picks; undefined closes the chooser. */
  #choose: string | undefined | null = null;
  readonly #answeredPrompts = new Set<string>();

  private constructor(bt: CDPSession) {
    this.#bt = bt;
  }

  static async start(browser: Browser): Promise<BleEmulation> {
    const bt = await browser.newBrowserCDPSession();
    const e = new BleEmulation(bt);
    await bt.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    bt.on('BluetoothEmulation.gattOperationReceived', (ev: { address: string; type: 'connection' | 'discovery' }) => {
      void bt.send('BluetoothEmulation.simulateGATTOperationResponse', { address: ev.address, type: ev.type, code: 0 });
    });
    bt.on('BluetoothEmulation.characteristicOperationReceived', (ev: { characteristicId: string; type: string }) => {
      if (ev.type === 'subscribe-to-notifications' || ev.type === 'unsubscribe-from-notifications') {
        void bt.send('BluetoothEmulation.simulateCharacteristicOperationResponse', {
          characteristicId: ev.characteristicId,
          type: ev.type,
          code: 0,
        });
      } else if (ev.type === 'read') {
        const value = e.#byCharacteristic.get(ev.characteristicId)?.reads.get(ev.characteristicId);
        void bt.send(
          'BluetoothEmulation.simulateCharacteristicOperationResponse',
          value
            ? { characteristicId: ev.characteristicId, type: 'read', code: 0, data: b64(value) }
            : { characteristicId: ev.characteristicId, type: 'read', code: 0x0a },
        ); // Attribute Not Long / nothing to read
      }
    });
    return e;
  }

  /** Answers the page's device chooser (call once per page). */
  async answerChooser(page: Page): Promise<void> {
    const session = await page.context().newCDPSession(page);
    await session.send('DeviceAccess.enable');
    session.on(
      'DeviceAccess.deviceRequestPrompted',
      (ev: { id: string; devices: Array<{ id: string; name: string }> }) => {
        // The prompt is announced more than once, as devices are found; answering it twice aborts the
        // browser. Wait until the wanted device is listed.
        if (process.env.BLE_DEBUG) console.log('prompt', JSON.stringify(ev), this.#choose);
        if (this.#answeredPrompts.has(ev.id) || this.#choose === null) return;
        const wanted = this.#choose === undefined ? undefined : ev.devices.find((d) => d.id === this.#choose);
        if (this.#choose !== undefined && !wanted) return;
        this.#answeredPrompts.add(ev.id);
        void (wanted
          ? session.send('DeviceAccess.selectPrompt', { id: ev.id, deviceId: wanted.id })
          : session.send('DeviceAccess.cancelPrompt', { id: ev.id }));
        this.#choose = null;
      },
    );
  }

  /** The next chooser picks this device (by address: the chooser lists no names), or is closed without a choice (undefined). */
  chooseNext(address: string | undefined): void {
    this.#choose = address;
  }

  /** A device of that kind, switched on and advertising near the tablet, with a battery at `battery` %. */
  async add(kind: SimulatedBleKind, address: string, battery: number): Promise<string> {
    const device: Emulated = {
      kind,
      address,
      name: SIMULATED_BLE_DEVICES[kind].name,
      reads: new Map(),
      measuringId: '',
      batteryId: '',
    };
    this.#devices.set(address, device);
    await this.#preconnect(device);
    await this.advertise(address);
    await this.#addServices(device, battery);
    return device.name;
  }

  async #preconnect(device: Emulated): Promise<void> {
    await this.#bt.send('BluetoothEmulation.simulatePreconnectedPeripheral', {
      address: device.address,
      name: device.name,
      manufacturerData: MANUFACTURER_DATA,
      knownServiceUuids: serviceUuids(device),
    });
  }

  async #addServices(device: Emulated, battery: number): Promise<void> {
    const { service, characteristic } = SIMULATED_BLE_DEVICES[device.kind];
    const spec = CHARACTERISTICS[characteristic];
    const measuring = await this.#bt.send('BluetoothEmulation.addService', {
      address: device.address,
      serviceUuid: uuid128(SERVICES[service]),
    });
    // `read` as well, for the notification stand-in above.
    const properties = { read: true, notify: spec.delivery === 'notify', indicate: spec.delivery === 'indicate' };
    const m = await this.#bt.send('BluetoothEmulation.addCharacteristic', {
      serviceId: measuring.serviceId,
      characteristicUuid: uuid128(spec.uuid),
      properties,
    });
    await this.#bt.send('BluetoothEmulation.addDescriptor', {
      characteristicId: m.characteristicId,
      descriptorUuid: uuid128(CCCD),
    });
    const batteryService = await this.#bt.send('BluetoothEmulation.addService', {
      address: device.address,
      serviceUuid: uuid128(SERVICES.battery_service),
    });
    const b = await this.#bt.send('BluetoothEmulation.addCharacteristic', {
      serviceId: batteryService.serviceId,
      characteristicUuid: uuid128(CHARACTERISTICS.battery_level.uuid),
      properties: { read: true, notify: true },
    });
    await this.#bt.send('BluetoothEmulation.addDescriptor', {
      characteristicId: b.characteristicId,
      descriptorUuid: uuid128(CCCD),
    });
    device.measuringId = m.characteristicId;
    device.batteryId = b.characteristicId;
    device.reads.set(b.characteristicId, Uint8Array.of(battery));
    this.#byCharacteristic.set(m.characteristicId, device);
    this.#byCharacteristic.set(b.characteristicId, device);
  }

  /** The device sends a measurement: the page's listener gets exactly these bytes. */
  async notify(page: Page, address: string, value: Uint8Array): Promise<void> {
    const device = this.#devices.get(address)!;
    device.reads.set(device.measuringId, value);
    const { service, characteristic } = SIMULATED_BLE_DEVICES[device.kind];
    const ok = await page.evaluate(
      async ({ name, service: s, characteristic: c }) => {
        // A remembered device comes back without its name: then the connected one with that service.
        const connected = (await navigator.bluetooth.getDevices()).filter((x) => x.gatt?.connected);
        for (const d of [...connected.filter((x) => x.name === name), ...connected.filter((x) => !x.name)]) {
          const service = await d.gatt!.getPrimaryService(s).catch(() => undefined);
          if (!service) continue;
          await (await service.getCharacteristic(c)).readValue();
          return true;
        }
        return false;
      },
      { name: device.name, service: SERVICES[service], characteristic: CHARACTERISTICS[characteristic].uuid },
    );
    if (!ok) throw new Error(`${device.name} is not connected to the page`);
  }

  /**
   * After the page is loaded again the emulation is off (Chromium resets it with the page): the
   * devices are set up again, and this one advertises (a remembered device is connected when heard).
   */
  async advertiseAfterReload(address: string, battery: number): Promise<void> {
    await this.#bt.send('BluetoothEmulation.disable');
    await this.#bt.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    const device = this.#devices.get(address)!;
    await this.#preconnect(device);
    await this.#addServices(device, battery);
    await this.advertise(address);
  }

  async advertise(address: string): Promise<void> {
    const device = this.#devices.get(address)!;
    // appearance and txPower are required: without them the emulation rejects the record and hangs.
    const scanRecord = {
      name: device.name,
      uuids: serviceUuids(device),
      appearance: 0,
      txPower: -10,
      manufacturerData: MANUFACTURER_DATA,
    };
    await this.#bt.send('BluetoothEmulation.simulateAdvertisement', {
      entry: { deviceAddress: address, rssi: -50, scanRecord },
    });
  }

  /** The device goes out of range: the page sees a disconnection (and the emulation forgets its services). */
  async drop(address: string): Promise<void> {
    await this.#bt.send('BluetoothEmulation.simulateGATTDisconnection', { address });
  }

  /** The device is back in range, with its services. */
  async comeBack(address: string, battery: number): Promise<void> {
    await this.#addServices(this.#devices.get(address)!, battery);
  }

  /** The tablet's Bluetooth radio: 'absent' is what the page can see (Chromium still reports 'powered-off' as available). */
  async setRadio(state: 'powered-on' | 'powered-off' | 'absent'): Promise<void> {
    await this.#bt.send('BluetoothEmulation.setSimulatedCentralState', { state });
  }

  async stop(): Promise<void> {
    await this.#bt.send('BluetoothEmulation.disable').catch(() => undefined);
    await this.#bt.detach().catch(() => undefined);
  }
}

/** What a device of that kind advertises: its measuring service and the battery service. */
function serviceUuids(device: { readonly kind: SimulatedBleKind }): string[] {
  return [uuid128(SERVICES[SIMULATED_BLE_DEVICES[device.kind].service]), uuid128(SERVICES.battery_service)];
}
