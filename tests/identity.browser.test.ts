/**
 * Two patients both called "Jeanne Martin" cannot be confused in the console: once the care team has
 * recorded their identities (on each patient's set-up page), the list and each patient's page name them
 * by their strict traits (birth name, first name, birth date, sex), and the INS appears only for the
 * qualified identity. On a phone, a tablet and a desktop, in French and English, with an accessibility
 * audit; screenshots in tests/artifacts/identity-*.png.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { signIn } from './support/cookies.ts';
import { accessibilityViolations, artifactPath, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

const TRAITS = { birthName: 'Martin', firstNames: 'Jeanne', sex: 'female', birthplace: '75112' } as const;
const NAMES = {
  fr: ['MARTIN Jeanne, née le 03/02/1941 (F)', 'MARTIN Jeanne, née le 17/09/1938 (F)'],
  en: ['MARTIN Jeanne, born 3 Feb 1941 (F)', 'MARTIN Jeanne, born 17 Sept 1938 (F)'],
} as const;
const INS = { fr: 'INS (NIR) : 2 41 02 75 123 456 94', en: 'INS (NIR): 2 41 02 75 123 456 94' } as const;

async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${shot} fits`).toBe(
    true,
  );
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
}

describe('two patients of the same name', () => {
  it('are told apart in the console list and on their pages; the INS only for the qualified one', async () => {
    const [older, younger] = await Promise.all([
      t.broker.registry.provisionPatient('Jeanne Martin'),
      t.broker.registry.provisionPatient('Jeanne Martin'),
    ]);
    const doctor = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr Nord',
      email: 'nord@ch.test',
      password: FAMILY_PASSWORD,
    });
    s.people.addToTeam(s.people.team('Nord'), {
      people: [doctor.id],
      patients: [older.patientId, younger.patientId],
    });
    const cookie = await signIn(s.webUrl, 'nord@ch.test', FAMILY_PASSWORD);
    const identities = [
      [
        younger.patientId,
        { ...TRAITS, birthDate: '1941-02-03', ins: { matricule: '241027512345694', kind: 'nir' }, status: 'qualified' },
      ],
      [
        older.patientId,
        { ...TRAITS, birthDate: '1938-09-17', ins: { matricule: '238097505601291', kind: 'nir' }, status: 'recovered' },
      ],
    ] as const;
    for (const [patientId, identity] of identities) {
      const res = await fetch(`${s.webUrl}/api/console/patients/${patientId}/identity`, {
        method: 'PUT',
        headers: { cookie, origin: s.webUrl, 'content-type': 'application/json' },
        body: JSON.stringify(identity),
      });
      expect(res.status, await res.text()).toBe(200);
    }

    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie });
        await expect.poll(() => page.getByTestId('patient-name').allTextContents()).toHaveLength(2);
        expect((await page.getByTestId('patient-name').allTextContents()).sort()).toEqual([...NAMES[lang]].sort());
        await looksRight(page, `identity-list-${lang}-${screen.name}`);

        for (const [patientId, , name, ins] of [
          [younger.patientId, 'qualified', NAMES[lang][0], INS[lang]],
          [older.patientId, 'recovered', NAMES[lang][1], null],
        ] as const) {
          await page.goto(`${s.webUrl}/console/#/patient/${patientId}`);
          await expect.poll(() => page.getByTestId('patient-title').textContent()).toBe(name);
          if (ins) expect(await page.getByTestId('ins').textContent()).toBe(ins);
          else {
            expect(await page.getByTestId('ins').count()).toBe(0);
            expect(await page.locator('main').textContent()).not.toMatch(/2 38 09 75|2380975/);
          }
          await looksRight(
            page,
            `identity-patient-${patientId === younger.patientId ? 'qualified' : 'recovered'}-${lang}-${screen.name}`,
          );
        }
        await page.context().close();
      }
    }
  });

  it('are recorded on the set-up page, each refusal said in the page language', async () => {
    for (const { lang, locale } of LANGS) {
      const email = `${lang}@ch.test`;
      const doctor = await s.people.createPerson({ role: 'clinician', name: 'Dr', email, password: FAMILY_PASSWORD });
      const cookie = await signIn(s.webUrl, email, FAMILY_PASSWORD);
      for (const screen of [SCREENS[0], SCREENS[2]]) {
        const watch = await t.broker.registry.provisionPatient('Jeanne Martin');
        s.people.addToTeam(s.people.team(`Équipe ${lang}`), { people: [doctor.id], patients: [watch.patientId] });
        const page = await openPage({
          url: `${s.webUrl}/console/#/setup/${watch.patientId}`,
          screen,
          locale,
          cookie,
        });
        await expect.poll(() => page.getByTestId('setup-patient').textContent()).toBe('Jeanne Martin');
        expect(await page.getByTestId('identity').textContent()).toContain(MESSAGES[lang]['identity.none']);
        await page.getByTestId('identity-edit').click();
        await page.getByTestId('identity-save').click();
        await expect.poll(() => page.getByTestId('field-error').count()).toBeGreaterThan(0);

        await page.getByTestId('birth-name').fill('Martin');
        await page.getByTestId('first-names').fill('Jeanne Marie');
        await page.getByTestId('birth-date').fill('1941-02-03');
        await page.getByTestId('ins-number').fill('2 41 02 75 123 456 95');
        await page.getByTestId('identity-status').selectOption('qualified');
        await page.getByTestId('identity-save').click();
        await expect.poll(() => page.getByTestId('identity-error').textContent()).toBe(ERROR_TEXTS[lang].ins_key);
        await looksRight(page, `identity-form-refused-${lang}-${screen.name}`);
        await page.getByTestId('identity-status').selectOption('recovered');
        await page.getByTestId('ins-number').fill('');
        await page.getByTestId('identity-save').click();
        await expect
          .poll(() => page.getByTestId('identity-error').textContent())
          .toBe(ERROR_TEXTS[lang].identity_ins_required);
        await page.getByTestId('birth-date').fill('1942-02-03');
        await page.getByTestId('ins-number').fill('2 41 02 75 123 456 94');
        await page.getByTestId('identity-save').click();
        await expect
          .poll(() => page.getByTestId('identity-error').textContent())
          .toBe(ERROR_TEXTS[lang].ins_birth_mismatch);

        await page.getByTestId('birth-date').fill('1941-02-03');
        await page.getByTestId('identity-status').selectOption('qualified');
        await page.getByTestId('identity-save').click();
        await expect.poll(() => page.getByTestId('identity-saved').count()).toBe(1);
        expect(await page.getByTestId('identity-error').count()).toBe(0);
        await expect.poll(() => page.getByTestId('setup-patient').textContent()).toBe(NAMES[lang][0]);
        expect(await page.getByTestId('ins').textContent()).toBe(INS[lang]);
        await looksRight(page, `identity-form-saved-${lang}-${screen.name}`);
        await page.context().close();
      }
    }
  });
});
