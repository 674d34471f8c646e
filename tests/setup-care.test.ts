/**
 * A patient's escalation chain, thresholds preview and invitations over HTTP, against the real
 * broker, ingest, InfluxDB, web service and an SMTP server: a chain may hold relatives and members of
 * the care team, and the ingest's escalation really e-mails both; the preview replays stored readings
 * through the ingest's threshold rule and counts what a hand count says (and what the ingest raised
 * from the same readings); pending invitations are listed and cancelled, and a cancelled link is
 * refused. Every change is in the change log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInflux } from '../ingest/influx-client.ts';
import { ensureDatabase } from '../ingest/database.ts';
import { DATABASE, RETENTION, vitalsPoint } from '../ingest/schema.ts';
import { EmailChannel } from '../ingest/notify/email.ts';
import type { VitalSample } from '../devices/payloads.ts';
import { alarmLoad } from '../web/rules-preview.ts';
import { alarmLoadSchema, chainViewSchema, pendingInvitationSchema } from '../web/api/schemas.ts';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';
import { eventually } from './support/mqtt.ts';
import { patientSettingsSchema } from '../common/patient-settings-schema.ts';

let smtp: TestSmtp;
let email: EmailChannel;
beforeAll(async () => {
  smtp = await startTestSmtp();
  email = new EmailChannel({ url: smtp.url, from: 'Vigie <alertes@vigie.test>' });
});
afterAll(async () => {
  email.close();
  await smtp.stop();
});

const t = usePipeline(undefined, {}, () => ({ channels: [email], webUrl: 'http://vigie.test' }));
const s = useFamilyStack(t);

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);
const codeOf = async (r: Response) => ((await r.json()) as { error: { code: string; params?: object } }).error;

describe('the escalation chain', () => {
  it('takes relatives and members of the care team, and refuses anyone else', async () => {
    const { device } = await s.senior('Mme Garnier');
    const { patientId } = device;
    const coordinator = await s.clinician({ name: 'Cora Coord', email: 'cora@vigie.test', role: 'coordinator' });
    const aide = await s.clinician({ name: 'Hélène Aide', email: 'helene@vigie.test', role: 'homecare' });
    const daughter = await s.family(patientId, { name: 'Claire Garnier', email: 'claire@vigie.test' });
    // Someone of another team, and a relative of another patient.
    const outsider = await s.people.createPerson({ role: 'nurse', name: 'Autre Équipe', email: 'autre@vigie.test' });
    s.people.addToTeam(s.people.team('Autre équipe'), { people: [outsider.id] });
    const other = await s.senior('M. Autre');
    const stranger = await s.family(other.device.patientId, { name: 'Paul Autre', email: 'paul@vigie.test' });

    const before = chainViewSchema.parse(
      await (await send('GET', `/api/patients/${patientId}/escalation`, coordinator.cookie)).json(),
    );
    expect(before.steps).toEqual([]);
    const offered = new Map(before.people.map((p) => [p.id, p]));
    expect(offered.get(daughter.personId)).toMatchObject({
      name: 'Claire Garnier',
      role: 'family',
      relation: 'daughter',
    });
    expect(offered.get(aide.personId)).toMatchObject({ name: 'Hélène Aide', role: 'homecare', relation: null });
    expect(offered.has(outsider.id)).toBe(false);
    expect(offered.has(stranger.personId)).toBe(false);

    const put = (cookie: string, steps: Array<{ personId: string; delayMinutes: number }>) =>
      send('PUT', `/api/patients/${patientId}/escalation`, cookie, { steps, arrivalTimeoutMinutes: 20 });
    const set = await put(coordinator.cookie, [
      { personId: aide.personId, delayMinutes: 0 },
      { personId: daughter.personId, delayMinutes: 5 },
    ]);
    expect(set.status).toBe(200);
    expect(chainViewSchema.parse(await set.json())).toMatchObject({
      steps: [
        { personId: aide.personId, delayMs: 0, name: 'Hélène Aide' },
        { personId: daughter.personId, delayMs: 300_000, name: 'Claire Garnier' },
      ],
      arrivalTimeoutMs: 1_200_000,
    });

    for (const [who, step, code] of [
      [outsider.id, 2, 'chain_person_not_linked'],
      [stranger.personId, 2, 'chain_person_not_linked'],
      ['u-000000000000', 2, 'chain_person_unknown'],
      [aide.personId, 2, 'chain_person_repeated'],
    ] as const) {
      const refused = await put(coordinator.cookie, [
        { personId: aide.personId, delayMinutes: 0 },
        { personId: who, delayMinutes: 1 },
      ]);
      expect(refused.status).toBe(400);
      expect(await codeOf(refused)).toMatchObject({ code, params: { step } });
    }
    // A home-care worker may be a step but may not set the chain (right `setup`).
    const notAllowed = await put(aide.cookie, []);
    expect(notAllowed.status).toBe(403);
    expect(await codeOf(notAllowed)).toMatchObject({ code: 'role_not_allowed', params: { right: 'setup' } });
    // Out of their team: refused as if the patient did not exist.
    const outsiderCookie = `vigie_session=${s.people.createSession(outsider.id, 60_000).token}`;
    expect((await put(outsiderCookie, [])).status).toBe(403);
    expect((await send('GET', `/api/patients/${patientId}/escalation`, outsiderCookie)).status).toBe(403);

    // Only the accepted change is in the log, and the chain is what was accepted.
    expect(s.people.chain(patientId).steps.map((x) => x.personId)).toEqual([aide.personId, daughter.personId]);
    const log = s.changes.list({ patientId }).filter((c) => c.action === 'escalation.set');
    expect(log.map((c) => [c.actorId, c.detail])).toEqual([[coordinator.personId, { steps: 2 }]]);
  });

  it('is followed by the ingest: a member of the care team in the chain is e-mailed, with a console link', async () => {
    const { device, publish } = await s.senior('Mme Garnier');
    const { patientId } = device;
    const nurse = await s.clinician({ name: 'Inès Garde', email: 'ines@vigie.test', role: 'nurse' });
    const daughter = await s.family(patientId, { name: 'Claire Garnier', email: 'claire@vigie.test' });
    const set = await send('PUT', `/api/patients/${patientId}/escalation`, nurse.cookie, {
      steps: [
        { personId: nurse.personId, delayMinutes: 0 },
        { personId: daughter.personId, delayMinutes: 0 },
      ],
      arrivalTimeoutMinutes: 30,
    });
    expect(set.status).toBe(200);
    const already = smtp.received.length;

    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    const mails = (await smtp.waitFor(already + 2)).slice(already);
    const to = (address: string) =>
      mails.find((m) => m.to && !Array.isArray(m.to) && m.to.value.some((v) => v.address === address));
    expect(to('ines@vigie.test')?.text).toContain(`http://vigie.test/console/#/patient/${patientId}`);
    expect(to('claire@vigie.test')?.text).toContain('http://vigie.test/family/?alert=');

    // The alert's audit has both steps, the member of the care team first, and both e-mails sent.
    const [alert] = t.ingest.alertService.list([patientId]);
    const audit = await eventually(() => {
      const all = t.ingest.alertService.get(alert!.id)!.audit;
      expect(all.filter((a) => a.action === 'notified' && a.channel === 'email')).toHaveLength(2);
      return all;
    });
    expect(audit.filter((a) => a.action === 'escalation step').map((a) => a.detail.to)).toEqual([
      nurse.personId,
      daughter.personId,
    ]);
  });

  it('does not tell a step who left the care team or whose account was disabled, and says so', async () => {
    const { device, publish } = await s.senior('M. Perrin');
    const { patientId } = device;
    const carer = await s.clinician({ name: 'Léa Aide', email: 'lea@vigie.test', role: 'homecare' });
    const nurse = await s.clinician({ name: 'Inès Garde', email: 'ines2@vigie.test', role: 'nurse' });
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const son = await s.family(patientId, { name: 'Paul Perrin', email: 'paul@vigie.test' });
    const set = await send('PUT', `/api/patients/${patientId}/escalation`, nurse.cookie, {
      steps: [carer, nurse, son].map(({ personId }) => ({ personId, delayMinutes: 0 })),
      arrivalTimeoutMinutes: 30,
    });
    expect(set.status).toBe(200);
    // Then the carer leaves the team and the nurse's account is disabled, through the admin's pages.
    expect(
      (await send('DELETE', `/api/admin/teams/${s.staffTeam}/members/${carer.personId}`, admin.cookie)).status,
    ).toBe(200);
    expect(
      (await send('PUT', `/api/admin/staff/${nurse.personId}/disabled`, admin.cookie, { disabled: true })).status,
    ).toBe(200);
    const already = smtp.received.length;

    await publish('events', { ts: Date.now(), seq: 1, type: 'sos' });
    const [alert] = await eventually(() => {
      const open = t.ingest.alertService.list([patientId]);
      expect(open).toHaveLength(1);
      return open;
    });
    const audit = await eventually(() => {
      const all = t.ingest.alertService.get(alert!.id)!.audit;
      expect(all.filter((a) => a.action === 'not notified: no access')).toHaveLength(2);
      expect(all.filter((a) => a.action === 'notified' && a.channel === 'email')).toHaveLength(1);
      return all;
    });
    expect(audit.filter((a) => a.action === 'not notified: no access').map((a) => a.detail.to)).toEqual([
      carer.personId,
      nurse.personId,
    ]);
    expect(audit.filter((a) => a.action === 'notified' && a.channel === 'email').map((a) => a.detail.to)).toEqual([
      son.personId,
    ]);
    expect(
      smtp.received.slice(already).map((m) => (m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : null)),
    ).toEqual(['paul@vigie.test']);
  });
});

/** Readings every 30 s, `n` of them, of one vital from `at`. */
const run = (at: number, n: number, values: Partial<VitalSample>): Array<Omit<VitalSample, 'seq'>> =>
  Array.from({ length: n }, (_, i) => ({ ts: at + i * 30_000, ...values }));
