/**
 * Scheduled teleconsultations in real Chromium against the real stack: a clinician books one on the
 * patient's console page (date, time, length, reason), sees it listed, cancels one after a spoken
 * confirmation, and finds it in "Today's consultations"; the senior's family page says "Votre prochaine
 * consultation : … avec Dr Roux", and its "Join" button turns on 10 minutes before the start (the page's
 * clock is moved, not waited for) once the clinician has opened the consultation. Phone, tablet and
 * desktop, French and English, axe-core clean, no sideways scroll; screenshots in
 * tests/artifacts/appointments-*.png.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { looksRight as checkPage, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { appointmentWhen, clockTime } from '../common/appointment-time.ts';

const t = usePipeline();
const s = useFamilyStack(t, { sfu: true });
const openPage = useBrowser({ media: 'absent' });

/** The page checked and its screenshot in tests/artifacts/appointments-`shot`.png. */
const looksRight = (page: Page, shot: string, within?: string) => checkPage(page, `appointments-${shot}.png`, within);

const say = (lang: 'fr' | 'en', key: keyof typeof MESSAGES.fr, params: Record<string, string>) =>
  MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');

/** A date field's and a time field's values for a local instant. */
function fields(at: Date): { date: string; time: string } {
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`,
    time: `${two(at.getHours())}:${two(at.getMinutes())}`,
  };
}

describe('scheduled teleconsultations in the pages', () => {
  it('are booked and cancelled on the patient’s console page, and listed as today’s', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    let day = 0;
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        day += 1;
        const at = new Date();
        at.setDate(at.getDate() + day);
        at.setHours(10, 30, 0, 0);
        const page = await openPage({
          url: `${s.webUrl}/console/#/patient/${patientId}`,
          screen,
          locale,
          cookie: doctor.cookie,
        });
        await expect.poll(() => page.getByTestId('appointments').count()).toBe(1);
        const { date, time } = fields(at);
        await page.locator('#appointment-date').fill(date);
        await page.locator('#appointment-time').fill(time);
        await page.locator('#appointment-minutes').selectOption('20');
        await page.locator('#appointment-reason').fill('Suivi de la tension');
        await page.getByTestId('appointment-book').click();
        const when = appointmentWhen(lang, at.getTime());
        await expect
          .poll(() => page.getByTestId('appointments-status').textContent())
          .toBe(say(lang, 'appointments.booked', { when }));
        await expect.poll(() => page.getByTestId('appointment').count()).toBe(day);
        expect(await page.getByTestId('appointment').last().textContent()).toContain(when);
        await looksRight(page, `console-${lang}-${screen.name}`);
        await page.context().close();
      }
    }

    // A cancellation is confirmed in words, the focus on the confirmation, then said done.
    const page = await openPage({
      url: `${s.webUrl}/console/#/patient/${patientId}`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: doctor.cookie,
    });
    await expect.poll(() => page.getByTestId('appointment').count()).toBe(6);
    const first = s.appointments.upcoming(patientId)[0]!;
    const when = appointmentWhen('fr', first.startsAt);
    await page.getByRole('button', { name: say('fr', 'appointments.cancelLabel', { when }) }).click();
    const confirm = page.getByTestId('appointment-confirm-cancel');
    await expect.poll(() => confirm.evaluate((b) => b === document.activeElement)).toBe(true);
    expect(await page.getByRole('group', { name: say('fr', 'appointments.confirm', { when }) }).count()).toBe(1);
    await looksRight(page, 'console-confirm-fr-phone');
    await confirm.click();
    await expect
      .poll(() => page.getByTestId('appointments-status').textContent())
      .toBe(say('fr', 'appointments.cancelled', { when }));
    await expect.poll(() => page.getByTestId('appointment').count()).toBe(5);
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'appointment.cancelled')).toHaveLength(1);
    await page.context().close();

    // Today's consultations, on the console's first page.
    const soon = Math.ceil((Date.now() + 30 * 60_000) / 60_000) * 60_000;
    const today = new Date(soon).getDate() === new Date().getDate();
    const booked = await sendAs(s.webUrl)('POST', `/api/console/patients/${patientId}/appointments`, doctor.cookie, {
      startsAt: soon,
      minutes: 15,
      reason: 'Point',
    });
    expect(booked.status).toBe(201);
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const home = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie: doctor.cookie });
        await expect.poll(() => home.getByTestId('today-appointments').count()).toBe(1);
        if (today) {
          await expect.poll(() => home.getByTestId('today-appointment').textContent()).toContain('Mme Lefèvre');
          expect(await home.getByTestId('today-appointment').textContent()).toContain(clockTime(lang, soon));
        }
        await looksRight(home, `today-${lang}-${screen.name}`, 'today-appointments');
        await home.context().close();
      }
    }
  }, 240_000);

  it('shows the senior her next consultation, and turns on "Join" 10 minutes before once it is open', async () => {
    const { device } = await s.senior('Mme Roy');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const senior = await s.family(patientId, { name: 'Hélène Roy', email: 'helene@vigie.test', role: 'patient' });
    const startsAt = Math.ceil((Date.now() + 20 * 60_000) / 60_000) * 60_000;
    const res = await sendAs(s.webUrl)('POST', `/api/console/patients/${patientId}/appointments`, doctor.cookie, {
      startsAt,
      minutes: 30,
      reason: 'Bilan',
    });
    expect(res.status).toBe(201);

    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/family/`, screen, locale, cookie: senior.cookie });
        const card = page.getByTestId('next-appointment');
        await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
        expect(await card.locator('.when').textContent()).toBe(
          say(lang, 'appointments.next.self', { when: appointmentWhen(lang, startsAt), clinician: 'Dr Roux' }),
        );
        expect(await page.getByTestId('appointment-join').isDisabled()).toBe(true);
        expect(await page.getByTestId('appointment-help').textContent()).toBe(
          say(lang, 'appointments.join.from', { time: clockTime(lang, startsAt - 10 * 60_000) }),
        );
        await looksRight(page, `family-${lang}-${screen.name}`);
        await page.context().close();
      }
    }

    // The page's clock moves to 10 minutes before the start: the clinician has not opened it yet.
    const page = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[1],
      locale: 'fr-FR',
      cookie: senior.cookie,
      clock: true,
    });
    const join = page.getByTestId('appointment-join');
    await expect.poll(() => join.count(), { timeout: 15_000 }).toBe(1);
    expect(await join.isDisabled()).toBe(true);
    await page.clock.fastForward(startsAt - 10 * 60_000 - (await page.evaluate(() => Date.now())) + 1000);
    await expect
      .poll(() => page.getByTestId('appointment-help').textContent())
      .toBe(MESSAGES.fr['appointments.waiting']);
    expect(await join.isDisabled()).toBe(true);
    await looksRight(page, 'family-waiting-fr-tablet');
    // The clinician opens the consultation: the button turns on.
    expect((await sendAs(s.webUrl)('POST', '/api/consultations', doctor.cookie, { patientId })).status).toBe(201);
    await expect.poll(() => join.isEnabled(), { timeout: 15_000 }).toBe(true);
    await page.context().close();
  }, 240_000);
});
