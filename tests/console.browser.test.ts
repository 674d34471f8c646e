/**
 * The clinician console in real headless Chromium, against the running broker, ingest, InfluxDB, SFU
 * and web service, with simulated watches: sign in; live values change; a fall raised by one watch
 * comes to the top, is acknowledged and the audit shows it; the 24 h charts open; a teleconsultation
 * starts from the alert with the video and the patient's vitals on one page; a patient outside the
 * team is refused with the reason. Screenshots in tests/artifacts/console-*.png.
 */
import { afterEach, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { recordIdentity } from './support/identity.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, launchBrowser } from './support/browser.ts';
import { Fleet } from '../simulators/fleet.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const fr = MESSAGES.fr;
let fleets: Fleet[] = [];
const t = usePipeline(async () => {
  await Promise.all(fleets.map((f) => f.stop()));
  fleets = [];
});
const s = useFamilyStack(t, { sfu: true });
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

it('takes a clinician from sign-in to a teleconsultation started from a fall alert', async () => {
  const names = ['Jeanne Martin', 'Marcel Bernard', 'Simone Dubois', 'Robert Thomas'];
  const watches = await Promise.all(names.map((n) => t.broker.registry.provisionPatient(n)));
  const outsider = await t.broker.registry.provisionPatient('Odette Leroy');
  recordIdentity(t.broker.registry, watches[0]!.patientId, {
    birthName: 'Martin',
    firstNames: 'Jeanne',
    birthDate: '1941-02-03',
    sex: 'female',
  });
  const jeanne = 'MARTIN Jeanne, née le 03/02/1941 (F)';
  const doctor = await s.people.createPerson({
    role: 'clinician',
    name: 'Dr Martin',
    email: 'dr.martin@ch.test',
    password: FAMILY_PASSWORD,
  });
  s.people.addToTeam(s.people.team('Équipe Nord'), { people: [doctor.id], patients: watches.map((w) => w.patientId) });
  const common = {
    brokerUrl: t.broker.url,
    rate: 2,
    qos: 1 as const,
    seed: 7,
    affected: 0,
    atSec: 0,
    offlineMinutes: 1,
    connectRate: 100,
    batchSeconds: 0, // live values change on screen from one reading to the next
  };
  fleets.push(new Fleet({ ...common, watches: watches.slice(1), scenario: 'normal' }));
  fleets.push(new Fleet({ ...common, watches: watches.slice(0, 1), scenario: 'fall', affected: 1, atSec: 4 }));

  browser = await launchBrowser({ media: 'granted' });
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'fr-FR' });
  let page = await context.newPage();
  await page.goto(`${s.webUrl}/console/`);
  await page.getByTestId('email').fill('dr.martin@ch.test');
  await page.getByTestId('password').fill(FAMILY_PASSWORD);
  await page.getByTestId('signin').click();
  await expect.poll(() => page.getByTestId('patient-row').count()).toBe(4);

  // Live values arrive and change.
  const hrOf = () =>
    page
      .locator(`[data-testid="patient-row"][data-patient="${watches[1]!.patientId}"] [data-testid="hr"]`)
      .textContent();
  await expect.poll(hrOf).toMatch(/^\d+$/);
  const first = await hrOf();
  await expect.poll(hrOf).not.toBe(first);
  await page.screenshot({ path: artifactPath('console-list.png') });

  // The fall comes to the top, with the alert in the feed.
  await expect
    .poll(() => page.getByTestId('patient-row').first().getAttribute('data-patient'), { timeout: 30_000 })
    .toBe(watches[0]!.patientId);
  const fall = page.locator('[data-testid="feed-alert"][data-kind="fall"]');
  await expect.poll(() => fall.count()).toBe(1);
  expect(await fall.textContent()).toContain(jeanne);
  expect(await page.getByTestId('patient-row').first().getAttribute('class')).toContain('high');
  await fall.getByTestId('ack').click();
  await expect.poll(() => fall.getByTestId('acked').textContent()).toMatch(/^acquittée par Dr Martin à \d\d:\d\d$/);
  await fall.getByTestId('history').click();
  await expect.poll(() => fall.getByTestId('audit').textContent()).toContain('Dr Martin — Acquittée');
  await page.screenshot({ path: artifactPath('console-fall-acknowledged.png') });

  // The patient's 24 h charts.
  await page.getByRole('link', { name: 'Marcel Bernard' }).click();
  await expect.poll(() => page.getByTestId('charts').getAttribute('data-source')).toBe('1m');
  const charts = page.getByTestId('chart');
  await expect.poll(() => charts.count()).toBe(4);
  const width = await charts.first().evaluate((el) => el.clientWidth);
  expect(Number(await charts.first().getAttribute('data-points'))).toBeLessThanOrEqual(width);
  await page.getByTestId('range-1h').click();
  await expect.poll(() => page.getByTestId('charts').getAttribute('data-source')).toBe('raw');
  await expect.poll(async () => Number(await charts.first().getAttribute('data-points'))).toBeGreaterThan(0);
  await page.getByTestId('note-text').fill('Appel à la fille : visite prévue demain.');
  await page.getByTestId('note-add').click();
  await expect.poll(() => page.getByTestId('notes').textContent()).toContain('Dr Martin');
  await page.screenshot({ path: artifactPath('console-patient-charts.png'), fullPage: true });

  // A patient outside the team: refused, and the page says why.
  await page.goto(`${s.webUrl}/console/#/patient/${outsider.patientId}`);
  await expect.poll(() => page.getByTestId('forbidden').textContent()).toBe(fr['console.forbidden']);
  await page.screenshot({ path: artifactPath('console-forbidden.png') });

  // A teleconsultation from the fall alert: the video and the patient's vitals on one page.
  await page.goto(`${s.webUrl}/console/`);
  // The page only opens the clinician's link; the test keeps the patient's, to join as the senior would.
  let links: { patient: string } | undefined;
  await context.route('**/api/consultations', async (route) => {
    const response = await route.fetch();
    links = ((await response.json()) as { links: { patient: string } }).links;
    await route.fulfill({ response });
  });
  // The call opens in a tab of its own, beside the console.
  const consolePage = page;
  [page] = await Promise.all([context.waitForEvent('page'), fall.getByTestId('call-from-alert').click()]);
  await page.waitForURL(/\/call\/[\w-]+$/);
  expect(consolePage.url()).toBe(`${s.webUrl}/console/`);
  await page.getByTestId('join').click();
  await expect.poll(() => page.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);
  // The senior joins from their link and is let in.
  const senior = await (
    await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'fr-FR' })
  ).newPage();
  await senior.goto(links!.patient);
  await senior.getByTestId('join').click();
  await page.getByTestId('admit-patient').click();
  await expect
    .poll(() => page.locator('[data-testid="video-camera"] video').evaluate((v: HTMLVideoElement) => v.videoWidth), {
      timeout: 20_000,
    })
    .toBeGreaterThan(0);
  await expect.poll(() => page.getByTestId('call-vitals').count()).toBe(1);
  expect(await page.getByTestId('call-patient').textContent()).toBe(jeanne);
  await expect.poll(() => page.getByTestId('live-hr').textContent()).toMatch(/^\d+ \/min$/);
  await expect
    .poll(() => page.locator('.selfview video').evaluate((v: HTMLVideoElement) => v.videoWidth))
    .toBeGreaterThan(0);
  await expect
    .poll(async () => Number(await page.getByTestId('chart').first().getAttribute('data-points')))
    .toBeGreaterThan(0);
  await page
    .locator('aside')
    .first()
    .evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: artifactPath('console-teleconsultation.png') });
}, 120_000);

