/**
 * Slows password guessing without letting a stranger lock the rightful person out (OWASP's
 * "Slow brute force" protection with device cookies). Failures count against the client that made
 * them (its address) and against the account; after a few free ones, each further failure makes that
 * client, or that account, wait longer before its next try (1 s, 2 s, 4 s…). A client waits up to 15
 * minutes; an account at most a minute. A browser that already signed in to the account (a trusted
 * device) counts only against itself: a stranger guessing from elsewhere cannot keep its owner out.
 * A wait is answered at once with a 429 and how long to wait, without hashing anything.
 */

export interface SignInThrottleOptions {
  /** Failures allowed before waits begin. */
  readonly freeFailures?: number;
  readonly baseDelayMs?: number;
  readonly maxClientDelayMs?: number;
  readonly maxAccountDelayMs?: number;
  /** Failures older than this are forgotten. */
  readonly forgetAfterMs?: number;
  readonly clock?: () => number;
}

export interface Attempt {
  /** The client's address. */
  readonly client: string;
  /** The e-mail tried (normalised), known or not. */
  readonly account: string;
  /** The browser's device cookie, if it sent one. */
  readonly device: string | undefined;
}

interface Entry {
  failures: number;
  last: number;
  until: number;
}

const MAX_ENTRIES = 100_000;

export class SignInThrottle {
  readonly #free: number;
  readonly #base: number;
  readonly #maxClient: number;
  readonly #maxAccount: number;
  readonly #forget: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Device cookie -> the accounts signed in from it. */
  readonly #trusted = new Map<string, Set<string>>();

  constructor(o: SignInThrottleOptions = {}) {
    this.#free = o.freeFailures ?? 3;
    this.#base = o.baseDelayMs ?? 1000;
    this.#maxClient = o.maxClientDelayMs ?? 15 * 60_000;
    this.#maxAccount = o.maxAccountDelayMs ?? 60_000;
    this.#forget = o.forgetAfterMs ?? 24 * 3600_000;
    this.#clock = o.clock ?? Date.now;
  }

  /** Milliseconds this attempt must wait before it may be tried (0: try now). */
  waitMs(a: Attempt): number {
    const now = this.#clock();
    const until = this.#keys(a).map((k) => this.#entry(k.key, now)?.until ?? 0);
    return Math.max(0, ...until.map((u) => u - now));
  }

  fail(a: Attempt): void {
    const now = this.#clock();
    for (const k of this.#keys(a)) this.#bump(k.key, now, k.max);
  }

  /** A right password: the client and the account start afresh, and the browser is trusted for it. */
  succeed(a: Attempt): void {
    this.#entries.delete(`c:${a.client}`);
    this.#entries.delete(`a:${a.account}`);
    if (a.device !== undefined) this.#entries.delete(`d:${a.device}`);
    if (a.device === undefined) return;
    let accounts = this.#trusted.get(a.device);
    if (!accounts) {
      if (this.#trusted.size >= MAX_ENTRIES) this.#trusted.delete(this.#trusted.keys().next().value!);
      accounts = new Set();
      this.#trusted.set(a.device, accounts);
    }
    accounts.add(a.account);
  }

  /**
   * What an attempt counts against: a browser trusted for this account, only itself (its cookie cannot
   * be guessed, so nobody else's failures reach it); any other attempt, its address and the account.
   */
  #keys(a: Attempt): Array<{ key: string; max: number }> {
    if (a.device !== undefined && this.#trusted.get(a.device)?.has(a.account)) {
      return [{ key: `d:${a.device}`, max: this.#maxClient }];
    }
    return [
      { key: `c:${a.client}`, max: this.#maxClient },
      { key: `a:${a.account}`, max: this.#maxAccount },
    ];
  }

  #entry(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && now - e.last > this.#forget) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #bump(key: string, now: number, max: number): void {
    let e = this.#entry(key, now);
    if (!e) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
      e = { failures: 0, last: now, until: 0 };
      this.#entries.set(key, e);
    }
    e.failures += 1;
    e.last = now;
    const over = e.failures - this.#free;
    if (over > 0) e.until = now + Math.min(max, this.#base * 2 ** Math.min(over - 1, 30));
  }
}
