/**
 * Consent and report in real headless Chromium, against the real broker, ingest, SFU and web service:
 * in the call page the clinician records the senior's consent, writes the report with the vital signs
 * pre-filled from the live panel, and signs it; the report is then on the console's patient page and on
 * the senior's family page, and downloads as a PDF. Screenshots (phone, tablet, desktop; French and
 * English) in tests/artifacts/reports-*.png; each page audited with axe-core and checked not to
 * scroll sideways.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { recordIdentity } from './support/identity.ts';
import { sendAs } from './support/cookies.ts';
import { accessibilityViolations, artifactPath, LANGS, overflowing, SCREENS, useBrowser } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t, { sfu: true });
const openPage = useBrowser();

describe('a teleconsultation report in the pages', () => {
  it('is consented to, written with the live vitals and signed in the call, then read by the care team and the senior', async () => {
    const { device, publish } = await s.senior('Mme Martin');
    const { patientId } = device;
    recordIdentity(t.broker.registry, patientId, {
      birthName: 'Martin',
      firstNames: 'Jeanne',
      birthDate: '1941-02-03',
      sex: 'female',
    });
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 72, spo2: 96, temp: 37.1, battery: 60 });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const senior = await s.family(patientId, { name: 'Jeanne Martin', email: 'jeanne@vigie.test', role: 'patient' });
    const created = await sendAs(s.webUrl)('POST', '/api/consultations', doctor.cookie, {
      patientId,
      inviteFamily: false,
    });
    expect(created.status).toBe(201);
    const { links } = (await created.json()) as { links: { clinician: string } };

    const fr = MESSAGES.fr;
    const page = await openPage({ url: links.clinician, screen: SCREENS[2], locale: 'fr-FR', cookie: doctor.cookie });
    await page.getByTestId('join').click();
    await expect.poll(() => page.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);
    const panel = page.getByTestId('report-panel');
    await expect.poll(() => panel.count(), { timeout: 20_000 }).toBe(1);

    // The vital signs of the moment are there already; signing waits for the consent.
    expect(await page.getByTestId('report-vital-hr').inputValue()).toBe('72');
    expect(await page.getByTestId('report-vital-spo2').inputValue()).toBe('96');
    expect(await page.getByTestId('report-vital-temp').inputValue()).toBe('37.1');
    expect(await page.getByTestId('report-needs-consent').textContent()).toBe(fr['report.needsConsent']);
    expect(await page.getByTestId('report-finalise').isDisabled()).toBe(true);

    await page.getByTestId('report-reason').fill('Essoufflement signalé par la fille');
    await page.getByTestId('report-conclusion').fill('Pas de signe de gravité');
    await page.getByTestId('report-save').click();
    await expect.poll(() => page.getByTestId('report-status').textContent()).toBe(fr['report.draftSaved']);

    for (const screen of SCREENS) {
      await page.setViewportSize({ width: screen.width, height: screen.height });
      await page.getByTestId('consent-form').scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifactPath(`reports-call-consent-${screen.name}-fr.png`) });
      expect(await overflowing(page), screen.name).toEqual([]);
    }
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByTestId('consent-save').click();
    await expect.poll(() => page.getByTestId('consent-recorded').textContent()).toContain('Dr Roux');
    expect(await page.getByTestId('consent-recorded').textContent()).toContain('Consentement donné par le patient');
    await page.getByTestId('report-finalise').click();
    await expect.poll(() => page.getByTestId('report-signed').textContent()).toContain('Signé par Dr Roux');
    await page.getByTestId('report-signed').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('reports-call-signed-desktop-fr.png') });
    expect(await accessibilityViolations(page)).toEqual([]);

    // The console's patient page and the senior's own page list it; it opens and downloads as a PDF.
    for (const { lang, locale } of LANGS) {
      const text = MESSAGES[lang];
      for (const screen of SCREENS) {
        for (const [who, url, cookie] of [
          ['console', `${s.webUrl}/console/#/patient/${patientId}`, doctor.cookie],
          ['family', `${s.webUrl}/family/`, senior.cookie],
        ] as const) {
          const reader = await openPage({ url, screen, locale, cookie });
          const item = reader.getByTestId('report-item');
          await expect.poll(() => item.count(), { timeout: 15_000 }).toBe(1);
          // The consultation is still open: the senior's page rings over the list; they answer "later".
          if ((await reader.getByTestId('incoming-call').count()) > 0) {
            await reader.getByTestId('ring-later').click();
            await expect.poll(() => reader.getByTestId('incoming-call').count()).toBe(0);
          }
          expect(await item.textContent()).toContain(text['report.list.signed']);
          await item.getByTestId('report-open').click();
          await expect
            .poll(() => reader.getByTestId('report-conclusion-text').textContent())
            .toBe('Pas de signe de gravité');
          expect((await reader.getByTestId('report-body').textContent())?.replaceAll('\u00a0', ' ')).toContain(
            lang === 'fr' ? 'Fréquence cardiaque : 72 /min' : 'Heart rate: 72 /min',
          );
          await reader.getByTestId('reports').scrollIntoViewIfNeeded();
          await reader.screenshot({ path: artifactPath(`reports-${who}-${screen.name}-${lang}.png`) });
          expect(await overflowing(reader), `${who} ${screen.name} ${lang}`).toEqual([]);
          expect(await accessibilityViolations(reader), `${who} ${screen.name} ${lang}`).toEqual([]);
          if (screen.name === 'desktop') {
            const [download] = await Promise.all([
              reader.waitForEvent('download'),
              reader.getByTestId('report-pdf').click(),
            ]);
            const path = await download.path();
            const pdf = await readFile(path);
            expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
          }
          await reader.context().close();
        }
      }
    }
  });

  it('is asked and written in English: a legal representative who consented in writing beforehand', async () => {
    const { device, publish } = await s.senior('Mr Smith');
    const { patientId } = device;
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, battery: 60 });
    const doctor = await s.clinician({ name: 'Dr Blake', email: 'blake@vigie.test' });
    const created = await sendAs(s.webUrl)('POST', '/api/consultations', doctor.cookie, {
      patientId,
      inviteFamily: false,
    });
    const { links } = (await created.json()) as { links: { clinician: string } };
    const en = MESSAGES.en;
    const page = await openPage({ url: links.clinician, screen: SCREENS[0], locale: 'en-GB', cookie: doctor.cookie });
    await page.getByTestId('join').click();
    await expect.poll(() => page.getByTestId('report-panel').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('report-vital-hr').inputValue()).toBe('64');
    await page.getByTestId('consent-representative').check();
    await page.getByTestId('consent-written').check();
    // The representative's name is required: the field says so (web/src/lib/validated.ts).
    await page.getByTestId('consent-save').click();
    await expect.poll(() => page.getByTestId('consent-name').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('consent-name').fill('Anne Smith');
    for (const screen of SCREENS) {
      await page.setViewportSize({ width: screen.width, height: screen.height });
      await page.getByTestId('consent-form').scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifactPath(`reports-call-consent-${screen.name}-en.png`) });
      expect(await overflowing(page), screen.name).toEqual([]);
    }
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByTestId('consent-save').click();
    await expect
      .poll(() => page.getByTestId('consent-recorded').textContent())
      .toContain('Consent given by their legal representative, Anne Smith, in writing beforehand');
    await page.getByTestId('report-reason').fill('Follow-up of a fall');
    await page.getByTestId('report-conclusion').fill('No injury');
    await page.getByTestId('report-finalise').click();
    await expect.poll(() => page.getByTestId('report-status').textContent()).toBe(en['report.finalised']);
    await page.getByTestId('report-signed').scrollIntoViewIfNeeded();
    await page.screenshot({ path: artifactPath('reports-call-signed-desktop-en.png') });
    expect(await accessibilityViolations(page)).toEqual([]);
  });
});
