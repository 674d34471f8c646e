/**
 * Bluetooth health devices paired from the patient's own page, in real headless Chromium with the
 * DevTools Protocol's Bluetooth emulation, against the real broker, ingest, InfluxDB and web
 * service: an emulated heart-rate strap and blood-pressure cuff are paired by a real click, send
 * measurements (bytes from the simulators, decoded by the page with devices/ble), and the readings
 * are stored in InfluxDB under the patient's gateway device and shown live on the clinician console.
 * A glucose meter's "LO" (no number) reaches the care team as a high-priority alert.
 * Also: a device that drops is reconnected, and a remembered one when the page opens again; plain-language
 * errors (chooser closed, Bluetooth off, no Web Bluetooth). Screenshots in tests/artifacts/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { artifactPath, launchBrowser } from './support/browser.ts';
import { BleEmulation } from './support/ble-emulation.ts';
import { eventually } from './support/mqtt.ts';
import { bleValue } from '../simulators/ble.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const fr = MESSAGES.fr;
const STRAP = '0A:00:00:00:00:01';
const CUFF = '0A:00:00:00:00:02';
const METER = '0A:00:00:00:00:03';
let browser: Browser | undefined;
let ble: BleEmulation | undefined;
afterEach(async () => {
  await ble?.stop();
  await browser?.close();
  browser = undefined;
  ble = undefined;
});

/** The senior signed in on their own page, on a tablet with Web Bluetooth (or without). */
async function seniorPage(
  bluetooth: boolean,
  email = 'jeanne@senior.test',
): Promise<{ page: Page; patientId: string }> {
  const { device } = await s.senior('Jeanne Dupont');
  await s.family(device.patientId, { name: 'Jeanne', email, relation: 'self', role: 'patient' });
  // Remembered devices (getDevices across page loads) need Chromium's newer Bluetooth permissions.
  browser = await launchBrowser({
    engine: 'chromium', // Web Bluetooth emulation
    media: 'absent',
    extraArgs: bluetooth
      ? ['--enable-experimental-web-platform-features', '--enable-features=WebBluetoothNewPermissionsBackend']
      : [],
  });
  if (bluetooth) ble = await BleEmulation.start(browser);
  const context = await browser.newContext({ viewport: { width: 800, height: 1100 }, locale: 'fr-FR' });
  const page = await context.newPage();
  if (ble) await ble.answerChooser(page);
  await page.goto(`${s.webUrl}/family/`);
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(FAMILY_PASSWORD);
  await page.getByTestId('signin').click();
  await expect.poll(() => page.getByTestId('reader-relation').textContent()).toBe('— vous');
  return { page, patientId: device.patientId };
}

const deviceRow = (page: Page, name: string) => page.getByTestId('ble-device').filter({ hasText: name });

async function pair(page: Page, address: string, name: string): Promise<void> {
  ble!.chooseNext(address);
  await page.getByTestId('ble-pair').click();
  await expect.poll(() => deviceRow(page, name).getAttribute('data-state'), { timeout: 15_000 }).toBe('waiting');
}

async function storedVitals(patientId: string): Promise<Array<Record<string, unknown>>> {
  return t.influx.rows(`SELECT * FROM vitals WHERE patient = '${patientId}' AND device =~ /^g-/`);
}

