/**
 * A patient's set-up page in the console, in a real browser against the real stack: the care team
 * builds the escalation chain (a relative and the home-care worker, reordered with the buttons),
 * changes a threshold and sees how many alerts it would have made over the last 7 days of stored
 * readings before saving (and must confirm a big rise), then invites a relative and cancels the
 * invitation. On a phone, a tablet and a desktop, in French and English, with an accessibility audit
 * and no sideways scrolling; screenshots in tests/artifacts/setup-care-*.png.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { accessibilityViolations, artifactPath, overflowing, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { createInflux } from '../ingest/influx-client.ts';
import { ensureDatabase } from '../ingest/database.ts';
import { DATABASE, RETENTION, vitalsPoint } from '../ingest/schema.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

async function looksRight(page: Page, shot: string): Promise<void> {
  await page.screenshot({ path: artifactPath(`${shot}.png`), fullPage: true });
  expect(await overflowing(page), `${shot} fits`).toEqual([]);
  expect(await accessibilityViolations(page), shot).toEqual([]);
}

/**
 * Six episodes of a pulse at 125 and six at 110 over the week (5 readings 30 s apart, then back to 80):
 * hr-high at 120 bpm for 120 s raises 6 times; at 105, 12 times.
 */
async function writeWeek(patientId: string, deviceId: string, now: number): Promise<void> {
  const readings: Array<{ ts: number; seq: number; hr: number }> = [];
  for (let day = 0; day < 6; day++) {
    for (const [offset, hr] of [
      [0, 125],
      [3_600_000, 110],
    ] as const) {
      const at = now - (day + 1) * 86_400_000 + offset;
      for (let i = 0; i < 5; i++) readings.push({ ts: at + i * 30_000, seq: readings.length + 1, hr });
      readings.push({ ts: at + 180_000, seq: readings.length + 1, hr: 80 });
    }
  }
  const influx = createInflux(t.influx.url, t.influx.access);
  await ensureDatabase(influx); // the ingest makes it with the first reading it stores
  await influx.writePoints(
    readings.map((r) => vitalsPoint({ device: deviceId, patient: patientId }, r, false)),
    { database: DATABASE, retentionPolicy: RETENTION.raw.name, precision: 'n' },
  );
}

