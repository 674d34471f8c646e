/**
 * The web service's edge, against the real service on Fastify: consultations and the links they hand
 * out, personal API tokens, what a bad request is told (a stable code the pages translate), and the
 * security headers of the pages.
 */
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

async function request(
  method: string,
  path: string,
  o: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
) {
  const token = o.token === undefined ? stack.staffToken : o.token;
  const res = await fetch(`${stack.webUrl}${path}`, {
    method,
    headers: {
      ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...o.headers,
    },
    ...(o.raw !== undefined ? { body: o.raw } : o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}
const refusal = (code: string) => ({ error: expect.objectContaining({ code, message: expect.any(String) }) });

describe('consultations', () => {
  it('creates one with a link for the clinician and one for the patient, whose tokens the SFU accepts', async () => {
    const r = await request('POST', '/api/consultations', { body: { patientId: stack.patientId } });
    expect(r.status).toBe(201);
    const links = r.body!.links as Record<string, string>;
    expect(Object.keys(links).sort()).toEqual(['clinician', 'patient']);
    const grants = await Promise.all(
      Object.entries(links).map(async ([role, link]) => {
        const grant = await stack.sfu.server.tokens.verifyCall(link.split('#')[1] ?? '');
        expect(grant).toMatchObject({ ok: true, value: { role, roomId: r.body!.roomId, patientId: stack.patientId } });
        return grant.ok ? grant.value : undefined;
      }),
    );
    // The names shown in the call come from the tokens: the clinician's own, the patient's label.
    expect(grants.map((g) => g?.displayName).sort()).toEqual(['Dr Martin', 'call test']);
    // Participant ids are opaque: no account id to read off a call.
    const doctor = stack.people.personByEmail('martin@vigie.test')!;
    for (const g of grants) expect(g?.participantId).not.toContain(doctor.id);
  });

  it('refuses whoever is not in the patient’s care team, with a code', async () => {
    expect(
      await request('POST', '/api/consultations', { token: null, body: { patientId: stack.patientId } }),
    ).toMatchObject({
      status: 403,
      body: refusal('cross_site'),
    });
    expect(
      await request('POST', '/api/consultations', {
        token: null,
        body: { patientId: stack.patientId },
        headers: { origin: stack.webUrl },
      }),
    ).toMatchObject({ status: 401, body: refusal('sign_in_required') });
    expect(
      await request('POST', '/api/consultations', { token: 'vigie_forged-token-that-is-long-enough', body: {} }),
    ).toMatchObject({
      status: 401,
      body: refusal('api_token_invalid'),
    });
    // A call invitation, or a token signed by someone else, is no API token.
    const invitation = await stack.web.tokens.issueCall({
      roomId: 'r',
      role: 'clinician',
      displayName: 'Dr',
      patientId: stack.patientId,
      ttlSeconds: 60,
    });
    expect((await request('POST', '/api/consultations', { token: invitation.token, body: {} })).status).toBe(401);
    const other = await new CallTokens(CallTokens.randomSecret()).issueCall({
      roomId: 'r',
      role: 'clinician',
      displayName: 'Dr',
      patientId: 'p',
      ttlSeconds: 60,
    });
    expect((await request('POST', '/api/consultations', { token: other.token, body: {} })).status).toBe(401);
    // A clinician of another team.
    const stranger = await stack.people.createPerson({
      role: 'clinician',
      name: 'Dr Autre',
      email: 'autre@vigie.test',
    });
    stack.people.addToTeam(stack.people.team('Équipe Sud'), { people: [stranger.id] });
    const theirs = stack.people.createApiToken(stranger.id, 'tests', 60_000).token;
    expect(
      await request('POST', '/api/consultations', { token: theirs, body: { patientId: stack.patientId } }),
    ).toMatchObject({
      status: 403,
      body: refusal('patient_not_in_team'),
    });
    // An unknown patient gets the same answer as a foreign one: ids cannot be probed.
    expect(await request('POST', '/api/consultations', { body: { patientId: 'p-nobody' } })).toMatchObject({
      status: 403,
      body: refusal('patient_not_in_team'),
    });
  });

  it('says what is wrong with the request, in codes', async () => {
    expect(await request('POST', '/api/consultations', { body: {} })).toMatchObject({
      status: 400,
      body: { error: expect.objectContaining({ code: 'invalid_request', params: { fields: 'body.patientId' } }) },
    });
    expect(
      await request('POST', '/api/consultations', { body: { patientId: stack.patientId, inviteFamily: 'yes' } }),
    ).toMatchObject({
      status: 400,
      body: { error: expect.objectContaining({ code: 'invalid_request', params: { fields: 'body.inviteFamily' } }) },
    });
    expect(await request('POST', '/api/consultations', { raw: '{not json' })).toMatchObject({
      status: 400,
      body: refusal('invalid_json'),
    });
    expect(await request('POST', '/api/consultations', { raw: '{"__proto__":{"admin":true}}' })).toMatchObject({
      status: 400,
      body: refusal('invalid_json'),
    });
    expect(
      await request('POST', '/api/consultations', { raw: JSON.stringify({ patientId: 'x'.repeat(20_000) }) }),
    ).toMatchObject({
      status: 413,
      body: refusal('body_too_large'),
    });
    expect(
      await request('POST', '/api/consultations', {
        raw: 'patientId=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    ).toMatchObject({ status: 415, body: refusal('unsupported_media_type') });
    expect(await request('GET', '/api/consultations')).toMatchObject({ status: 404, body: refusal('not_found') });
    expect(await request('GET', '/api/nothing')).toMatchObject({ status: 404, body: refusal('not_found') });
  });
});

describe('who is rung, and the link check', () => {
  async function relative(name: string) {
    const person = await stack.people.createPerson({ role: 'family', name, email: `${name}@famille.test` });
    stack.people.link(person.id, stack.patientId, { relation: 'fils', shareVitals: false });
    const session = stack.people.createSession(person.id, 3600_000).token;
    return { token: null, headers: { cookie: `vigie_session=${session}`, origin: stack.webUrl } };
  }
  const status = async (roomId: string) =>
    (
      (await request('GET', `/api/consultations/${roomId}`)).body as {
        invitees: Array<{ name: string; state: string }>;
      }
    ).invitees;

  it('lists the invitees by name; each one’s page says it rings, or "not now"; asking for a link is an answer', async () => {
    const paul = await relative('paul');
    const created = await request('POST', '/api/consultations', {
      body: { patientId: stack.patientId, inviteFamily: true },
    });
    const roomId = created.body!.roomId as string;
    const states = async () => Object.fromEntries((await status(roomId)).map((i) => [i.name, i.state]));
    expect(await states()).toMatchObject({ 'call test': 'invited', paul: 'invited' });
    const ring = (state: string) =>
      request('POST', `/api/patients/${stack.patientId}/call-ring`, { ...paul, body: { roomId, state } });
    expect((await ring('ringing')).status).toBe(200);
    expect((await states()).paul).toBe('ringing');
    expect((await ring('declined')).status).toBe(200);
    // A page reloaded later rings again on its side, but "not now" stands.
    await ring('ringing');
    expect((await states()).paul).toBe('declined');
    expect((await request('POST', `/api/patients/${stack.patientId}/call-link`, paul)).status).toBe(200);
    expect((await states()).paul).toBe('answered');
    // The participant ids are those the SFU will know them by (the room overlays waiting and in the call).
    const link = (await request('POST', `/api/patients/${stack.patientId}/call-link`, paul)).body!.url as string;
    const grant = await stack.web.tokens.verifyCall(link.split('#')[1] ?? '');
    const listed = (await request('GET', `/api/consultations/${roomId}`)).body as {
      invitees: Array<{ name: string; participantId: string }>;
    };
    expect(listed.invitees.find((i) => i.name === 'paul')?.participantId).toBe(grant.ok && grant.value.participantId);
  });

  it('refuses a ring for another room or for a consultation the relative is not invited to, and a stranger’s look', async () => {
    const anne = await relative('anne');
    const created = await request('POST', '/api/consultations', {
      body: { patientId: stack.patientId, inviteFamily: false },
    });
    const roomId = created.body!.roomId as string;
    expect((await status(roomId)).map((i) => i.name)).toEqual(['call test']);
    expect(
      await request('POST', `/api/patients/${stack.patientId}/call-ring`, {
        ...anne,
        body: { roomId, state: 'ringing' },
      }),
    ).toMatchObject({ status: 404, body: refusal('call_not_found') });
    expect(
      await request('POST', `/api/patients/${stack.patientId}/call-ring`, {
        ...anne,
        body: { roomId: 'c-other', state: 'declined' },
      }),
    ).toMatchObject({ status: 404, body: refusal('call_not_found') });
    expect(await request('GET', '/api/consultations/c-unknown')).toMatchObject({
      status: 404,
      body: refusal('call_not_found'),
    });
    // A clinician of another team learns nothing of it.
    const other = await stack.people.createPerson({
      role: 'clinician',
      name: 'Dr Autre',
      email: 'autre-equipe@vigie.test',
    });
    const token = stack.people.createApiToken(other.id, 'tests', 3600_000).token;
    expect(await request('GET', `/api/consultations/${roomId}`, { token })).toMatchObject({
      status: 404,
      body: refusal('call_not_found'),
    });
    // A relative is not the care team.
    expect((await request('GET', `/api/consultations/${roomId}`, anne)).status).toBe(403);
  });

  it('checks a link before the page offers to join: genuine, tampered, for another room, expired', async () => {
    const created = await request('POST', '/api/consultations', { body: { patientId: stack.patientId } });
    const roomId = created.body!.roomId as string;
    const token = (created.body!.links as { patient: string }).patient.split('#')[1]!;
    const check = (body: unknown) =>
      request('POST', '/api/call-links/check', { token: null, body, headers: { origin: stack.webUrl } });
    expect(await check({ roomId, token })).toMatchObject({
      status: 200,
      body: { role: 'patient', name: 'call test', caller: 'Dr Martin' },
    });
    const [head, payload, signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...(JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object), role: 'clinician' }),
    ).toString('base64url');
    expect(await check({ roomId, token: `${head}.${forged}.${signature}` })).toMatchObject({
      status: 400,
      body: refusal('call_link_invalid'),
    });
    expect(await check({ roomId: 'c-another-room', token })).toMatchObject({
      status: 400,
      body: refusal('call_link_invalid'),
    });
    const expired = await stack.web.tokens.issueCall({
      roomId,
      role: 'patient',
      displayName: 'call test',
      patientId: stack.patientId,
      ttlSeconds: -120,
    });
    expect(await check({ roomId, token: expired.token })).toMatchObject({
      status: 410,
      body: refusal('call_link_expired'),
    });
  });
});

describe('personal API tokens', () => {
  it('acts as their owner until revoked, and lists only what still works', async () => {
    const doctor = stack.people.personByEmail('martin@vigie.test')!;
    const session = stack.people.createSession(doctor.id, 60_000).token;
    const asDoctor = { token: null, headers: { cookie: `vigie_session=${session}`, origin: stack.webUrl } };
    const created = await request('POST', '/api/console/tokens', {
      ...asDoctor,
      body: { label: 'export script', days: 2 },
    });
    expect(created.status).toBe(201);
    const token = created.body!.token as { id: string; secret: string; expiresAt: number };
    expect(token.secret).toMatch(/^vigie_/);
    expect(token.expiresAt - Date.now()).toBeGreaterThan(47 * 3600_000);
    expect((await request('POST', '/api/console/tokens', { ...asDoctor, body: { label: 'x', days: 31 } })).status).toBe(
      400,
    );
    // It acts as its owner, with the owner's access (no alert service runs in this stack: the routes used need none).
    expect((await request('GET', '/api/console/me', { token: token.secret })).body).toMatchObject({
      person: { name: 'Dr Martin', role: 'clinician' },
    });
    expect((await request('GET', `/api/patients/${stack.patientId}/escalation`, { token: token.secret })).status).toBe(
      200,
    );
    const listed = await request('GET', '/api/console/tokens', asDoctor);
    expect(listed.body!.tokens).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: token.id, label: 'export script' })]),
    );
    expect(JSON.stringify(listed.body)).not.toContain(token.secret);
    // Nobody else revokes it; its owner does, and it stops at once.
    const nurse = await stack.people.createPerson({ role: 'nurse', name: 'Inf', email: 'inf@vigie.test' });
    const nurseToken = stack.people.createApiToken(nurse.id, 't', 60_000).token;
    expect(await request('DELETE', `/api/console/tokens/${token.id}`, { token: nurseToken })).toMatchObject({
      status: 404,
      body: refusal('token_not_found'),
    });
    expect((await request('DELETE', `/api/console/tokens/${token.id}`, asDoctor)).status).toBe(204);
    expect(await request('GET', '/api/console/me', { token: token.secret })).toMatchObject({
      status: 401,
      body: refusal('api_token_invalid'),
    });
    // An expired token does not work either.
    const expired = stack.people.createApiToken(doctor.id, 'old', 1_000, Date.now() - 2_000).token;
    expect((await request('GET', '/api/console/me', { token: expired })).status).toBe(401);
    // A relative cannot make one.
    const relative = await stack.people.createPerson({ role: 'family', name: 'Fille', email: 'fille@vigie.test' });
    const relSession = stack.people.createSession(relative.id, 60_000).token;
    expect(
      await request('POST', '/api/console/tokens', {
        token: null,
        headers: { cookie: `vigie_session=${relSession}`, origin: stack.webUrl },
        body: { label: 'x' },
      }),
    ).toMatchObject({ status: 403, body: refusal('staff_only') });
  });
});

describe('pages', () => {
  it('serves every page with security headers, and the call page for any consultation path', async () => {
    for (const path of ['/', '/console/', '/family/', '/call/c-123']) {
      const page = await fetch(`${stack.webUrl}${path}`);
      expect(page.status, path).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      // Served over plain http here: no HSTS (it would pin nothing).
      expect(page.headers.get('strict-transport-security')).toBeNull();
    }
    expect(await (await fetch(`${stack.webUrl}/call/c-123`)).text()).toContain('/assets/call-');
    expect(await fetch(`${stack.webUrl}/api/config`).then((r) => r.json())).toEqual({
      sfuUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/signal$/),
      vapidPublicKey: null,
      psc: false,
    });
    expect((await fetch(`${stack.webUrl}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${stack.webUrl}/assets/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });
});
