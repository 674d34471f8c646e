/**
 * The console's list and charts, to be trusted by eye, in real headless Chromium against the running
 * broker, ingest, InfluxDB and web service, with watches publishing over MQTT: noisy readings that
 * flip a patient's NEWS2 do not move the rows until the new band has held (the page's clock is driven
 * by the test); readings beyond the patient's thresholds are marked in words; headers give units;
 * each watch says whether it is online. The charts read on clinical ranges with every threshold,
 * spot readings as points, 24-hour times in the page's language and a table of the same values.
 * Screenshots on a phone, a tablet and a desktop, in French and English, in tests/artifacts/.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, SCREENS, useBrowser } from './support/browser.ts';
import { connect } from './support/mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import { BAND_HOLD_MS } from '../web/src/console/order.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser();

/** A nurse of the stack's care team, signed in to the console; the page's clock is the test's to move. */
async function signIn(): Promise<Page> {
  const nurse = await s.people.createPerson({
    role: 'nurse',
    name: 'IDE Laurent',
    email: 'ide.laurent@ch.test',
    password: FAMILY_PASSWORD,
  });
  s.people.addToTeam(s.staffTeam, { people: [nurse.id] });
  const page = await openPage({ url: `${s.webUrl}/console/`, screen: SCREENS[2], locale: 'fr-FR', clock: true });
  await page.getByTestId('email').fill('ide.laurent@ch.test');
  await page.getByTestId('password').fill(FAMILY_PASSWORD);
  await page.getByTestId('signin').click();
  return page;
}

/** Screenshots of the page on every screen and in both languages (ending in French). */
async function shots(page: Page, name: string, ready: () => Promise<unknown>): Promise<void> {
  for (const lang of ['fr', 'en'] as const) {
    if ((await page.evaluate(() => document.documentElement.lang)) !== lang) {
      await page.getByRole('button', { name: lang === 'en' ? 'English' : 'Français' }).click();
    }
    for (const screen of SCREENS) {
      await page.setViewportSize({ width: screen.width, height: screen.height });
      await ready();
      // The charts follow the new width on the next frames.
      await expect
        .poll(() => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), {
          message: `${name} ${lang} ${screen.name} fits`,
        })
        .toBe(true);
      await page.screenshot({ path: artifactPath(`${name}-${lang}-${screen.name}.png`), fullPage: true });
    }
    expect(await accessibilityViolations(page), `${name} ${lang}`).toEqual([]);
  }
  await page.getByRole('button', { name: 'Français' }).click();
  await page.setViewportSize({ width: 1440, height: 900 });
}