const DAY = 86_400_000;
const MIN = 60_000;

/**
 * A week of readings and what the default rules make of them (hand count, thresholds.ts):
 * hr-high (> 120 bpm for 120 s), hr-very-high (> 140 for 60 s), spo2-low (< 92 % for 120 s).
 */
function week(now: number) {
  const episodes = [
    ...run(now - 6 * DAY, 5, { hr: 130 }), // 0..120 s above 120: hr-high
    ...run(now - 6 * DAY + 3 * MIN, 1, { hr: 80 }), // cleared
    ...run(now - 4 * DAY, 5, { hr: 125 }), // hr-high (not above 128)
    ...run(now - 4 * DAY + 3 * MIN, 1, { hr: 80 }),
    ...run(now - 3 * DAY, 3, { hr: 130 }), // 60 s only: too short for 120 s, enough for 60 s
    ...run(now - 3 * DAY + 2 * MIN, 1, { hr: 80 }),
    ...run(now - 2.5 * DAY, 1, { hr: 130 }), // two readings 6 min apart: not a continuous duration
    ...run(now - 2.5 * DAY + 6 * MIN, 1, { hr: 130 }),
    ...run(now - 2.5 * DAY + 7 * MIN, 1, { hr: 80 }),
    ...run(now - 2 * DAY, 5, { hr: 150 }), // hr-high and hr-very-high
    ...run(now - 2 * DAY + 3 * MIN, 1, { hr: 80 }),
    ...run(now - 1 * DAY, 5, { spo2: 91 }), // spo2-low
    ...run(now - 1 * DAY + 3 * MIN, 1, { spo2: 97 }),
    ...run(now - 8 * DAY, 5, { spo2: 85 }), // older than the week: not counted
  ];
  return episodes.map((r, i) => ({ ...r, seq: i + 1 }));
}
const PROPOSED = {
  thresholds: {
    'hr-high': { limit: 128, sustain: { seconds: 60 } },
    'spo2-low': { enabled: false },
    'hr-very-high': { priority: 'medium' as const },
  },
};
const EXPECTED = {
  'hr-high': { current: 3, proposed: 3 }, // 6 d, 4 d, 2 d ; 6 d, 3 d, 2 d
  'hr-very-high': { current: 1, proposed: 1 },
  'spo2-low': { current: 1, proposed: 0 },
};

