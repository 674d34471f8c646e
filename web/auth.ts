/**
 * Who is asking. A browser signs in with an e-mail and a password and gets an opaque session token in
 * a cookie that scripts cannot read (HttpOnly), sent only to this site (SameSite=Strict), over TLS only
 * when the site is served over TLS (Secure). A script acts as one member of the care team with a
 * personal API token (`Authorization: Bearer vigie_…`), which carries that person's access, expires
 * and can be revoked. Every password check goes through the sign-in throttle and the hashing gate.
 * An external system's access token (`Bearer vsys_…`, SMART Backend Services: web/fhir/token.ts) is
 * nobody: it is resolved only on the FHIR routes, into what that system may read.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigieError } from '../common/errors.ts';
import { isStaff, type People, type Person } from './people.ts';
import { HashingGate } from './hashing-gate.ts';
import { SignInThrottle } from './sign-in-throttle.ts';
import { SYSTEM_TOKEN_PREFIX, type ExternalSystems, type SystemGrant } from './systems.ts';

export const SESSION_COOKIE = 'vigie_session';
/** Remembers that this browser signed in before (web/sign-in-throttle.ts); it grants nothing by itself. */
export const DEVICE_COOKIE = 'vigie_device';
export const SESSION_TTL_MS = 14 * 24 * 3600_000;
const DEVICE_TTL_MS = 365 * 24 * 3600_000;
const BEARER = /^Bearer (vigie_[\w-]{20,100})$/;
const SYSTEM_BEARER = new RegExp(`^Bearer (${SYSTEM_TOKEN_PREFIX}[\\w-]{20,100})$`);

export interface AuthOptions {
  /** Whether the site is served over TLS (Secure cookies). */
  readonly secure: () => boolean;
  readonly throttle?: SignInThrottle;
  readonly gate?: HashingGate;
  /** External systems of the FHIR API and their access tokens (SMART Backend Services). */
  readonly systems?: ExternalSystems;
}

export class Auth {
  readonly throttle: SignInThrottle;
  readonly gate: HashingGate;
  readonly #people: People;
  readonly #secure: () => boolean;
  readonly #systems: ExternalSystems | undefined;
  readonly #changed = new EventEmitter<{ [personId: string]: [] }>();

  constructor(people: People, o: AuthOptions) {
    this.#people = people;
    this.#secure = o.secure;
    this.#systems = o.systems;
    this.throttle = o.throttle ?? new SignInThrottle();
    this.gate = o.gate ?? new HashingGate();
    this.#changed.setMaxListeners(0);
  }

  /**
   * A person's account was disabled or its role changed: their open sockets close at once (what they
   * may see is decided again when the page reconnects; a disabled account cannot).
   */
  accountChanged(personId: string): void {
    this.#changed.emit(personId);
  }

  /** Calls `listener` when this person's account changes; returns the unsubscribe function. */
  onAccountChanged(personId: string, listener: () => void): () => void {
    this.#changed.on(personId, listener);
    return () => this.#changed.off(personId, listener);
  }

  /** The person a request is made by: its API token's, else its session's (an external system's token: nobody). */
  personOf(request: FastifyRequest): Person | undefined {
    const bearer = request.headers.authorization;
    if (bearer?.startsWith(`Bearer ${SYSTEM_TOKEN_PREFIX}`)) return undefined;
    if (bearer !== undefined) {
      const token = BEARER.exec(bearer)?.[1];
      const person = token ? this.#people.personByApiToken(token) : undefined;
      if (!person) throw new VigieError('api_token_invalid', 'this API token is unknown, expired or revoked');
      return person;
    }
    const session = request.cookies[SESSION_COOKIE];
    return session ? this.#people.session(session) : undefined;
  }

  /** What the external system a request is made by may read (no system token: undefined). */
  systemOf(request: FastifyRequest): SystemGrant | undefined {
    const bearer = request.headers.authorization;
    if (!bearer?.startsWith(`Bearer ${SYSTEM_TOKEN_PREFIX}`)) return undefined;
    const token = SYSTEM_BEARER.exec(bearer)?.[1];
    const grant = token ? this.#systems?.grantOf(token) : undefined;
    if (!grant) throw new VigieError('system_token_invalid', 'this access token is unknown, expired or revoked');
    return grant;
  }

  /** Whether a request's session still stands (long-lived sockets check it now and then). */
  stillValid(request: FastifyRequest): boolean {
    try {
      return this.personOf(request) !== undefined;
    } catch {
      return false;
    }
  }

  async signIn(request: FastifyRequest, reply: FastifyReply, email: string, password: string): Promise<Person> {
    const attempt = { client: request.ip, account: email.trim().toLowerCase(), device: request.cookies[DEVICE_COOKIE] };
    const wait = this.throttle.waitMs(attempt);
    if (wait > 0) {
      throw new VigieError('sign_in_throttled', 'too many wrong passwords; wait before trying again', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
    const person = await this.gate.run(() => this.#people.signIn(attempt.account, password));
    if (!person) {
      this.throttle.fail(attempt);
      throw new VigieError('wrong_credentials', 'wrong e-mail or password');
    }
    // Said only to whoever knows the password, like the rule below.
    if (this.#people.isDisabled(person.id)) throw new VigieError('account_disabled', 'this account is disabled');
    // Said only to whoever knows the password: it tells the account's role.
    if (isStaff(person.role) && this.#people.pscRequiredRoles().includes(person.role)) {
      throw new VigieError('psc_required', `${person.role}s sign in with Pro Santé Connect here`);
    }
    const device = attempt.device ?? randomBytes(24).toString('base64url');
    this.throttle.succeed({ ...attempt, device });
    void reply.setCookie(DEVICE_COOKIE, device, this.#cookieOptions(DEVICE_TTL_MS));
    this.startSession(reply, person);
    return person;
  }

  /** Creates the account an invitation names (hashing its password through the gate). */
  acceptInvitation(token: string, password: string): Promise<Person> {
    return this.gate.run(() => this.#people.acceptInvitation(token, password));
  }

  /** Opens a session and sets its cookie; returns its token (what a PSC sign-in keeps its ID token by). */
  startSession(reply: FastifyReply, person: Person): string {
    const { token } = this.#people.createSession(person.id, SESSION_TTL_MS);
    void reply.setCookie(SESSION_COOKIE, token, this.#cookieOptions(SESSION_TTL_MS));
    return token;
  }

  signOut(request: FastifyRequest, reply: FastifyReply): void {
    const token = request.cookies[SESSION_COOKIE];
    if (token) this.#people.endSession(token);
    void reply.clearCookie(SESSION_COOKIE, this.#cookieOptions(0));
  }

  #cookieOptions(ttlMs: number) {
    return {
      path: '/',
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.#secure(),
      maxAge: Math.floor(ttlMs / 1000),
    };
  }
}
