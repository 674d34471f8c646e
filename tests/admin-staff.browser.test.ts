/**
 * The administrators' staff and teams pages, and the home-care worker's console, in real headless
 * Chromium against the running services: an administrator creates an account and sees its first
 * password once, changes its role, makes a team, adds a member and a patient; both pages on a phone,
 * a tablet and a desktop, in French and English, clean for axe-core and without sideways scrolling.
 * Screenshots go to tests/artifacts/.
 */
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { looksRight, useBrowser, LANGS, SCREENS } from './support/browser.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const openPage = useBrowser({ media: 'absent' });

async function adminCookie(): Promise<string> {
  const admin = await s.people.createPerson({ role: 'admin', name: 'Ada Admin', email: 'ada@ch.test' });
  return `vigie_session=${s.people.createSession(admin.id, 3600_000).token}`;
}

describe('staff accounts and care teams, for an administrator', () => {
  it('creates an account (first password shown once), changes its role, makes a team with a member and a patient', async () => {
    const cookie = await adminCookie();
    const loose = await t.broker.registry.provisionPatient('Mme Sans Équipe');
    const M = MESSAGES.fr;
    const page = await openPage({
      url: `${s.webUrl}/console/#/admin/staff`,
      screen: SCREENS[2],
      locale: 'fr-FR',
      cookie,
    });
    await expect.poll(() => page.getByTestId('staff-account').count()).toBe(2); // Ada and the stack's nurse
    await page.getByLabel(M['admin.staff.name']).fill('Dr Hugo Martin');
    await page.getByLabel(M['admin.staff.email']).fill('hugo@ch.test');
    await page.getByTestId('staff-role').selectOption('clinician');
    await page.getByLabel(M['admin.staff.rpps']).fill('810001234567');
    await page.getByTestId('staff-submit').click();
    const password = await expect
      .poll(() => page.getByTestId('staff-password').textContent())
      .toMatch(/^[\w-]{20}$/)
      .then(() => page.getByTestId('staff-password').textContent());
    expect(await page.getByTestId('staff-created').textContent()).toContain('Dr Hugo Martin');
    // The password is the account's (it signs in), and is shown only this once.
    const signIn = await fetch(`${s.webUrl}/api/session`, {
      method: 'POST',
      headers: { origin: s.webUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'hugo@ch.test', password }),
    });
    expect(signIn.status).toBe(200);
    await page.reload();
    await expect.poll(() => page.getByTestId('staff-account').count()).toBe(3);
    expect(await page.getByTestId('staff-password').count()).toBe(0);
    expect(await page.textContent('body')).not.toContain(password!);

    const hugo = page.getByTestId('staff-account').filter({ hasText: 'Dr Hugo Martin' });
    expect(await hugo.getByTestId('staff-role-text').textContent()).toBe(M['reads.role.clinician']);
    expect(await hugo.textContent()).toContain('RPPS 810001234567');
    await hugo.getByTestId('staff-edit').click();
    await hugo.getByTestId('staff-edit-role').selectOption('coordinator');
    await hugo.getByTestId('staff-edit-save').click();
    await expect.poll(() => hugo.getByTestId('staff-role-text').textContent()).toBe(M['reads.role.coordinator']);
    expect(s.people.personByEmail('hugo@ch.test')?.role).toBe('coordinator');
    // Disabling is said, then confirmed; the account shows as disabled and can be enabled again.
    await hugo.getByTestId('staff-disable').click();
    expect(await hugo.getByRole('status').textContent()).toContain('Dr Hugo Martin');
    expect(s.people.isDisabled(s.people.personByEmail('hugo@ch.test')!.id)).toBe(false);
    await hugo.getByTestId('staff-disable-confirm').click();
    await expect.poll(() => hugo.getByTestId('staff-status').textContent()).toBe(M['admin.staff.disabled']);
    expect(s.people.isDisabled(s.people.personByEmail('hugo@ch.test')!.id)).toBe(true);
    await hugo.getByTestId('staff-enable').click();
    await expect.poll(() => hugo.getByTestId('staff-status').textContent()).toBe(M['admin.staff.active']);
    // Pro Santé Connect is not configured on this server: the page says so and offers nothing to tick.
    expect(await page.getByTestId('psc-off').textContent()).toBe(M['admin.psc.off']);
    expect(await page.getByTestId('psc-role-clinician').isDisabled()).toBe(true);

    await page.getByTestId('admin-tab-teams').click();
    await page.getByLabel(M['admin.teams.name'], { exact: true }).fill('Équipe Sud');
    await page.getByTestId('team-submit').click();
    const sud = page.getByTestId('team').filter({ has: page.getByRole('heading', { name: 'Équipe Sud' }) });
    await expect.poll(() => sud.count()).toBe(1);
    expect(await page.getByTestId('teams-unfollowed').textContent()).toContain('1');
    await sud.getByTestId('team-add-member').selectOption({ label: `Dr Hugo Martin · ${M['reads.role.coordinator']}` });
    await sud.getByTestId('team-add-member-submit').click();
    await expect
      .poll(() => sud.getByTestId('team-member').allTextContents())
      .toEqual([expect.stringContaining('Dr Hugo Martin')]);
    await sud.getByTestId('team-add-patient').selectOption({ label: 'Mme Sans Équipe' });
    await sud.getByTestId('team-add-patient-submit').click();
    await expect
      .poll(() => sud.getByTestId('team-patient').allTextContents())
      .toEqual([expect.stringContaining('Mme Sans Équipe')]);
    expect(await page.getByTestId('teams-unfollowed').count()).toBe(0);
    const team = s.people.teams().find((x) => x.name === 'Équipe Sud')!;
    expect(team.patientIds).toEqual([loose.patientId]);
    expect(team.memberIds).toEqual([s.people.personByEmail('hugo@ch.test')!.id]);

    // The change log says it all, in words.
    await page.getByTestId('admin-tab-changes').click();
    await expect.poll(() => page.getByTestId('change-text').count()).toBe(7);
    expect(await page.getByTestId('change-text').allTextContents()).toEqual([
      'Mme Sans Équipe désormais suivi·e par l’équipe Équipe Sud',
      'Dr Hugo Martin ajouté·e à l’équipe Équipe Sud',
      'Équipe créée : Équipe Sud',
      'Compte réactivé : Dr Hugo Martin',
      'Compte désactivé : Dr Hugo Martin',
      `Compte modifié : Dr Hugo Martin (${M['reads.role.coordinator']})`,
      `Compte créé : Dr Hugo Martin (${M['reads.role.clinician']})`,
    ]);
  });

  it('shows the staff and teams pages on a phone, a tablet and a desktop, in French and English', async () => {
    const cookie = await adminCookie();
    await s.senior('Jeanne Dupont');
    await t.broker.registry.provisionPatient('Marcel Petit');
    await s.people.createStaff({ role: 'homecare', name: 'Léa Aide-à-domicile', email: 'lea@ch.test' });
    const doctor = await s.people.createStaff({
      role: 'clinician',
      name: 'Dr Bénédicte Martin-Lefèvre',
      email: 'benedicte.martin-lefevre@centre-hospitalier-exemple.test',
      rpps: '810001234567',
    });
    s.people.addToTeam(s.staffTeam, { people: [doctor.person.id] });
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/#/admin/staff`, screen, locale, cookie });
        await expect.poll(() => page.getByTestId('staff-account').count()).toBe(4);
        expect(await page.getByRole('heading', { level: 2 }).first().textContent()).toBe(
          MESSAGES[lang]['admin.staff.create'],
        );
        await looksRight(page, `admin-staff-${lang}-${screen.name}.png`);
        await page.getByTestId('admin-tab-teams').click();
        await expect.poll(() => page.getByTestId('team').count()).toBe(1);
        await expect.poll(() => page.getByTestId('team-patient').count()).toBe(1);
        await looksRight(page, `admin-teams-${lang}-${screen.name}.png`);
        await page.context().close();
      }
    }
  });
});