it('keeps the rows in place through noisy readings until a NEWS2 band holds, and marks what is past a threshold', async () => {
  const anne = await s.senior('Anne Aubert');
  const bruno = await s.senior('Bruno Blanc');
  const celine = await s.senior('Céline Caron');
  const denise = await t.broker.registry.provisionPatient('Denise Dupont'); // never connected
  const emile = await t.broker.registry.provisionPatient('Émile Petit'); // connects once, then leaves
  s.people.addToTeam(s.staffTeam, { patients: [denise.patientId, emile.patientId] });

  // The page's clock is moved ahead by the test: readings are stamped on the page's time.
  let ahead = 0;
  let seq = 0;
  const reading = (who: { publish: (c: 'vitals', b: object) => Promise<void> }, body: object) =>
    who.publish('vitals', { ts: Date.now() + ahead, seq: ++seq, ...body });
  const calm = { hr: 72, spo2: 97, temp: 36.8 }; // NEWS2 0
  const mild = { hr: 95, spo2: 95, temp: 36.8 }; // NEWS2 2 (1 + 1): the low band, no alert
  await reading(anne, calm);
  await reading(bruno, mild);
  await reading(celine, calm);
  const watch = await connect(t.broker.url, {
    clientId: emile.deviceId,
    username: emile.deviceId,
    password: emile.secret,
  });
  await watch.publishAsync(deviceTopic(emile.deviceId, 'vitals'), JSON.stringify({ ts: Date.now(), seq: 1, ...calm }), {
    qos: 1,
  });
  // Going away as a watch does when its battery is pulled: its will, the retained status "offline".
  await watch.publishAsync(deviceTopic(emile.deviceId, 'status'), 'offline', { qos: 1, retain: true });
  await watch.endAsync();

  const page = await signIn();
  const rows = page.getByTestId('patient-row');
  const order = () => rows.locator('th a').allTextContents();
  const cell = (who: { patientId: string }, testid: string) =>
    page.locator(`[data-testid="patient-row"][data-patient="${who.patientId}"] [data-testid="${testid}"]`);
  // Low band first, then no points, by name; no reading at all last.
  const settled = ['Bruno Blanc', 'Anne Aubert', 'Céline Caron', 'Émile Petit', 'Denise Dupont'];
  await expect.poll(order).toEqual(settled);

  // Céline's score moves between 0 and 2 (a spot reading while she has fewer than three, then the
  // median of her window: ingest/ALERTS.md): her row stays where it is.
  for (const [i, [body, score]] of (
    [
      [mild, '2*'],
      [calm, '0*'],
      [mild, '0*'],
      [mild, '2*'],
    ] as const
  ).entries()) {
    const hr = body.hr + i;
    await reading(celine, { ...body, hr });
    await expect.poll(() => cell(celine.device, 'hr').textContent()).toBe(String(hr));
    await expect.poll(() => cell(celine.device, 'news2').textContent()).toBe(score);
    expect(await order()).toEqual(settled);
  }
  // Still 2 after most of the hold: still in place (the page's timers have run through that time).
  ahead += BAND_HOLD_MS - 10_000;
  await page.clock.fastForward(BAND_HOLD_MS - 10_000);
  await reading(celine, { ...mild, hr: 99 });
  await expect.poll(() => cell(celine.device, 'hr').textContent()).toBe('99');
  expect(await order()).toEqual(settled);
  // Once the low band has held, Céline joins Bruno in it.
  ahead += 15_000;
  await page.clock.fastForward(15_000);
  await expect.poll(order).toEqual(['Bruno Blanc', 'Céline Caron', 'Anne Aubert', 'Émile Petit', 'Denise Dupont']);

  // Headers give units; a scale's and a glucose meter's columns come with the first such reading.
  const headers = page.locator('thead th');
  const vitals = ['Pouls (/min)', 'SpO2 (%)', 'Temp. (°C)', 'Tension (mmHg)'];
  await expect.poll(() => headers.allTextContents()).toEqual(['Patient', 'Montre', 'Alertes', 'NEWS2', ...vitals]);
  await reading(celine, { ...mild, hr: 99, weight: 64.2, glucose: 3.5 });
  await expect
    .poll(() => headers.allTextContents())
    .toEqual(['Patient', 'Montre', 'Alertes', 'NEWS2', ...vitals, 'Poids (kg)', 'Glycémie (mmol/L)']);
  await expect.poll(() => cell(celine.device, 'glucose').textContent()).toBe('3,5▼ (sous le seuil de 3,9 mmol/L)');

  // Anne's pulse and temperature go past her thresholds: marked with an arrow, and said in words.
  await reading(anne, { hr: 125, spo2: 96, temp: 38.4 });
  await expect.poll(() => cell(anne.device, 'temp').textContent()).toBe('38,4▲ (au-dessus du seuil de 38 °C)');
  expect(await cell(anne.device, 'temp').getAttribute('data-beyond')).toBe('above');
  expect(await cell(anne.device, 'temp').getAttribute('title')).toBe('au-dessus du seuil de 38 °C');
  expect(await cell(anne.device, 'hr').textContent()).toBe('125▲ (au-dessus du seuil de 120 /min)');
  expect(await cell(anne.device, 'spo2').getAttribute('data-beyond')).toBeNull();
  expect(await cell(bruno.device, 'hr').getAttribute('data-beyond')).toBeNull();
  await reading(bruno, { hr: 95, spo2: 93, temp: 36.8 });
  await expect.poll(() => cell(bruno.device, 'spo2').textContent()).toBe('93');
  // 91 scores 3 (a red parameter): below the 92 % threshold.
  await reading(bruno, { hr: 95, spo2: 91, temp: 36.8 });
  await expect.poll(() => cell(bruno.device, 'spo2').textContent()).toBe('91▼ (sous le seuil de 92 %)');

  // Each watch says whether it is there.
  const presence = (who: { patientId: string }) =>
    page.locator(`[data-testid="patient-row"][data-patient="${who.patientId}"] [data-testid="presence"]`);
  expect(await presence(anne.device).textContent()).toBe('en ligne');
  await reading(anne, { hr: 125, spo2: 96, temp: 38.4, battery: 64 });
  await expect.poll(() => presence(anne.device).textContent()).toBe('en ligne· Batterie 64 %');
  expect(await presence(denise).textContent()).toBe('jamais connectée');
  await expect.poll(() => presence(emile).textContent()).toMatch(/^hors ligne depuis\s\d+\smin$/);

  await shots(page, 'console-list', () => expect.poll(() => rows.count()).toBe(5));
  // On a phone the list scrolls sideways to the last columns, and the names stay in view.
  await page.setViewportSize({ width: 390, height: 844 });
  await page
    .getByRole('region', { name: MESSAGES.fr['console.list'] })
    .evaluate((el) => el.scrollTo(el.scrollWidth, 0));
  await expect
    .poll(() => cell(celine.device, 'glucose').evaluate((el) => el.getBoundingClientRect().right <= 390))
    .toBe(true);
  // On a phone the open alerts come first: the list is further down the page.
  await rows.first().locator('th a').scrollIntoViewIfNeeded();
  const name = (await rows.first().locator('th a').boundingBox())!;
  expect(name.x).toBeGreaterThanOrEqual(0);
  expect(
    await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.textContent, { x: name.x + 5, y: name.y + 5 }),
  ).toBe('Céline Caron');
  await page.screenshot({ path: artifactPath('console-list-fr-phone-scrolled.png') });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole('button', { name: 'English' }).click();
  await expect.poll(() => headers.nth(4).textContent()).toBe('Pulse (/min)');
  expect(await cell(anne.device, 'temp').textContent()).toBe('38.4▲ (above the threshold of 38 °C)');
}, 120_000);

