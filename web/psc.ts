/**
 * Pro Santé Connect (PSC), the French State's OpenID Connect provider for health professionals, who
 * prove who they are with their e-CPS or CPS card. Vigie is a client: authorization code flow with
 * PKCE, state and nonce, `acr_values=eidas1` asked for and the ID token's `acr` checked, userinfo
 * taken as JSON or as a signed JWT (its signature verified), and the national identifier
 * (`SubjectNameID`, RPPS-based) handed to the caller, who maps it to a staff account.
 *
 * A sign-in started here is remembered on the server by its state, for a few minutes and once: a
 * callback whose state is unknown, expired, already used or not the one this browser started is refused.
 */
import * as oidc from 'openid-client';
import { VigieError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';

/** The assurance level PSC gives a sign-in with an e-CPS or a CPS card (eIDAS "substantial"). */
export const PSC_ACR = 'eidas1';
/** PSC's scope for every claim a professional may share (`SubjectNameID` among them). */
export const PSC_SCOPE = 'openid scope_all';
/** How long a started sign-in may take at the provider. */
export const PSC_PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

export interface PscSettings {
  /**
   * The provider's issuer identifier, or the full URL of its discovery document when it does not sit
   * at the standard `/.well-known/openid-configuration` of the issuer (PSC's case).
   */
  readonly discoveryUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Plain http to the provider (a test provider on loopback); never in production. */
  readonly allowHttp?: boolean;
  /** The clock ID tokens are checked against (tests move it). */
  readonly now?: () => number;
}

export interface PscIdentity {
  /** `SubjectNameID`: the national professional identifier. */
  readonly rpps: string;
  /** Kept for the logout at the provider (`id_token_hint`). */
  readonly idToken: string;
}

interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly redirectUri: string;
  readonly at: number;
}

export class ProSanteConnect {
  readonly #s: PscSettings;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  #config: Promise<oidc.Configuration> | undefined;

  constructor(settings: PscSettings, logger: Logger) {
    this.#s = settings;
    this.#logger = logger;
    this.#now = settings.now ?? Date.now;
  }

  /** Where to send the browser to sign in, and the state to bind to it (a cookie). */
  async start(redirectUri: string): Promise<{ url: string; state: string }> {
    const config = await this.#configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.#forgetOld();
    this.#pending.set(state, { verifier, nonce, redirectUri, at: this.#now() });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: PSC_SCOPE,
      acr_values: PSC_ACR,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, state };
  }

  /**
   * Checks the provider's answer (`callbackUrl`, as the browser brought it back) against the sign-in
   * this browser started (`boundState`, from its cookie), redeems the code and reads who signed in.
   */
  async finish(callbackUrl: URL, boundState: string | undefined): Promise<PscIdentity> {
    const state = callbackUrl.searchParams.get('state');
    const pending = state === null ? undefined : this.#pending.get(state);
    if (state !== null) this.#pending.delete(state);
    if (!pending || state !== boundState || this.#now() - pending.at > PSC_PENDING_TTL_MS) {
      throw new VigieError('psc_state_invalid', 'this sign-in was not started here, has expired or was already used');
    }
    if (callbackUrl.searchParams.has('error')) {
      this.#logger.info({ error: callbackUrl.searchParams.get('error') }, 'PSC refused the sign-in');
      throw new VigieError('psc_provider_refused', 'the provider refused the sign-in');
    }
    // The provider's answer is checked against our clock (injectable), given as a skew from the system's.
    const config = this.#client((await this.#configuration()).serverMetadata(), this.#now() - Date.now());
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw this.#refusal(err);
    }
    const claims = tokens.claims();
    const idToken = tokens.id_token;
    if (!claims || !idToken) throw new VigieError('psc_token_invalid', 'the provider sent no ID token');
    if (claims.acr !== PSC_ACR) {
      throw new VigieError('psc_acr_refused', `the sign-in was not made at the ${PSC_ACR} level`, {
        acr: typeof claims.acr === 'string' ? claims.acr.slice(0, 40) : '',
      });
    }
    let userinfo: oidc.UserInfoResponse;
    try {
      userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    } catch (err) {
      throw this.#refusal(err);
    }
    const rpps = userinfo['SubjectNameID'];
    if (typeof rpps !== 'string' || rpps.length === 0 || rpps.length > 40) {
      throw new VigieError('psc_token_invalid', 'the provider sent no SubjectNameID');
    }
    return { rpps, idToken };
  }

  /** The provider's end-session URL, for a browser signing out of a PSC session. */
  async logoutUrl(idToken: string, postLogoutRedirectUri: string): Promise<string> {
    const config = await this.#configuration();
    return oidc.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    }).href;
  }

  /** The provider's metadata, discovered once (again after a failure). */
  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= oidc
      .discovery(
        new URL(this.#s.discoveryUrl),
        this.#s.clientId,
        this.#s.clientSecret,
        oidc.ClientSecretBasic(this.#s.clientSecret),
        this.#s.allowHttp ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        this.#config = undefined;
        this.#logger.warn({ err }, 'PSC discovery failed');
        throw new VigieError('psc_unavailable', 'Pro Santé Connect cannot be reached');
      });
    return this.#config;
  }

  #client(server: oidc.ServerMetadata, skewMs: number): oidc.Configuration {
    const config = new oidc.Configuration(
      server,
      this.#s.clientId,
      {
        // No userinfo_signed_response_alg: userinfo is read as the provider sends it, a signed JWT
        // (PSC's way; its signature verified) or plain JSON.
        client_secret: this.#s.clientSecret,
        [oidc.clockSkew]: Math.round(skewMs / 1000),
      },
      oidc.ClientSecretBasic(this.#s.clientSecret),
    );
    if (this.#s.allowHttp) oidc.allowInsecureRequests(config);
    // Signatures of ID tokens and signed userinfo are verified with the provider's keys.
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  #refusal(err: unknown): VigieError {
    if (err instanceof VigieError) return err;
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
      this.#logger.info({ error: err.error }, 'PSC refused the code');
      return new VigieError('psc_provider_refused', 'the provider refused the sign-in');
    }
    this.#logger.info({ err: err instanceof Error ? err.message : String(err) }, 'PSC answer refused');
    return new VigieError('psc_token_invalid', 'the provider’s answer does not check out');
  }

  #forgetOld(): void {
    const now = this.#now();
    for (const [state, p] of this.#pending) {
      if (now - p.at <= PSC_PENDING_TTL_MS && this.#pending.size < MAX_PENDING) break;
      this.#pending.delete(state);
    }
  }
}
