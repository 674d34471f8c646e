/**
 * "Who looked at my record" as people see it, in real headless Chromium against the running services,
 * on a phone, a tablet and a desktop, in French and English: the patient's own page lists the
 * professionals who read their record (never from where), an administrator's console lists every read
 * and narrows it to one person, and another member of the care team is refused that view. Screenshots
 * go to tests/artifacts/.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

/** This feature's words of the other language that differ from the page's own: none may show. */
async function saysOnly(page: Page, lang: 'fr' | 'en'): Promise<void> {
  const other = lang === 'fr' ? 'en' : 'fr';
  const text = await page.evaluate(() => document.body.innerText);
  const mine = (Object.keys(MESSAGES[lang]) as Array<keyof (typeof MESSAGES)['fr']>).filter((k) =>
    /^(reads\.|console\.reads)/.test(k),
  );
  const foreign = mine
    .map((k) => MESSAGES[other][k].split(/\{\w+\}/)[0]!.trim())
    .filter((w) => w.length >= 4 && !mine.some((k) => MESSAGES[lang][k].includes(w)));
  expect(foreign.filter((w) => text.includes(w))).toEqual([]);
}

async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${shot} fits`).toBe(
    true,
  );
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
}

/** Jeanne's record read by the stack's nurse (API token) and by Dr Martin (a console session). */
async function readRecords() {
  const { device } = await s.senior('Jeanne Dupont');
  const id = device.patientId;
  const doctor = await s.people.createPerson({ role: 'clinician', name: 'Dr Martin', email: 'martin@ch.test' });
  s.people.addToTeam(s.staffTeam, { people: [doctor.id] });
  const doctorCookie = `vigie_session=${s.people.createSession(doctor.id, 3600_000).token}`;
  const reads: Array<[string, Record<string, string>]> = [
    [`/api/console/patients/${id}`, { authorization: `Bearer ${s.staffToken}` }],
    [`/api/console/patients/${id}/notes`, { authorization: `Bearer ${s.staffToken}` }],
    [`/api/console/patients/${id}`, { cookie: doctorCookie }],
    [`/api/console/patients/${id}`, { cookie: doctorCookie }],
  ];
  for (const [path, headers] of reads) expect((await fetch(`${s.webUrl}${path}`, { headers })).status).toBe(200);
  return { id, doctor };
}

describe('who looked at my record, on a phone, a tablet and a desktop, in French and English', () => {
  it('the patient sees the professionals who read their record, and not from where', async () => {
    const { id } = await readRecords();
    const { cookie } = await s.family(id, {
      name: 'Jeanne Dupont',
      email: 'jeanne@famille.test',
      relation: 'self',
      role: 'patient',
    });
    const relative = await s.family(id, { name: 'Claire', email: 'claire@famille.test' });
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/family/`, screen, locale, cookie });
        await expect.poll(() => page.getByTestId('record-read').count()).toBe(3);
        const section = page.getByTestId('record-reads');
        expect(await section.getByRole('heading').textContent()).toBe(MESSAGES[lang]['reads.title']);
        const lines = await page.getByTestId('record-read').allTextContents();
        expect(lines[0]).toContain(`Dr Martin · ${MESSAGES[lang]['reads.role.clinician']}`);
        expect(lines[0]).toContain(MESSAGES[lang]['reads.times'].replace('{count}', '2'));
        expect(lines.join(' ')).toContain(MESSAGES[lang]['reads.what.notes']);
        expect(await page.textContent('body')).not.toContain('127.0.0.1');
        await saysOnly(page, lang);
        await looksRight(page, `record-reads-patient-${lang}-${screen.name}`);
        await page.context().close();
      }
    }
    // A relative acting for her sees her page, not this section.
    const page = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: relative.cookie,
    });
    await expect.poll(() => page.getByTestId('me').textContent()).toBe('Claire');
    await expect.poll(() => page.getByTestId('presence').count()).toBe(1);
    expect(await page.getByTestId('record-reads').count()).toBe(0);
  });

  it('an administrator sees every read with its address and narrows it to one person; a nurse is refused', async () => {
    const { doctor } = await readRecords();
    const admin = await s.people.createPerson({ role: 'admin', name: 'Ada Admin', email: 'admin@ch.test' });
    const adminCookie = `vigie_session=${s.people.createSession(admin.id, 3600_000).token}`;
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/#/access-log`, screen, locale, cookie: adminCookie });
        await expect.poll(() => page.getByTestId('access-read').count()).toBe(3);
        expect(await page.getByTestId('access-log-link').textContent()).toBe(MESSAGES[lang]['console.reads']);
        expect(await page.getByTestId('read-address').allTextContents()).toEqual([
          '127.0.0.1',
          '127.0.0.1',
          '127.0.0.1',
        ]);
        expect(await page.getByTestId('access-read').first().textContent()).toContain(
          MESSAGES[lang]['console.reads.channel.page'],
        );
        await saysOnly(page, lang);
        await looksRight(page, `record-reads-admin-${lang}-${screen.name}`);
        await page
          .getByTestId('reads-person')
          .filter({ hasText: MESSAGES[lang]['console.reads.filter.person'].replace('{name}', doctor.name) })
          .first()
          .click();
        await expect.poll(() => page.getByTestId('access-read').count()).toBe(1);
        await page.getByTestId('reads-clear').click();
        await expect.poll(() => page.getByTestId('access-read').count()).toBe(3);
        await page.context().close();
      }
    }
    const nurse = s.people.personByEmail('nurse@vigie.test')!;
    const nurseCookie = `vigie_session=${s.people.createSession(nurse.id, 3600_000).token}`;
    for (const { lang, locale } of LANGS) {
      const page = await openPage({
        url: `${s.webUrl}/console/#/access-log`,
        screen: SCREENS[2],
        locale,
        cookie: nurseCookie,
      });
      await expect.poll(() => page.getByTestId('access-log-error').textContent()).toBe(ERROR_TEXTS[lang].admin_only);
      expect(await page.getByTestId('access-log-link').count()).toBe(0);
      await page.context().close();
    }
  });
});
