/**
 * The alarm nobody can miss, in real headless Chromium against the running broker, ingest, InfluxDB,
 * SFU and web service, with a simulated watch: an SOS sounds the high-priority pattern (checked
 * through the page's own audio state), shows a banner on every console view and on the clinician's
 * call page, changes the tab's title and is announced assertively; acknowledging it stops all that.
 * A medium alert sounds the medium pattern; in a background tab an alarm is a system notification
 * (checked through the service worker). Screenshots in tests/artifacts/alarm-*.png.
 */
import { afterEach, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, launchBrowser } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const fr = MESSAGES.fr;
const t = usePipeline();
const s = useFamilyStack(t, { sfu: true });
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

interface AlarmState {
  pattern: string | null;
  bursts: number;
  audio: string;
}
const alarmState = (page: Page) =>
  page.evaluate(() => {
    const a = (window as unknown as { vigieAlarm?: AlarmState }).vigieAlarm;
    return a ? { pattern: a.pattern, bursts: a.bursts, audio: a.audio } : undefined;
  });

async function signIn(page: Page, url: string, email: string) {
  await page.goto(`${url}/console/`);
  await page.getByTestId('email').fill(email);
  await page.getByTestId('password').fill(FAMILY_PASSWORD);
  await page.getByTestId('signin').click();
  await expect.poll(() => page.getByTestId('patient-row').count()).toBeGreaterThan(0);
}

async function clinician(name: string, email: string) {
  const doctor = await s.people.createPerson({ role: 'clinician', name, email, password: FAMILY_PASSWORD });
  s.people.addToTeam(s.staffTeam, { people: [doctor.id] });
  return doctor;
}

it('sounds, shows and titles an SOS on every console view and on the call page until it is acknowledged', async () => {
  const jeanne = await s.senior('Jeanne Martin');
  const marcel = await s.senior('Marcel Bernard');
  await clinician('Dr Claire Morel', 'claire.morel@ch.test');

  browser = await launchBrowser({ media: 'granted' });
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'fr-FR',
    bypassCSP: true,
  });
  const page = await context.newPage();
  await signIn(page, s.webUrl, 'claire.morel@ch.test');
  const baseTitle = fr['console.title'];
  await expect.poll(() => page.title()).toBe(baseTitle);
  // Sound is off until the person allows it: a prominent button says so, and turns it on.
  expect(await alarmState(page)).toEqual({ pattern: null, bursts: 0, audio: 'off' });
  await page.getByTestId('alarm-sound-enable').click();
  await expect.poll(() => page.getByTestId('alarm-sound-on').textContent()).toBe(fr['alarm.sound.on']);
  expect((await alarmState(page))?.audio).toBe('on');

  // An SOS from Jeanne's watch: the high pattern repeats, the banner names her, the title says it.
  await jeanne.publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
  const banner = page.getByTestId('alarm-banner');
  await expect.poll(() => banner.getByTestId('alarm').getAttribute('data-kind')).toBe('sos');
  expect(await banner.textContent()).toContain('Jeanne Martin');
  await expect.poll(() => page.title()).toBe('(1) URGENT — Appel SOS — Jeanne Martin');
  await expect.poll(() => page.getByTestId('alarm-assertive').textContent()).toBe('Urgent : Appel SOS — Jeanne Martin');
  expect(await page.getByTestId('alarm-assertive').getAttribute('role')).toBe('alert');
  await expect.poll(async () => (await alarmState(page))?.bursts).toBeGreaterThanOrEqual(2);
  expect((await alarmState(page))?.pattern).toBe('high');
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.screenshot({ path: artifactPath('alarm-console-list.png') });

  // On another patient's page, and on the tokens page, the banner is still there.
  await page.goto(`${s.webUrl}/console/#/patient/${marcel.device.patientId}`);
  await expect.poll(() => page.getByTestId('alarm').getAttribute('data-kind')).toBe('sos');
  await expect.poll(() => page.title()).toBe('(1) URGENT — Appel SOS — Jeanne Martin');
  await page.getByTestId('tokens-link').click();
  await expect.poll(() => page.getByTestId('alarm').count()).toBe(1);

  // A teleconsultation with Marcel: the clinician's call page shows the team's alarm too.
  const links = await page.evaluate(async (patientId) => {
    const res = await fetch('/api/consultations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ patientId, inviteFamily: false }),
    });
    return ((await res.json()) as { links: { clinician: string } }).links;
  }, marcel.device.patientId);
  const callPage = await context.newPage();
  await callPage.goto(links.clinician);
  await expect.poll(() => callPage.getByTestId('alarm').getAttribute('data-kind')).toBe('sos');
  expect(await callPage.getByTestId('alarm-open').getAttribute('href')).toBe(
    `/console/#/patient/${jeanne.device.patientId}`,
  );
  await expect.poll(() => callPage.title()).toBe('(1) URGENT — Appel SOS — Jeanne Martin');
  await callPage.screenshot({ path: artifactPath('alarm-call-page.png') });

  // Acknowledged from the call page: the console stops sounding and its title comes back.
  await callPage.getByTestId('alarm-ack').click();
  await expect.poll(() => callPage.getByTestId('alarm').count()).toBe(0);
  await expect.poll(async () => (await alarmState(page))?.pattern).toBeNull();
  await expect.poll(() => page.title()).toBe(baseTitle);
  await expect.poll(() => page.getByTestId('alarm-banner').count()).toBe(0);
  await expect.poll(() => callPage.title()).not.toContain('URGENT');
}, 120_000);

it('sounds the medium pattern for a medium alert, and notifies through the service worker in a background tab', async () => {
  const simone = await s.senior('Simone Dubois');
  await clinician('Dr Paul Girard', 'paul.girard@ch.test');
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR' });
  await context.grantPermissions(['notifications'], { origin: s.webUrl });
  const page = await context.newPage();
  await signIn(page, s.webUrl, 'paul.girard@ch.test');
  await page.getByTestId('alarm-sound-enable').click();
  await expect.poll(async () => (await alarmState(page))?.audio).toBe('on');

  // The watch is taken off: a medium alert, the medium pattern, announced politely.
  await simone.publish('events', { ts: Date.now(), seq: 1, type: 'removed' });
  await expect.poll(async () => (await alarmState(page))?.pattern).toBe('medium');
  await expect.poll(async () => (await alarmState(page))?.bursts).toBeGreaterThanOrEqual(1);
  await expect
    .poll(() => page.getByTestId('alarm-polite').textContent())
    .toBe('Important : Montre retirée — Simone Dubois');
  expect(await page.getByTestId('alarm-assertive').textContent()).toBe('');

  // The tab goes to the background (headless Chromium keeps every tab visible: the page is told so),
  // then an SOS arrives: a notification from the service worker, that opens the console on Simone.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await simone.publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
  await expect.poll(async () => (await alarmState(page))?.pattern).toBe('high');
  const notifications = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        url: (n.data as { url: string }).url,
      }));
    });
  await expect.poll(notifications).toEqual([
    {
      title: 'URGENT — Appel SOS',
      body: 'Simone Dubois',
      tag: expect.stringMatching(/^alert-\d+$/),
      url: `/console/#/patient/${simone.device.patientId}`,
    },
  ]);
}, 120_000);
