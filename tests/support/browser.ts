/** Headless Chromium (the Debian package) with a fake camera and microphone, driven by playwright-core. */
import { chromium, type Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots and other things a person should look at after a run. */
export const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');

/**
 * `media`: `granted` (a fake camera and microphone, access allowed), `refused` (fake devices, the
 * permission prompt answered "block"), or `absent` (no camera or microphone at all).
 */
export function launchBrowser(options: { media?: 'granted' | 'refused' | 'absent'; extraArgs?: string[] } = {}): Promise<Browser> {
  const media = options.media ?? 'granted';
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(media === 'absent' ? [] : ['--use-fake-device-for-media-stream']),
      ...(media === 'granted' ? ['--use-fake-ui-for-media-stream'] : []),
      // Pages in background tabs must keep decoding video like a visible one.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--autoplay-policy=no-user-gesture-required',
      ...(options.extraArgs ?? []),
    ],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
