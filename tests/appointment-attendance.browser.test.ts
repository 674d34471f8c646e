/**
 * Who has joined a scheduled consultation, in real Chromium against the real stack: "Today's
 * consultations" and the patient's page say, in words, that the patient is 6 minutes late and the call
 * not yet opened; once the clinician opens it and the daughter joins, the lists (asked again every
 * 20 s: the page's clock is moved, never waited for) say who has joined; then the consultation held
 * ("Tenue") once the patient's tablet is in the waiting room (as the real SFU reports it), and another
 * one missed ("Manquée"). Phone, tablet and desktop, French and English,
 * axe-core clean, nothing beyond the screen's edge; screenshots in tests/artifacts/attendance-*.png.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { looksRight as checkPage, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import WebSocket from 'ws';
import { join } from './support/sfu.ts';
import { SignallingClient, type SocketLike } from '../web/src/lib/signalling.ts';

const t = usePipeline();
const s = useFamilyStack(t, { sfu: true });
const openPage = useBrowser({ media: 'absent' });

const MINUTE = 60_000;
const say = (lang: 'fr' | 'en', key: keyof typeof MESSAGES.fr, params: Record<string, string> = {}) =>
  MESSAGES[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');

/** The page checked and its screenshot in tests/artifacts/attendance-`shot`.png. */
const looksRight = (page: Page, shot: string, within?: string) => checkPage(page, `attendance-${shot}.png`, within);

