/** The provisioning CLI registers a professional's RPPS identifier with their staff account, or says why not. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { People } from '../web/people.ts';

const ROOT = resolve(import.meta.dirname, '..');
let dir = '';
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'vigie-provision-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function provision(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [join(ROOT, 'web', 'provision-cli.ts'), ...args],
      { env: { ...process.env, VIGIE_DATA_DIR: dir } },
      (error, out, err) => done({ code: typeof error?.code === 'number' ? error.code : 0, out, err }),
    );
  });
}
const staff = (email: string, rpps: string) =>
  provision('staff', '--name', 'Dr A', '--email', email, '--role', 'clinician', '--rpps', rpps);

describe('provision -- staff --rpps', () => {
  it('registers the identifier, refuses a malformed or taken one before creating anything', async () => {
    const made = await staff('a@ch.test', '810001234567');
    expect(made.code).toBe(0);
    expect(made.out).toContain('Pro Santé Connect (RPPS 810001234567)');

    const malformed = await staff('b@ch.test', '81000123456X');
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain('--rpps must be the 9 to 12 digits');
    const taken = await staff('c@ch.test', '810001234567');
    expect(taken.code).toBe(2);
    expect(taken.err).toContain('an account already uses RPPS 810001234567');

    const people = People.open(join(dir, 'registry.db'));
    try {
      expect(people.personByRpps('810001234567')?.email).toBe('a@ch.test');
      expect(people.personByEmail('b@ch.test')).toBeUndefined();
      expect(people.personByEmail('c@ch.test')).toBeUndefined();
    } finally {
      people.close();
    }
  });
});
