import { describe, expect, it } from 'vitest';
import { generateSecret, hashSecret, verifySecret } from './secrets.ts';

describe('secrets', () => {
  it('verifies the secret and nothing else, and never stores it in clear', async () => {
    const secret = generateSecret();
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    const hash = await hashSecret(secret);
    expect(hash).not.toContain(secret);
    expect(await verifySecret(secret, hash)).toBe(true);
    expect(await verifySecret(Buffer.from(secret), hash)).toBe(true);
    expect(await verifySecret(`${secret}x`, hash)).toBe(false);
    expect(await hashSecret(secret)).not.toBe(hash); // salted
  });
  it.each(['', 'plain', 'scrypt$1$2$3', 'bcrypt$1024$8$1$AAAA$AAAA'])(
    'refuses a malformed stored hash %j',
    async (stored) => {
      expect(await verifySecret('x', stored)).toBe(false);
    },
  );
});
