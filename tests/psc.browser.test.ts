/**
 * Pro Santé Connect in real headless Chromium: the console's sign-in page offers it beside the
 * password form (on a phone, a tablet and a desktop, in French and English, accessible, saved to
 * tests/artifacts/), a professional signs in at the provider's login page and comes back signed in to
 * the console, signing out ends the session at the provider too, and a refusal is said in the page's
 * language.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { accessibilityViolations, artifactPath, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { usePscStack } from './support/psc-stack.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { errorText } from '../web/src/lib/error-text.ts';

const s = usePscStack();
const openPage = useBrowser({ media: 'absent' });
const RPPS = '810001234567';
const PASSWORD = 'a long password here';

async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${shot} fits`).toBe(
    true,
  );
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
}

/** At the provider's login page: signs in as `login`. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await expect.poll(() => page.url()).toContain(s.psc.issuer);
  await page.getByLabel('Identifiant national').fill(login);
  await page.getByRole('button', { name: 'Valider' }).click();
}

describe("the console's sign-in page with Pro Santé Connect", () => {
  it('offers PSC beside the password form, in French and English, on every screen', async () => {
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console`, screen, locale });
        await expect
          .poll(() => page.getByTestId('psc-signin').textContent())
          .toBe(MESSAGES[lang]['console.psc.signin']);
        expect(await page.getByTestId('signin').textContent()).toBe(MESSAGES[lang]['family.signin']);
        expect(await page.getByText(MESSAGES[lang]['console.psc.help']).count()).toBe(1);
        await looksRight(page, `console-psc-signin-${lang}-${screen.name}`);
        await page.context().close();
      }
    }
  });

  it('signs a professional in through the provider, and out of both', async () => {
    const person = await s.people.createPerson({ role: 'clinician', name: 'Dr Claire Psc', email: 'psc@ch.test' });
    s.people.setRpps(person.id, RPPS);
    const page = await openPage({ url: `${s.webUrl}/console`, screen: SCREENS[2], locale: 'fr-FR' });
    await page.getByTestId('psc-signin').click();
    await signInAtProvider(page, RPPS);
    await expect.poll(() => page.getByTestId('me').textContent()).toBe('Dr Claire Psc');
    expect(new URL(page.url()).pathname).toBe('/console');

    await page.getByRole('button', { name: MESSAGES.fr['family.signout'] }).click();
    await expect.poll(() => page.url()).toContain(`${s.psc.issuer}/session/end`);
    expect(s.psc.logouts).toHaveLength(1);
    await page.locator('button[form="op.logoutForm"]').click();
    await expect.poll(() => page.getByTestId('psc-signin').count()).toBe(1);
    expect(page.url()).toBe(`${s.webUrl}/console`);
    // Signed out of Vigie: the password form is back, and the session is over.
    expect(await page.getByTestId('me').count()).toBe(0);
  });

  it('refuses the password form to a role that must use PSC, saying so', async () => {
    const admin = await s.people.createPerson({ role: 'admin', name: 'Admin', email: 'admin@ch.test' });
    s.people.setPscRequiredRoles(['clinician'], admin.id);
    await s.people.createPerson({ role: 'clinician', name: 'Dr A', email: 'a@ch.test', password: PASSWORD });
    for (const { lang, locale } of LANGS) {
      const page = await openPage({ url: `${s.webUrl}/console`, screen: SCREENS[1], locale });
      await page.getByTestId('email').fill('a@ch.test');
      await page.getByTestId('password').fill(PASSWORD);
      await page.getByTestId('signin').click();
      await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe(errorText(lang, 'psc_required'));
      expect(await page.getByTestId('me').count()).toBe(0);
      await page.context().close();
    }
  });

  it('says why a sign-in was refused, in the page’s language, and not again after a reload', async () => {
    for (const { lang, locale } of LANGS) {
      const page = await openPage({ url: `${s.webUrl}/console`, screen: SCREENS[0], locale });
      await page.getByTestId('psc-signin').click();
      // No account was registered with this RPPS.
      await signInAtProvider(page, '899999999999');
      await expect.poll(() => page.getByTestId('psc-error').textContent()).toBe(errorText(lang, 'psc_rpps_unknown'));
      expect(page.url()).toBe(`${s.webUrl}/console`);
      await looksRight(page, `console-psc-refused-${lang}-phone`);
      await page.reload();
      await expect.poll(() => page.getByTestId('psc-signin').count()).toBe(1);
      expect(await page.getByTestId('psc-error').count()).toBe(0);
      await page.context().close();
    }
  });
});
