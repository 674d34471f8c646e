/**
 * Every word in the page's language: each page in French with an English browser, and in English
 * with a French one, in real headless Chromium against the running services. Each form is sent empty
 * or wrong: the browser's own messages ("Please fill out this field") never show, ours do, tied to
 * their field; a refused sign-in is said in the page's language; and no text of the other language
 * appears anywhere on the page (its text, placeholders, labels for screen readers).
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, SCREENS, useBrowser, type Screen } from './support/browser.ts';
import { MESSAGES, translate, type Lang } from '../web/src/lib/i18n.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

/** The page's language, and a browser that prefers the other one. */
const CASES = [
  { lang: 'fr', locale: 'en-GB' },
  { lang: 'en', locale: 'fr-FR' },
] as const;

/**
 * The pieces of text only the other language has (a message cut at its placeholders), long enough to
 * mean something: "Sign in", "Se connecter", but not "Patient" or "NEWS2", which both languages share.
 */
function foreignTexts(lang: Lang): string[] {
  const pieces = (l: Lang) =>
    [...Object.values(MESSAGES[l]), ...Object.values(ERROR_TEXTS[l])]
      .flatMap((m) => m.split(/\{\w+\}/))
      .map((p) => p.trim())
      .filter((p) => p.length >= 6);
  // A piece that the page's own language also says ("minutes", "NEWS2") is no sign of the other one.
  const own = pieces(lang).join('\n');
  return [...new Set(pieces(lang === 'fr' ? 'en' : 'fr'))].filter((p) => !own.includes(p));
}

/** What the browser says by itself when a form is sent empty, in either language. */
const BROWSER_WORDS = [/please (fill|enter|include|lengthen|select|match)/i, /veuillez/i];

function open(path: string, locale: string, options: { cookie?: string; screen?: Screen } = {}): Promise<Page> {
  return openPage({
    url: `${s.webUrl}${path}`,
    screen: options.screen ?? SCREENS[0],
    locale,
    ...(options.cookie ? { cookie: options.cookie } : {}),
    // Whether the page stopped the browser's own message for each field it found invalid.
    initScript: () => {
      const seen: Event[] = [];
      Object.assign(window, { vigieInvalid: seen });
      // Listened to first (on the way down), read once every listener has had its turn.
      document.addEventListener('invalid', (event) => seen.push(event), true);
    },
  });
}

/** Everything a person can see or hear on the page, in one text. */
function pageText(page: Page): Promise<string> {
  return page.evaluate(() =>
    [
      document.title,
      document.body.innerText,
      ...[...document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')].flatMap((e) =>
        ['placeholder', 'aria-label', 'title', 'alt'].map((a) => e.getAttribute(a) ?? ''),
      ),
    ].join('\n'),
  );
}

async function saysOnly(page: Page, lang: Lang, where: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang), where).toBe(lang);
  const text = await pageText(page);
  const foreign = foreignTexts(lang).filter((f) => text.includes(f));
  expect(foreign, `${where}: words of the other language`).toEqual([]);
  for (const words of BROWSER_WORDS) expect(text, where).not.toMatch(words);
}

/**
 * Sends a form as it is and expects our messages, in order, each tied to its field (aria-invalid,
 * aria-describedby), the first invalid field focused, and the browser's own message stopped.
 */
