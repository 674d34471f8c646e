/**
 * Staff sign-in with Pro Santé Connect, over HTTP against a real OpenID provider configured as PSC
 * behaves (tests/support/psc-provider.ts): the whole redirect flow, the session it opens, the logout
 * at the provider, and every refusal with its code.
 */
import { describe, expect, it } from 'vitest';
import { signIn } from './support/cookies.ts';
import { locationOf, NO_SUBJECT_NAME_ID, Walker } from './support/psc-provider.ts';
import { usePscStack } from './support/psc-stack.ts';

const RPPS = '810001234567';

describe('Pro Santé Connect sign-in (signed JWT userinfo, as PSC sends it)', () => {
  const s = usePscStack();

  const clinician = async (rpps = RPPS) => {
    const person = await s.people.createPerson({ role: 'clinician', name: 'Dr Psc', email: 'psc@ch.test' });
    s.people.setRpps(person.id, rpps);
    return person;
  };
  const refusal = (res: Response) => new URL(locationOf(res, s.webUrl)).searchParams.get('psc_error');

  it('signs a registered professional in: PKCE, state, nonce, eidas1, then the ordinary session', async () => {
    const person = await clinician();
    const browser = new Walker();
    const start = await browser.get(`${s.webUrl}/api/auth/psc/start`);
    expect(start.status).toBe(303);
    const auth = new URL(locationOf(start, s.webUrl));
    expect(auth.origin).toBe(s.psc.issuer);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({
      acr_values: 'eidas1',
      scope: 'openid scope_all',
      code_challenge_method: 'S256',
      response_type: 'code',
      client_id: s.psc.clientId,
      redirect_uri: `${s.webUrl}/api/auth/psc/callback`,
    });
    expect(auth.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('state')).toBe(browser.cookie(s.webUrl, 'vigie_psc'));

    const back = await browser.throughProvider(s.webUrl, RPPS).then((url) => browser.get(url));
    expect(back.status).toBe(303);
    expect(locationOf(back, s.webUrl)).toBe(`${s.webUrl}/console`);
    const session = browser.cookie(s.webUrl, 'vigie_session');
    expect(session).toBeDefined();
    const me = await fetch(`${s.webUrl}/api/me`, { headers: { cookie: `vigie_session=${session}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { person: { id: string; role: string } }).person).toMatchObject({
      id: person.id,
      role: 'clinician',
    });
    expect(s.psc.userinfoTypes).toEqual(['application/jwt']);
  });

  it('signs out at the provider too, with the ID token as id_token_hint', async () => {
    await clinician();
    const browser = new Walker();
    await browser.get(await browser.throughProvider(s.webUrl, RPPS));
    const session = `vigie_session=${browser.cookie(s.webUrl, 'vigie_session')}`;
    const out = await fetch(`${s.webUrl}/api/auth/psc/sign-out`, {
      method: 'POST',
      headers: { cookie: session, origin: s.webUrl },
    });
    expect(out.status).toBe(200);
    const { url } = (await out.json()) as { url: string };
    const end = new URL(url);
    expect(`${end.origin}${end.pathname}`).toBe(`${s.psc.issuer}/session/end`);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${s.webUrl}/console`);
    const hint = end.searchParams.get('id_token_hint') ?? '';
    expect(hint.split('.')).toHaveLength(3);
    // The provider knows the hint (a logout confirmation page, not an error).
    const page = await browser.get(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('op.logoutForm');
    expect(s.psc.logouts).toEqual([hint]);
    // The Vigie session is over.
    expect((await fetch(`${s.webUrl}/api/me`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('signs a password session out with no provider logout to do', async () => {
    await s.people.createPerson({ role: 'nurse', name: 'Inf', email: 'inf@ch.test', password: 'a long password here' });
    const cookie = await signIn(s.webUrl, 'inf@ch.test', 'a long password here');
    const out = await fetch(`${s.webUrl}/api/auth/psc/sign-out`, {
      method: 'POST',
      headers: { cookie, origin: s.webUrl },
    });
    expect(await out.json()).toEqual({ url: null });
    expect((await fetch(`${s.webUrl}/api/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('refuses an ID token whose acr is not eidas1', async () => {
    await clinician();
    s.psc.acr = 'test-password-only';
    const browser = new Walker();
    const back = await browser.get(await browser.throughProvider(s.webUrl, RPPS));
    expect(refusal(back)).toBe('psc_acr_refused');
    expect(browser.cookie(s.webUrl, 'vigie_session')).toBeUndefined();
  });

  it('refuses a professional whose RPPS no staff account was registered with', async () => {
    await clinician();
    const browser = new Walker();
    const back = await browser.get(await browser.throughProvider(s.webUrl, '899999999999'));
    expect(refusal(back)).toBe('psc_rpps_unknown');
    expect(browser.cookie(s.webUrl, 'vigie_session')).toBeUndefined();
  });

  it('refuses a professional whose account an administrator disabled, and signs them in once enabled again', async () => {
    const person = await clinician();
    s.people.setDisabled(person.id, true, 'u-admin');
    const browser = new Walker();
    const back = await browser.get(await browser.throughProvider(s.webUrl, RPPS));
    expect(refusal(back)).toBe('account_disabled');
    expect(browser.cookie(s.webUrl, 'vigie_session')).toBeUndefined();
    s.people.setDisabled(person.id, false, 'u-admin');
    const later = new Walker();
    const again = await later.get(await later.throughProvider(s.webUrl, RPPS));
    expect(refusal(again)).toBeNull();
    expect(later.cookie(s.webUrl, 'vigie_session')).toBeDefined();
  });

  it('refuses a replayed callback: a state serves once', async () => {
    await clinician();
    const browser = new Walker();
    const callback = await browser.throughProvider(s.webUrl, RPPS);
    const state = browser.cookie(s.webUrl, 'vigie_psc') ?? '';
    expect(refusal(await browser.get(callback))).toBeNull();
    const replay = new Walker();
    replay.setCookie(s.webUrl, 'vigie_psc', state);
    expect(refusal(await replay.get(callback))).toBe('psc_state_invalid');
  });

  it('refuses a callback this browser did not start (state forged or of another browser)', async () => {
    await clinician();
    const victim = new Walker();
    const attacker = new Walker();
    // The attacker's own authorization response, pushed into the victim's browser (login CSRF).
    const attackerCallback = await attacker.throughProvider(s.webUrl, RPPS);
    await victim.get(`${s.webUrl}/api/auth/psc/start`);
    expect(refusal(await victim.get(attackerCallback))).toBe('psc_state_invalid');
    // A made-up state.
    const forged = new URL(attackerCallback);
    forged.searchParams.set('state', 'forged-state-forged-state-forged');
    attacker.setCookie(s.webUrl, 'vigie_psc', 'forged-state-forged-state-forged');
    expect(refusal(await attacker.get(forged.href))).toBe('psc_state_invalid');
    // No state at all.
    expect(refusal(await new Walker().get(`${s.webUrl}/api/auth/psc/callback?code=x`))).toBe('psc_state_invalid');
  });

  it('refuses a callback carrying the provider’s error (sign-in cancelled there)', async () => {
    const browser = new Walker();
    await browser.get(`${s.webUrl}/api/auth/psc/start`);
    const state = browser.cookie(s.webUrl, 'vigie_psc') ?? '';
    const back = await browser.get(`${s.webUrl}/api/auth/psc/callback?error=access_denied&state=${state}`);
    expect(refusal(back)).toBe('psc_provider_refused');
  });

  it('refuses userinfo without the national identifier', async () => {
    await clinician();
    const browser = new Walker();
    expect(refusal(await browser.get(await browser.throughProvider(s.webUrl, NO_SUBJECT_NAME_ID)))).toBe(
      'psc_token_invalid',
    );
  });

  it('answers psc_unavailable while the provider cannot be reached', async () => {
    await s.psc.close();
    const start = await fetch(`${s.webUrl}/api/auth/psc/start`, { redirect: 'manual' });
    expect(start.status).toBe(503);
    expect(((await start.json()) as { error: { code: string } }).error.code).toBe('psc_unavailable');
  });

  it('refuses a malformed callback with invalid_request', async () => {
    const browser = new Walker();
    await browser.get(`${s.webUrl}/api/auth/psc/start`);
    const state = browser.cookie(s.webUrl, 'vigie_psc') ?? '';
    for (const query of [`state=${state}&state=${state}&code=x`, `state=${state}&code=${'x'.repeat(3000)}`]) {
      const res = await browser.get(`${s.webUrl}/api/auth/psc/callback?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('refuses a code it cannot redeem', async () => {
    await clinician();
    const browser = new Walker();
    const callback = new URL(await browser.throughProvider(s.webUrl, RPPS));
    callback.searchParams.set('code', 'a-code-the-provider-never-issued');
    expect(refusal(await browser.get(callback.href))).toBe('psc_provider_refused');
  });
});

describe('Pro Santé Connect sign-in (JSON userinfo, short-lived ID tokens)', () => {
  const s = usePscStack({ jwtUserinfo: false, idTokenTtl: 60 });
  const refusal = (res: Response) => new URL(locationOf(res, s.webUrl)).searchParams.get('psc_error');

  it('accepts userinfo as plain JSON', async () => {
    const person = await s.people.createPerson({ role: 'nurse', name: 'Inf Psc', email: 'inf@ch.test' });
    s.people.setRpps(person.id, RPPS);
    const browser = new Walker();
    const back = await browser.get(await browser.throughProvider(s.webUrl, RPPS));
    expect(locationOf(back, s.webUrl)).toBe(`${s.webUrl}/console`);
    expect(browser.cookie(s.webUrl, 'vigie_session')).toBeDefined();
    expect(s.psc.userinfoTypes).toEqual(['application/json']);
  });

  it('refuses an ID token that has expired by the time it is checked', async () => {
    const person = await s.people.createPerson({ role: 'nurse', name: 'Inf Psc', email: 'inf@ch.test' });
    s.people.setRpps(person.id, RPPS);
    const browser = new Walker();
    const callback = await browser.throughProvider(s.webUrl, RPPS);
    // Three minutes later: past the token's 60 s and the 30 s tolerance, within the sign-in's 10 minutes.
    s.clockOffsetMs = 3 * 60_000;
    expect(refusal(await browser.get(callback))).toBe('psc_token_invalid');
    expect(browser.cookie(s.webUrl, 'vigie_session')).toBeUndefined();
  });

  it('refuses a sign-in that took longer than ten minutes at the provider', async () => {
    const browser = new Walker();
    const callback = await browser.throughProvider(s.webUrl, RPPS);
    s.clockOffsetMs = 10 * 60_000 + 1;
    expect(refusal(await browser.get(callback))).toBe('psc_state_invalid');
  });
});

describe('Pro Santé Connect required for some staff roles', () => {
  const s = usePscStack();
  const PASSWORD = 'a long password here';
  const put = (token: string, roles: string[]) =>
    fetch(`${s.webUrl}/api/admin/psc-required`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles }),
    });
  const passwordSignIn = (email: string, password = PASSWORD) =>
    fetch(`${s.webUrl}/api/session`, {
      method: 'POST',
      headers: { origin: s.webUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  const codeOf = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code;

  it('refuses password sign-in to a required role with psc_required, and only to whoever knows the password', async () => {
    const admin = await s.people.createPerson({ role: 'admin', name: 'Admin', email: 'admin@ch.test' });
    const token = s.people.createApiToken(admin.id, 'tests', 3600_000).token;
    const doctor = await s.people.createPerson({
      role: 'clinician',
      name: 'Dr A',
      email: 'a@ch.test',
      password: PASSWORD,
    });
    s.people.setRpps(doctor.id, RPPS);
    await s.people.createPerson({ role: 'nurse', name: 'Inf B', email: 'b@ch.test', password: PASSWORD });

    const set = await put(token, ['clinician']);
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ roles: ['clinician'] });
    const read = await fetch(`${s.webUrl}/api/admin/psc-required`, { headers: { authorization: `Bearer ${token}` } });
    expect(await read.json()).toEqual({ roles: ['clinician'] });

    const refused = await passwordSignIn('a@ch.test');
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe('psc_required');
    expect(refused.headers.getSetCookie().some((c) => c.startsWith('vigie_session='))).toBe(false);
    // A wrong password learns nothing of the role.
    expect(await codeOf(await passwordSignIn('a@ch.test', 'not the password'))).toBe('wrong_credentials');
    // Other roles keep their password.
    expect((await passwordSignIn('b@ch.test')).status).toBe(200);
    // The clinician signs in with PSC.
    const browser = new Walker();
    const back = await browser.get(await browser.throughProvider(s.webUrl, RPPS));
    expect(locationOf(back, s.webUrl)).toBe(`${s.webUrl}/console`);

    // Lifted: the password works again.
    expect(await (await put(token, [])).json()).toEqual({ roles: [] });
    expect((await passwordSignIn('a@ch.test')).status).toBe(200);
  });

  it('is an admin’s setting: other staff are refused with admin_only, a role outside the care team with invalid_request', async () => {
    const nurse = await s.people.createPerson({ role: 'nurse', name: 'Inf', email: 'n@ch.test' });
    const nurseToken = s.people.createApiToken(nurse.id, 'tests', 3600_000).token;
    const res = await put(nurseToken, ['clinician']);
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe('admin_only');
    expect(s.people.pscRequiredRoles()).toEqual([]);
    const admin = await s.people.createPerson({ role: 'admin', name: 'Admin', email: 'admin@ch.test' });
    const token = s.people.createApiToken(admin.id, 'tests', 3600_000).token;
    const family = await put(token, ['family']);
    expect(family.status).toBe(400);
    expect(await codeOf(family)).toBe('invalid_request');
  });
});

describe('Pro Santé Connect not configured', () => {
  const s = usePscStack({ configured: false });

  it('is not offered, and cannot be started or required', async () => {
    expect(((await (await fetch(`${s.webUrl}/api/config`)).json()) as { psc: boolean }).psc).toBe(false);
    const start = await fetch(`${s.webUrl}/api/auth/psc/start`, { redirect: 'manual' });
    expect(start.status).toBe(404);
    expect(((await start.json()) as { error: { code: string } }).error.code).toBe('psc_not_configured');
    const back = await fetch(`${s.webUrl}/api/auth/psc/callback?code=x&state=y`, { redirect: 'manual' });
    expect(new URL(locationOf(back, s.webUrl)).searchParams.get('psc_error')).toBe('psc_not_configured');
    const admin = await s.people.createPerson({ role: 'admin', name: 'Admin', email: 'admin@ch.test' });
    const token = s.people.createApiToken(admin.id, 'tests', 3600_000).token;
    const res = await fetch(`${s.webUrl}/api/admin/psc-required`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['nurse'] }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('psc_not_configured');
  });
});
