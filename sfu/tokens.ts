/**
 * Invitations to a teleconsultation: signed, expiring tokens (JWT, HS256, via `jose`) that carry the
 * room and the role. The web API issues them; the SFU gives a transport to nobody without one.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from './protocol.ts';
import type { Result } from '../devices/result.ts';

const ISSUER = 'vigie';
const CALL_AUDIENCE = 'vigie-call';
/** Clock skew tolerated between the machine that signs and the one that checks. */
const SKEW_SECONDS = 30;

export interface CallGrant {
  readonly roomId: string;
  readonly role: Role;
  readonly participantId: string;
  readonly displayName: string;
  readonly patientId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export type TokenError = 'token_invalid' | 'token_expired';

const callClaims = z.object({
  room: z.string().min(1).max(100),
  role: z.enum(ROLES),
  sub: z.string().min(1).max(100),
  name: z.string().min(1).max(60),
  patient: z.string().min(1).max(100),
  exp: z.number(),
});

export class CallTokens {
  readonly #key: Uint8Array;
  readonly #now: () => number;

  /** `secret`: at least 32 characters, shared by the web API and the SFU. */
  constructor(secret: string, now: () => number = Date.now) {
    if (secret.length < 32) throw new TypeError('the call secret must have at least 32 characters');
    this.#key = new TextEncoder().encode(secret);
    this.#now = now;
  }

  static randomSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  static newRoomId(): string {
    return `c-${randomUUID()}`;
  }

  async issueCall(
    grant: Omit<CallGrant, 'expiresAt' | 'participantId'> & { participantId?: string; ttlSeconds: number },
  ): Promise<{ token: string; grant: CallGrant }> {
    const nowSec = Math.floor(this.#now() / 1000);
    const full: CallGrant = {
      roomId: grant.roomId,
      role: grant.role,
      participantId: grant.participantId ?? `${grant.role}-${randomBytes(6).toString('hex')}`,
      displayName: grant.displayName,
      patientId: grant.patientId,
      expiresAt: nowSec + grant.ttlSeconds,
    };
    const token = await new SignJWT({
      room: full.roomId,
      role: full.role,
      name: full.displayName,
      patient: full.patientId,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(CALL_AUDIENCE)
      .setSubject(full.participantId)
      .setIssuedAt(nowSec)
      .setExpirationTime(full.expiresAt)
      .sign(this.#key);
    return { token, grant: full };
  }

  async verifyCall(token: string): Promise<Result<CallGrant, TokenError>> {
    const r = await this.#verify(token, CALL_AUDIENCE, callClaims);
    if (!r.ok) return r;
    const c = r.value;
    return {
      ok: true,
      value: {
        roomId: c.room,
        role: c.role,
        participantId: c.sub,
        displayName: c.name,
        patientId: c.patient,
        expiresAt: c.exp,
      },
    };
  }

  async #verify<S extends z.ZodType>(
    token: string,
    audience: string,
    claims: S,
  ): Promise<Result<z.infer<S>, TokenError>> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience,
        algorithms: ['HS256'],
        clockTolerance: SKEW_SECONDS,
        currentDate: new Date(this.#now()),
        requiredClaims: ['exp', 'sub'],
      });
      const parsed = claims.safeParse(payload);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: 'token_invalid' };
    } catch (error) {
      return { ok: false, error: error instanceof errors.JWTExpired ? 'token_expired' : 'token_invalid' };
    }
  }
}

/**
 * The bearer token the SFU reports room presence with to the web service (sfu/presence-report.ts):
 * derived from the call secret both already share, so that no second secret is configured, and
 * useless for anything else (a call invitation is a signed JWT, not this).
 */
export function presenceToken(secret: string): string {
  return createHmac('sha256', secret).update('vigie sfu room presence v1').digest('base64url');
}

/** Whether an Authorization header carries the presence token (compared in constant time). */
export function isPresenceAuthorization(secret: string, authorization: string | undefined): boolean {
  const expected = Buffer.from(`Bearer ${presenceToken(secret)}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