describe('Bluetooth devices on the patient page', () => {
  it('pairs a heart-rate strap and a blood-pressure cuff by a click; their readings reach InfluxDB and the console', async () => {
    const { page, patientId } = await seniorPage(true);
    const strap = await ble!.add('heart_rate_strap', STRAP, 87);
    const cuff = await ble!.add('blood_pressure_cuff', CUFF, 40);

    await pair(page, STRAP, strap);
    await expect.poll(() => deviceRow(page, strap).textContent()).toContain('pile 87 %');
    // A measurement the page cannot read (flags announce a 16-bit rate, no byte follows): said in
    // French, not in the decoder's words; the next good one clears it.
    await ble!.notify(page, STRAP, new Uint8Array([0x01]));
    await expect
      .poll(() => deviceRow(page, strap).getByTestId('ble-device-problem').textContent())
      .toBe(fr['ble.device.unreadable']);
    await ble!.notify(page, STRAP, bleValue('heart_rate_strap', { sample: { hr: 72 } })!);
    await expect
      .poll(() => deviceRow(page, strap).getByTestId('ble-last').textContent())
      .toMatch(/^Pouls 72 \/min .*envoyée/);
    expect(await deviceRow(page, strap).getAttribute('data-state')).toBe('receiving');
    expect(await deviceRow(page, strap).getByTestId('ble-device-problem').count()).toBe(0);

    await pair(page, CUFF, cuff);
    await ble!.notify(page, CUFF, bleValue('blood_pressure_cuff', { sample: { sys: 128, dia: 79, hr: 70 } })!);
    await expect
      .poll(() => deviceRow(page, cuff).getByTestId('ble-last').textContent())
      .toMatch(/^Tension 128\/79 mmHg · Pouls 70 \/min .*envoyée/);
    await page.screenshot({ path: artifactPath('ble-patient-page.png'), fullPage: true });

    // Stored as protocol v1 vitals of this tablet's gateway device, for this patient.
    const rows = await eventually(async () => {
      const r = await storedVitals(patientId);
      expect(r).toHaveLength(2);
      return r;
    }, 20_000);
    expect(rows.map((r) => [r.hr, r.sys, r.dia])).toEqual([
      [72, null, null],
      [70, 128, 79],
    ]);
    expect(new Set(rows.map((r) => r.device)).size).toBe(1);
    expect(t.broker.registry.device(String(rows[0]!.device))?.patientId).toBe(patientId);

    // The clinician's console shows them live.
    const clinician = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Martin',
      email: 'dr.martin@ch.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.people.team('Nord'), { people: [clinician.id], patients: [patientId] });
    const consolePage = await (
      await browser!.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' })
    ).newPage();
    await consolePage.goto(`${s.webUrl}/console/`);
    await consolePage.getByTestId('email').fill('dr.martin@ch.test');
    await consolePage.getByTestId('password').fill(FAMILY_PASSWORD);
    await consolePage.getByTestId('signin').click();
    await consolePage.goto(`${s.webUrl}/console/#/patient/${patientId}`);
    await expect
      .poll(() => consolePage.getByTestId('live-vitals').textContent(), { timeout: 15_000 })
      .toContain('128/79');
    await ble!.notify(page, STRAP, bleValue('heart_rate_strap', { sample: { hr: 81 } })!);
    await expect.poll(() => consolePage.getByTestId('live-hr').textContent(), { timeout: 15_000 }).toBe('81 /min');
    await consolePage.screenshot({ path: artifactPath('ble-console.png') });
  });

  it('sends a glucose meter\'s "LO" to the care team as a high-priority alert, which a normal reading then clears', async () => {
    const { page, patientId } = await seniorPage(true);
    const meter = await ble!.add('glucose_meter', METER, 75);
    await pair(page, METER, meter);
    // The meter dates its readings to the second: a LO 15 minutes ago (sent now), then the check after sugar.
    const lowAt = new Date(Date.now() - 15 * 60_000);
    await ble!.notify(
      page,
      METER,
      bleValue('glucose_meter', { sample: {}, glucoseBeyondRange: 'below', sequence: 1, at: lowAt })!,
    );
    await expect
      .poll(() => deviceRow(page, meter).getByTestId('ble-notice').textContent())
      .toBe(fr['ble.notice.glucose_below_range']);
    const alert = await eventually(async () => {
      const [a] = t.ingest.alertService.list([patientId]);
      expect(a).toMatchObject({
        kind: 'threshold:glucose-very-low',
        priority: 'high',
        active: true,
        detail: { vital: 'glucose', value: null, beyondDeviceRange: 'below' },
      });
      return a!;
    }, 20_000);
    await eventually(
      async () =>
        expect(await t.influx.rows(`SELECT * FROM events WHERE patient = '${patientId}'`)).toMatchObject([
          { type: 'out_of_range', vital: 'glucose', direction: 'below' },
        ]),
      20_000,
    );
    expect(await storedVitals(patientId)).toEqual([]); // no number was made up for it
    await page.screenshot({ path: artifactPath('ble-glucose-lo.png'), fullPage: true });

    // After sugar, 6.2 mmol/L: the alert's condition has ended (a person still closes it).
    await ble!.notify(
      page,
      METER,
      bleValue('glucose_meter', { sample: {}, glucoseMmolPerL: 6.2, sequence: 2, at: new Date() })!,
    );
    await eventually(
      async () =>
        expect(t.ingest.alertService.list([patientId]).find((a) => a.id === alert.id)).toMatchObject({ active: false }),
      20_000,
    );
    await eventually(async () => expect((await storedVitals(patientId)).map((r) => r.glucose)).toEqual([6.2]), 20_000);
    expect(await deviceRow(page, meter).getByTestId('ble-notice').count()).toBe(0);
  });

  it('reconnects a device that drops, and keeps sending', async () => {
    const { page, patientId } = await seniorPage(true);
    const strap = await ble!.add('heart_rate_strap', STRAP, 60);
    await pair(page, STRAP, strap);
    await ble!.drop(STRAP);
    await expect.poll(() => deviceRow(page, strap).getAttribute('data-state')).toBe('reconnecting');
    expect(await deviceRow(page, strap).textContent()).toContain(fr['ble.state.reconnecting']);
    await ble!.comeBack(STRAP, 59);
    await expect.poll(() => deviceRow(page, strap).getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting');
    await expect.poll(() => deviceRow(page, strap).textContent()).toContain('pile 59 %');
    await ble!.notify(page, STRAP, bleValue('heart_rate_strap', { sample: { hr: 66 } })!);
    await eventually(async () => expect((await storedVitals(patientId)).map((r) => r.hr)).toEqual([66]), 20_000);

    // The browser remembers the device: the page, opened again, reconnects it without the chooser.
    await page.reload();
    await expect.poll(() => deviceRow(page, strap).getAttribute('data-state')).toBe('reconnecting');
    await ble!.advertiseAfterReload(STRAP, 58);
    await expect.poll(() => deviceRow(page, strap).getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting');
    await ble!.notify(page, STRAP, bleValue('heart_rate_strap', { sample: { hr: 67 } })!);
    await eventually(async () => expect((await storedVitals(patientId)).map((r) => r.hr)).toEqual([66, 67]), 20_000);
  });

  it('says in plain words when the chooser is closed, and when the browser has no Bluetooth', async () => {
    const withBle = await seniorPage(true);
    ble!.chooseNext(undefined);
    await withBle.page.getByTestId('ble-pair').click();
    await expect.poll(() => withBle.page.getByTestId('ble-problem').textContent()).toBe(fr['ble.problem.cancelled']);
    await ble!.setRadio('absent');
    await withBle.page.getByTestId('ble-pair').click();
    await expect.poll(() => withBle.page.getByTestId('ble-problem').textContent()).toBe(fr['ble.problem.off']);
    await ble!.stop();
    await browser!.close();
    ble = undefined;

    const without = await seniorPage(false, 'jeanne.tablette@senior.test');
    await expect.poll(() => without.page.getByTestId('ble-problem').textContent()).toBe(fr['ble.problem.unsupported']);
    expect(await without.page.getByTestId('ble-pair').count()).toBe(0);
    await without.page.screenshot({ path: artifactPath('ble-unsupported.png'), fullPage: true });
  });
});
