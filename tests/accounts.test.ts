/**
 * Hostile users, against the real web service (with the broker and ingest behind it): what a signed-in
 * account may try beyond its rights, and what a burst of sign-ins does to everyone else.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';
import { PASSWORD_PARAMS } from '../common/secrets.ts';

const t = usePipeline();
// Passwords hashed at production's cost: the burst below must keep the hashing gate busy.
const s = useFamilyStack(t, { passwordWork: PASSWORD_PARAMS });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.webUrl}${path}`, {
    method: 'POST',
    headers: { origin: s.webUrl, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const codeOf = async (res: Response) => ((await res.json()) as { error?: { code?: string } }).error?.code;

describe('invitations cannot be turned against an account', () => {
  it('never checks a password through an invitation: a patient cannot guess a clinician’s password that way', async () => {
    const { device } = await s.senior('Jeanne');
    const jeanne = await s.family(device.patientId, {
      name: 'Jeanne',
      email: 'jeanne@senior.test',
      relation: 'elle-même',
      role: 'patient',
    });
    const doctorPassword = 'the doctor password';
    await s.people.createPerson({
      role: 'clinician',
      name: 'Dr House',
      email: 'house@ch.test',
      password: doctorPassword,
    });
    // The patient invites "a relative" with the clinician's e-mail...
    const invited = await post(
      `/api/patients/${device.patientId}/invitations`,
      { name: 'Greg', email: 'house@ch.test', relation: 'ami' },
      { cookie: jeanne.cookie },
    );
    expect(invited.status).toBe(201);
    const token = new URL(((await invited.json()) as { link: string }).link).hash.replace('#invite=', '');
    // ...the lookup says nothing of the account...
    expect(Object.keys((await (await post('/api/invitations/lookup', { token })).json()) as object).sort()).toEqual([
      'email',
      'expiresAt',
      'name',
      'patientName',
      'patientSex',
      'relation',
      'relationText',
      'self',
    ]);
    // ...and accepting answers the same whatever the password, right or wrong, with no session.
    for (const password of ['a wrong guess 1', 'a wrong guess 2', doctorPassword]) {
      const res = await post('/api/invitations/accept', { token, password });
      expect(res.status).toBe(409);
      expect(await codeOf(res)).toBe('sign_in_to_accept');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('vigie_session='))).toBe(false);
    }
    // Nobody can probe many addresses that way: invitations per person and per hour are bounded.
    const answers: Response[] = [];
    for (let i = 0; i < 30; i += 1)
      answers.push(
        await post(
          `/api/patients/${device.patientId}/invitations`,
          { name: `Probe ${i}`, email: `probe${i}@ch.test`, relation: 'ami' },
          { cookie: jeanne.cookie },
        ),
      );
    // 30 per hour, the first one above included.
    expect(answers.slice(0, 29).map((r) => r.status)).toEqual(Array(29).fill(201));
    expect(answers[29]!.status).toBe(429);
    expect(await codeOf(answers[29]!)).toBe('rate_limited');
    // Claimed by another signed-in account, it is refused too.
    const claim = await post('/api/invitations/claim', { token }, { cookie: jeanne.cookie });
    expect(claim.status).toBe(403);
    expect(await codeOf(claim)).toBe('invitation_other_account');
  });
});

describe('password hashing has bounded concurrency', () => {
  it('answers a burst of sign-ins with quick 429s, while pages and the live channel keep answering', async () => {
    const { device } = await s.senior('Jeanne');
    const claire = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
      headers: { cookie: claire.cookie, origin: s.webUrl },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answers: Array<{ status: number; code: string | undefined; order: number }> = [];
    let order = 0;
    const burst = Array.from({ length: 12 }, async () => {
      const res = await post('/api/session', { email: 'claire@famille.test', password: FAMILY_PASSWORD });
      answers.push({ status: res.status, code: res.status === 200 ? undefined : await codeOf(res), order: order++ });
    });
    // While the sign-ins hash: the page is served, and the live channel answers a subscription.
    await expect.poll(() => s.web.auth.gate.running).toBeGreaterThan(0);
    const snapshot = new Promise<string>((resolve) =>
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string };
        if (m.type === 'snapshot') resolve(m.type);
      }),
    );
    ws.send(JSON.stringify({ type: 'subscribe', patientId: device.patientId }));
    const [page, live] = await Promise.all([fetch(`${s.webUrl}/family/`), snapshot]);
    expect(page.status).toBe(200);
    expect(live).toBe('snapshot');
    await Promise.all(burst);
    ws.close();
    const busy = answers.filter((a) => a.status === 429);
    expect(busy.length).toBeGreaterThanOrEqual(8); // 2 hashing, 2 waiting: the rest are refused at once
    expect(busy.every((a) => a.code === 'server_busy')).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    // Refused without waiting for a hash: every 429 came before the last sign-in that hashed.
    const lastHashed = Math.max(...answers.filter((a) => a.status === 200).map((a) => a.order));
    expect(busy.every((a) => a.order < lastHashed)).toBe(true);
  });
});

describe('push subscriptions', () => {
  const keys = { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) };
  it('accept https endpoints on public hosts only, and never move one between accounts', async () => {
    const { device } = await s.senior('Jeanne');
    const claire = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const marc = await s.family(device.patientId, { name: 'Marc', email: 'marc@famille.test' });
    const subscribe = (endpoint: string, cookie: string) =>
      post('/api/push-subscriptions', { endpoint, keys }, { cookie });
    for (const [endpoint, code] of [
      ['http://fcm.googleapis.com/fcm/send/x', 'invalid_request'],
      ['https://127.0.0.1:9443/push', 'push_endpoint_invalid'],
      ['https://10.0.0.7/push', 'push_endpoint_invalid'],
      ['https://169.254.169.254/latest/meta-data/', 'push_endpoint_invalid'],
      ['https://[::1]/push', 'push_endpoint_invalid'],
      ['https://localhost/push', 'push_endpoint_invalid'],
      ['https://printer.local/push', 'push_endpoint_invalid'],
    ] as const) {
      const res = await subscribe(endpoint, claire.cookie);
      expect(res.status, endpoint).toBe(400);
      expect(await codeOf(res), endpoint).toBe(code);
    }
    const endpoint = 'https://fcm.googleapis.com/fcm/send/claire-phone';
    expect((await subscribe(endpoint, claire.cookie)).status).toBe(201);
    expect((await subscribe(endpoint, claire.cookie)).status).toBe(201); // renewing one's own is fine
    const taken = await subscribe(endpoint, marc.cookie);
    expect(taken.status).toBe(409);
    expect(await codeOf(taken)).toBe('push_endpoint_taken');
    expect(s.people.pushSubscriptions(claire.personId).map((p) => p.endpoint)).toEqual([endpoint]);
    expect(s.people.pushSubscriptions(marc.personId)).toEqual([]);
  });
});

describe('Bluetooth gateways', () => {
  it('are enrolled by the patient themself (their own account, not a relation typed as "self") or their care team', async () => {
    const { device } = await s.senior('Jeanne');
    const jeanne = await s.family(device.patientId, {
      name: 'Jeanne',
      email: 'jeanne@senior.test',
      relation: 'moi',
      role: 'patient',
    });
    const pretender = await s.family(device.patientId, { name: 'Paul', email: 'paul@famille.test', relation: 'self' });
    const enrol = (headers: Record<string, string>) =>
      post(`/api/patients/${device.patientId}/gateways`, { label: 'tablette' }, headers);
    const refused = await enrol({ cookie: pretender.cookie });
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe('gateway_not_allowed');
    expect((await enrol({ cookie: jeanne.cookie })).status).toBe(201);
    expect((await enrol({ authorization: `Bearer ${s.staffToken}` })).status).toBe(201);
  });
});

describe('call links', () => {
  it('are personal: each relative gets their own seat and name, only when the care team invites them', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const claire = await s.family(device.patientId, { name: 'Claire', email: 'claire@famille.test' });
    const marc = await s.family(device.patientId, { name: 'Marc', email: 'marc@famille.test' });
    const jeanne = await s.family(device.patientId, {
      name: 'Jeanne',
      email: 'jeanne@senior.test',
      relation: 'elle-même',
      role: 'patient',
    });
    const linkFor = (cookie: string) => post(`/api/patients/${device.patientId}/call-link`, {}, { cookie });
    const nothing = await linkFor(claire.cookie);
    expect(nothing.status).toBe(404);
    expect(await codeOf(nothing)).toBe('call_not_found');

    const consult = (inviteFamily: boolean) =>
      fetch(`${s.webUrl}/api/consultations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ patientId: device.patientId, inviteFamily }),
      }).then((r) => r.json() as Promise<{ roomId: string; links: { patient: string } }>);
    const alone = await consult(false);
    expect((await linkFor(claire.cookie)).status).toBe(404); // relatives are not invited to this one
    const grantOf = async (res: Response) => {
      const { url } = (await res.json()) as { url: string };
      const grant = await s.web.tokens.verifyCall(new URL(url).hash.slice(1));
      if (!grant.ok) throw new Error(grant.error);
      return grant.value;
    };
    // The patient joins from their own page in the seat of the link the clinician was given.
    const jeanneSeat = await grantOf(await linkFor(jeanne.cookie));
    const sent = await s.web.tokens.verifyCall(new URL(alone.links.patient).hash.slice(1));
    expect(jeanneSeat).toMatchObject({ roomId: alone.roomId, role: 'patient', displayName: 'Jeanne Dupont' });
    expect(sent.ok && sent.value.participantId).toBe(jeanneSeat.participantId);

    const family = await consult(true);
    const claire1 = await grantOf(await linkFor(claire.cookie));
    const claire2 = await grantOf(await linkFor(claire.cookie));
    const marc1 = await grantOf(await linkFor(marc.cookie));
    expect(claire1).toMatchObject({ roomId: family.roomId, role: 'family', displayName: 'Claire' });
    expect(marc1).toMatchObject({ roomId: family.roomId, role: 'family', displayName: 'Marc' });
    expect(claire2.participantId).toBe(claire1.participantId); // one seat per person
    expect(marc1.participantId).not.toBe(claire1.participantId);
    for (const g of [claire1, marc1]) {
      expect(g.participantId).not.toContain(claire.personId);
      expect(g.participantId).not.toContain(marc.personId);
    }
    // A stranger's session gets nothing.
    const other = await s.senior('Marcel');
    const paul = await s.family(other.device.patientId, { name: 'Paul', email: 'paul@famille.test' });
    expect((await linkFor(paul.cookie)).status).toBe(403);
  });
});