describe('a patient’s set-up page', () => {
  for (const { lang, locale } of LANGS) {
    for (const [n, screen] of SCREENS.entries()) {
      it(`edits the chain, previews a threshold’s load before saving, invites and cancels (${lang}, ${screen.name})`, async () => {
        const m = MESSAGES[lang];
        const { device } = await s.senior('Jeanne Martin');
        const { patientId } = device;
        const doctor = await s.clinician({ name: 'Dr Roux', email: `roux${n}@vigie.test` });
        const aide = await s.clinician({ name: 'Hélène Aide', email: `aide${n}@vigie.test`, role: 'homecare' });
        const daughter = await s.family(patientId, { name: 'Claire Martin', email: `claire${n}@vigie.test` });
        await writeWeek(patientId, device.deviceId, Date.now());

        const page = await openPage({
          url: `${s.webUrl}/console/#/setup/${patientId}`,
          screen,
          locale,
          cookie: doctor.cookie,
        });
        const chain = page.getByTestId('setup-chain');
        await expect.poll(() => chain.getByTestId('chain-empty').count()).toBe(1);

        // The chain: the home-care worker, then the daughter moved up to step 1.
        await expect
          .poll(() => chain.getByTestId('chain-add').locator(`option[value="${aide.personId}"]`).count())
          .toBe(1);
        await chain.getByTestId('chain-add').selectOption(aide.personId);
        await chain.getByTestId('chain-add-button').click();
        await chain.getByTestId('chain-add').selectOption(daughter.personId);
        await chain.getByTestId('chain-add-button').click();
        await chain.getByRole('button', { name: m['setup.chain.up'].replace('{name}', 'Claire Martin') }).click();
        await expect
          .poll(() => chain.getByTestId('chain-status').textContent())
          .toBe(m['setup.chain.moved'].replace('{name}', 'Claire Martin').replace('{step}', '1'));
        const steps = chain.getByTestId('chain-step');
        await steps.nth(0).getByRole('spinbutton').fill('0');
        await steps.nth(1).getByRole('spinbutton').fill('3');
        await chain.getByTestId('chain-save').click();
        await expect.poll(() => chain.getByTestId('chain-status').textContent()).toBe(m['setup.chain.saved']);
        expect(s.people.chain(patientId).steps).toEqual([
          { personId: daughter.personId, delayMs: 0 },
          { personId: aide.personId, delayMs: 180_000 },
        ]);
        expect(await steps.allTextContents()).toEqual([
          expect.stringContaining('Claire Martin'),
          expect.stringContaining('Hélène Aide'),
        ]);

        // A threshold: the save waits for the preview, which shows the load, and a big rise is confirmed.
        const rules = page.getByTestId('setup-rules');
        const hrHigh = rules.locator('[data-rule="hr-high"]');
        await expect.poll(() => hrHigh.getByTestId('rule-limit').inputValue()).toBe('120');
        await hrHigh.getByTestId('rule-limit').fill('105');
        await rules.getByLabel(m['setup.rules.fallWindow']).fill('90');
        expect(await rules.getByTestId('rules-save').isDisabled()).toBe(true);
        await rules.getByTestId('rules-preview').click();
        await expect
          .poll(() => rules.getByTestId('rules-load-total').textContent())
          .toBe(m['setup.rules.load'].replace('{proposed}', '12').replace('{current}', '6'));
        await looksRight(page, `setup-care-${lang}-${screen.name}`);
        await rules.getByTestId('rules-save').click();
        await expect.poll(() => page.getByTestId('field-error').count()).toBeGreaterThan(0);
        expect(s.settings.get(patientId)).toBeUndefined();
        await rules.getByTestId('rules-confirm').check();
        await rules.getByTestId('rules-save').click();
        await expect.poll(() => rules.getByTestId('rules-status').textContent()).toBe(m['setup.rules.saved']);
        expect(s.settings.get(patientId)).toMatchObject({
          thresholds: { 'hr-high': { limit: 105 } },
          fallWindowSeconds: 90,
        });
        expect(s.settings.get(patientId)?.staleAfterMinutes).toBeUndefined();

        // An invitation, shown once, listed, then cancelled.
        const invites = page.getByTestId('setup-invites');
        await expect.poll(() => invites.getByTestId('no-invitation').count()).toBe(1);
        await invites.getByLabel(m['setup.invites.name']).fill('Marc Martin');
        await invites.getByLabel(m['setup.invites.email']).fill(`marc${n}@vigie.test`);
        await invites.getByTestId('setup-invite-relation').selectOption('son');
        await invites.getByTestId('setup-invite-send').click();
        await expect.poll(() => invites.getByTestId('setup-invite-link').inputValue()).toContain('/family/#invite=');
        await expect.poll(() => invites.getByTestId('pending-invitation').count()).toBe(1);
        expect(await invites.getByTestId('pending-invitation').textContent()).toContain('Marc Martin');
        await looksRight(page, `setup-care-invited-${lang}-${screen.name}`);
        await invites.getByTestId('cancel-invitation').click();
        await expect.poll(() => invites.getByTestId('no-invitation').count()).toBe(1);
        expect(await invites.getByTestId('invites-status').textContent()).toBe(
          m['setup.invites.cancelled'].replace('{name}', 'Marc Martin'),
        );
        expect(s.people.pendingInvitations(patientId)).toEqual([]);
        // The page's change log follows each change saved on it, newest first.
        await expect
          .poll(async () => (await page.getByTestId('change-text').allTextContents()).slice(0, 4))
          .toEqual([
            m['changes.invitation.revoked'].replace('{name}', 'Marc Martin'),
            m['changes.invitation.created'].replace('{name}', 'Marc Martin'),
            expect.stringMatching(m['changes.thresholds.set'].split(' (')[0]!),
            expect.stringMatching(m['changes.escalation.set'].split(' (')[0]!),
          ]);
        await page.context().close();
      });
    }
  }

  it('shows the chain and thresholds read-only to a role without the rights, and no invitations', async () => {
    const { device } = await s.senior('Jeanne Martin');
    const aide = await s.clinician({ name: 'Hélène Aide', email: 'aide@vigie.test', role: 'homecare' });
    const page = await openPage({
      url: `${s.webUrl}/console/#/setup/${device.patientId}`,
      screen: SCREENS[0],
      locale: 'fr-FR',
      cookie: aide.cookie,
    });
    await expect.poll(() => page.getByTestId('rule').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('chain-save').isDisabled()).toBe(true);
    expect(await page.getByTestId('rules-preview').isDisabled()).toBe(true);
    expect(await page.getByTestId('setup-invites').count()).toBe(0);
    await looksRight(page, 'setup-care-read-only-fr-phone');
  });
});
