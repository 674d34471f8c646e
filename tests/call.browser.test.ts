/**
 * A teleconsultation in real headless Chromium (fake camera and microphone) through the real SFU:
 * the clinician creates it from the start page, the patient and a relative wait until admitted, every
 * page decodes the others' video and audio; killing the mediasoup worker mid-call is survived without
 * a reload. Screenshots of the three pages are saved under tests/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, launchBrowser } from './support/browser.ts';
import { startCallStack, type CallStack } from './support/call-stack.ts';
import { eventually } from './support/mqtt.ts';

let stack: CallStack;
let browser: Browser;
const pages: Record<'clinician' | 'patient' | 'family', Page> = {} as never;

interface Received {
  participantId: string;
  source: string;
  kind: string;
  packetsReceived: number;
  framesDecoded: number;
  frameWidth: number;
  totalSamplesReceived: number;
}

function received(page: Page): Promise<Received[]> {
  return page.evaluate(() =>
    (window as unknown as { vigieCall: { receivedStats(): Promise<Received[]> } }).vigieCall.receivedStats(),
  );
}

/** Video decoded and audio received from `others` distinct participants, above the given floors. */
async function expectMediaFrom(
  page: Page,
  others: number,
  floor: { frames: number; samples: number } = { frames: 10, samples: 1_000 },
): Promise<Received[]> {
  let stats: Received[] = [];
  await eventually(
    async () => {
      stats = await received(page);
      const video = stats.filter((s) => s.kind === 'video' && s.framesDecoded >= floor.frames);
      const audio = stats.filter((s) => s.kind === 'audio' && s.totalSamplesReceived >= floor.samples);
      expect(new Set(video.map((s) => s.participantId)).size).toBe(others);
      expect(new Set(audio.map((s) => s.participantId)).size).toBe(others);
    },
    45_000,
    500,
  ).catch((error: unknown) => {
    throw new Error(`${page.url()}: ${JSON.stringify(stats)}: ${String(error)}`);
  });
  return stats;
}

/** The remote videos show a picture (Chromium's fake camera draws a moving pattern), not black. */
function videosShowAPicture(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const videos = [...document.querySelectorAll<HTMLVideoElement>('[data-testid="video-camera"] video')];
    return videos.map((v) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(v, 0, 0, 64, 48);
      const data = ctx.getImageData(0, 0, 64, 48).data;
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < data.length; i += 4) {
        const y = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        sum += y;
        sumSq += y * y;
      }
      const n = data.length / 4;
      return Math.sqrt(sumSq / n - (sum / n) ** 2); // luminance spread: 0 for a flat (black) frame
    });
  });
}