describe('a home-care worker’s console', () => {
  it('shows presence and alerts, and no vital sign, NEWS2, chart or call button, with no error', async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    const carer = await s.clinician({ name: 'Léa Aide', email: 'lea@ch.test', role: 'homecare' });
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 64, spo2: 98, battery: 41 });
    await publish('events', { ts: Date.now(), seq: 2, type: 'sos' });
    for (const { lang, locale } of LANGS) {
      for (const screen of SCREENS) {
        const page = await openPage({ url: `${s.webUrl}/console/`, screen, locale, cookie: carer.cookie });
        await expect.poll(() => page.getByTestId('patient-row').count()).toBe(1);
        await expect.poll(() => page.getByTestId('feed').locator('li').first().textContent()).toContain('Jeanne');
        expect(await page.getByTestId('news2').count()).toBe(0);
        expect(await page.getByTestId('hr').count()).toBe(0);
        expect(await page.getByTestId('call-from-alert').count()).toBe(0);
        expect(await page.getByText(MESSAGES[lang]['console.col.news2']).count()).toBe(0);
        await looksRight(page, `homecare-console-${lang}-${screen.name}.png`);
        await page.goto(`${s.webUrl}/console/#/patient/${device.patientId}`);
        await expect.poll(() => page.getByTestId('person').count()).toBeGreaterThanOrEqual(0);
        await expect.poll(() => page.getByRole('heading', { name: MESSAGES[lang]['console.people'] }).count()).toBe(1);
        expect(await page.getByRole('heading', { name: MESSAGES[lang]['console.charts'] }).count()).toBe(0);
        expect(await page.getByTestId('start-call').count()).toBe(0);
        expect(await page.locator('.notice.error').allTextContents()).toEqual([]);
        await looksRight(page, `homecare-patient-${lang}-${screen.name}.png`);
        await page.context().close();
      }
    }
  });
});