describe('the thresholds preview', () => {
  it('counts what the current and the proposed settings would have raised over the last 7 days', async () => {
    const { device } = await s.senior('M. Perrin');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const now = Date.now();
    const influx = createInflux(t.influx.url, t.influx.access);
    await ensureDatabase(influx); // the ingest makes it with the first reading it stores
    await influx.writePoints(
      week(now).map((r) => vitalsPoint({ device: device.deviceId, patient: patientId }, r, false)),
      { database: DATABASE, retentionPolicy: RETENTION.raw.name, precision: 'n' },
    );

    const answer = await send('POST', `/api/patients/${patientId}/rules/preview`, doctor.cookie, PROPOSED);
    expect(answer.status).toBe(200);
    const load = alarmLoadSchema.parse(await answer.json());
    const byRule = Object.fromEntries(load.rules.map((r) => [r.id, { current: r.current, proposed: r.proposed }]));
    expect(byRule).toMatchObject(EXPECTED);
    expect(load.rules.filter((r) => !(r.id in EXPECTED)).every((r) => r.current === 0 && r.proposed === 0)).toBe(true);
    expect(load.total).toEqual({ current: 5, proposed: 4 });
    expect(load.readings).toBe(week(now).length - 5);
    expect(load.to - load.from).toBe(7 * DAY);

    // The time chunks change nothing: here the first episode (6 days ago, 2 minutes long) straddles two.
    const small = await alarmLoad(
      influx,
      patientId,
      { current: { thresholds: {}, spo2Scale: 1, onOxygen: false }, proposed: patientSettingsSchema.parse(PROPOSED) },
      { now, chunkMs: DAY + MIN },
    );
    expect(small.rules).toEqual(load.rules.map((r) => ({ ...r })));

    // Nothing was saved by the preview, and nothing logged as a change.
    expect(s.settings.get(patientId)).toBeUndefined();
    expect(s.changes.list({ patientId }).filter((c) => c.action === 'thresholds.set')).toEqual([]);
  });

  it('counts what the ingest raised from the same readings', async () => {
    const { device, publish } = await s.senior('M. Perrin');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const now = Date.now();
    const readings = week(now).filter((r) => r.ts >= now - 7 * DAY);
    for (let i = 0; i < readings.length; i += 10) await publish('vitals', { samples: readings.slice(i, i + 10) });
    const thresholdAlerts = () =>
      t.ingest.alertService.list([patientId], 0).filter((a) => a.kind.startsWith('threshold:'));
    await eventually(async () => {
      expect(await t.influx.count('vitals', device.deviceId)).toBe(readings.length);
    });
    const raised = thresholdAlerts();
    const counts: Record<string, number> = {};
    for (const a of raised)
      counts[a.kind.slice('threshold:'.length)] = (counts[a.kind.slice('threshold:'.length)] ?? 0) + 1;
    expect(counts).toEqual({ 'hr-high': 3, 'hr-very-high': 1, 'spo2-low': 1 });

    const load = alarmLoadSchema.parse(
      await (await send('POST', `/api/patients/${patientId}/rules/preview`, doctor.cookie, {})).json(),
    );
    expect(load.total.current).toBe(raised.length);
    expect(load.total.proposed).toBe(raised.length);
  });

  it('refuses unknown rules, bounds every field and needs the right', async () => {
    const { device } = await s.senior('M. Perrin');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const coordinator = await s.clinician({ name: 'Cora Coord', email: 'cora@vigie.test', role: 'coordinator' });
    const preview = (cookie: string, body: unknown) =>
      send('POST', `/api/patients/${patientId}/rules/preview`, cookie, body);

    const unknown = await preview(doctor.cookie, { thresholds: { 'hr-weird': { limit: 1 } } });
    expect(unknown.status).toBe(400);
    expect(await codeOf(unknown)).toMatchObject({ code: 'threshold_unknown', params: { rule: 'hr-weird' } });
    for (const body of [
      { thresholds: { 'hr-high': { sustain: { seconds: 100_000 } } } },
      { thresholds: { 'hr-high': { limit: 'high' } } },
      { thresholds: { 'hr-high': { extra: 1 } } },
      { fallWindowSeconds: 5 },
    ]) {
      const refused = await preview(doctor.cookie, body);
      expect(refused.status).toBe(400);
      expect((await codeOf(refused)).code).toBe('invalid_request');
    }
    const coord = await preview(coordinator.cookie, {});
    expect(coord.status).toBe(403);
    expect(await codeOf(coord)).toMatchObject({ code: 'role_not_allowed', params: { right: 'thresholds' } });
  });

  it('runs one preview at a time per person and two in all, while InfluxDB is slow to answer', async () => {
    const { device } = await s.senior('M. Perrin');
    const { patientId } = device;
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((x) => s.clinician({ name: `Dr ${x}`, email: `${x}@vigie.test` })),
    );
    const preview = (cookie: string) => send('POST', `/api/patients/${patientId}/rules/preview`, cookie, {});
    const influxd = t.influx.pid!;
    process.kill(influxd, 'SIGSTOP'); // it accepts connections and answers nothing until SIGCONT
    try {
      // Two of one person at once: whichever comes second is refused, the other waits for InfluxDB.
      const [first, second] = [preview(a!.cookie), preview(a!.cookie)];
      const refused = await Promise.race([first, second]);
      expect(refused.status).toBe(429);
      expect(await codeOf(refused)).toMatchObject({ code: 'preview_busy' });
      // A second person may run one too (in flight once its read is logged, just before it starts);
      // a third is refused while two run.
      const other = preview(b!.cookie);
      await eventually(() => expect(s.reads.list({ personId: b!.personId })).toHaveLength(1));
      const third = await preview(c!.cookie);
      expect(third.status).toBe(429);
      expect(await codeOf(third)).toMatchObject({ code: 'preview_busy' });
      process.kill(influxd, 'SIGCONT');
      const answered = await Promise.all([first, second, other]);
      expect(answered.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    } finally {
      process.kill(influxd, 'SIGCONT');
    }
    // Once they are done, anyone may preview again.
    expect((await preview(c!.cookie)).status).toBe(200);
  });

  it('says the stored readings cannot be read when InfluxDB is down', async () => {
    const { device } = await s.senior('M. Perrin');
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    await t.influx.stop();
    const down = await send('POST', `/api/patients/${device.patientId}/rules/preview`, doctor.cookie, {});
    expect(down.status).toBe(503);
    expect((await codeOf(down)).code).toBe('history_unavailable');
  });
});

