/**
 * Sign-in for people with accounts (families today; the care team in the console): an opaque
 * session token in a cookie that scripts cannot read (HttpOnly), sent only to this site
 * (SameSite=Strict), over TLS only when the site is served over TLS (Secure). Requests that change
 * something must come from this site's own pages (Origin check), which with SameSite stops CSRF.
 * Repeated wrong passwords for one e-mail lock it for a while.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../common/http.ts';
import type { People, Person } from '../common/people.ts';
import { FailureThrottle } from '../common/throttle.ts';

export const SESSION_COOKIE = 'vigie_session';
export const SESSION_TTL_MS = 14 * 24 * 3600_000;

export class Auth {
  readonly #people: People;
  readonly #origin: () => string;
  readonly #throttle = new FailureThrottle({ maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });

  /** `origin`: this site's origin as browsers see it (for the CSRF check). */
  constructor(people: People, origin: () => string) {
    this.#people = people;
    this.#origin = origin;
  }

  async signIn(res: ServerResponse, email: string, password: string): Promise<Person> {
    const key = email.trim().toLowerCase();
    if (this.#throttle.isLocked(key))
      throw new HttpError(
        429,
        'too many wrong passwords for this e-mail; wait 15 minutes, or ask the care team to reset it',
      );
    const person = await this.#people.signIn(key, password);
    if (!person) {
      this.#throttle.fail(key);
      throw new HttpError(401, 'wrong e-mail or password');
    }
    this.#throttle.succeed(key);
    this.startSession(res, person);
    return person;
  }

  startSession(res: ServerResponse, person: Person): void {
    const { token } = this.#people.createSession(person.id, SESSION_TTL_MS);
    res.setHeader('set-cookie', this.#cookie(token, SESSION_TTL_MS / 1000));
  }

  signOut(req: IncomingMessage, res: ServerResponse): void {
    const token = sessionToken(req);
    if (token) this.#people.endSession(token);
    res.setHeader('set-cookie', this.#cookie('', 0));
  }

  /** Whether the session a request was made with is still valid (for long-lived sockets). */
  stillValid(req: IncomingMessage): boolean {
    return this.person(req) !== undefined;
  }

  /** The signed-in person, or undefined. */
  person(req: IncomingMessage): Person | undefined {
    const token = sessionToken(req);
    return token ? this.#people.session(token) : undefined;
  }

  /** The signed-in person; 401 with what to do otherwise. */
  require(req: IncomingMessage): Person {
    const person = this.person(req);
    if (!person) throw new HttpError(401, 'sign in first (or your session has expired)');
    return person;
  }

  /** Refuses a state-changing request or a WebSocket that does not come from this site's pages. */
  sameOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== this.#origin()) throw new HttpError(403, 'cross-site request refused');
  }

  #cookie(value: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${this.#origin().startsWith('https:') ? '; Secure' : ''}`;
  }
}

function sessionToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}
