/**
 * The administrators' page of external systems (FHIR API, SMART Backend Services) in real headless
 * Chromium against the running services: an administrator registers a system by pasting its public
 * key set, gets the client id and the token endpoint to hand over, sees a refused key set explained,
 * and revokes the system (confirmed first), after which its token stops working; the page on a
 * phone, a tablet and a desktop, in French and English, clean for axe-core and without sideways
 * scrolling. Screenshots go to tests/artifacts/.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { looksRight, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { parseSystemKeys } from '../web/system-keys.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

/** This page's words of the other language that differ from the page's own: none may show. */
async function saysOnly(page: Page, lang: 'fr' | 'en'): Promise<void> {
  const other = lang === 'fr' ? 'en' : 'fr';
  const text = await page.evaluate(() => document.body.innerText);
  const mine = (Object.keys(MESSAGES[lang]) as Array<keyof (typeof MESSAGES)['fr']>).filter((k) =>
    k.startsWith('systems.'),
  );
  const foreign = mine
    .map((k) => MESSAGES[other][k].split(/\{\w+\}/)[0]!.trim())
    .filter((w) => w.length >= 4 && !mine.some((k) => MESSAGES[lang][k].includes(w)));
  expect(foreign.filter((w) => text.includes(w))).toEqual([]);
}

async function adminCookie(): Promise<string> {
  const admin = await s.people.createPerson({ role: 'admin', name: 'Ada Admin', email: 'ada@ch.test' });
  return `vigie_session=${s.people.createSession(admin.id, 3600_000).token}`;
}

async function keys(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  return {
    jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] }, null, 2),
    privateKey,
  };
}

