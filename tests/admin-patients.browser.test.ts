/**
 * A coordinator creates a patient from the console with their watch, sees the watch's secret and its
 * QR code once (the code is the enrolment URI of devices/PROTOCOL.md, and the secret works at the real
 * broker), then on the patient's set-up page replaces the watch and revokes the new one, each after
 * confirming: the broker closes the replaced watch's connection. On a phone, a tablet and a desktop,
 * in French and English, with an accessibility audit and no horizontal scrolling; screenshots in
 * tests/artifacts/admin-patients-*.png.
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { enrolmentUri } from '../devices/enrolment.ts';
import { deviceTopic } from '../devices/topics.ts';
import { displayPhone } from '../common/phone.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { ERROR_TEXTS } from '../web/src/lib/error-text.ts';
import { qrPath } from '../web/src/console/qr-path.ts';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { connect, end } from './support/mqtt.ts';
import { steps } from './support/steps.ts';
import { accessibilityViolations, artifactPath, overflowing, useBrowser, LANGS, SCREENS } from './support/browser.ts';

const clients: MqttClient[] = [];
const t = usePipeline(
  async () => {
    await Promise.all(clients.splice(0).map((client) => end(client, true)));
  },
  { revocationCheckMs: 50 },
);
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await overflowing(page), `${shot} fits`).toEqual([]);
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
}

describe('patients and their watches in the console', () => {
  // One test per language: each walks the three screens (about 15 s each on this machine).
  it.each(LANGS)(
    'a coordinator creates a patient with their watch, sees its secret once, replaces and revokes it ($lang)',
    async ({ lang, locale }) => {
      // It once timed out under the full suite (about 18 s otherwise): it says where when it fails.
      const at = steps(`admin-patients (${lang})`);
      await s.senior('Jeanne Martin');
      const m = MESSAGES[lang];
      const coord = await s.clinician({ name: 'Chloé', email: `chloe-${lang}@vigie.test`, role: 'coordinator' });
      for (const screen of SCREENS) {
        const shot = (what: string) => `admin-patients-${what}-${lang}-${screen.name}`;
        at(`${screen.name}: the list`);
        const page = await openPage({
          url: `${s.webUrl}/console/#/admin/patients`,
          screen,
          locale,
          cookie: coord.cookie,
        });
        await expect.poll(() => page.getByTestId('admin-patient').count()).toBeGreaterThan(0);
        await looksRight(page, shot('list'));

        // The form: the browser's checks first, then the server's refusal in the page's language.
        at(`${screen.name}: the form`);
        await page.getByTestId('patient-new').click();
        await page.getByTestId('patient-create').click();
        await expect.poll(() => page.getByTestId('field-error').count()).toBeGreaterThan(0);
        await page.getByTestId('birth-name').fill('BERNARD');
        await page.getByTestId('first-names').fill('Louise Anne');
        await page.getByTestId('birth-date').fill('1941-02-03');
        await page.getByTestId('ins-number').fill('2 41 02 75 123 456 95');
        await page.getByTestId('identity-status').selectOption('qualified');
        await page.getByTestId('patient-phone-input').fill('06 12 34 56 78');
        await page.getByTestId('street').fill('12 rue des Lilas');
        await page.getByTestId('postcode').fill('75012');
        await page.getByTestId('city').fill('Paris');
        await page.getByTestId('gp-name').fill('Dr Anne Morel');
        await page.getByTestId('gp-phone').fill('01 43 00 00 00');
        const deviceId = `w-${lang}-${screen.name}`;
        await page.getByTestId('patient-watch-id').fill(deviceId);
        await page.getByTestId('patient-create').click();
        await expect.poll(() => page.getByTestId('patient-error').textContent()).toBe(ERROR_TEXTS[lang].ins_key);
        await looksRight(page, shot('form'));

        // Created, with the watch's credentials shown once: the QR code is their enrolment URI.
        at(`${screen.name}: created`);
        const before = t.broker.registry.patientIds();
        await page.getByTestId('ins-number').fill('2 41 02 75 123 456 94');
        await page.getByTestId('patient-create').click();
        await expect.poll(() => page.getByTestId('enrolment').count()).toBe(1);
        expect(await page.getByTestId('patient-created').textContent()).toContain(
          lang === 'fr' ? 'BERNARD Louise, née le 03/02/1941 (F)' : 'BERNARD Louise, born 3 Feb 1941 (F)',
        );
        const patientId = t.broker.registry.patientIds().find((id) => !before.includes(id))!;
        expect(await page.getByTestId('enrolment-id').textContent()).toBe(deviceId);
        const secret = (await page.getByTestId('enrolment-secret').textContent()) ?? '';
        expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(await page.getByTestId('enrolment-qr').locator('path').getAttribute('d')).toBe(
          qrPath(enrolmentUri({ brokerUrl: t.broker.url, deviceId, secret })).d,
        );
        expect(await page.getByTestId('enrolment-qr').getAttribute('aria-label')).toBe(
          m['devices.qr'].replace('{deviceId}', deviceId),
        );
        await looksRight(page, shot('enrolment'));
        const watch = await connect(t.broker.url, { clientId: deviceId, username: deviceId, password: secret });
        clients.push(watch);
        // As a watch does (devices/PROTOCOL.md): `online` on connecting, then its readings.
        await watch.publishAsync(deviceTopic(deviceId, 'status'), 'online', { qos: 1, retain: true });
        await watch.publishAsync(
          deviceTopic(deviceId, 'vitals'),
          JSON.stringify({ seq: 1, ts: Date.now(), hr: 72, battery: 81 }),
          { qos: 1 },
        );
        const closed = new Promise<void>((resolve) => watch.once('close', () => resolve()));

        // "Done": the secret is gone from the page and cannot come back.
        at(`${screen.name}: done`);
        await page.getByTestId('enrolment-done').click();
        expect(await page.getByTestId('enrolment').count()).toBe(0);
        expect(await page.content()).not.toContain(secret);
        await expect
          .poll(() => page.locator(`[data-patient="${patientId}"]`).getByTestId('admin-patient-watch').textContent())
          .toContain(m['patients.watches'].replace('{count}', '1'));

        // The set-up page: identity, contact and the watch, connected.
        at(`${screen.name}: the set-up page`);
        await page.getByTestId('created-setup').click();
        await expect.poll(() => page.getByTestId('setup-patient').textContent()).toMatch(/^BERNARD Louise/);
        await expect.poll(() => page.getByTestId('gp-name').inputValue()).toBe('Dr Anne Morel');
        expect(await page.getByTestId('patient-phone-input').inputValue()).toBe(displayPhone('+33612345678', lang));
        await expect
          .poll(() => page.locator(`[data-device="${deviceId}"]`).getByTestId('device-state').textContent())
          .toContain(m['devices.online']);
        expect(await page.locator(`[data-device="${deviceId}"]`).getByTestId('device-state').textContent()).toContain(
          m['devices.battery'].replace('{battery}', '81'),
        );
        expect(await page.content()).not.toContain(secret);
        await looksRight(page, shot('setup'));

        // Replacing asks first, then shows the new watch's credentials once; the old one is cut off.
        at(`${screen.name}: replacing`);
        await page.locator(`[data-device="${deviceId}"]`).getByTestId('device-replace').click();
        expect(await page.getByRole('dialog').textContent()).toContain(
          m['devices.replace.title'].replace('{deviceId}', deviceId),
        );
        await page.getByTestId('confirm-yes').click();
        await expect.poll(() => page.getByTestId('enrolment').count()).toBe(1);
        const newId = (await page.getByTestId('enrolment-id').textContent()) ?? '';
        expect(newId).toMatch(/^w-[0-9a-f]{12}$/);
        at(`${screen.name}: the old watch cut off`);
        await closed;
        expect(t.broker.registry.device(deviceId)?.revoked).toBe(true);
        await expect
          .poll(() => page.locator(`[data-device="${deviceId}"]`).getByTestId('device-state').textContent())
          .toContain(m['devices.revokedAt'].split(' {time}')[0]);
        await page.getByTestId('enrolment-done').click();

        // Revoking asks first; "cancel" revokes nothing.
        at(`${screen.name}: revoking`);
        const row = page.locator(`[data-device="${newId}"]`);
        await row.getByTestId('device-revoke').click();
        await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(true);
        expect(await page.getByRole('dialog').textContent()).toContain(
          m['devices.revoke.title'].replace('{deviceId}', newId),
        );
        await looksRight(page, shot('revoke'));
        await page.getByTestId('confirm-no').click();
        expect(await page.getByRole('dialog').count()).toBe(0);
        expect(t.broker.registry.device(newId)?.revoked).toBe(false);
        await row.getByTestId('device-revoke').click();
        await page.getByTestId('confirm-yes').click();
        await expect
          .poll(() => page.getByTestId('devices-done').textContent())
          .toBe(m['devices.revoked'].replace('{deviceId}', newId));
        expect(t.broker.registry.device(newId)?.revoked).toBe(true);
        await expect.poll(() => row.getByTestId('device-revoke').count()).toBe(0);
        // The page's change log shows what was just done, newest first.
        await expect
          .poll(async () => (await page.getByTestId('change-text').allTextContents()).slice(0, 2))
          .toEqual([
            m['changes.device.revoked'].replace('{deviceId}', newId),
            m['changes.device.replaced'].replace('{replaced}', deviceId).replace('{deviceId}', newId),
          ]);
        await looksRight(page, shot('revoked'));
        await page.context().close();
      }
    },
  );

  it('a clinician has no patients tab and the page is refused to them', async () => {
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const page = await openPage({
      url: `${s.webUrl}/console/#/admin/patients`,
      screen: SCREENS[2],
      locale: LANGS[0].locale,
      cookie: doctor.cookie,
    });
    await expect.poll(() => page.getByTestId('admin-tab-patients').count()).toBe(0);
    expect(await page.getByTestId('admin-patients').count()).toBe(0);
    await page.context().close();
  });
});
