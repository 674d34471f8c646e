import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from './private-files.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('writePrivateFile', () => {
  it('writes a new file 0600, and narrows an existing one before writing the secret into it', () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-private-'));
    const fresh = join(dir, 'service-token');
    writePrivateFile(fresh, 'secret-1');
    expect(statSync(fresh).mode & 0o777).toBe(0o600);

    const old = join(dir, 'vapid.json');
    writeFileSync(old, 'old');
    chmodSync(old, 0o644);
    writePrivateFile(old, 'secret-2');
    expect(statSync(old).mode & 0o777).toBe(0o600);
    expect(readFileSync(old, 'utf8')).toBe('secret-2');
  });
});