describe('invitations', () => {
  it('lists the pending ones, cancels one, and its link is refused from then on', async () => {
    const { device } = await s.senior('Mme Bernard');
    const { patientId } = device;
    const nurse = await s.clinician({ name: 'Inès Garde', email: 'ines@vigie.test', role: 'nurse' });
    const aide = await s.clinician({ name: 'Hélène Aide', email: 'helene@vigie.test', role: 'homecare' });
    const invite = async (body: object) => {
      const r = await send('POST', `/api/patients/${patientId}/invitations`, nurse.cookie, body);
      expect(r.status).toBe(201);
      return (await r.json()) as { link: string; expiresAt: number };
    };
    const son = await invite({ name: 'Marc Bernard', email: 'marc@vigie.test', relation: 'son', shareVitals: true });
    const self = await invite({
      name: 'Odette Bernard',
      email: 'odette@vigie.test',
      relation: 'other',
      role: 'patient',
    });

    const list = async (cookie = nurse.cookie) => {
      const r = await send('GET', `/api/console/patients/${patientId}/invitations`, cookie);
      expect(r.status).toBe(200);
      return ((await r.json()) as { invitations: unknown[] }).invitations.map((i) => pendingInvitationSchema.parse(i));
    };
    const pending = await list();
    expect(pending.map((i) => [i.name, i.email, i.relation, i.shareVitals, i.role, i.invitedByName])).toEqual([
      ['Marc Bernard', 'marc@vigie.test', 'son', true, 'family', 'Inès Garde'],
      ['Odette Bernard', 'odette@vigie.test', 'other', false, 'patient', 'Inès Garde'],
    ]);
    expect(pending[0]!.expiresAt).toBe(son.expiresAt);
    expect(JSON.stringify(pending)).not.toContain(new URL(son.link).hash.slice('#invite='.length));

    // A role without the right `setup` neither lists nor cancels.
    const aideList = await send('GET', `/api/console/patients/${patientId}/invitations`, aide.cookie);
    expect(aideList.status).toBe(403);
    const marc = pending[0]!;
    const aideCancel = await send('DELETE', `/api/console/patients/${patientId}/invitations/${marc.id}`, aide.cookie);
    expect(await codeOf(aideCancel)).toMatchObject({ code: 'role_not_allowed' });

    const cancel = await send('DELETE', `/api/console/patients/${patientId}/invitations/${marc.id}`, nurse.cookie);
    expect(cancel.status).toBe(204);
    expect((await list()).map((i) => i.name)).toEqual(['Odette Bernard']);
    const again = await send('DELETE', `/api/console/patients/${patientId}/invitations/${marc.id}`, nurse.cookie);
    expect(again.status).toBe(404);
    expect((await codeOf(again)).code).toBe('invitation_not_found');
    // Another patient's id for the same invitation: not found either.
    const other = await s.senior('M. Autre');
    const foreign = await send(
      'DELETE',
      `/api/console/patients/${other.device.patientId}/invitations/${pending[1]!.id}`,
      nurse.cookie,
    );
    expect(foreign.status).toBe(404);
    const malformed = await send('DELETE', `/api/console/patients/${patientId}/invitations/x'--`, nurse.cookie);
    expect(malformed.status).toBe(400);

    const token = new URL(son.link).hash.slice('#invite='.length);
    for (const path of ['/api/invitations/lookup', '/api/invitations/accept']) {
      const refused = await fetch(`${s.webUrl}${path}`, {
        method: 'POST',
        headers: { origin: s.webUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ token, password: 'correct horse battery' }),
      });
      expect(refused.status).toBe(410);
      expect((await codeOf(refused)).code).toBe('invitation_revoked');
    }
    // The other link still works.
    const lookup = await fetch(`${s.webUrl}/api/invitations/lookup`, {
      method: 'POST',
      headers: { origin: s.webUrl, 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(self.link).hash.slice('#invite='.length) }),
    });
    expect(lookup.status).toBe(200);

    const log = s.changes
      .list({ patientId })
      .filter((c) => c.action.startsWith('invitation.'))
      .map((c) => [c.action, c.actorId, c.detail]);
    expect(log).toEqual([
      ['invitation.revoked', nurse.personId, { name: 'Marc Bernard', role: 'family' }],
      ['invitation.created', nurse.personId, { name: 'Odette Bernard', role: 'patient' }],
      ['invitation.created', nurse.personId, { name: 'Marc Bernard', role: 'family' }],
    ]);
  });
});
