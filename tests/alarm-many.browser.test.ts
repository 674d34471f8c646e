/**
 * A regional team with many open alarms at once, in real headless Chromium against the running
 * broker, ingest, InfluxDB and web service: the banner shows the most urgent few (urgent first, then
 * the oldest) and one line for the others, which leads to the alert feed; a new alarm that is not
 * among those shown still sounds, titles the tab and is announced. Screenshots at 390, 820 and
 * 1440 px in French and English in tests/artifacts/alarm-many-*.png.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, LANGS, SCREENS, useBrowser } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { BANNER_CAP } from '../web/src/lib/alarm/open-alarms.ts';

const fr = MESSAGES.fr;
const en = MESSAGES.en;
const t = usePipeline();
const s = useFamilyStack(t);
const open = useBrowser();

interface AlarmState {
  pattern: string | null;
  bursts: number;
}
const alarmState = (page: Page) =>
  page.evaluate(() => {
    const a = (window as unknown as { vigieAlarm?: AlarmState }).vigieAlarm;
    return a ? { pattern: a.pattern, bursts: a.bursts } : undefined;
  });

it('caps the banner at the most urgent alarms, leads to all of them, and still rings and announces a new one', async () => {
  // Six watches taken off (medium), then two SOS (high): eight alarms, opened a second apart.
  const seniors = [];
  for (let i = 1; i <= 9; i++) seniors.push(await s.senior(`Patient ${i}`));
  const start = Date.now() - 60_000;
  for (const [i, senior] of seniors.slice(0, 8).entries()) {
    await senior.publish('events', { ts: start + i * 1000, seq: 1, type: i < 6 ? 'removed' : 'sos' });
  }
  const { cookie } = await s.clinician({ name: 'Dr Claire Morel', email: 'claire.morel@ch.test' });

  const page = await open({ url: `${s.webUrl}/console/`, screen: SCREENS[2], locale: 'fr-FR', cookie });
  await page.getByTestId('alarm-sound-enable').click();
  const more = page.getByTestId('alarm-more');
  await expect.poll(() => page.getByTestId('alarm-banner').getAttribute('data-count')).toBe('8');
  // The two SOS first, then the oldest medium alarm; the five others on one line.
  expect(await page.getByTestId('alarm').evaluateAll((li) => li.map((e) => e.textContent))).toEqual([
    expect.stringContaining('Patient 7'),
    expect.stringContaining('Patient 8'),
    expect.stringContaining('Patient 1'),
  ]);
  expect(BANNER_CAP).toBe(3);
  expect(await more.textContent()).toBe(`Et 5 autres alarmes — ${fr['alarm.more.show']}`);
  await expect.poll(async () => (await alarmState(page))?.pattern).toBe('high');
  await expect.poll(() => page.title()).toMatch(/^\(8\) URGENT — Appel SOS — Patient 7$/);

  // A ninth alarm, not among those shown: the line counts it, the tab's title too, it is announced
  // (politely: medium), and the alarm goes on sounding.
  const before = (await alarmState(page))!.bursts;
  await seniors[8]!.publish('events', { ts: Date.now(), seq: 1, type: 'removed' });
  await expect.poll(() => more.getAttribute('data-count')).toBe('6');
  expect(await page.getByTestId('alarm').count()).toBe(BANNER_CAP);
  await expect.poll(() => page.getByTestId('alarm-polite').textContent()).toContain('Patient 9');
  await expect.poll(() => page.title()).toMatch(/^\(9\) /);
  await expect.poll(async () => (await alarmState(page))?.bursts).toBeGreaterThan(before);
  expect((await alarmState(page))?.pattern).toBe('high');

  // From a patient's page, the line leads (by keyboard) to the list with the feed focused: all nine.
  await page.goto(`${s.webUrl}/console/#/patient/${seniors[0]!.device.patientId}`);
  await expect.poll(() => page.getByTestId('feed').count()).toBe(0);
  await more.focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('alert-feed');
  expect(page.url()).toMatch(/#\/$/);
  expect(await page.getByTestId('feed-alert').count()).toBe(9);
  expect(await page.getByTestId('feed-alert').first().getByTestId('ack').count()).toBe(1);
}, 120_000);

it('looks right with many alarms on a phone, a tablet and a desktop, in French and English', async () => {
  const seniors = [];
  for (let i = 1; i <= 12; i++) seniors.push(await s.senior(`Patient ${i}`));
  const start = Date.now() - 60_000;
  for (const [i, senior] of seniors.entries()) {
    await senior.publish('events', { ts: start + i * 1000, seq: 1, type: i % 3 ? 'removed' : 'sos' });
  }
  const { cookie } = await s.clinician({ name: 'Dr Claire Morel', email: 'claire.morel@ch.test' });
  for (const { lang, locale } of LANGS) {
    for (const screen of SCREENS) {
      const page = await open({ url: `${s.webUrl}/console/`, screen, locale, cookie });
      const more = page.getByTestId('alarm-more');
      await expect.poll(() => more.getAttribute('data-count')).toBe(String(12 - BANNER_CAP));
      await expect.poll(() => page.getByTestId('feed-alert').count()).toBe(12);
      // Four SOS among twelve: three shown, one urgent among the nine others.
      expect(await more.textContent()).toBe(
        lang === 'fr'
          ? `Et 9 autres alarmes, dont 1 urgente — ${fr['alarm.more.show']}`
          : `And 9 more alarms, 1 urgent — ${en['alarm.more.show']}`,
      );
      // The patient list is in reach: the feed scrolls within about a screen instead of the page.
      const feedHeight = await page.getByTestId('feed').evaluate((e) => e.getBoundingClientRect().height);
      expect(feedHeight).toBeLessThanOrEqual(Math.max(320, 0.7 * screen.height) + 1);
      expect(await accessibilityViolations(page), `${lang} ${screen.name}`).toEqual([]);
      await page.screenshot({ path: artifactPath(`alarm-many-${screen.width}-${lang}.png`), fullPage: true });
      await page.context().close();
    }
  }
}, 180_000);
