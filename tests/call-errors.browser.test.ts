/**
 * What a senior sees when something is wrong, in real Chromium: no camera, camera access refused, a
 * broken, expired or tampered invitation, a join that does not reach the call server in time. Each is a
 * plain sentence (French here), never a blank page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, launchBrowser } from './support/browser.ts';
import { startCallStack, type CallStack } from './support/call-stack.ts';
import { MESSAGES } from '../web/src/lib/i18n.ts';

let stack: CallStack;
const browsers: Browser[] = [];

beforeAll(async () => {
  stack = await startCallStack();
});
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await stack?.stop();
});

async function open(
  url: string,
  media: 'granted' | 'refused' | 'absent' = 'granted',
  prepare: (page: Page) => Promise<void> = async () => undefined,
): Promise<Page> {
  const browser = await launchBrowser({ media });
  browsers.push(browser);
  const page = await (await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'fr-FR' })).newPage();
  await prepare(page);
  await page.goto(url);
  return page;
}

async function shows(page: Page, text: string, screenshot: string): Promise<void> {
  await expect.poll(() => page.getByText(text).count(), { timeout: 15_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: artifactPath(screenshot) });
}

describe('the call page explains what is wrong', () => {
  it('when there is no camera or microphone', async () => {
    const { links } = await stack.createConsultation(false);
    await shows(await open(links.patient, 'absent'), MESSAGES.fr['error.no_camera'], 'error-no-camera.png');
  });

  it('when access to the camera is refused', async () => {
    const { links } = await stack.createConsultation(false);
    await shows(await open(links.patient, 'refused'), MESSAGES.fr['error.permission'], 'error-permission.png');
  });

  it('when the link has no token', async () => {
    const { links } = await stack.createConsultation(false);
    await shows(await open(links.patient.split('#')[0]!), MESSAGES.fr['error.no_link'], 'error-no-link.png');
  });

  it('when the invitation was tampered with, or has expired', async () => {
    const { roomId, links } = await stack.createConsultation(false);
    const [base, token] = links.patient.split('#') as [string, string];
    const [h, p, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'clinician' })).toString('base64url')}.${sig}`;
    // Said before anything is offered: no join button to press in vain.
    const page = await open(`${base}#${tampered}`);
    await shows(page, MESSAGES.fr['error.token_invalid'], 'error-token-invalid.png');
    expect(await page.getByTestId('join').count()).toBe(0);

    const expired = await stack.sfu.invite(roomId, 'patient', { ttlSeconds: -120 });
    const page2 = await open(`${stack.webUrl}/call/${roomId}#${expired}`);
    await shows(page2, MESSAGES.fr['error.token_expired'], 'error-token-expired.png');
    expect(await page2.getByTestId('join').count()).toBe(0);
  });

  it('when its join does not reach the call server in time', async () => {
    const { links } = await stack.createConsultation(false);
    // The socket opens, but the page's requests are swallowed on the way: the SFU's join deadline
    // closes it, and the page says so instead of retrying forever.
    const page = await open(links.patient, 'granted', (p) =>
      p.routeWebSocket(/\/signal$/, (socket) => {
        socket.connectToServer();
        socket.onMessage(() => undefined);
      }),
    );
    await page.getByTestId('join').click();
    await shows(page, MESSAGES.fr['error.join_timeout'], 'error-join-timeout.png');
  });
});
