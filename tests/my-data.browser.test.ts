/**
 * "Download my data" as people see it, in real headless Chromium against the running services, on a
 * phone, a tablet and a desktop, in French and English: the patient's own page explains the file and
 * downloads it in one click (a FHIR Bundle of their data that the validator accepts); the patient lets
 * a relative do it for them, and only then does the relative's page offer it. Screenshots go to
 * tests/artifacts/.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import { validFhir } from './support/fhir.ts';
import { accessibilityViolations, artifactPath, overflowing, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

async function looksRight(page: Page, shot: string): Promise<void> {
  expect(await overflowing(page), `${shot} fits`).toEqual([]);
  expect(await accessibilityViolations(page), shot).toEqual([]);
  await page.getByTestId('my-data').screenshot({ path: artifactPath(`${shot}.png`) });
}

/** Clicks the button and reads the file the browser saved: a valid FHIR Bundle. */
async function downloaded(page: Page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('my-data-download').click()]);
  expect(download.suggestedFilename()).toBe(`vigie-${new Date().toISOString().slice(0, 10)}.json`);
  const bundle = validFhir(JSON.parse(readFileSync((await download.path()) ?? '', 'utf8')));
  expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
  return bundle as { entry: Array<{ resource: { resourceType: string; id: string } }> };
}

describe('download my data, on a phone, a tablet and a desktop, in French and English', () => {
  it('the patient downloads their data in one click and chooses who may do it for them', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    const id = device.patientId;
    await publish('vitals', {
      samples: [0, 1, 2].map((i) => ({ ts: Date.now() - (10 - i) * 60_000, seq: i + 1, hr: 70 + i })),
    });
    await eventually(
      async () => {
        const res = await fetch(`${s.webUrl}/fhir/R4/Observation?patient=${id}`, {
          headers: { authorization: `Bearer ${s.staffToken}` },
        });
        expect(((await res.json()) as { entry?: unknown[] }).entry ?? []).toHaveLength(3);
      },
      20_000,
      250,
    );
    const self = await s.family(id, { name: 'Jeanne Dupont', email: 'jeanne@famille.test', role: 'patient' });
    const claire = await s.family(id, { name: 'Claire Dupont', email: 'claire@famille.test' });

    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/family/`, screen, locale, cookie: self.cookie });
        const section = page.getByTestId('my-data');
        await expect.poll(() => page.getByTestId('my-data-relative').count()).toBe(1);
        expect(await section.getByRole('heading').textContent()).toBe(MESSAGES[lang]['mydata.title']);
        expect(await page.getByTestId('my-data-download').textContent()).toBe(MESSAGES[lang]['mydata.download']);
        expect(await section.textContent()).toContain(MESSAGES[lang]['mydata.format']);
        expect(await page.getByTestId('my-data-relative').textContent()).toContain('Claire Dupont');
        await looksRight(page, `my-data-patient-${lang}-${screen.name}`);
        if (screen.name === 'phone') {
          const bundle = await downloaded(page);
          const types = bundle.entry.map((e) => e.resource.resourceType);
          expect(types.filter((x) => x === 'Patient')).toHaveLength(1);
          expect(types.filter((x) => x === 'Observation')).toHaveLength(3);
          expect(bundle.entry.find((e) => e.resource.resourceType === 'Patient')?.resource.id).toBe(id);
        }
        await page.context().close();
      }
    }
    expect(s.changes.list({ patientId: id }).filter((c) => c.action === 'data.exported')).toHaveLength(2);

    // Claire cannot until Jeanne allows her.
    const before = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: claire.cookie,
    });
    await expect.poll(() => before.getByTestId('presence').count()).toBe(1);
    expect(await before.getByTestId('my-data').count()).toBe(0);
    await before.context().close();

    const mine = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: self.cookie,
    });
    await mine.getByTestId('my-data-allow').check();
    await expect
      .poll(() => mine.getByTestId('my-data-saved').textContent())
      .toBe(MESSAGES.fr['mydata.relatives.saved']);
    expect(s.changes.list({ patientId: id })[0]).toMatchObject({
      action: 'data.download_allowed',
      detail: { name: 'Claire Dupont' },
    });
    await mine.context().close();

    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/family/`, screen, locale, cookie: claire.cookie });
        await expect.poll(() => page.getByTestId('my-data').count()).toBe(1);
        expect(await page.getByTestId('my-data-download').textContent()).toBe(
          MESSAGES[lang]['mydata.download.relative'].replace('{patient}', 'Jeanne Dupont'),
        );
        expect(await page.getByTestId('my-data').textContent()).toContain(MESSAGES[lang]['mydata.format.relative']);
        // The choice is the patient's: her relatives see no list of who may download.
        expect(await page.getByTestId('my-data-relative').count()).toBe(0);
        await looksRight(page, `my-data-relative-${lang}-${screen.name}`);
        if (screen.name === 'desktop' && lang === 'fr')
          // Her record as Jeanne's own: identity, watch, 3 readings, and Claire herself as her relative.
          expect((await downloaded(page)).entry.map((e) => e.resource.resourceType).sort()).toEqual([
            'Device',
            'Observation',
            'Observation',
            'Observation',
            'Patient',
            'RelatedPerson',
          ]);
        await page.context().close();
      }
    }

    // Jeanne changes her mind: Claire's page no longer offers it.
    const again = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[2],
      locale: 'en-GB',
      cookie: self.cookie,
    });
    await expect.poll(() => again.getByTestId('my-data-allow').isChecked()).toBe(true);
    await again.getByTestId('my-data-allow').uncheck();
    await expect
      .poll(() => again.getByTestId('my-data-saved').textContent())
      .toBe(MESSAGES.en['mydata.relatives.saved']);
    expect(s.changes.list({ patientId: id })[0]).toMatchObject({ action: 'data.download_withdrawn' });
    await again.context().close();
    const after = await openPage({
      url: `${s.webUrl}/family/`,
      screen: SCREENS[2],
      locale: 'en-GB',
      cookie: claire.cookie,
    });
    await expect.poll(() => after.getByTestId('presence').count()).toBe(1);
    expect(await after.getByTestId('my-data').count()).toBe(0);
  });
});
