/**
 * Module edges: devices/ is the contract and imports nothing of ours; services import devices/ and
 * common/, not each other, except the web service's read interface over the data it owns
 * (web/directory.ts: the broker reads credentials, the ingest people, chains and settings; neither
 * opens the web service's tables), the SFU's public surface (its signalling protocol and invitation
 * tokens), which the web pages and API share with it; the alert rules' defaults and NEWS2, which the
 * console shows and checks a clinician's settings against; and the documented InfluxDB schema and
 * client, which the console's charts read.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SERVICES = ['broker', 'ingest', 'sfu', 'web', 'simulators'];
const allowed: Record<string, readonly string[]> = {
  devices: ['devices'],
  common: ['common', 'devices'],
  ...Object.fromEntries(SERVICES.map((s) => [s, [s, 'devices', 'common']])),
  broker: ['broker', 'devices', 'common', 'web/directory.ts'],
  ingest: ['ingest', 'devices', 'common', 'web/directory.ts'],
  web: [
    'web',
    'devices',
    'common',
    'sfu/protocol.ts',
    'sfu/tokens.ts',
    'ingest/rules/thresholds.ts',
    'ingest/rules/news2.ts',
    'ingest/rules/news2-window.ts',
    // The threshold preview (web/rules-preview.ts) replays stored readings through the ingest's own
    // threshold rule and settings-to-rules mapping: pure code, no I/O, so the count is the ingest's.
    'ingest/rules/plugins/threshold.ts',
    'ingest/rules/patient-rules.ts',
    'ingest/schema.ts',
    'ingest/influx-client.ts',
  ],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

describe('module edges', () => {
  for (const [folder, may] of Object.entries(allowed)) {
    it(`${folder}/ imports only ${may.join(', ')}`, () => {
      const violations: string[] = [];
      let dirExists = true;
      try {
        statSync(join(root, folder));
      } catch {
        dirExists = false;
      }
      if (!dirExists) return;
      for (const file of sources(join(root, folder))) {
        for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
          const target = relative(root, resolve(dirname(file), m[1] ?? m[2] ?? ''));
          const top = target.split('/')[0] ?? '';
          if (!may.includes(top) && !may.includes(target)) violations.push(`${relative(root, file)} -> ${target}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
  it('finds the imports it checks (the rule is not vacuous)', () => {
    const text = readFileSync(join(root, 'broker/broker.ts'), 'utf8');
    expect([...text.matchAll(IMPORT)].length).toBeGreaterThan(5);
  });
});
