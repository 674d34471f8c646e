/**
 * An external system of the FHIR API as its vendor would run it against a test stack (SMART Backend
 * Services): a key pair made with jose, registered by an admin through the HTTP API, assertions
 * signed with its private key, access tokens from the token endpoint.
 */
import { expect } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { sender } from './http.ts';
import type { FamilyStack } from './family-stack.ts';

type Json = Record<string, unknown>;

export interface SystemClient {
  id: string;
  key: CryptoKey;
  kid: string;
}

export async function keyPair(alg: 'ES384' | 'RS384' = 'ES384', kid = `k-${randomUUID()}`) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { jwk, privateKey, kid };
}

export const tokenUrl = (s: FamilyStack) => `${s.webUrl}/fhir/R4/auth/token`;

/** Registers a system for the stack's team (by default) with an admin's session. */
export async function registerSystem(
  s: FamilyStack,
  cookie: string,
  o: { scopes?: string[]; teamIds?: string[]; name?: string } = {},
): Promise<SystemClient & { res: Json }> {
  const { jwk, privateKey, kid } = await keyPair();
  const res = await sender(() => s.webUrl)('POST', '/api/admin/systems', cookie, {
    name: o.name ?? 'Logiciel du médecin traitant',
    jwks: JSON.stringify({ keys: [jwk] }),
    scopes: o.scopes ?? ['system/Patient.rs', 'system/Observation.rs'],
    teamIds: o.teamIds ?? [s.staffTeam],
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { system: Json & { id: string } };
  return { id: body.system.id, key: privateKey, kid, res: body.system };
}

/** A signed assertion; `claims` and `header` override the right ones (undefined: left out). */
export function assertion(s: FamilyStack, client: SystemClient, claims: Json = {}, header: Json = {}, alg = 'ES384') {
  const now = Math.floor((Date.now() + s.systemsClock.aheadMs) / 1000);
  const payload = { iss: client.id, sub: client.id, aud: tokenUrl(s), exp: now + 240, iat: now, jti: randomUUID() };
  return new SignJWT({ ...payload, ...claims })
    .setProtectedHeader({ alg, kid: client.kid, typ: 'JWT', ...header })
    .sign(client.key);
}

export async function token(s: FamilyStack, form: Record<string, string>) {
  const res = await fetch(tokenUrl(s), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

export const grantForm = (clientAssertion: string, scope = 'system/Patient.rs system/Observation.rs') => ({
  grant_type: 'client_credentials',
  scope,
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: clientAssertion,
});

export async function accessToken(s: FamilyStack, client: SystemClient, scope?: string): Promise<string> {
  const res = await token(s, grantForm(await assertion(s, client), scope));
  expect(res.status).toBe(200);
  return String(res.body.access_token);
}
