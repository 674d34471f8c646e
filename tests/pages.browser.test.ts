/**
 * The pages this issue changed, as a person sees them, on a phone, a tablet and a desktop, in French
 * and in English, in real headless Chromium against the running services: the landing page, an
 * invitation for a new account and for an e-mail that has one, and the console's API tokens. Each
 * fits the screen (no sideways scrolling), passes an accessibility audit, says every word in the
 * page's language, and is saved to tests/artifacts/ to be looked at.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, useBrowser, LANGS, SCREENS, type Screen } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

function open(url: string, screen: Screen, locale: string, cookie?: string): Promise<Page> {
  return openPage({ url, screen, locale, ...(cookie ? { cookie } : {}) });
}

/** What a person should be able to count on, on every screen (then the page's context is closed). */
async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${shot} fits`).toBe(
    true,
  );
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
}

const done = (page: Page) => page.context().close();

async function invite(patientId: string, email: string): Promise<string> {
  const res = await fetch(`${s.webUrl}/api/patients/${patientId}/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Claire', email, relation: 'fille' }),
  });
  return ((await res.json()) as { link: string }).link;
}

describe('pages on a phone, a tablet and a desktop, in French and English', () => {
  it('the landing page leads to the console and to the family page', async () => {
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await open(`${s.webUrl}/`, screen, locale);
        await expect
          .poll(() => page.getByTestId('to-console').textContent())
          .toContain(MESSAGES[lang]['start.console']);
        expect(await page.getByTestId('to-family').textContent()).toContain(MESSAGES[lang]['start.family']);
        await looksRight(page, `landing-${lang}-${screen.name}`);
        await done(page);
      }
    }
  });

  it('an invitation, for a new account and for an e-mail that has one', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const other = await s.senior('Paul Durand');
    await s.family(other.device.patientId, { name: 'Marc', email: 'marc@famille.test' });
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const fresh = await open(
          await invite(device.patientId, `claire.${lang}.${screen.name}@famille.test`),
          screen,
          locale,
        );
        await expect.poll(() => fresh.getByTestId('new-password').count()).toBe(1);
        expect(await fresh.getByText(MESSAGES[lang]['family.invite.have_account']).count()).toBe(1);
        await looksRight(fresh, `invitation-new-${lang}-${screen.name}`);
        await done(fresh);
        // Marc already has an account: the page asks him to sign in instead.
        const existing = await open(await invite(device.patientId, 'marc@famille.test'), screen, locale);
        await expect.poll(() => existing.getByTestId('new-password').count()).toBe(1);
        await existing.getByTestId('new-password').fill('a new password 42');
        await existing.getByTestId('accept-invitation').click();
        await expect
          .poll(() => existing.getByTestId('invite-error').textContent())
          .toBe(ERROR_TEXTS[lang].sign_in_to_accept);
        expect(await existing.getByTestId('account-password').count()).toBe(1);
        await looksRight(existing, `invitation-existing-${lang}-${screen.name}`);
        await done(existing);
      }
    }
  });

  it('the console’s API tokens: create one, shown once, listed, revoked', async () => {
    const { cookie, personId } = await s.clinician({ name: 'Dr Martin', email: 'dr.martin@ch.test' });
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await open(`${s.webUrl}/console/#/tokens`, screen, locale, cookie);
        await expect.poll(() => page.getByTestId('api-tokens').count()).toBe(1);
        await page.getByTestId('token-label').fill(`export ${lang} ${screen.name}`);
        await page.getByTestId('token-create').click();
        await expect.poll(() => page.getByTestId('token-secret').textContent()).toMatch(/^vigie_/);
        expect(await page.getByText(MESSAGES[lang]['console.tokens.secret']).count()).toBe(1);
        await looksRight(page, `console-tokens-${lang}-${screen.name}`);
        const before = await page.getByTestId('token').count();
        await page.getByTestId('token-revoke').first().click();
        await expect.poll(() => page.getByTestId('token').count()).toBe(before - 1);
        await done(page);
      }
    }
    expect(s.people.apiTokens(personId)).toEqual([]);
  });

  it('the family page on an SOS: what to do now, who is on the way, who the senior is for the reader', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    t.broker.registry.setPatientContact(device.patientId, { phone: '06 12 34 56 78', sex: 'female' });
    const claire = await s.family(device.patientId, {
      name: 'Claire',
      email: 'claire@famille.test',
      relation: 'daughter',
    });
    const marc = await s.family(device.patientId, { name: 'Marc', email: 'marc@famille.test', relation: 'grandson' });
    s.people.setChain(device.patientId, [{ personId: marc.personId, delayMs: 0 }]);
    const now = Date.now();
    for (const [i, hr] of [68, 74, 81, 77].entries())
      await publish('vitals', { ts: now - (4 - i) * 60_000, seq: i + 1, hr, spo2: 96, battery: 71 });
    await publish('events', { ts: now, seq: 10, type: 'sos' });
    // Marc answered the SOS: Claire's page says he is on his way.
    await expect.poll(() => t.ingest.alertService.list([device.patientId]).length).toBe(1);
    const [sos] = t.ingest.alertService.list([device.patientId]);
    const accepted = await fetch(`${s.webUrl}/api/alerts/${sos!.id}/actions`, {
      method: 'POST',
      headers: { origin: s.webUrl, cookie: marc.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ action: { action: 'accept' } }),
    });
    expect(accepted.status).toBe(200);
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await open(`${s.webUrl}/family/`, screen, locale, claire.cookie);
        await expect.poll(() => page.getByTestId('accepted-by').count()).toBe(1);
        await expect.poll(() => page.getByTestId('pulse-caption').count()).toBe(1);
        expect(await page.getByTestId('reader-relation').textContent()).toBe(
          `— ${MESSAGES[lang]['reader.parent.female']}`,
        );
        expect(await page.getByTestId('call-samu').textContent()).toBe(MESSAGES[lang]['family.now.call_samu']);
        await looksRight(page, `family-sos-${lang}-${screen.name}`);
        await done(page);
      }
    }
  });
});
