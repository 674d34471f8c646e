/**
 * An external system's public keys, as an admin pastes them (a JSON Web Key Set): the keys its
 * assertions are signed with for SMART Backend Services (web/fhir/token.ts). Only RS384 (RSA of 2048
 * bits or more) and ES384 (EC P-384) keys, each with its own `kid`, public parts only: a key set that
 * holds a private part is refused, so that a secret pasted by mistake is never stored.
 */
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';

export const SYSTEM_KEY_ALGS = ['RS384', 'ES384'] as const;
export type SystemKeyAlg = (typeof SYSTEM_KEY_ALGS)[number];
export const MAX_SYSTEM_KEYS = 5;
/** 2048 bits in base64url: ceil(256 bytes × 4 / 3). */
const MIN_RSA_MODULUS_CHARS = 342;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const b64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(2048);
const common = {
  kid: z.string().min(1).max(100),
  use: z.literal('sig').optional(),
  key_ops: z.array(z.string().max(20)).max(10).optional(),
};
const keySchema = z.discriminatedUnion('kty', [
  z.looseObject({ kty: z.literal('RSA'), alg: z.literal('RS384').optional(), n: b64url, e: b64url, ...common }),
  z.looseObject({
    kty: z.literal('EC'),
    alg: z.literal('ES384').optional(),
    crv: z.literal('P-384'),
    x: b64url,
    y: b64url,
    ...common,
  }),
]);
const setSchema = z.looseObject({ keys: z.array(z.unknown()).min(1).max(MAX_SYSTEM_KEYS) });

/** A key as it is stored: the members that matter, nothing else. */
const storedKeySchema = z.discriminatedUnion('kty', [
  z.object({ kty: z.literal('RSA'), kid: z.string(), alg: z.literal('RS384'), n: b64url, e: b64url }),
  z.object({
    kty: z.literal('EC'),
    kid: z.string(),
    alg: z.literal('ES384'),
    crv: z.literal('P-384'),
    x: b64url,
    y: b64url,
  }),
]);
export const storedKeySetSchema = z.object({ keys: z.array(storedKeySchema) });
export type SystemKey = z.infer<typeof storedKeySchema>;
export type SystemKeySet = z.infer<typeof storedKeySetSchema>;

/** `secret`: a private part was pasted (the admin should replace that key: it is no longer secret). */
export type KeysResult = { ok: true; value: SystemKeySet } | { ok: false; error: string; secret?: true };

/** The key set in `text`, kept to the members that matter, or why it is refused (for the admin). */
export async function parseSystemKeys(text: string): Promise<KeysResult> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const set = setSchema.safeParse(json);
  if (!set.success) return { ok: false, error: `a JSON Web Key Set {"keys": [...]} of 1 to ${MAX_SYSTEM_KEYS} keys` };
  const keys: SystemKey[] = [];
  for (const [index, raw] of set.data.keys.entries()) {
    if (typeof raw === 'object' && raw !== null && PRIVATE_MEMBERS.some((m) => m in raw))
      return { ok: false, error: `key ${index + 1} holds a private part: paste the public keys only`, secret: true };
    const parsed = keySchema.safeParse(raw);
    if (!parsed.success)
      return { ok: false, error: `key ${index + 1}: an RSA (RS384) or EC P-384 (ES384) public key with a kid` };
    const k = parsed.data;
    if (keys.some((other) => other.kid === k.kid)) return { ok: false, error: `key ${index + 1}: kid used twice` };
    if (k.key_ops && !k.key_ops.includes('verify'))
      return { ok: false, error: `key ${index + 1}: key_ops does not allow verify` };
    const key: SystemKey =
      k.kty === 'RSA'
        ? { kty: 'RSA', kid: k.kid, alg: 'RS384', n: k.n, e: k.e }
        : { kty: 'EC', kid: k.kid, alg: 'ES384', crv: 'P-384', x: k.x, y: k.y };
    if (key.kty === 'RSA' && key.n.length < MIN_RSA_MODULUS_CHARS)
      return { ok: false, error: `key ${index + 1}: an RSA key needs at least 2048 bits` };
    try {
      await importJWK({ ...key } satisfies JWK, key.alg);
    } catch {
      return { ok: false, error: `key ${index + 1}: not a valid ${key.alg} key` };
    }
    keys.push(key);
  }
  return { ok: true, value: { keys } };
}
