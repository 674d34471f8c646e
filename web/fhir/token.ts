/**
 * SMART App Launch "Backend Services" for the FHIR API: an external system an administrator registered
 * (web/systems.ts) gets a short-lived access token with the client-credentials grant, authenticating
 * with a JWT it signs with its private key (`private_key_jwt`, RFC 7523 §2.2):
 *
 * - `GET  /fhir/R4/.well-known/smart-configuration`: the discovery document;
 * - `POST /fhir/R4/auth/token` (form-encoded): checks the assertion with jose (RS384 or ES384 only,
 *   against the system's registered keys; `iss` = `sub` = its client id; `aud` = this endpoint; `exp`
 *   at most five minutes ahead; a `jti` never used within its lifetime), then grants the scopes asked
 *   for that the system was registered for.
 *
 * Refusals follow RFC 6749 §5.2 (`{error, error_description}`, 400 or 401), are logged and counted;
 * failed client authentications from an address slow it down as failed sign-ins do (web/sign-in-throttle.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { z } from 'zod';
import { refusalHeaders, refusalOf } from '../../common/http.ts';
import { SYSTEM_SCOPES, type SystemScope } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import type { App } from '../edge.ts';
import { SignInThrottle } from '../sign-in-throttle.ts';
import { FHIR_BASE_PATH, TOKEN_PATH } from './base.ts';
import { SYSTEM_KEY_ALGS } from '../system-keys.ts';
import { SYSTEM_TOKEN_TTL_MS, type ExternalSystem } from '../systems.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The furthest ahead an assertion's `exp` may be (SMART: five minutes). */
export const MAX_ASSERTION_LIFETIME_MS = 5 * 60_000;
/** How far apart our clock and the client's may be when `iat`/`nbf` are judged. */
const CLOCK_TOLERANCE_S = 30;
/** Every requested scope a system may get: each type it was registered for, or all of them at once. */
const ALL_SCOPES = 'system/*.rs';

/** The RFC 6749 §5.2 codes this endpoint answers (`invalid_grant` is for grants that carry one: none here). */
export const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'invalid_scope', 'unsupported_grant_type'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERRORS)[number];

/** A refusal of the token endpoint (RFC 6749 §5.2). */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly clientId: string | null = null,
  ) {
    super(description);
  }

  get status(): number {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

export const tokenEndpoint = (c: WebContext): string => `${c.publicUrl()}${FHIR_BASE_PATH}${TOKEN_PATH}`;

/** The discovery document (SMART App Launch 2.x, §Conformance). */
export function smartConfiguration(c: WebContext) {
  return {
    token_endpoint: tokenEndpoint(c),
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...SYSTEM_KEY_ALGS],
    grant_types_supported: ['client_credentials'],
    scopes_supported: [...SYSTEM_SCOPES, ALL_SCOPES],
    capabilities: ['client-confidential-asymmetric'],
  };
}

// Unknown parameters are ignored, as RFC 6749 §3.2 requires.
const form = z.object({
  grant_type: z.string().max(100).optional(),
  scope: z.string().max(2000).optional(),
  client_assertion_type: z.string().max(200).optional(),
  client_assertion: z.string().max(8192).optional(),
  client_id: z.string().max(200).optional(),
});
type TokenForm = z.infer<typeof form>;

/** The form's fields, each at most once (RFC 6749 §3.2: a parameter must not be repeated). */
function parseForm(body: unknown): TokenForm {
  if (typeof body !== 'string') throw new OAuthError('invalid_request', 'a form-encoded body is required');
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key in fields) throw new OAuthError('invalid_request', `${key} is given more than once`);
    fields[key] = value;
  }
  const parsed = form.safeParse(fields);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || String(i.message)))];
    throw new OAuthError('invalid_request', `parameters refused: ${names.join(', ')}`);
  }
  return parsed.data;
}

export async function smartRoutes(fhir: App, c: WebContext): Promise<void> {
  fhir.get('/.well-known/smart-configuration', { config: { access: 'public' } }, async (_request, reply) => {
    void reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store');
    return JSON.stringify(smartConfiguration(c));
  });

  // Failed client authentications slow the address down, with room for a client's honest mistakes.
  const throttle = new SignInThrottle({ freeFailures: 10, clock: () => c.systems.now() });
  await fhir.register(async (oauth: App) => {
    oauth.removeAllContentTypeParsers();
    oauth.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    oauth.setErrorHandler((error: unknown, request, reply) => refuse(c, request, reply, error));
    oauth.post(TOKEN_PATH, { config: { access: 'public', anyOrigin: true } }, async (request, reply) => {
      const fields = parseForm(request.body);
      // Counted by address only: a client id anyone can send must not let a stranger slow its owner down.
      const attempt = { client: request.ip, account: `address:${request.ip}`, device: undefined };
      const wait = throttle.waitMs(attempt);
      if (wait > 0) {
        // Counted, not logged: the failures that led here were, and the wait bounds how many come.
        c.refused('oauth_throttled');
        void reply.header('retry-after', String(Math.ceil(wait / 1000)));
        return reply.code(429).send({ error: 'invalid_request', error_description: 'too many failed attempts; wait' });
      }
      try {
        const granted = await grant(c, fields);
        throttle.succeed({ ...attempt, device: undefined });
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
          access_token: granted.token,
          token_type: 'bearer',
          expires_in: granted.expiresIn,
          scope: granted.scope,
        });
      } catch (error) {
        if (error instanceof OAuthError && error.error === 'invalid_client') throttle.fail(attempt);
        throw error;
      }
    });
  });
}

