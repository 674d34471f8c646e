/**
 * NEWS2 on a short window, end to end in real headless Chromium against the running broker, ingest,
 * InfluxDB and web service: one noisy pulse reading moves neither the server's score nor the
 * console's, a sustained change moves both once it is most of the window, and the ingest raises its
 * NEWS2 alert then; the patient's page says what the score is computed on. Screenshots of the list
 * and the patient's page on a phone, a tablet and a desktop, in French and English, in
 * tests/artifacts/news2-*.png.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, LANGS, SCREENS, useBrowser, type Screen } from './support/browser.ts';
import { signIn } from './support/cookies.ts';
import { eventually } from './support/mqtt.ts';
import type { ConsoleRow } from '../web/api/schemas.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

async function clinician(patientId: string): Promise<string> {
  const email = 'dr.news2@ch.test';
  const person = await s.people.createPerson({ role: 'clinician', name: 'Dr Score', email, password: FAMILY_PASSWORD });
  s.people.addToTeam(s.people.team('Équipe NEWS2'), { people: [person.id], patients: [patientId] });
  return signIn(s.webUrl, email, FAMILY_PASSWORD);
}

function openConsole(cookie: string, screen: Screen, locale: string): Promise<Page> {
  return openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie });
}

it('scores NEWS2 on a short window: one noisy reading moves nothing, a sustained change moves the score', async () => {
  const { device, publish } = await s.senior('Jeanne Martin');
  const cookie = await clinician(device.patientId);
  const base = Date.now() - 60_000;
  let seq = 0;
  // SpO2 97 and 37 °C score nothing: the score is the pulse's (partial: no respiration, pressure, consciousness).
  const reading = (hr: number) => {
    seq += 1;
    return publish('vitals', { ts: base + seq * 1000, seq, hr, spo2: 97, temp: 37 });
  };

  // The server's score: five pulses of 75, then one of 140 (3 points if the latest were scored).
  for (let i = 0; i < 5; i += 1) await reading(75);
  await reading(140);
  const row = await eventually(async () => {
    const res = await fetch(`${s.webUrl}/api/console/patients`, { headers: { cookie } });
    const [r] = ((await res.json()) as { patients: ConsoleRow[] }).patients;
    expect(r?.latest.hr?.value).toBe(140);
    return r!;
  });
  expect(row.news2).toMatchObject({ score: 0, partial: true });

  // The console shows it, then scores the readings it receives on its own window (from the 140).
  const page = await openConsole(cookie, SCREENS[2], 'fr-FR');
  const cell = (id: string) =>
    page.locator(`[data-testid="patient-row"][data-patient="${device.patientId}"] [data-testid="${id}"]`);
  /** The reading itself, without the words that say it is past a threshold. */
  const pulse = () => cell('hr').evaluate((e) => e.firstChild?.textContent);
  /** Publishes a pulse, waits until the list shows it, and gives the NEWS2 shown with it. */
  const shownAfter = async (hr: number) => {
    await reading(hr);
    await expect.poll(pulse).toBe(String(hr));
    return cell('news2').textContent();
  };
  await expect.poll(pulse).toBe('140');
  expect(await cell('news2').textContent()).toBe('0*');
  for (const hr of [75, 76, 77, 78]) expect(await shownAfter(hr)).toBe('0*');
  expect(await shownAfter(139)).toBe('0*'); // a second outlier among six readings
  await page.screenshot({ path: artifactPath('news2-outlier-fr-desktop.png') });

  // A sustained change: the page's window holds 140, 75-78 and 139.
  expect(await shownAfter(141)).toBe('0*'); // 3 high of 7
  expect(await shownAfter(142)).toBe('1*'); // 4 of 8: median (78 + 139) / 2, pulse 109: 1 point
  expect(await shownAfter(143)).toBe('3*'); // 5 of 9: median 139
  // The ingest saw the five 75s too: its median turns red at 10 high of 19, and raises its alert.
  for (const hr of [144, 145, 146, 147, 148]) expect(await shownAfter(hr)).toBe('3*');
  await expect.poll(() => page.locator('[data-testid="feed-alert"][data-kind="news2"]').count()).toBe(1);
  await page.context().close();

  for (const { lang, locale } of LANGS) {
    for (const screen of SCREENS) {
      const p = await openConsole(cookie, screen, locale);
      const news2 = p.locator(`[data-testid="patient-row"][data-patient="${device.patientId}"] [data-testid="news2"]`);
      await expect.poll(() => news2.textContent()).toBe('3*');
      expect(await accessibilityViolations(p), `${lang} ${screen.name}`).toEqual([]);
      await p.screenshot({ path: artifactPath(`news2-${lang}-${screen.name}.png`), fullPage: true });
      // The patient's page says what the score is computed on.
      await p.getByRole('link', { name: 'Jeanne Martin' }).first().click();
      await expect
        .poll(() => p.getByTestId('news2-window').textContent())
        .toBe(MESSAGES[lang]['news2.window'].replace('{minutes}', '5'));
      expect(await accessibilityViolations(p), `patient ${lang} ${screen.name}`).toEqual([]);
      await p.screenshot({ path: artifactPath(`news2-patient-${lang}-${screen.name}.png`), fullPage: true });
      await p.context().close();
    }
  }
});
