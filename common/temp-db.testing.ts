/** A fresh SQLite path per call for the unit tests of common/ (which may not import tests/), removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export function useTempDbPath(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `vigie-${prefix}-`));
    dirs.push(dir);
    return join(dir, 'registry.db');
  };
}