function refuse(c: WebContext, request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  // Anything but our own refusal (the body parser's, the rate limit's…) is the request's fault, said
  // in RFC 6749's shape; a body too large and too many requests keep their status (and Retry-After).
  const edge = error instanceof OAuthError ? null : refusalOf(error);
  const refusal =
    error instanceof OAuthError
      ? error
      : new OAuthError(
          'invalid_request',
          edge?.code === 'unsupported_media_type'
            ? 'the body must be application/x-www-form-urlencoded'
            : (edge?.message ?? 'invalid request'),
        );
  if (edge?.code === 'internal') c.logger.error({ err: error }, 'token request failed');
  c.refused(`oauth_${refusal.error}`);
  c.logger.warn(
    { error: refusal.error, reason: refusal.description, clientId: refusal.clientId, client: request.ip },
    'SMART token refused',
  );
  const keeps = edge !== null && (edge.status === 413 || edge.status === 429);
  return reply
    .code(keeps ? edge.status : refusal.status)
    .headers({
      ...(edge ? refusalHeaders(edge) : {}),
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
    })
    .send({ error: refusal.error, error_description: refusal.description });
}

/** Checks the request and its assertion; a new token for the scopes granted. */
async function grant(c: WebContext, f: TokenForm): Promise<{ token: string; expiresIn: number; scope: string }> {
  if (f.grant_type === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  if (f.grant_type !== 'client_credentials')
    throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
  if (f.client_assertion === undefined || f.client_assertion_type === undefined)
    throw new OAuthError('invalid_client', 'client authentication is required: client_assertion (private_key_jwt)');
  if (f.client_assertion_type !== JWT_BEARER)
    throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
  if (f.scope === undefined || f.scope.trim() === '') throw new OAuthError('invalid_request', 'scope is required');
  const system = await authenticate(c, f.client_assertion, f.client_id);
  const scopes = grantedScopes(f.scope, system.scopes);
  if (scopes.length === 0)
    throw new OAuthError('invalid_scope', 'none of the scopes asked for is granted to this client', system.id);
  const { token } = c.systems.issueToken(system.id, scopes);
  c.logger.info({ systemId: system.id, scopes }, 'SMART token granted');
  return { token, expiresIn: SYSTEM_TOKEN_TTL_MS / 1000, scope: scopes.join(' ') };
}

/** The scopes asked for that the system was registered for (`system/*.rs`: all of those). */
export function grantedScopes(asked: string, registered: readonly SystemScope[]): SystemScope[] {
  const words = new Set(asked.split(/\s+/).filter(Boolean));
  return registered.filter((s) => words.has(s) || words.has(ALL_SCOPES));
}

/** The registered system whose signed assertion this is, or `invalid_client` with what is wrong. */
async function authenticate(c: WebContext, assertion: string, clientId: string | undefined): Promise<ExternalSystem> {
  let alg: string | undefined;
  let iss: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    iss = decodeJwt(assertion).iss;
  } catch {
    throw new OAuthError('invalid_client', 'client_assertion is not a JWT');
  }
  if (!SYSTEM_KEY_ALGS.some((a) => a === alg))
    throw new OAuthError('invalid_client', `the assertion must be signed with ${SYSTEM_KEY_ALGS.join(' or ')}`);
  if (typeof iss !== 'string') throw new OAuthError('invalid_client', 'the assertion has no iss');
  if (clientId !== undefined && clientId !== iss)
    throw new OAuthError('invalid_client', 'client_id is not the assertion’s iss');
  const system = c.systems.system(iss);
  if (!system || system.revokedAt !== null) throw new OAuthError('invalid_client', 'unknown or revoked client', iss);
  const now = c.systems.now();
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: system.keys.keys.map((k) => ({ ...k })) }), {
      algorithms: [...SYSTEM_KEY_ALGS],
      issuer: system.id,
      subject: system.id,
      audience: tokenEndpoint(c),
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(now),
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    throw new OAuthError('invalid_client', verifyFailure(error), system.id);
  }
  const exp = (payload.exp ?? 0) * 1000;
  if (exp > now + MAX_ASSERTION_LIFETIME_MS)
    throw new OAuthError('invalid_client', 'the assertion’s exp is more than five minutes ahead', system.id);
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
    throw new OAuthError('invalid_client', 'the assertion’s jti must be a string of 1 to 256 characters', system.id);
  if (!c.systems.useAssertion(system.id, payload.jti, exp + CLOCK_TOLERANCE_S * 1000))
    throw new OAuthError('invalid_client', 'this assertion (jti) was already used', system.id);
  return system;
}

function verifyFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the assertion has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the assertion’s ${error.claim} is not valid (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the assertion’s signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no registered key matches the assertion’s kid and alg';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several registered keys match: give a kid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'this signing algorithm is not allowed';
  return 'the assertion cannot be verified';
}