async function sendExpecting(page: Page, form: Locator, messages: string[], where: string): Promise<void> {
  await page.evaluate(() => (window as unknown as { vigieInvalid: Event[] }).vigieInvalid.splice(0));
  await form.locator('button[type="submit"]').click();
  await expect.poll(() => form.getByTestId('field-error').allTextContents(), { message: where }).toEqual(messages);
  const seen = await page.evaluate(() =>
    (window as unknown as { vigieInvalid: Event[] }).vigieInvalid.map((e) => e.defaultPrevented),
  );
  expect(seen.length, where).toBeGreaterThan(0);
  expect(seen.every(Boolean), `${where}: the browser's own message was stopped`).toBe(true);
  const tied = await form.evaluate((f) =>
    [...f.querySelectorAll('[aria-invalid="true"]')].map((field) =>
      (field.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(''),
    ),
  );
  expect(tied, where).toEqual(messages);
  expect(
    await form.evaluate((f) => document.activeElement === f.querySelector('[aria-invalid="true"]')),
    `${where}: the first invalid field has the focus`,
  ).toBe(true);
}

const m = (lang: Lang, key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
  translate(lang, key, params);

describe('every word in the page’s language, whatever the browser’s', () => {
  it('the landing page and a call link without its token', async () => {
    for (const { lang, locale } of CASES) {
      const start = await open(`/?lang=${lang}`, locale);
      await expect.poll(() => start.getByTestId('to-family').textContent()).toContain(m(lang, 'start.family'));
      await saysOnly(start, lang, `landing ${lang}`);
      // The check has teeth: this page's own words are foreign to the other language's.
      const own = await pageText(start);
      expect(foreignTexts(lang === 'fr' ? 'en' : 'fr').some((f) => own.includes(f))).toBe(true);
      await start.context().close();
      const call = await open(`/call/r-123?lang=${lang}`, locale);
      await expect.poll(() => call.getByText(m(lang, 'error.no_link')).count()).toBe(1);
      await saysOnly(call, lang, `call ${lang}`);
      await call.context().close();
    }
  });

  // A client gets three wrong passwords before it must wait (web/sign-in-throttle.ts): one refusal per
  // language and page in each test.
  it.each(['/family/', '/console/'])('signing in on %s: empty, not an e-mail, refused', async (path) => {
    for (const { lang, locale } of CASES) {
      const where = `${path} sign-in ${lang}`;
      const page = await open(`${path}?lang=${lang}`, locale);
      const form = page.locator('form').filter({ has: page.getByTestId('signin') });
      await expect.poll(() => form.count()).toBe(1);
      await sendExpecting(page, form, [m(lang, 'form.required'), m(lang, 'form.required')], where);
      await page.getByTestId('email').fill('claire');
      await sendExpecting(page, form, [m(lang, 'form.email'), m(lang, 'form.required')], where);
      // Put right, a field's message goes at once.
      await page.getByTestId('password').fill('not the password');
      await expect.poll(() => form.getByTestId('field-error').allTextContents()).toEqual([m(lang, 'form.email')]);
      await page.getByTestId('email').fill(`nobody.${lang}${path.replaceAll('/', '')}@famille.test`);
      await page.getByTestId('signin').click();
      await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe(ERROR_TEXTS[lang].wrong_credentials);
      expect(await form.getByTestId('field-error').count()).toBe(0);
      await saysOnly(page, lang, where);
      expect(await accessibilityViolations(page), where).toEqual([]);
      await page.context().close();
    }
  });

  it('a refused sign-in, as a person sees it on a phone, a tablet and a desktop', async () => {
    for (const { lang, locale } of CASES) {
      const page = await open(`/family/?lang=${lang}`, locale);
      await page.getByTestId('email').fill(`someone.${lang}@famille.test`);
      await page.getByTestId('password').fill('not the password');
      await page.getByTestId('signin').click();
      await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe(ERROR_TEXTS[lang].wrong_credentials);
      for (const screen of SCREENS) {
        await page.setViewportSize({ width: screen.width, height: screen.height });
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        await page.screenshot({ path: artifactPath(`signin-refused-${lang}-${screen.name}.png`), fullPage: true });
      }
      await page.context().close();
    }
  });

  it('an invitation: a password missing, then too short', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    for (const { lang, locale } of CASES) {
      const res = await fetch(`${s.webUrl}/api/patients/${device.patientId}/invitations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Claire', email: `claire.${lang}@famille.test`, relation: 'daughter' }),
      });
      const { link } = (await res.json()) as { link: string };
      const page = await open(`/family/?lang=${lang}${new URL(link).hash}`, locale);
      const where = `invitation ${lang}`;
      const form = page.locator('form').filter({ has: page.getByTestId('new-password') });
      await expect.poll(() => form.count()).toBe(1);
      await sendExpecting(page, form, [m(lang, 'form.required')], where);
      await page.getByTestId('new-password').fill('short');
      await sendExpecting(page, form, [m(lang, 'form.too_short', { min: 10, length: 5 })], where);
      await saysOnly(page, lang, where);
      expect(await accessibilityViolations(page), where).toEqual([]);
      await page.context().close();
    }
  });

  it('the senior’s page with a fall: inviting a relative, the list and "other"', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    t.broker.registry.setPatientContact(device.patientId, { phone: '0612345678', sex: 'female' });
    const jeanne = await s.family(device.patientId, {
      name: 'Jeanne',
      email: 'jeanne@senior.test',
      relation: 'self',
      role: 'patient',
    });
    await publish('vitals', { ts: Date.now() - 60_000, seq: 1, hr: 70, battery: 80 });
    await publish('vitals', { ts: Date.now(), seq: 2, hr: 76, battery: 80 });
    await publish('events', { ts: Date.now(), seq: 3, type: 'fall' });
    for (const { lang, locale } of CASES) {
      const page = await open(`/family/?lang=${lang}`, locale, { cookie: jeanne.cookie });
      const where = `senior's page ${lang}`;
      await expect.poll(() => page.getByTestId('what-to-do').count()).toBe(1);
      await expect.poll(() => page.getByTestId('pulse-caption').count()).toBe(1);
      // Jeanne's own page: she is the one who fell; 15 is whom to call.
      expect(await page.getByTestId('call-patient').count()).toBe(0);
      expect(await page.getByTestId('no-phone').count()).toBe(0);
      expect(await page.getByTestId('call-samu').count()).toBe(1);
      const form = page.getByTestId('invite-form');
      await sendExpecting(
        page,
        form,
        [m(lang, 'form.required'), m(lang, 'form.required'), m(lang, 'form.choose')],
        where,
      );
      await page.getByLabel(m(lang, 'family.invite.name')).fill('Paul');
      await page.getByLabel(m(lang, 'family.invite.email')).fill('paul.famille.test');
      await page.getByLabel(m(lang, 'family.invite.relation')).selectOption('other');
      await sendExpecting(page, form, [m(lang, 'form.email'), m(lang, 'form.required')], where);
      await saysOnly(page, lang, where);
      expect(await accessibilityViolations(page), where).toEqual([]);
      for (const screen of SCREENS) {
        await page.setViewportSize({ width: screen.width, height: screen.height });
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), where).toBe(true);
        await page.screenshot({ path: artifactPath(`family-fall-invite-${lang}-${screen.name}.png`), fullPage: true });
      }
      await page.context().close();
    }
  });

  it('the console: an alert closed without a note, API tokens and the coordination log sent empty or out of range', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test', relation: 'daughter' });
    const { cookie } = await s.clinician({ name: 'Dr Martin', email: 'dr.martin@ch.test' });
    for (const { lang, locale } of CASES) {
      const home = await open(`/console/?lang=${lang}`, locale, { cookie });
      const feed = `console alerts ${lang}`;
      const alert = home.locator('[data-testid="feed-alert"][data-kind="sos"]');
      await expect.poll(() => alert.count()).toBe(1);
      await alert.getByRole('button', { name: m(lang, 'console.resolve'), exact: true }).click();
      const resolve = alert.locator('form').filter({ has: home.getByTestId('resolve') });
      await sendExpecting(home, resolve, [m(lang, 'form.required')], feed);
      await saysOnly(home, lang, feed);
      await home.setViewportSize({ width: 1440, height: 900 });
      await home.screenshot({ path: artifactPath(`console-resolve-empty-${lang}-desktop.png`) });
      await home.context().close();

      const tokens = await open(`/console/?lang=${lang}#/tokens`, locale, { cookie });
      const where = `console tokens ${lang}`;
      await expect.poll(() => tokens.getByTestId('api-tokens').count()).toBe(1);
      await tokens.getByLabel(m(lang, 'console.tokens.days')).fill('99');
      const form = tokens.locator('form').filter({ has: tokens.getByTestId('token-create') });
      await sendExpecting(tokens, form, [m(lang, 'form.required'), m(lang, 'form.range', { min: 1, max: 30 })], where);
      await saysOnly(tokens, lang, where);
      await tokens.context().close();

      const patient = await open(`/console/?lang=${lang}#/patient/${device.patientId}`, locale, { cookie });
      const there = `console patient ${lang}`;
      await expect.poll(() => patient.getByTestId('person').count()).toBe(1);
      // Claire, seen from the patient: "fille de Jeanne Dupont", "Jeanne Dupont's daughter".
      expect(await patient.getByTestId('person').textContent()).toContain(
        m(lang, 'relation.of', { relation: m(lang, 'relation.daughter'), patient: 'Jeanne Dupont' }),
      );
      const notes = patient.locator('form').filter({ has: patient.getByTestId('note-add') });
      await sendExpecting(patient, notes, [m(lang, 'form.required')], there);
      await saysOnly(patient, lang, there);
      await patient.setViewportSize({ width: 1440, height: 900 });
      await patient.screenshot({ path: artifactPath(`console-patient-notes-${lang}-desktop.png`), fullPage: true });
      await patient.context().close();
    }
  });
});
