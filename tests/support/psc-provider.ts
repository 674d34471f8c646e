/**
 * A real OpenID provider (npm `oidc-provider`) on loopback, configured as Pro Santé Connect behaves:
 * `acr_values=eidas1`, the `scope_all` scope with the `SubjectNameID` claim, userinfo as a signed JWT
 * (or JSON, per client), PKCE required, RP-initiated logout. Its login page is ours (a form: the account
 * to sign in as), so that a test chooses the `acr` the provider vouches for; consent is implicit, as at
 * PSC for a registered service.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Provider, { type AdapterFactory, type AdapterPayload } from 'oidc-provider';

export interface TestPscOptions {
  readonly port: number;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** Userinfo as a signed JWT (PSC's way, the default) or as JSON. */
  readonly jwtUserinfo?: boolean;
  /** How long ID tokens live, in seconds. */
  readonly idTokenTtl?: number;
}

export interface TestPsc {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The `acr` the provider puts in the next ID tokens (PSC's is `eidas1`). */
  acr: string;
  /** RP-initiated logouts the provider received, with their `id_token_hint`. */
  readonly logouts: string[];
  /** The content type of each userinfo answer the provider gave. */
  readonly userinfoTypes: string[];
  close(): Promise<void>;
}

/** Signing in as this account gives userinfo without `SubjectNameID`. */
export const NO_SUBJECT_NAME_ID = 'no-subject-name-id';

const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

export async function startTestPsc(o: TestPscOptions): Promise<TestPsc> {
  const issuer = `http://127.0.0.1:${o.port}`;
  const clientId = o.clientId ?? 'vigie-test';
  const clientSecret = o.clientSecret ?? 'a client secret of the test provider, long enough';
  const logouts: string[] = [];
  const userinfoTypes: string[] = [];
  const psc: TestPsc = {
    issuer,
    clientId,
    clientSecret,
    acr: 'eidas1',
    logouts,
    userinfoTypes,
    close: async () => undefined,
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [o.redirectUri],
        post_logout_redirect_uris: [o.postLogoutRedirectUri],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(o.jwtUserinfo === false ? {} : { userinfo_signed_response_alg: 'RS256' }),
      },
    ],
    acrValues: ['eidas1', 'test-password-only'],
    scopes: ['openid', 'scope_all'],
    claims: { openid: ['sub'], scope_all: ['SubjectNameID', 'given_name', 'family_name'] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      // An account whose login is NO_SUBJECT_NAME_ID has no national identifier (a provider's fault).
      claims: () => ({
        sub,
        ...(sub === NO_SUBJECT_NAME_ID ? {} : { SubjectNameID: sub }),
        given_name: 'Test',
        family_name: 'Professionnel',
      }),
    }),
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = `<!doctype html><html lang="en"><head><title>Logout</title></head><body>${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
        },
      },
    },
    pkce: { required: () => true },
    ttl: {
      IdToken: o.idTokenTtl ?? 3600,
      AccessToken: 600,
      AuthorizationCode: 60,
      Interaction: 600,
      Grant: 600,
      Session: 600,
    },
    jwks: { keys: [SIGNING_KEY] },
    cookies: { keys: ['cookie key of the test provider'] },
    adapter: memoryAdapter(),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // As at PSC for a registered service: no consent screen.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid scope_all');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/session/end' && url.searchParams.has('id_token_hint')) {
      logouts.push(url.searchParams.get('id_token_hint') ?? '');
    }
    if (url.pathname === '/me') {
      res.once('finish', () => userinfoTypes.push(String(res.getHeader('content-type')).split(';')[0]!));
    }
    const uid = /^\/interaction\/([\w-]+)$/.exec(url.pathname)?.[1];
    if (uid && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="fr"><head><title>Pro Santé Connect (test)</title></head><body><main><h1>Pro Santé Connect (test)</h1><form method="post" action="/interaction/${uid}"><label>Identifiant national <input name="login" autocomplete="off"></label><button type="submit">Valider</button></form></main></body></html>`,
      );
      return;
    }
    if (uid && req.method === 'POST') {
      void formOf(req)
        .then((form) =>
          provider.interactionFinished(req, res, { login: { accountId: form.get('login') ?? '', acr: psc.acr } }),
        )
        .catch((err: unknown) => {
          res.writeHead(500).end(String(err));
        });
      return;
    }
    void callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  psc.close = () => closeServer(server);
  return psc;
}

/** The provider's storage: this provider's only, gone with it (tokens check their own expiry). */
function memoryAdapter(): AdapterFactory {
  const store = new Map<string, AdapterPayload>();
  const where = (name: string, test: (p: AdapterPayload) => boolean) =>
    [...store].find(([key, p]) => key.startsWith(`${name}:`) && test(p))?.[1];
  return (name) => ({
    upsert: async (id, payload) => void store.set(`${name}:${id}`, payload),
    find: async (id) => store.get(`${name}:${id}`),
    findByUserCode: async (userCode) => where(name, (p) => p.userCode === userCode),
    findByUid: async (uid) => where(name, (p) => p.uid === uid),
    consume: async (id) => {
      const p = store.get(`${name}:${id}`);
      if (p) store.set(`${name}:${id}`, { ...p, consumed: Math.floor(Date.now() / 1000) });
    },
    destroy: async (id) => void store.delete(`${name}:${id}`),
    revokeByGrantId: async (grantId) => {
      for (const [key, p] of store) if (p.grantId === grantId) store.delete(key);
    },
  });
}

function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A browser without a window: follows redirects by hand, keeping each origin's cookies, as far as
 * the web service's callback (not followed), whose answer it returns.
 */
export class Walker {
  readonly #jar = new Map<string, Map<string, string>>();

  async get(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = [...(this.#jar.get(target.origin) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(cookies ? { cookie: cookies } : {}), ...(init.body ? { origin: target.origin } : {}) },
      ...(init.body ? { body: init.body } : {}),
    });
    const jar = this.#jar.get(target.origin) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar.delete(pair!.slice(0, eq));
      else jar.set(pair!.slice(0, eq), value);
    }
    this.#jar.set(target.origin, jar);
    return res;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.#jar.get(origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const jar = this.#jar.get(origin) ?? new Map<string, string>();
    jar.set(name, value);
    this.#jar.set(origin, jar);
  }

  /**
   * Starts a PSC sign-in at the web service and signs in at the provider as `login`; returns the
   * callback URL the provider sent the browser to (not yet visited).
   */
  async throughProvider(webUrl: string, login: string): Promise<string> {
    let res = await this.get(`${webUrl}/api/auth/psc/start`);
    let location = locationOf(res, webUrl);
    res = await this.get(location);
    location = locationOf(res, location);
    res = await this.get(location, { method: 'POST', body: new URLSearchParams({ login }) });
    location = locationOf(res, location);
    while (!location.startsWith(webUrl)) {
      res = await this.get(location);
      location = locationOf(res, location);
    }
    return location;
  }
}

export function locationOf(res: Response, base: string): string {
  const location = res.headers.get('location');
  if (res.status < 300 || res.status > 399 || !location) {
    throw new Error(`expected a redirect, got ${res.status}`);
  }
  return new URL(location, base).href;
}
