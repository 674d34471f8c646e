import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { People } from './people.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const storedHash = (path: string, email: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT password_hash FROM people WHERE email = ?').get(email) as { password_hash: string })
      .password_hash;
  } finally {
    db.close();
  }
};

describe("a person's password", () => {
  it("is hashed at production's cost (scrypt, N=2^17, r=8, p=1) unless a test stack asks for less", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-people-password-'));
    dirs.push(dir);
    const path = join(dir, 'registry.db');
    const people = People.open(path);
    try {
      await people.createPerson({
        role: 'nurse',
        name: 'Inès',
        email: 'ines@x.test',
        password: 'a long enough password',
      });
      expect(storedHash(path, 'ines@x.test')).toMatch(/^scrypt\$131072\$8\$1\$/);
      expect(await people.signIn('ines@x.test', 'a long enough password')).toMatchObject({ name: 'Inès' });
      expect(await people.signIn('ines@x.test', 'a long enough passworD')).toBeUndefined();
      expect(await people.signIn('nobody@x.test', 'a long enough password')).toBeUndefined();
    } finally {
      people.close();
    }
    const light = People.open(path, { passwordWork: { N: 1024, r: 8, p: 1 } });
    try {
      await light.createPerson({ role: 'nurse', name: 'Léa', email: 'lea@x.test', password: 'another long password' });
      expect(storedHash(path, 'lea@x.test')).toMatch(/^scrypt\$1024\$8\$1\$/);
      expect(await light.signIn('lea@x.test', 'another long password')).toMatchObject({ name: 'Léa' });
      // Verification reads the cost from the stored hash: the first account still signs in.
      expect(await light.signIn('ines@x.test', 'a long enough password')).toMatchObject({ name: 'Inès' });
    } finally {
      light.close();
    }
  });
});
