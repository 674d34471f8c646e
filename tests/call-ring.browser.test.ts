/**
 * A call that reaches the senior, in real headless Chromium (fake camera and microphone) against the
 * real services: broker, ingest (with a real SMTP server as its e-mail channel), web service and SFU
 * with a real mediasoup worker. The clinician starts the call from the console (an alert, a patient's
 * page); the call opens in a tab beside the console; the senior's page (a second browser context,
 * signed in as the patient) rings full screen with the clinician's name; "Répondre", the waiting
 * room, "Faire entrer", and video flows both ways. Screenshots are saved under tests/artifacts/.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Person } from '../web/people.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';
import { accessibilityViolations, artifactPath, launchBrowser, SCREENS } from './support/browser.ts';
import { consultationSchema, type Consultation } from '../web/api/schemas.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { usePipeline } from './support/pipeline.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';

const fr = MESSAGES.fr;
const en = MESSAGES.en;
let smtp: TestSmtp;
let browser: Browser;
const t = usePipeline(undefined, {}, () => ({
  channels: [new EmailChannel({ url: smtp.url, from: 'Vigie <appels@vigie.test>' })],
}));
const s = useFamilyStack(t, { sfu: true });

beforeAll(async () => {
  smtp = await startTestSmtp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await smtp?.stop();
});
beforeEach(() => {
  smtp.received.length = 0;
});
// Each test's pages leave with it: left open, they went on capturing, beeping and calling back a
// stack that had stopped, and the last test of the file ran four times slower than alone.
afterEach(async () => {
  await Promise.all(browser.contexts().map((c) => c.close()));
});

interface Cast {
  patientId: string;
  doctor: Person;
  senior: Person;
  relative: Person;
  publish: (channel: 'vitals' | 'events', body: object) => Promise<void>;
}

/** A consultation for the patient, opened over HTTP with a bearer token (the staff's or a doctor's). */
async function openConsultation(token: string, patientId: string, inviteFamily: boolean): Promise<Consultation> {
  const created = await fetch(`${s.webUrl}/api/consultations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ patientId, inviteFamily }),
  });
  return consultationSchema.parse(await created.json());
}

/** Jeanne Martin with a watch, her own account, her daughter Claire (who reads English), and Dr Martin. */
async function cast(): Promise<Cast> {
  const { device, publish } = await s.senior('Jeanne Martin');
  const { patientId } = device;
  const doctor = await s.people.createPerson({ role: 'clinician', name: 'Dr Martin', email: 'martin@vigie.test' });
  s.people.addToTeam(s.staffTeam, { people: [doctor.id] });
  const senior = await s.people.createPerson({
    role: 'patient',
    name: 'Jeanne Martin',
    email: 'jeanne@famille.test',
    lang: 'fr',
  });
  s.people.link(senior.id, patientId, { relation: 'self', shareVitals: true, self: true });
  const relative = await s.people.createPerson({
    role: 'family',
    name: 'Claire Martin',
    email: 'claire@famille.test',
    lang: 'en',
  });
  s.people.link(relative.id, patientId, { relation: 'fille', shareVitals: true });
  return { patientId, doctor, senior, relative, publish };
}

/** A browser context signed in as this person (their session cookie). */
async function signedIn(
  person: Person,
  o: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  // bypassCSP: axe-core is injected as a script, which the page's CSP (rightly) refuses otherwise.
  const context = await browser.newContext({
    locale: o.locale ?? 'fr-FR',
    viewport: o.viewport ?? { width: 1280, height: 860 },
    bypassCSP: true,
  });
  const { token } = s.people.createSession(person.id, 3600_000);
  await context.addCookies([{ name: 'vigie_session', value: token, url: s.webUrl }]);
  return context;
}

interface Received {
  participantId: string;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
}

function received(page: Page): Promise<Received[]> {
  return page.evaluate(() =>
    (window as unknown as { vigieCall: { receivedStats(): Promise<Received[]> } }).vigieCall.receivedStats(),
  );
}

/** Video decoded on this page, and still growing a moment later: the picture flows. */
async function expectVideoFlowing(page: Page): Promise<void> {
  const frames = async () =>
    (await received(page)).filter((r) => r.kind === 'video').reduce((sum, r) => sum + r.framesDecoded, 0);
  await expect.poll(frames, { timeout: 45_000 }).toBeGreaterThan(10);
  const before = await frames();
  await expect.poll(frames, { timeout: 15_000 }).toBeGreaterThan(before);
}

function tones(page: Page): Promise<{ ringing: boolean; rings: number; knocks: number; audio: string }> {
  return page.evaluate(
    () =>
      (window as unknown as { vigieTones: { ringing: boolean; rings: number; knocks: number; audio: string } })
        .vigieTones,
  );
}

function standing(callTab: Page, name: string): Promise<string | null> {
  return callTab.locator(`[data-testid="person"][data-name="${name}"]`).getAttribute('data-standing', {
    timeout: 1_000,
  });
}

/** The clinician's call tab opened by a click on the console; the console stays where it was. */
async function callTabFrom(consolePage: Page, click: () => Promise<void>): Promise<Page> {
  const before = consolePage.url();
  const [tab] = await Promise.all([consolePage.context().waitForEvent('page'), click()]);
  await tab.waitForURL(/\/call\/c-[\w-]+$/);
  expect(consolePage.url()).toBe(before);
  await tab.getByTestId('join').click();
  await expect.poll(() => tab.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);
  return tab;
}

describe('a call that reaches the senior', () => {
  it('rings the senior from a fall alert on the console; she answers, waits, is let in, and video flows both ways', async () => {
    const c = await cast();
    // The senior's tablet shows her page.
    const seniorPage = await (await signedIn(c.senior, { viewport: { width: 820, height: 1180 } })).newPage();
    await seniorPage.goto(`${s.webUrl}/family/`);
    await expect.poll(() => seniorPage.getByTestId('relative').count(), { timeout: 15_000 }).toBe(1);
    expect(await seniorPage.getByTestId('incoming-call').count()).toBe(0);

    const consolePage = await (await signedIn(c.doctor)).newPage();
    await consolePage.goto(`${s.webUrl}/console/`);
    await c.publish('events', { ts: Date.now(), seq: 1, type: 'fall' });
    await expect.poll(() => consolePage.getByTestId('feed-alert').count(), { timeout: 15_000 }).toBe(1);
    const callTab = await callTabFrom(consolePage, () => consolePage.getByTestId('call-from-alert').click());

    // The senior's page rings, full screen, with the clinician's name.
    const ring = seniorPage.getByTestId('incoming-call');
    await expect.poll(() => ring.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await ring.getByRole('heading').textContent()).toBe('Dr Martin vous appelle');
    await expect.poll(async () => (await tones(seniorPage)).ringing).toBe(true);
    await expect.poll(async () => (await tones(seniorPage)).rings).toBeGreaterThan(1); // it repeats
    await expect.poll(async () => (await tones(seniorPage)).audio).toBe('running');
    const box = await ring.boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 820, height: 1180 });
    // Modal: the focus is in the dialog, on its first button.
    await expect
      .poll(() => seniorPage.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('ring-answer');
    expect(await accessibilityViolations(seniorPage)).toEqual([]);
    // The clinician sees it ring, by name; the relative is not invited from an alert.
    await expect.poll(() => standing(callTab, 'Jeanne Martin'), { timeout: 15_000 }).toBe('ringing');
    expect(await callTab.locator('[data-testid="person"][data-name="Claire Martin"]').count()).toBe(0);

    // The invitation e-mail reaches her, in French, with her page's address and no call token.
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toMatchObject({ value: [{ address: 'jeanne@famille.test' }] });
    expect(mail!.subject).toBe('Téléconsultation : Dr Martin vous appelle');
    expect(mail!.text).toContain('/family/');
    expect(mail!.text).not.toMatch(/\/call\/|eyJ/);

    await seniorPage.getByTestId('ring-answer').click();
    await seniorPage.waitForURL(/\/call\/c-[\w-]+$/);
    await expect
      .poll(() => seniorPage.getByRole('heading', { level: 2 }).first().textContent())
      .toBe('Dr Martin vous appelle');
    // The microphone check moves with the fake microphone's beeps.
    await expect
      .poll(async () => Number(await seniorPage.getByTestId('mic-meter').getAttribute('data-level')), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0.05);
    await seniorPage.getByTestId('join').click();
    await expect.poll(() => seniorPage.getByTestId('waiting').count(), { timeout: 20_000 }).toBe(1);

    // A knock, and a "Faire entrer" the clinician cannot miss.
    const banner = callTab.getByTestId('waiting-banner');
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toContain('Jeanne Martin attend pour entrer');
    await expect.poll(async () => (await tones(callTab)).knocks).toBeGreaterThan(0);
    expect(await standing(callTab, 'Jeanne Martin')).toBe('waiting');
    await callTab.getByTestId('admit-patient').click();
    await expect.poll(() => standing(callTab, 'Jeanne Martin'), { timeout: 15_000 }).toBe('in-call');
    await expectVideoFlowing(callTab);
    await expectVideoFlowing(seniorPage);
    expect(await callTab.getByTestId('video-camera').textContent()).toContain('Jeanne Martin (Patient)');

    // The clinician hangs up: the call tab closes, the console is where it was, the senior is told.
    const closed = callTab.waitForEvent('close');
    await callTab.getByTestId('hangup').click();
    await closed;
    expect(consolePage.url()).toBe(`${s.webUrl}/console/`);
    await expect
      .poll(() => seniorPage.getByTestId('clinician-left').textContent(), { timeout: 15_000 })
      .toContain(fr['clinician.left']);
    expect(await seniorPage.getByTestId('hangup').count()).toBe(1); // she may still wait, or leave
  }, 240_000);

  it('rings the senior and the relative from the patient page; "Not now" shows as declined; ending for all asks first', async () => {
    const c = await cast();
    const relativePage = await (
      await signedIn(c.relative, { locale: 'en-GB', viewport: { width: 390, height: 844 } })
    ).newPage();
    await relativePage.goto(`${s.webUrl}/family/`);
    const seniorPage = await (await signedIn(c.senior)).newPage();
    await seniorPage.goto(`${s.webUrl}/family/`);
    for (const page of [relativePage, seniorPage])
      await expect.poll(() => page.getByTestId('relative').count(), { timeout: 15_000 }).toBe(1);

    const consolePage = await (await signedIn(c.doctor)).newPage();
    await consolePage.goto(`${s.webUrl}/console/#/patient/${c.patientId}`);
    await consolePage.getByLabel(fr['console.call.family']).check();
    const callTab = await callTabFrom(consolePage, () => consolePage.getByTestId('start-call').click());

    await expect.poll(() => relativePage.getByTestId('incoming-call').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await relativePage.getByTestId('incoming-call').textContent()).toContain('Dr Martin is calling you');
    expect(await relativePage.getByTestId('incoming-call').textContent()).toContain(
      'Video consultation for Jeanne Martin',
    );
    await expect.poll(() => seniorPage.getByTestId('incoming-call').isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => standing(callTab, 'Claire Martin'), { timeout: 15_000 }).toBe('ringing');

    // The senior closes her ring with Escape: "not now" too.
    await seniorPage.keyboard.press('Escape');
    await expect.poll(() => seniorPage.getByTestId('incoming-call').count()).toBe(0);
    await expect.poll(() => standing(callTab, 'Jeanne Martin'), { timeout: 15_000 }).toBe('declined');
    await relativePage.getByTestId('ring-later').click();
    await expect.poll(() => relativePage.getByTestId('incoming-call').count()).toBe(0);
    expect((await tones(relativePage)).ringing).toBe(false);
    // A card stays, to join later; a reload does not ring again.
    await expect.poll(() => relativePage.getByTestId('join-call').isVisible()).toBe(true);
    await expect.poll(() => standing(callTab, 'Claire Martin'), { timeout: 15_000 }).toBe('declined');
    expect(await callTab.locator('[data-testid="person"][data-name="Claire Martin"]').textContent()).toContain(
      fr['invitee.declined'],
    );
    await relativePage.reload();
    await expect.poll(() => relativePage.getByTestId('join-call').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await relativePage.getByTestId('incoming-call').count()).toBe(0);
    expect(await accessibilityViolations(relativePage)).toEqual([]);
    await relativePage.screenshot({ path: artifactPath('call-ring-declined-card-phone-en.png'), fullPage: true });

    // One e-mail each, in each one's language.
    const mails = await smtp.waitFor(2);
    const byAddress = new Map(mails.map((m) => [m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : '', m]));
    expect(byAddress.get('claire@famille.test')?.subject).toBe('Video consultation: Dr Martin is calling');
    expect(byAddress.get('claire@famille.test')?.text).toContain("Jeanne Martin's video consultation");
    expect(byAddress.get('jeanne@famille.test')?.subject).toBe('Téléconsultation : Dr Martin vous appelle');

    // "Terminer pour tous" asks first; "Annuler" keeps the call.
    await callTab.getByTestId('end-all').click();
    const confirm = callTab.getByTestId('confirm');
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.getByRole('heading').textContent()).toBe(fr['end.confirm.title']);
    await expect
      .poll(() => callTab.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('confirm-no');
    expect(await accessibilityViolations(callTab)).toEqual([]);
    await callTab.screenshot({ path: artifactPath('call-ring-end-confirm-desktop-fr.png') });
    await callTab.getByTestId('confirm-no').click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await callTab.getByTestId('in-call').count()).toBe(1);
    await callTab.getByTestId('end-all').click();
    await callTab.getByTestId('confirm-yes').click();
    await expect.poll(() => callTab.getByTestId('ended').count(), { timeout: 15_000 }).toBe(1);
  }, 240_000);

  it('explains a tampered or an expired link before offering to join', async () => {
    const c = await cast();
    const { roomId, links } = await openConsultation(s.staffToken, c.patientId, false);
    const [base, token] = links.patient.split('#') as [string, string];
    const [header, payload] = token.split('.') as [string, string, string];
    // The same claims with a name of one's own, and the signature of the original: tampered.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, name: 'Quelqu’un d’autre' })).toString('base64url');
    const tampered = `${base}#${header}.${forged}.${token.split('.')[2]}`;
    const expired = await s.web.tokens.issueCall({
      roomId,
      role: 'patient',
      displayName: 'Jeanne Martin',
      patientId: c.patientId,
      ttlSeconds: -3600,
    });
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 } });
    for (const [name, link, text] of [
      ['tampered', tampered, fr['error.token_invalid']],
      ['expired', `${base}#${expired.token}`, fr['error.token_expired']],
    ] as const) {
      const page = await context.newPage();
      await page.goto(link);
      await expect.poll(() => page.getByTestId('bad-link').textContent(), { timeout: 15_000 }).toBe(text);
      expect(await page.getByTestId('join').count()).toBe(0);
      expect(await page.getByTestId('self-preview').count()).toBe(0);
      await page.screenshot({ path: artifactPath(`call-link-${name}-phone-fr.png`) });
      await page.close();
    }
    // The genuine link is offered the join button.
    const page = await context.newPage();
    await page.goto(links.patient);
    await expect.poll(() => page.getByTestId('join').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('bad-link').count()).toBe(0);
    await context.close();
  }, 120_000);

  it('on a phone with three participants, every picture is on the screen and none is under the buttons', async () => {
    const c = await cast();
    const doctorToken = s.people.createApiToken(c.doctor.id, 'tests', 3600_000).token;
    const { links } = await openConsultation(doctorToken, c.patientId, true);
    const clinician = await (await signedIn(c.doctor)).newPage();
    await clinician.goto(links.clinician);
    await clinician.getByTestId('join').click();
    await expect.poll(() => clinician.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);

    const phone = await (await signedIn(c.senior, { viewport: { width: 390, height: 844 } })).newPage();
    await phone.goto(links.patient);
    const relative = await (await signedIn(c.relative, { locale: 'en-GB' })).newPage();
    await relative.goto(`${s.webUrl}/family/`);
    await expect.poll(() => relative.getByTestId('ring-answer').isVisible(), { timeout: 15_000 }).toBe(true);
    await relative.getByTestId('ring-answer').click();
    for (const page of [phone, relative]) {
      await page.getByTestId('join').click();
      await expect.poll(() => page.getByTestId('waiting').count(), { timeout: 20_000 }).toBe(1);
    }
    await clinician.getByTestId('admit-patient').click();
    await clinician.getByTestId('admit-family').click();
    await expect.poll(() => phone.getByTestId('video-camera').count(), { timeout: 30_000 }).toBe(2);
    await expectVideoFlowing(phone);

    const boxes = await phone.evaluate(() => {
      const rect = (el: Element) => {
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      };
      const tiles = [...document.querySelectorAll('[data-testid="video-camera"], .selfview figure')].map(rect);
      const controls = rect(document.querySelector('.controls')!);
      return { tiles, controls, width: innerWidth, height: innerHeight };
    });
    expect(boxes.tiles).toHaveLength(3);
    for (const tile of boxes.tiles) {
      expect(tile.top).toBeGreaterThanOrEqual(0);
      expect(tile.left).toBeGreaterThanOrEqual(0);
      expect(tile.right).toBeLessThanOrEqual(boxes.width);
      expect(tile.bottom).toBeLessThanOrEqual(boxes.controls.top);
    }
    expect(boxes.controls.bottom).toBeLessThanOrEqual(boxes.height);
    // Nor is one picture laid over another (our own small picture over someone's face).
    for (const [i, a] of boxes.tiles.entries())
      for (const b of boxes.tiles.slice(i + 1))
        expect(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top).toBe(true);
    await phone.screenshot({ path: artifactPath('call-ring-phone-three.png') });
  }, 240_000);

  it('tells the senior in the waiting room when the clinician has left, and when they are back', async () => {
    const c = await cast();
    const doctorToken = s.people.createApiToken(c.doctor.id, 'tests', 3600_000).token;
    const { links } = await openConsultation(doctorToken, c.patientId, false);
    const doctor = await signedIn(c.doctor);
    const clinician = await doctor.newPage();
    await clinician.goto(links.clinician);
    await clinician.getByTestId('join').click();
    await expect.poll(() => clinician.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);

    const senior = await (await signedIn(c.senior)).newPage();
    await senior.goto(links.patient);
    await senior.getByTestId('join').click();
    const text = senior.getByTestId('waiting-text');
    await expect.poll(() => text.textContent(), { timeout: 20_000 }).toContain(fr['waiting.text']);
    // The clinician hangs up before letting her in: she is told, and may stay.
    await clinician.getByTestId('hangup').click();
    await expect.poll(() => text.textContent()).toContain(fr['waiting.away']);
    expect(await senior.getByRole('button', { name: fr.hangup }).count()).toBe(1);
    // Back in the consultation: she is told she will be let in, and is.
    const back = await doctor.newPage();
    await back.goto(links.clinician);
    await back.getByTestId('join').click();
    await expect.poll(() => text.textContent()).toContain(fr['waiting.text']);
    await back.getByTestId('admit-patient').click();
    await expect.poll(() => senior.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);
  }, 120_000);

  it('looks right on a phone, a tablet and a desktop, in French and in English (screenshots, accessibility)', async () => {
    const c = await cast();
    const doctorToken = s.people.createApiToken(c.doctor.id, 'tests', 3600_000).token;
    for (const { lang, locale } of [
      { lang: 'fr', locale: 'fr-FR' },
      { lang: 'en', locale: 'en-GB' },
    ] as const) {
      const { links } = await openConsultation(doctorToken, c.patientId, false);
      const clinician = await (await signedIn(c.doctor, { locale })).newPage();
      await clinician.goto(links.clinician);
      await clinician.getByTestId('join').click();
      await expect.poll(() => clinician.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);

      const senior = await (await signedIn(c.senior, { locale })).newPage();
      await senior.goto(`${s.webUrl}/family/`);
      await expect.poll(() => senior.getByTestId('incoming-call').isVisible(), { timeout: 15_000 }).toBe(true);
      expect(await senior.getByTestId('ring-answer').textContent()).toContain(MESSAGES[lang]['ring.answer']);
      for (const screen of SCREENS) {
        await senior.setViewportSize(screen);
        await senior.screenshot({ path: artifactPath(`call-ring-incoming-${screen.name}-${lang}.png`) });
      }
      expect(await accessibilityViolations(senior)).toEqual([]);

      await senior.getByTestId('ring-answer').click();
      const level = async () => Number(await senior.getByTestId('mic-meter').getAttribute('data-level'));
      for (const screen of SCREENS) {
        await expect.poll(level, { timeout: 20_000 }).toBeGreaterThan(0.04); // the bar shows the beep
        await senior.setViewportSize(screen);
        await senior.screenshot({ path: artifactPath(`call-ring-join-${screen.name}-${lang}.png`) });
      }
      expect(await accessibilityViolations(senior)).toEqual([]);

      await senior.getByTestId('join').click();
      await expect.poll(() => clinician.getByTestId('waiting-banner').count(), { timeout: 20_000 }).toBe(1);
      for (const screen of SCREENS) {
        await clinician.setViewportSize(screen);
        const admit = await clinician.getByTestId('admit-patient').boundingBox();
        // "Faire entrer" is on the screen without scrolling.
        expect(admit!.y).toBeGreaterThanOrEqual(0);
        expect(admit!.y + admit!.height).toBeLessThanOrEqual(screen.height);
        await clinician.screenshot({ path: artifactPath(`call-ring-waiting-${screen.name}-${lang}.png`) });
      }
      expect(await accessibilityViolations(clinician)).toEqual([]);
      expect(lang === 'fr' ? fr.admit : en.admit).toBe(await clinician.getByTestId('admit-patient').textContent());
      await clinician.context().close();
      await senior.context().close();
    }
  }, 300_000);
});