beforeAll(async () => {
  stack = await startCallStack({ workers: 2 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('a teleconsultation in the browser', () => {
  it('is created by the clinician; patient and relative wait, are admitted, and everyone sees and hears everyone', async () => {
    const clinicianContext = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'fr-FR' });
    const { links } = await stack.createConsultation(true);
    const patientLink = links.patient;
    const familyLink = await stack.relativeLink('Claire');
    expect(patientLink).toMatch(new RegExp(`^${stack.webUrl}/call/c-[\\w-]+#ey`));
    pages.clinician = await clinicianContext.newPage();
    await pages.clinician.goto(links.clinician);
    await pages.clinician.getByTestId('join').click();
    await expect.poll(() => pages.clinician.getByTestId('in-call').count(), { timeout: 20_000 }).toBe(1);

    pages.patient = await (
      await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'fr-FR' })
    ).newPage();
    pages.family = await (
      await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-GB' })
    ).newPage();
    for (const [page, link] of [
      [pages.patient, patientLink],
      [pages.family, familyLink],
    ] as const) {
      await page.goto(link);
      await expect.poll(() => page.getByTestId('self-preview').count(), { timeout: 20_000 }).toBe(1);
      expect(page.url()).not.toContain('#'); // the token left the address bar
      await page.getByTestId('join').click();
      await expect.poll(() => page.getByTestId('waiting').count(), { timeout: 20_000 }).toBe(1);
    }
    await expect.poll(() => pages.family.getByText('Waiting room').count()).toBe(1);
    await expect.poll(() => pages.patient.getByText('Salle d’attente').count()).toBe(1);
    // Not connected before being admitted: no media from or to the patient yet.
    expect(await received(pages.patient)).toEqual([]);

    await pages.clinician.getByTestId('admit-patient').click();
    await pages.clinician.getByTestId('admit-family').click();

    for (const page of Object.values(pages)) await expectMediaFrom(page, 2);
    for (const page of Object.values(pages)) {
      const widths = (await received(page)).filter((s) => s.kind === 'video').map((s) => s.frameWidth);
      expect(Math.min(...widths)).toBeGreaterThanOrEqual(160);
      await expect
        .poll(async () => Math.min(...(await videosShowAPicture(page))), { timeout: 15_000 })
        .toBeGreaterThan(5);
    }
    await expect
      .poll(() => pages.clinician.getByTestId('network').getAttribute('data-quality'), { timeout: 15_000 })
      .toBe('good');

    // The chat reaches everyone admitted.
    await pages.clinician.locator('#chat-input').fill('Bonjour Madame, je vous entends bien.');
    await pages.clinician.locator('#chat-input').press('Enter');
    await expect.poll(() => pages.patient.getByTestId('chat-log').textContent()).toContain('je vous entends bien');

    for (const [role, page] of Object.entries(pages)) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: artifactPath(`call-${role}.png`) });
    }
  }, 180_000);

  it('lets the clinician mute, share the screen and stop sharing; the others see each change', async () => {
    await pages.clinician.getByTestId('mic').click();
    await expect.poll(() => pages.patient.getByText('micro coupé').count(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => pages.family.locator('figcaption', { hasText: 'Dr Martin' }).textContent(), { timeout: 10_000 })
      .toContain('muted');
    await pages.clinician.getByTestId('mic').click();
    await expect.poll(() => pages.patient.getByText('micro coupé').count(), { timeout: 10_000 }).toBe(0);

    await pages.clinician.getByTestId('screen').click();
    for (const page of [pages.patient, pages.family]) {
      await eventually(
        async () => {
          const screen = (await received(page)).filter((s) => s.source === 'screen');
          expect(screen.map((s) => s.framesDecoded >= 5)).toEqual([true]);
        },
        30_000,
        500,
      );
    }
    await pages.patient.evaluate(() => window.scrollTo(0, 0));
    await pages.patient.screenshot({ path: artifactPath('call-patient-screen-share.png') });
    await pages.clinician.getByTestId('screen').click();
    await expect.poll(() => pages.patient.locator('[data-testid="video-screen"]').count(), { timeout: 10_000 }).toBe(0);
  }, 90_000);

  it('survives the death of the mediasoup worker: pages reconnect by themselves and video flows again', async () => {
    const room = [...stack.sfu.server.rooms.values()].find((r) => r.size === 3);
    const pid = room?.slot?.worker.pid;
    expect(pid).toBeGreaterThan(0);
    const before = await Promise.all(
      Object.values(pages).map((p) =>
        p.evaluate(() => (window as unknown as { vigieCall: { reconnections: number } }).vigieCall.reconnections),
      ),
    );
    process.kill(pid!, 'SIGKILL');
    await eventually(() => expect(stack.sfu.server.pool.pids()).not.toContain(pid), 20_000);
    for (const [i, page] of Object.values(pages).entries()) {
      await expect
        .poll(
          () =>
            page.evaluate(
              () => (window as unknown as { vigieCall: { reconnections: number } }).vigieCall.reconnections,
            ),
          { timeout: 30_000 },
        )
        .toBeGreaterThan(before[i] ?? 0);
    }
    // New consumers after the restart: their frame counters start again from zero.
    for (const page of Object.values(pages)) await expectMediaFrom(page, 2);
    expect(stack.sfu.server.pool.restarts).toBe(1);
    expect(room?.slot?.worker.pid).not.toBe(pid);
    for (const [role, page] of Object.entries(pages))
      await page.screenshot({ path: artifactPath(`call-${role}-after-worker-restart.png`) });
  }, 120_000);

  it('survives a network outage on the participants\' side: "reconnecting", then media again, without a reload', async () => {
    const reconnections = () =>
      Promise.all(
        Object.values(pages).map((p) =>
          p.evaluate(() => (window as unknown as { vigieCall: { reconnections: number } }).vigieCall.reconnections),
        ),
      );
    const before = await reconnections();
    const loads = await Promise.all(
      Object.values(pages).map((p) =>
        p.evaluate(() => performance.getEntriesByType('navigation').length + performance.timeOrigin),
      ),
    );
    stack.signallingLink.cut();
    await expect.poll(() => pages.patient.getByTestId('reconnecting').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => pages.patient.getByText('Connexion perdue').count()).toBe(1);
    await new Promise((r) => setTimeout(r, 3_000));
    stack.signallingLink.restore();
    await eventually(
      async () => {
        const after = await reconnections();
        after.forEach((n, i) => expect(n).toBeGreaterThan(before[i] ?? 0));
      },
      30_000,
      500,
    );
    for (const page of Object.values(pages)) await expectMediaFrom(page, 2);
    expect(await pages.patient.getByTestId('reconnecting').count()).toBe(0);
    // Same documents as before: nothing was reloaded.
    expect(
      await Promise.all(
        Object.values(pages).map((p) =>
          p.evaluate(() => performance.getEntriesByType('navigation').length + performance.timeOrigin),
        ),
      ),
    ).toEqual(loads);
  }, 90_000);

  it('ends for everyone when the clinician ends it (after confirming)', async () => {
    await pages.clinician.getByTestId('end-all').click();
    await pages.clinician.getByTestId('confirm-yes').click();
    await expect.poll(() => pages.patient.getByTestId('ended').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => pages.family.getByTestId('ended').count(), { timeout: 15_000 }).toBe(1);
  }, 60_000);

  it("learns the browser's capabilities during the preview, so joining does not wait for them", async () => {
    const { links } = await stack.createConsultation(false);
    const page = await (await browser.newContext()).newPage();
    // Counts the page's peer connections: mediasoup-client probes the browser with two of them,
    // then makes one per transport.
    await page.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const made = { count: 0 };
      (window as unknown as { peerConnections: typeof made }).peerConnections = made;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          made.count += 1;
        }
      };
    });
    const made = () =>
      page.evaluate(() => (window as unknown as { peerConnections: { count: number } }).peerConnections.count);
    await page.goto(links.clinician);
    await page.getByTestId('self-preview').waitFor();
    await expect.poll(made, { timeout: 15_000 }).toBe(2);
    await page.getByTestId('join').click();
    await page.getByTestId('in-call').waitFor();
    await expect
      .poll(() => page.evaluate(() => performance.getEntriesByName('vigie:producing').length), { timeout: 15_000 })
      .toBe(1);
    expect(await made()).toBe(4); // the two transports; no probe again
    await page.getByTestId('hangup').click();
    await page.context().close();
  }, 60_000);
});