it('charts a patient on clinical ranges with every threshold, spot readings as points, French times and a table', async () => {
  const jeanne = await s.senior('Jeanne Martin');
  const now = Date.now();
  const minute = 60_000;
  // The last hour from the watch: a pulse of 74–76 every minute; four temperatures; two blood pressures.
  const samples = Array.from({ length: 50 }, (_, i) => ({
    ts: now - (50 - i) * minute,
    seq: i + 1,
    hr: 74 + (i % 3),
    spo2: 96 + (i % 2),
    ...(i % 12 === 5 ? { temp: [36.8, 37.2, 38.4, 37][Math.floor(i / 12)] } : {}),
    ...(i === 10 ? { sys: 185, dia: 95 } : i === 40 ? { sys: 128, dia: 78 } : {}),
  }));
  await jeanne.publish('vitals', { samples });

  const page = await signIn();
  await page.getByRole('link', { name: 'Jeanne Martin' }).click();
  await page.getByTestId('range-1h').click();
  await expect.poll(() => page.getByTestId('charts').getAttribute('data-source')).toBe('raw');
  const chart = (vital: string) => page.locator(`[data-testid="chart"][data-vital="${vital}"]`);
  await expect.poll(async () => Number(await chart('temp').getAttribute('data-readings'))).toBe(4);

  // The pulse on its clinical range, not 74–76, with the four thresholds; SpO2's two as well.
  expect([await chart('hr').getAttribute('data-y-min'), await chart('hr').getAttribute('data-y-max')]).toEqual([
    '30',
    '150',
  ]);
  expect(await chart('hr').getAttribute('data-thresholds')).toBe('120 140 45 40');
  expect(await chart('spo2').getAttribute('data-thresholds')).toBe('92 88');
  expect(await chart('bp').getAttribute('data-style')).toBe('pairs');

  // The temperature is four points on the canvas (in the series' own colour), not an empty chart.
  expect(await chart('temp').getAttribute('data-style')).toBe('points');
  const painted = await chart('temp')
    .locator('canvas')
    .evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 14 && data[i + 1] === 116 && data[i + 2] === 144) n++;
      return n;
    });
  expect(painted).toBeGreaterThan(4 * 20);

  // The same values as a table, with French times on a 24-hour clock.
  await chart('temp').getByText(MESSAGES.fr['console.chart.table']).click();
  const table = chart('temp').getByTestId('chart-table');
  await expect.poll(() => table.locator('tbody tr').count()).toBe(4);
  const first = await table.locator('tbody tr').first().textContent();
  expect(first).toMatch(/^\d{1,2} [a-zéû]+\.?, \d\d:\d\d37,0 °C$/);
  expect(await table.locator('tbody').textContent()).toContain('38,4 °C');
  expect(await table.locator('caption').textContent()).toContain('> 38 °C');
  // The chart's own tooltip (legend) tells the time the same way.
  await chart('hr').locator('.u-over').hover();
  await expect
    .poll(() => chart('hr').locator('.u-legend .u-series').first().locator('.u-value').textContent())
    .toMatch(/^\d{1,2} [a-zéû]+\.?, \d\d:\d\d$/);

  // The live panel marks a reading past a threshold as the list does.
  await jeanne.publish('vitals', { ts: Date.now(), seq: 100, hr: 75, spo2: 96, temp: 38.4 });
  await expect
    .poll(() => page.getByTestId('live-vitals').locator('[data-beyond="above"]').textContent())
    .toBe('38,4▲ (au-dessus du seuil de 38 °C)');

  // Near a temperature point (38.4 °C, 21 minutes ago, 39/60 of the way), the tooltip gives it and its time.
  const over = chart('temp').locator('.u-over');
  const area = (await over.boundingBox())!;
  await over.hover({ position: { x: area.width * (39 / 60) + 12, y: area.height / 2 } });
  await expect
    .poll(() => chart('temp').locator('.u-legend .u-series').nth(1).locator('.u-value').textContent())
    .toMatch(/^38,4 °C \(\d\d:\d\d\)$/);

  await shots(page, 'console-patient-charts', () =>
    expect.poll(async () => Number(await chart('temp').getAttribute('data-readings'))).toBe(4),
  );

  // A week: the axis gives dates, a tick a day at most.
  await page.getByTestId('range-7d').click();
  await expect.poll(() => page.getByTestId('charts').getAttribute('data-range')).toBe('7d');
  await expect.poll(() => page.getByTestId('charts').getAttribute('data-source')).not.toBe('raw');
  await chart('hr').scrollIntoViewIfNeeded();
  await chart('hr').screenshot({ path: artifactPath('console-chart-7d-fr.png') });
}, 120_000);
