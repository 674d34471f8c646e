/** Headless Chromium (the Debian package) with a fake camera and microphone, driven by playwright-core. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/**
 * Chromium's headless shell (Debian's chromium-headless-shell: the old headless mode, without the
 * browser's own interface), which Playwright itself uses for headless tests. The same Blink, V8 and
 * WebRTC as CHROMIUM, for half its CPU (measured: one file of page tests took 121 CPU-seconds in the
 * full browser, 60 in the shell). It has no Web Bluetooth emulation and shows no notification from a
 * service worker: tests of those launch the full browser (`engine: 'chromium'`).
 */
export const CHROMIUM_SHELL = process.env.CHROMIUM_SHELL_PATH ?? '/usr/bin/chromium-headless-shell';
/** Screenshots and other things a person should look at after a run. */
export const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');

/**
 * `media`: `granted` (a fake camera and microphone, access allowed), `refused` (fake devices, the
 * permission prompt answered "block"), or `absent` (no camera or microphone at all).
 * `engine`: the headless shell (the default) or the full browser (`chromium`).
 */
export function launchBrowser(
  options: { media?: 'granted' | 'refused' | 'absent'; extraArgs?: string[]; engine?: 'shell' | 'chromium' } = {},
): Promise<Browser> {
  const media = options.media ?? 'granted';
  return chromium.launch({
    // The shell gave a page the camera that the full browser's prompt refuses: refusals need the full browser.
    executablePath: options.engine === 'chromium' || media === 'refused' ? CHROMIUM : CHROMIUM_SHELL,
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

/** The screens a page is looked at on: a phone, a tablet and a desktop. */
export const SCREENS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 820, height: 1180 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;
export type Screen = (typeof SCREENS)[number];

export interface PageOptions {
  url: string;
  screen: { width: number; height: number };
  locale: string;
  /** The session cookie (`name=value`), set for the url's origin before the page loads. */
  cookie?: string;
  /** Keep the page's CSP in force (no accessibility audit on that page). */
  enforceCsp?: boolean;
  /** Run in the page before its own scripts. */
  initScript?: () => void;
  /** Install the page's clock before it loads, for the test to move. */
  clock?: boolean;
  /** Runs on the page before it loads (routes the test holds, listeners). */
  beforeLoad?: (page: Page) => Promise<void>;
}

/**
 * One browser for the test file, launched when a test first opens a page and closed after each test;
 * the function it returns opens a page in a context of its own.
 */
export function useBrowser(launch: Parameters<typeof launchBrowser>[0] = {}): (options: PageOptions) => Promise<Page> {
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  return async (options) => {
    browser ??= await launchBrowser(launch);
    const context = await browser.newContext({
      viewport: { width: options.screen.width, height: options.screen.height },
      locale: options.locale,
      // axe-core is injected as a script, which the page's CSP (rightly) refuses otherwise.
      bypassCSP: !options.enforceCsp,
    });
    if (options.cookie) {
      const [name, value] = options.cookie.split('=') as [string, string];
      await context.addCookies([{ name, value, url: new URL(options.url).origin }]);
    }
    if (options.initScript) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    if (options.clock) await page.clock.install();
    await options.beforeLoad?.(page);
    await page.goto(options.url);
    return page;
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/**
 * WCAG 2 A and AA violations on the page as axe-core (Deque's engine, the one browsers' audits use)
 * finds them: contrast, names of controls, keyboard focus, landmarks. One line per problem, with where.
 * axe-core is injected once per document. It is asked for violations only, and they are put into
 * words in the page: its full result (every rule passed, with its nodes) took longer to send back
 * than the audit took to run.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResult> } };
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
  });
}
interface AxeResult {
  violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
}

/** The pages' languages, with the browser locale that picks each. */
export const LANGS = [
  { lang: 'fr', locale: 'fr-FR' },
  { lang: 'en', locale: 'en-GB' },
] as const;

/**
 * What sticks out to the right of the viewport (the page must not scroll sideways): the innermost
 * such elements, as `tag.classes left-right "text"`; empty when the page fits. An element inside a
 * region that scrolls sideways within the viewport (the console's patient list on a phone, by
 * design) does not stick out: that region clips it, and the person scrolls the region.
 */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const beyond = (e: Element) => e.getBoundingClientRect().right > window.innerWidth + 0.5;
    const clipped = (e: Element) => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== 'visible' && !beyond(p)) return true;
      }
      return false;
    };
    const out = (e: Element) => beyond(e) && !clipped(e);
    return [...document.querySelectorAll('body *')]
      .filter((e) => out(e) && ![...e.children].some(out))
      .slice(0, 8)
      .map((e) => {
        const { left, right } = e.getBoundingClientRect();
        const text = (e.textContent ?? '').trim().slice(0, 40);
        return `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(left)}-${Math.round(right)} "${text}"`;
      });
  });
}

/**
 * A page as a person would judge it, then its screenshot in tests/artifacts/`file`: nothing sticks out
 * to the right, and no accessibility violation. `within`: only that part (a test id) is checked
 * element by element (the console's patient list is a region that scrolls sideways on a phone by
 * design, its cells beyond the edge); the page itself must still not scroll sideways.
 */
export async function looksRight(page: Page, file: string, within?: string): Promise<void> {
  if (within === undefined) expect(await overflowing(page), `${file} fits`).toEqual([]);
  else {
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), file).toBe(true);
    const outside = await page
      .getByTestId(within)
      .evaluate(
        (card) =>
          [card, ...card.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .length,
      );
    expect(outside, `${file}: ${within} fits`).toBe(0);
  }
  expect(await accessibilityViolations(page), file).toEqual([]);
  await page.screenshot({ path: artifactPath(file), fullPage: true });
}