it('lists a large team without putting every row in the page, scrolls to any of them, and passes an accessibility audit', async () => {
  const many = await Promise.all(
    Array.from({ length: 240 }, (_, i) =>
      t.broker.registry.provisionPatient(`Patient ${String(i + 1).padStart(3, '0')}`),
    ),
  );
  const { device, publish } = await s.senior('Aimée Zola');
  const nurse = await s.people.createPerson({
    role: 'nurse',
    name: 'IDE Laurent',
    email: 'ide.laurent@ch.test',
    password: FAMILY_PASSWORD,
  });
  s.people.addToTeam(s.people.team('Équipe Sud'), {
    people: [nurse.id],
    patients: [...many.map((w) => w.patientId), device.patientId],
  });
  await publish('vitals', { ts: Date.now(), seq: 1, hr: 128, spo2: 91, temp: 38.4, battery: 64 });
  await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });

  browser = await launchBrowser();
  // bypassCSP: axe-core is injected as a script, which the page's CSP (rightly) refuses otherwise.
  const page = await (
    await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR', bypassCSP: true })
  ).newPage();
  await page.goto(`${s.webUrl}/console/`);
  await page.getByTestId('email').fill('ide.laurent@ch.test');
  await page.getByTestId('password').fill(FAMILY_PASSWORD);
  await page.getByTestId('signin').click();
  await expect.poll(() => page.getByTestId('patient-count').getAttribute('data-total')).toBe('241');
  const rendered = await page.getByTestId('patient-row').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThan(80); // the rows in view and a few around, not 241
  // The SOS first (most severe alert), then everyone by name.
  await expect.poll(() => page.getByTestId('patient-row').first().textContent()).toContain('Aimée Zola');
  expect(await page.getByTestId('patient-row').nth(1).textContent()).toContain('Patient 001');
  await expect.poll(() => page.locator('[data-testid="feed-alert"][data-kind="sos"]').count()).toBe(1);
  expect(await accessibilityViolations(page)).toEqual([]);

  // The keyboard scrolls the list; the last patient comes into view, in name order.
  await page.getByRole('region', { name: fr['console.list'] }).focus();
  await page.keyboard.press('End');
  await expect.poll(() => page.getByTestId('patient-row').last().textContent()).toContain('Patient 240');
  expect(await page.getByTestId('patient-row').count()).toBeLessThan(80);
  await page.screenshot({ path: artifactPath('console-large-team.png') });
  // Search still looks through everyone, not only the rows in the page.
  await page.getByTestId('search').fill('Patient 123');
  await expect
    .poll(() => page.getByTestId('patient-row').allTextContents())
    .toEqual([expect.stringContaining('Patient 123')]);

  // The patient page (charts, thresholds, notes) and the English version pass the audit too.
  await page.getByTestId('search').fill('Aimée');
  await page.getByTestId('patient-row').getByRole('link', { name: 'Aimée Zola' }).click();
  await expect.poll(() => page.locator('canvas').count()).toBeGreaterThan(0);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'English' }).click();
  expect(await accessibilityViolations(page)).toEqual([]);
});
