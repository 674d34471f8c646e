/** The web service's consultation API: who may create one, and what a bad request is told. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallStack, type CallStack } from './support/call-stack.ts';
import { CallTokens } from '../sfu/tokens.ts';

let stack: CallStack;
beforeAll(async () => {
  stack = await startCallStack();
});
afterAll(async () => {
  await stack?.stop();
});

function post(body: unknown, token: string | null = stack.staffToken, raw?: string) {
  return fetch(`${stack.webUrl}/api/consultations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
}

describe('consultation API', () => {
  it('creates a consultation with links whose tokens the SFU accepts, each with its role', async () => {
    const r = await post({ patientId: stack.patientId });
    expect(r.status).toBe(201);
    const links = r.body.links as Record<string, string>;
    expect(Object.keys(links).sort()).toEqual(['clinician', 'family', 'patient']);
    for (const [role, link] of Object.entries(links)) {
      const token = link.split('#')[1] ?? '';
      const grant = await stack.sfu.server.tokens.verifyCall(token);
      expect(grant).toMatchObject({ ok: true, value: { role, roomId: r.body.roomId, patientId: stack.patientId } });
    }
    expect((await post({ patientId: stack.patientId, inviteFamily: false })).body.links).not.toHaveProperty('family');
  });

  it.each([
    ['no sign-in', null, 401, 'sign in first (console), or send "Authorization: Bearer <staff token>"'],
    ['a forged sign-in', 'x.y.z', 401, 'your sign-in is not valid; sign in again'],
  ])('refuses %s', async (_name, token, status, error) => {
    expect(await post({ patientId: stack.patientId }, token)).toEqual({ status, body: { error } });
  });

  it('refuses an expired sign-in and a call invitation used as a sign-in', async () => {
    const expired = await stack.web.tokens.issueStaff('dr', 'Dr', -120);
    expect(await post({ patientId: stack.patientId }, expired)).toEqual({
      status: 401,
      body: { error: 'your sign-in has expired; sign in again' },
    });
    const invitation = (
      await stack.web.tokens.issueCall({
        roomId: 'r',
        role: 'clinician',
        displayName: 'Dr',
        patientId: stack.patientId,
        ttlSeconds: 60,
      })
    ).token;
    expect((await post({ patientId: stack.patientId }, invitation)).status).toBe(401);
    const otherSecret = await new CallTokens(CallTokens.randomSecret()).issueStaff('dr', 'Dr', 60);
    expect((await post({ patientId: stack.patientId }, otherSecret)).status).toBe(401);
  });

  it('says what is wrong with the request', async () => {
    expect(await post({ patientId: 'p-nobody' })).toEqual({ status: 404, body: { error: 'unknown patient p-nobody' } });
    expect(await post({})).toEqual({ status: 400, body: { error: expect.stringContaining('patientId') } });
    expect(await post({ patientId: stack.patientId, inviteFamily: 'yes' })).toEqual({
      status: 400,
      body: { error: expect.stringContaining('inviteFamily') },
    });
    expect(await post(undefined, stack.staffToken, '{not json')).toEqual({
      status: 400,
      body: { error: 'the body is not JSON' },
    });
    expect(await post(undefined, stack.staffToken, JSON.stringify({ patientId: 'x'.repeat(20_000) }))).toEqual({
      status: 413,
      body: { error: 'request body over 16384 bytes' },
    });
    const get = await fetch(`${stack.webUrl}/api/consultations`);
    expect(get.status).toBe(405);
    expect((await fetch(`${stack.webUrl}/api/nothing`)).status).toBe(404);
  });

  it('serves the pages with a content security policy, and the call page for any consultation path', async () => {
    const page = await fetch(`${stack.webUrl}/call/c-123`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain('/assets/call-');
    expect(await fetch(`${stack.webUrl}/api/config`).then((r) => r.json())).toEqual({
      sfuUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/signal$/),
      vapidPublicKey: null,
    });
  });
});