describe('who has joined a scheduled consultation, in the console', () => {
  it('says who is late, who has joined, and how the consultations ended', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const { patientId } = device;
    const other = (await s.senior('M. Bernard')).device.patientId;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const senior = await s.family(patientId, { name: 'Jeanne Lefèvre', email: 'jeanne@vigie.test', role: 'patient' });
    const daughter = await s.family(patientId, { name: 'Claire Lefèvre', email: 'claire@vigie.test' });
    const send = sendAs(s.webUrl);
    const startsAt = Math.ceil((Date.now() + 20 * MINUTE) / MINUTE) * MINUTE;
    const book = (patient: string, at: number, minutes: number) =>
      send('POST', `/api/console/patients/${patient}/appointments`, doctor.cookie, {
        startsAt: at,
        minutes,
        reason: 'Suivi de la tension',
        inviteFamily: true,
      });
    expect((await book(patientId, startsAt, 30)).status).toBe(201);
    expect((await book(other, startsAt + 30 * MINUTE, 10)).status).toBe(201);
    // "Today's" is the browser's day: near midnight the consultations would be tomorrow's.
    const today = new Date(startsAt + 40 * MINUTE).getDate() === new Date().getDate();

    // Six minutes past the start, by the web service's clock: the patient has not joined.
    s.appointmentsClock.at = startsAt + 6 * MINUTE + 1000;
    const home = await openPage({
      url: `${s.webUrl}/console/`,
      screen: SCREENS[2],
      locale: 'fr-FR',
      cookie: doctor.cookie,
      clock: true,
    });
    const first = home.getByTestId('today-appointment').first();
    if (today) {
      await expect
        .poll(() => first.getByTestId('attendance-late').textContent())
        .toBe(`⚠ ${say('fr', 'appointments.late', { minutes: '6' })}`);
      expect(await first.getByTestId('attendance').textContent()).toContain(say('fr', 'appointments.notOpen'));
    }

    // The doctor opens the call in the slot, the daughter joins; the list says so at its next look.
    const opened = await send('POST', '/api/consultations', doctor.cookie, { patientId });
    expect(opened.status).toBe(201);
    const { roomId, links } = (await opened.json()) as { roomId: string; links: { patient: string } };
    expect((await send('POST', `/api/patients/${patientId}/call-link`, daughter.cookie)).status).toBe(200);
    await home.clock.runFor(20_000);
    const person = (lang: 'fr' | 'en', name: string, state: 'answered' | 'invited') =>
      say(lang, 'appointments.person', { name, state: say(lang, `appointments.state.${state}`) });
    if (today) {
      await expect
        .poll(() => first.getByTestId('attendance-people').locator('li').allTextContents())
        .toEqual([
          person('fr', say('fr', 'appointments.seat.patient'), 'invited'),
          person('fr', 'Claire Lefèvre', 'answered'),
        ]);
      expect(await first.getByTestId('attendance-late').textContent()).toContain(
        say('fr', 'appointments.late', { minutes: '6' }),
      );
    }
    await home.context().close();

    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie: doctor.cookie });
        await expect.poll(() => page.getByTestId('today-appointments').count()).toBe(1);
        if (today) {
          const row = page.getByTestId('today-appointment').first();
          await expect.poll(() => row.getByTestId('attendance-people').locator('li').count()).toBe(2);
          expect(await row.getByTestId('attendance').textContent()).toContain(
            say(lang, 'appointments.late', { minutes: '6' }),
          );
          expect(await row.getByTestId('attendance').textContent()).toContain(
            person(lang, 'Claire Lefèvre', 'answered'),
          );
        }
        await looksRight(page, `today-late-${lang}-${screen.name}`, 'today-appointments');
        await page.context().close();

        const patientPage = await openPage({
          url: `${s.webUrl}/console/#/patient/${patientId}`,
          screen,
          locale,
          cookie: doctor.cookie,
        });
        const listed = patientPage.getByTestId('appointment').first();
        await expect.poll(() => listed.getByTestId('attendance-people').locator('li').count()).toBe(2);
        expect(await listed.getByTestId('attendance').textContent()).toContain(say(lang, 'appointments.open'));
        await looksRight(patientPage, `patient-late-${lang}-${screen.name}`);
        await patientPage.context().close();
      }
    }

    // The patient's tablet (with the link the clinician gave it) enters the waiting room, as the SFU
    // reports: no longer late, and the consultation is held.
    const tablet = await SignallingClient.open(s.webOptions.sfuUrl, (u) => new WebSocket(u) as unknown as SocketLike);
    try {
      expect((await join(tablet, roomId, new URL(links.patient).hash.slice(1))).admitted).toBe(false);
      for (const { lang, locale } of LANGS) {
        for (const screen of SCREENS) {
          const page = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie: doctor.cookie });
          await expect.poll(() => page.getByTestId('today-appointments').count()).toBe(1);
          if (today) {
            const row = page.getByTestId('today-appointment').first();
            await expect
              .poll(() => row.getByTestId('attendance-people').locator('li').first().textContent())
              .toBe(
                say(lang, 'appointments.person', {
                  name: say(lang, 'appointments.seat.patient'),
                  state: say(lang, 'appointments.presence.waiting'),
                }),
              );
            expect(await row.getByTestId('attendance-outcome').textContent()).toBe(
              `✓ ${say(lang, 'appointments.status.done')}`,
            );
            expect(await row.getByTestId('attendance-late').count()).toBe(0);
          }
          await looksRight(page, `today-waiting-${lang}-${screen.name}`, 'today-appointments');
          await page.context().close();
        }
      }
    } finally {
      tablet.close();
    }

    // The patient joins from her own page too; the other consultation's slot ends without its patient: missed.
    expect((await send('POST', `/api/patients/${patientId}/call-link`, senior.cookie)).status).toBe(200);
    s.appointmentsClock.at = startsAt + 41 * MINUTE;
    await s.web.tickAppointments();
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie: doctor.cookie });
        await expect.poll(() => page.getByTestId('today-appointments').count()).toBe(1);
        if (today) {
          await expect
            .poll(() => page.getByTestId('attendance-outcome').allTextContents())
            .toEqual([`✓ ${say(lang, 'appointments.status.done')}`, `✗ ${say(lang, 'appointments.status.missed')}`]);
          expect(await page.getByTestId('attendance-late').count()).toBe(0);
        }
        await looksRight(page, `today-ended-${lang}-${screen.name}`, 'today-appointments');
        await page.context().close();
      }
    }
    // Settled, a consultation can no longer be cancelled from the patient's page.
    const patientPage = await openPage({
      url: `${s.webUrl}/console/#/patient/${patientId}`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: doctor.cookie,
    });
    await expect
      .poll(() => patientPage.getByTestId('attendance-outcome').textContent())
      .toBe(`✓ ${say('fr', 'appointments.status.done')}`);
    expect(await patientPage.getByTestId('appointment-cancel').count()).toBe(0);
    await looksRight(patientPage, 'patient-held-fr-phone');
    await patientPage.context().close();
  }, 240_000);
});
