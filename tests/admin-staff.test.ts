/**
 * Staff accounts and care teams run by an administrator, over HTTP against the real broker, ingest and
 * web service: every route, every refusal with its code, the change log's entries, and a disabled
 * account shut out everywhere at once (password, session, API token, live socket) with nothing deleted.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIVE_CLOSE } from '../web/api/live.ts';
import { eventually } from './support/mqtt.ts';
import { codeOf, sender } from './support/http.ts';
import { usePipeline } from './support/pipeline.ts';
import { FAMILY_PASSWORD, useFamilyStack } from './support/family-stack.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const send = sender(() => s.webUrl);

interface Account {
  id: string;
  name: string;
  email: string | null;
  role: string;
  rpps: string | null;
  disabled: boolean;
  teams: Array<{ id: string; name: string }>;
}
interface Teams {
  teams: Array<{
    id: string;
    name: string;
    members: Array<{ id: string; name: string; role: string }>;
    patients: Array<{ id: string; name: string }>;
  }>;
  staff: Array<{ id: string; name: string }>;
  patients: Array<{ id: string; name: string }>;
}
interface Changes {
  changes: Array<{ action: string; actor: string; patientId: string | null; detail: Record<string, unknown> }>;
}

const signIn = (email: string, password: string) =>
  fetch(`${s.webUrl}/api/session`, {
    method: 'POST',
    headers: { origin: s.webUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

describe('staff accounts', () => {
  it('creates an account with a first password shown once, lists it, changes it, and logs each change', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const created = await send('POST', '/api/admin/staff', admin.cookie, {
      name: '  Dr Hugo Martin ',
      email: 'Hugo@Vigie.test',
      role: 'clinician',
      rpps: '810001234567',
      teamId: s.staffTeam,
    });
    expect(created.status).toBe(201);
    const { account, password } = (await created.json()) as { account: Account; password: string };
    expect(account).toMatchObject({
      name: 'Dr Hugo Martin',
      email: 'hugo@vigie.test',
      role: 'clinician',
      rpps: '810001234567',
      disabled: false,
      teams: [{ id: s.staffTeam, name: 'Équipe test' }],
    });
    expect(password).toMatch(/^[\w-]{20}$/);
    // The first password works, once shown; the list never shows it again.
    expect((await signIn('hugo@vigie.test', password)).status).toBe(200);
    const list = await send('GET', '/api/admin/staff', admin.cookie);
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as { staff: Account[] }).staff;
    expect(JSON.stringify(listed)).not.toContain(password);
    expect(listed.map((a) => [a.name, a.role])).toEqual([
      ['Ada Admin', 'admin'],
      ['Dr Hugo Martin', 'clinician'],
      ['Infirmière Test', 'nurse'],
    ]);

    const updated = await send('PUT', `/api/admin/staff/${account.id}`, admin.cookie, {
      name: 'Dr Hugo Martin-Roux',
      role: 'coordinator',
      rpps: null,
    });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as { account: Account }).account).toMatchObject({
      name: 'Dr Hugo Martin-Roux',
      role: 'coordinator',
      rpps: null,
    });
    expect(s.people.person(account.id)).toMatchObject({ role: 'coordinator', name: 'Dr Hugo Martin-Roux' });
    expect(s.people.personByRpps('810001234567')).toBeUndefined();
    // The same values again change nothing and log nothing.
    await send('PUT', `/api/admin/staff/${account.id}`, admin.cookie, {
      name: 'Dr Hugo Martin-Roux',
      role: 'coordinator',
      rpps: null,
    });

    const log = (await (await send('GET', '/api/admin/changes', admin.cookie)).json()) as Changes;
    expect(log.changes.map((c) => [c.action, c.actor, c.detail])).toEqual([
      ['staff.updated', 'Ada Admin', { name: 'Dr Hugo Martin-Roux', role: 'coordinator', changed: 'name,role,rpps' }],
      ['team.member_added', 'Ada Admin', { name: 'Dr Hugo Martin', team: 'Équipe test' }],
      ['staff.created', 'Ada Admin', { name: 'Dr Hugo Martin', role: 'clinician' }],
    ]);
    expect(JSON.stringify(log)).not.toContain(password);
  });

  it('refuses hostile or conflicting input with a precise code, and creates nothing', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    await s.people.createStaff({ role: 'nurse', name: 'Inès', email: 'ines@vigie.test', rpps: '899700000001' });
    const base = { name: 'Léo', email: 'leo@vigie.test', role: 'nurse' };
    const cases: Array<[object, number, string]> = [
      [{ ...base, email: 'NURSE@vigie.test' }, 409, 'email_taken'],
      [{ ...base, rpps: '12AB' }, 400, 'rpps_invalid'],
      [{ ...base, rpps: '899700000001' }, 409, 'rpps_taken'],
      [{ ...base, role: 'family' }, 400, 'invalid_request'],
      [{ ...base, name: '   ' }, 400, 'invalid_request'],
      [{ ...base, name: 'x'.repeat(101) }, 400, 'invalid_request'],
      [{ ...base, email: 'not an address' }, 400, 'invalid_request'],
      [{ ...base, teamId: 't-nope' }, 404, 'team_not_found'],
      [{ ...base, extra: { deep: true }, rpps: 'x'.repeat(41) }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await send('POST', '/api/admin/staff', admin.cookie, body);
      expect([res.status, await codeOf(res)], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(s.people.personByEmail('leo@vigie.test')).toBeUndefined();

    // Not an administrator: refused on every route, and nothing changes.
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/admin/staff'],
      ['POST', '/api/admin/staff', base],
      ['PUT', `/api/admin/staff/${admin.personId}`, { name: 'X', role: 'nurse', rpps: null }],
      ['PUT', `/api/admin/staff/${admin.personId}/disabled`, { disabled: true }],
      ['GET', '/api/admin/teams'],
      ['POST', '/api/admin/teams', { name: 'Équipe pirate' }],
      ['PUT', `/api/admin/teams/${s.staffTeam}`, { name: 'X' }],
      ['PUT', `/api/admin/teams/${s.staffTeam}/members/${doctor.personId}`],
      ['DELETE', `/api/admin/teams/${s.staffTeam}/members/${doctor.personId}`],
      ['PUT', `/api/admin/teams/${s.staffTeam}/patients/p-x`],
      ['DELETE', `/api/admin/teams/${s.staffTeam}/patients/p-x`],
    ];
    for (const [method, path, body] of routes) {
      const res = await send(method, path, doctor.cookie, body);
      expect([res.status, await codeOf(res)], `${method} ${path}`).toEqual([403, 'admin_only']);
    }
    const family = await s.family((await s.senior('Mme Blanc')).device.patientId, {
      name: 'Paul',
      email: 'paul@vigie.test',
    });
    const res = await send('GET', '/api/admin/staff', family.cookie);
    expect([res.status, await codeOf(res)]).toEqual([403, 'staff_only']);
    expect((await send('GET', '/api/admin/staff', '')).status).toBe(401);
    expect(s.people.person(admin.personId)?.role).toBe('admin');
    expect(s.people.teams().map((t) => t.name)).toEqual(['Équipe test']);

    // A relative's account is not a staff account to change.
    const notStaff = await send('PUT', `/api/admin/staff/${family.personId}`, admin.cookie, {
      name: 'Paul',
      role: 'admin',
      rpps: null,
    });
    expect([notStaff.status, await codeOf(notStaff)]).toEqual([404, 'staff_not_found']);
    expect(s.people.person(family.personId)?.role).toBe('family');
    const badRpps = await send('PUT', `/api/admin/staff/${doctor.personId}`, admin.cookie, {
      name: 'Dr Roux',
      role: 'clinician',
      rpps: '899700000001',
    });
    expect([badRpps.status, await codeOf(badRpps)]).toEqual([409, 'rpps_taken']);
  });

  it('keeps one enabled administrator, and an administrator cannot disable themself', async () => {
    const ada = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const self = await send('PUT', `/api/admin/staff/${ada.personId}/disabled`, ada.cookie, { disabled: true });
    expect([self.status, await codeOf(self)]).toEqual([409, 'cannot_disable_self']);
    const demote = await send('PUT', `/api/admin/staff/${ada.personId}`, ada.cookie, {
      name: 'Ada',
      role: 'nurse',
      rpps: null,
    });
    expect([demote.status, await codeOf(demote)]).toEqual([409, 'last_admin']);
    expect(s.people.person(ada.personId)).toMatchObject({ role: 'admin', name: 'Ada Admin' });

    // With a second administrator, Ada may step down; then Bob is the last and cannot be disabled by her.
    const bob = await s.clinician({ name: 'Bob Admin', email: 'bob@vigie.test', role: 'admin' });
    expect(
      (await send('PUT', `/api/admin/staff/${ada.personId}`, ada.cookie, { name: 'Ada', role: 'nurse', rpps: null }))
        .status,
    ).toBe(200);
    const last = await send('PUT', `/api/admin/staff/${bob.personId}/disabled`, bob.cookie, { disabled: true });
    expect(await codeOf(last)).toBe('cannot_disable_self');
    const lastDemote = await send('PUT', `/api/admin/staff/${bob.personId}`, bob.cookie, {
      name: 'Bob',
      role: 'clinician',
      rpps: null,
    });
    expect([lastDemote.status, await codeOf(lastDemote)]).toEqual([409, 'last_admin']);
    // Ada is no longer an administrator: her next request is refused.
    const nowNurse = await send('GET', '/api/admin/staff', ada.cookie);
    expect(await codeOf(nowNurse)).toBe('admin_only');
    const unknown = await send('PUT', '/api/admin/staff/u-nobody/disabled', bob.cookie, { disabled: true });
    expect([unknown.status, await codeOf(unknown)]).toEqual([404, 'staff_not_found']);
  });

  it('shuts a disabled account out everywhere at once, deletes nothing, and lets it back in when enabled', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const nurse = await s.clinician({ name: 'Nina', email: 'nina@vigie.test', role: 'nurse' });
    const { device } = await s.senior('Mme Colin');
    const token = s.people.createApiToken(nurse.personId, 'script', 3600_000).token;
    const note = await send('POST', `/api/console/patients/${device.patientId}/notes`, nurse.cookie, {
      text: 'Passage ce matin',
    });
    expect(note.status).toBe(201);
    const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
      headers: { cookie: nurse.cookie, origin: s.webUrl },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const disabled = await send('PUT', `/api/admin/staff/${nurse.personId}/disabled`, admin.cookie, {
      disabled: true,
    });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as { account: Account }).account.disabled).toBe(true);
    // Its live socket closes at once (not at the next session check), with the account's close code.
    expect(await closed).toBe(LIVE_CLOSE.accountChanged);
    // Session, token and password: all refused.
    const session = await send('GET', '/api/console/me', nurse.cookie);
    expect([session.status, await codeOf(session)]).toEqual([401, 'sign_in_required']);
    const byToken = await fetch(`${s.webUrl}/api/console/me`, { headers: { authorization: `Bearer ${token}` } });
    expect([byToken.status, await codeOf(byToken)]).toEqual([401, 'api_token_invalid']);
    const password = await signIn('nina@vigie.test', FAMILY_PASSWORD);
    expect([password.status, await codeOf(password)]).toEqual([403, 'account_disabled']);
    const wrong = await signIn('nina@vigie.test', 'not her password');
    expect(await codeOf(wrong)).toBe('wrong_credentials'); // says nothing to whoever lacks the password
    const reopened = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
      headers: { cookie: nurse.cookie, origin: s.webUrl },
    });
    const status = await new Promise<number>((resolve) =>
      reopened.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    // Nothing deleted: the account, its teams, its note are all there.
    expect(s.people.person(nurse.personId)?.name).toBe('Nina');
    expect(s.people.staffAccount(nurse.personId)?.teams).toEqual([{ id: s.staffTeam, name: 'Équipe test' }]);
    expect(s.people.notes(device.patientId).map((n) => n.authorId)).toEqual([nurse.personId]);

    const enabled = await send('PUT', `/api/admin/staff/${nurse.personId}/disabled`, admin.cookie, {
      disabled: false,
    });
    expect(((await enabled.json()) as { account: Account }).account.disabled).toBe(false);
    expect((await signIn('nina@vigie.test', FAMILY_PASSWORD)).status).toBe(200);
    // The session that was ended stays ended.
    expect((await send('GET', '/api/console/me', nurse.cookie)).status).toBe(401);
    const log = (await (await send('GET', '/api/admin/changes', admin.cookie)).json()) as Changes;
    expect(log.changes.map((c) => [c.action, c.detail])).toEqual([
      ['staff.enabled', { name: 'Nina' }],
      ['staff.disabled', { name: 'Nina' }],
    ]);
  });

  it('closes the live socket of a member whose role changes, so that it reconnects with its new rights', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const nurse = await s.clinician({ name: 'Nina', email: 'nina@vigie.test', role: 'nurse' });
    const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
      headers: { cookie: nurse.cookie, origin: s.webUrl },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await send('PUT', `/api/admin/staff/${nurse.personId}`, admin.cookie, {
      name: 'Nina',
      role: 'homecare',
      rpps: null,
    });
    expect(await closed).toBe(LIVE_CLOSE.accountChanged);
    expect((await send('GET', '/api/console/me', nurse.cookie)).status).toBe(200); // still signed in
  });
});

describe('care teams', () => {
  it('creates and renames teams, adds and removes members and patients (those in no team too), and logs it', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    // A patient in no team yet: provisioned without the stack's team.
    const loose = await t.broker.registry.provisionPatient('M. Sans Équipe');

    const created = await send('POST', '/api/admin/teams', admin.cookie, { name: 'Équipe Sud' });
    expect(created.status).toBe(201);
    let teams = (await created.json()) as Teams;
    const sud = teams.teams.find((x) => x.name === 'Équipe Sud')!;
    expect(sud).toMatchObject({ members: [], patients: [] });
    expect(teams.patients.map((p) => p.id)).toContain(loose.patientId);
    expect(teams.patients.find((p) => p.id === loose.patientId)?.name).toBe('M. Sans Équipe');

    const taken = await send('POST', '/api/admin/teams', admin.cookie, { name: 'équipe sud' });
    expect([taken.status, await codeOf(taken)]).toEqual([409, 'team_name_taken']);
    const renameTaken = await send('PUT', `/api/admin/teams/${sud.id}`, admin.cookie, { name: 'Équipe test' });
    expect([renameTaken.status, await codeOf(renameTaken)]).toEqual([409, 'team_name_taken']);
    const renamed = await send('PUT', `/api/admin/teams/${sud.id}`, admin.cookie, { name: 'Équipe Sud-Ouest' });
    expect(renamed.status).toBe(200);

    // Before: Dr Roux does not see the loose patient.
    const before = await send('GET', `/api/console/patients/${loose.patientId}`, doctor.cookie);
    expect(await codeOf(before)).toBe('patient_not_in_team');
    expect((await send('PUT', `/api/admin/teams/${sud.id}/members/${doctor.personId}`, admin.cookie)).status).toBe(200);
    teams = (await (
      await send('PUT', `/api/admin/teams/${sud.id}/patients/${loose.patientId}`, admin.cookie)
    ).json()) as Teams;
    expect(teams.teams.find((x) => x.id === sud.id)).toMatchObject({
      name: 'Équipe Sud-Ouest',
      members: [{ id: doctor.personId, name: 'Dr Roux', role: 'clinician' }],
      patients: [{ id: loose.patientId, name: 'M. Sans Équipe' }],
    });
    expect((await send('GET', `/api/console/patients/${loose.patientId}`, doctor.cookie)).status).toBe(200);
    // Adding again changes nothing (and logs nothing).
    await send('PUT', `/api/admin/teams/${sud.id}/patients/${loose.patientId}`, admin.cookie);

    for (const [path, code] of [
      [`/api/admin/teams/${sud.id}/patients/p-nope`, 'patient_not_found'],
      [`/api/admin/teams/t-nope/patients/${loose.patientId}`, 'team_not_found'],
      [`/api/admin/teams/${sud.id}/members/u-nope`, 'staff_not_found'],
    ] as const) {
      const res = await send('PUT', path, admin.cookie);
      expect(await codeOf(res), path).toBe(code);
    }

    expect((await send('DELETE', `/api/admin/teams/${sud.id}/patients/${loose.patientId}`, admin.cookie)).status).toBe(
      200,
    );
    expect(await codeOf(await send('GET', `/api/console/patients/${loose.patientId}`, doctor.cookie))).toBe(
      'patient_not_in_team',
    );
    teams = (await (
      await send('DELETE', `/api/admin/teams/${sud.id}/members/${doctor.personId}`, admin.cookie)
    ).json()) as Teams;
    expect(teams.teams.find((x) => x.id === sud.id)).toMatchObject({ members: [], patients: [] });

    const log = (await (await send('GET', '/api/admin/changes', admin.cookie)).json()) as Changes;
    expect(log.changes.map((c) => [c.action, c.patientId, c.detail])).toEqual([
      ['team.member_removed', null, { name: 'Dr Roux', team: 'Équipe Sud-Ouest' }],
      ['team.patient_removed', loose.patientId, { patient: 'M. Sans Équipe', team: 'Équipe Sud-Ouest' }],
      ['team.patient_added', loose.patientId, { patient: 'M. Sans Équipe', team: 'Équipe Sud-Ouest' }],
      ['team.member_added', null, { name: 'Dr Roux', team: 'Équipe Sud-Ouest' }],
      ['team.renamed', null, { team: 'Équipe Sud-Ouest', from: 'Équipe Sud' }],
      ['team.created', null, { team: 'Équipe Sud' }],
    ]);
  });

  it('closes the live socket of a member removed from a team: the patients of that team stop reaching them', async () => {
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
      headers: { cookie: doctor.cookie, origin: s.webUrl },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await send('DELETE', `/api/admin/teams/${s.staffTeam}/members/${doctor.personId}`, admin.cookie);
    expect(await closed).toBe(LIVE_CLOSE.accountChanged);
    await eventually(() => expect(s.people.staffAccount(doctor.personId)?.teams).toEqual([]));
  });
});