describe('external systems, for an administrator', () => {
  it('registers a system from a pasted key set, hands over its client id, and revokes it', async () => {
    const cookie = await adminCookie();
    const M = MESSAGES.fr;
    const { device } = await s.senior('Jeanne Dupont');
    const { jwks, privateKey } = await keys('cabinet-2026');
    const page = await openPage({
      url: `${s.webUrl}/console/#/admin/systems`,
      screen: SCREENS[2],
      locale: 'fr-FR',
      cookie,
    });
    await expect.poll(() => page.getByTestId('systems-endpoint').textContent()).toBe(`${s.webUrl}/fhir/R4/auth/token`);
    expect(await page.getByTestId('systems-none').textContent()).toBe(M['systems.none']);

    // A private key pasted by mistake is refused, and said so.
    await page.getByLabel(M['systems.name']).fill('Logiciel du cabinet Dr Durand');
    await page.getByTestId('system-jwks').fill('{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"x"}]}');
    await page.getByTestId('system-team').check();
    await page.getByTestId('system-register').click();
    await expect.poll(() => page.getByTestId('systems-error').textContent()).toBe(ERROR_TEXTS.fr.system_key_private);

    await page.getByTestId('system-jwks').fill(jwks);
    await page.getByTestId('system-scope-Device').check();
    await page.getByTestId('system-register').click();
    const clientId = await expect
      .poll(() => page.getByTestId('system-client-id').textContent())
      .toMatch(/^sys-[\w-]{16}$/)
      .then(() => page.getByTestId('system-client-id').textContent());
    expect(await page.getByTestId('system-registered').textContent()).toContain('Logiciel du cabinet Dr Durand');
    const row = page.getByTestId('system');
    await expect.poll(() => row.getAttribute('data-system')).toBe(clientId);
    expect(await row.getByTestId('system-status').textContent()).toBe(M['systems.unused']);
    expect(s.systems.system(clientId!)?.scopes).toEqual([
      'system/Patient.rs',
      'system/Device.rs',
      'system/Observation.rs',
    ]);

    // The system gets a token with what the page registered, and reads.
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES384', kid: 'cabinet-2026' })
      .setIssuer(clientId!)
      .setSubject(clientId!)
      .setAudience(`${s.webUrl}/fhir/R4/auth/token`)
      .setExpirationTime(now + 120)
      .sign(privateKey);
    const granted = await fetch(`${s.webUrl}/fhir/R4/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'system/*.rs',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    const { access_token: bearer } = (await granted.json()) as { access_token: string };
    const read = () =>
      fetch(`${s.webUrl}/fhir/R4/Patient/${device.patientId}`, { headers: { authorization: `Bearer ${bearer}` } });
    expect((await read()).status).toBe(200);
    await page.reload();
    await expect.poll(() => row.getByTestId('system-status').textContent()).toMatch(/^Dernier jeton : /);

    // Revoking asks first; then the token stops working at once.
    await row.getByTestId('system-revoke').click();
    expect(await row.getByRole('group').textContent()).toContain('Logiciel du cabinet Dr Durand');
    expect((await read()).status).toBe(200);
    await row.getByTestId('system-revoke-confirm').click();
    await expect.poll(() => row.getByTestId('system-status').textContent()).toMatch(/^Révoqué le /);
    expect(await row.getByTestId('system-revoke').count()).toBe(0);
    expect((await read()).status).toBe(401);

    await page.getByTestId('admin-tab-changes').click();
    await expect.poll(() => page.getByTestId('change-text').count()).toBe(2);
    expect(await page.getByTestId('change-text').allTextContents()).toEqual([
      'Système externe « Logiciel du cabinet Dr Durand » révoqué ; ses jetons ne fonctionnent plus',
      'Système externe « Logiciel du cabinet Dr Durand » autorisé à lire l’API FHIR (system/Patient.rs system/Device.rs system/Observation.rs) pour les équipes Équipe test',
    ]);
  });

  it('shows the page on a phone, a tablet and a desktop, in French and English', async () => {
    const cookie = await adminCookie();
    const admin = s.people.personByEmail('ada@ch.test')!;
    const { jwks } = await keys('hopital-nord-signature-2026');
    const parsed = await parseSystemKeys(jwks);
    if (!parsed.ok) throw new Error(parsed.error);
    const south = s.people.team('Équipe de coordination du parcours Sud-Ouest');
    s.systems.register({
      name: 'Centre hospitalier universitaire — entrepôt de données de santé (recherche)',
      keys: parsed.value,
      scopes: ['system/Patient.rs', 'system/Practitioner.rs', 'system/Device.rs', 'system/Observation.rs'],
      teamIds: [s.staffTeam, south],
      by: admin.id,
    });
    const revoked = s.systems.register({
      name: 'Ancien logiciel de cabinet',
      keys: parsed.value,
      scopes: ['system/Patient.rs'],
      teamIds: [s.staffTeam],
      by: admin.id,
    });
    s.systems.revoke(revoked.id, admin.id);
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/#/admin/systems`, screen, locale, cookie });
        await expect.poll(() => page.getByTestId('system').count()).toBe(2);
        expect(await page.locator('#systems-title').textContent()).toBe(MESSAGES[lang]['systems.title']);
        // Sent empty: our messages, in the page's language, tied to their fields.
        await page.getByTestId('system-register').click();
        await expect.poll(() => page.getByTestId('field-error').count()).toBe(2);
        await saysOnly(page, lang);
        await page.getByTestId('system-revoke').click();
        await looksRight(page, `admin-systems-${lang}-${screen.name}.png`);
        await page.context().close();
      }
    }
  });

  it('names the system on the patient’s “who looked at my record” and in the access log', async () => {
    const cookie = await adminCookie();
    const admin = s.people.personByEmail('ada@ch.test')!;
    const { device } = await s.senior('Jeanne Dupont');
    const id = device.patientId;
    const { jwks } = await keys('cabinet-2026');
    const parsed = await parseSystemKeys(jwks);
    if (!parsed.ok) throw new Error(parsed.error);
    const system = s.systems.register({
      name: 'Logiciel du cabinet Dr Durand',
      keys: parsed.value,
      scopes: ['system/Patient.rs'],
      teamIds: [s.staffTeam],
      by: admin.id,
    });
    // A token as the endpoint issues them (its checks are tests/fhir-smart.test.ts's).
    const { token } = s.systems.issueToken(system.id, ['system/Patient.rs']);
    const read = await fetch(`${s.webUrl}/fhir/R4/Patient/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(200);
    const patient = await s.family(id, {
      name: 'Jeanne Dupont',
      email: 'jeanne@famille.test',
      relation: 'self',
      role: 'patient',
    });
    for (const { lang, locale } of LANGS) {
      const M = MESSAGES[lang];
      for (const screen of [SCREENS[0], SCREENS[2]]) {
        const page = await openPage({ url: `${s.webUrl}/family/`, screen, locale, cookie: patient.cookie });
        await expect.poll(() => page.getByTestId('record-read').count()).toBe(1);
        expect(await page.getByTestId('record-read').textContent()).toContain(
          `Logiciel du cabinet Dr Durand · ${M['reads.system']}`,
        );
        await looksRight(page, `record-reads-system-patient-${lang}-${screen.name}.png`);
        await page.context().close();
      }
      const page = await openPage({ url: `${s.webUrl}/console/#/admin/reads`, screen: SCREENS[2], locale, cookie });
      await expect.poll(() => page.getByTestId('access-read').count()).toBe(1);
      const line = await page.getByTestId('access-read').textContent();
      expect(line).toContain(`Logiciel du cabinet Dr Durand · ${M['reads.system']}`);
      expect(line).toContain(M['console.reads.channel.system_token']);
      await looksRight(page, `access-log-system-${lang}-desktop.png`);
      await page.context().close();
    }
  });
});
