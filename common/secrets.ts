/**
 * Device and service secrets: 256-bit random tokens, stored only as a salted scrypt hash.
 * Because the secrets are random (not chosen by people), a moderate work factor is enough; it keeps a
 * reconnect storm of thousands of watches cheap for the broker.
 */
import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

const PARAMS = { N: 1024, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scryptAsync(secret: BinaryLike, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A staff account's first password, shown once to whoever made the account (an administrator's page,
 * `npm run provision -- staff`): 20 random base64url characters, 120 bits.
 */
export function firstPassword(): string {
  return generateSecret().slice(0, 20);
}

export async function hashSecret(secret: string, params: ScryptWork = PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, { ...params, maxmem: 256 * params.N * params.r });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** scrypt's cost parameters: N (CPU and memory), r (block size), p (parallelism). */
export interface ScryptWork {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * Passwords are chosen by people, so they get the work factor OWASP recommends for scrypt
 * (N=2^17, r=8, p=1: 0.3 s to 1.5 s and 128 MiB, depending on the machine), which makes guessing a
 * stolen hash costly.
 */
export const PASSWORD_PARAMS: ScryptWork = { N: 2 ** 17, r: 8, p: 1 };

/** `work`: PASSWORD_PARAMS but where a test stack asks for less (web/people.ts, `passwordWork`). */
export function hashPassword(password: string, work: ScryptWork = PASSWORD_PARAMS): Promise<string> {
  return hashSecret(password.normalize('NFC'), work);
}

/**
 * A stored hash of the same cost as `work` that no password matches: verified against when an
 * account is unknown, so that the answer takes as long as for a known one.
 */
export function unmatchableHash(work: ScryptWork = PASSWORD_PARAMS): string {
  return `scrypt$${work.N}$${work.r}$${work.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
}

export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return verifySecret(password.normalize('NFC'), stored);
}

/** Constant-time check of a secret against a stored hash; false for a malformed hash. */
export async function verifySecret(secret: Buffer | string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const N = Number(n);
  const R = Number(r);
  if (!(N > 1 && N <= 2 ** 20 && R >= 1 && R <= 16)) return false;
  const key = await scryptAsync(secret, Buffer.from(salt, 'base64url'), { N, r: R, p: Number(p), maxmem: 256 * N * R });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
