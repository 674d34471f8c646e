/**
 * Whether the built pages (web/dist) are newer than everything they are built from. The demo builds
 * them only when they are not: rebuilding empties web/dist, and a test suite running beside the demo
 * (or a second demo) would find no pages for that moment.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** What the pages import: their own sources and the shared modules (see web/vite.config.ts). */
const SOURCES = ['web', 'devices', 'common', 'sfu', 'ingest', 'package-lock.json'];

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let latest = s.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'dist' || name === 'node_modules' || name.startsWith('.')) continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

export function pagesAreFresh(dist = join(ROOT, 'web', 'dist')): boolean {
  const marker = join(dist, 'call.html');
  if (!existsSync(marker)) return false;
  const built = statSync(marker).mtimeMs;
  return SOURCES.every((s) => !existsSync(join(ROOT, s)) || newest(join(ROOT, s)) <= built);
}
