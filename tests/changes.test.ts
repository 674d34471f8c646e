/**
 * The set-up's change log and the roles' rights, over HTTP against the real broker, ingest and web
 * service: every change to a patient's set-up is kept with who, what and when; an administrator reads
 * all of it, the care team the changes about their patients, nobody else; a role without a right is
 * refused with a reason and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const send = (method: string, path: string, cookie: string, body?: unknown) =>
  sendAs(s.webUrl)(method, path, cookie, body);

interface Page {
  changes: Array<{ action: string; actor: string; actorId: string; patientId: string | null; detail: object }>;
  next: number | null;
}

describe('the change log', () => {
  it('keeps who changed which patient’s set-up, for admins and the patient’s care team', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada@vigie.test', role: 'admin' });
    const daughter = await s.family(patientId, { name: 'Claire Lefèvre', email: 'claire@vigie.test' });

    const chain = await send('PUT', `/api/patients/${patientId}/escalation`, doctor.cookie, {
      steps: [{ personId: daughter.personId, delayMinutes: 0 }],
      arrivalTimeoutMinutes: 30,
    });
    expect(chain.status).toBe(200);
    const rules = await send('PUT', `/api/patients/${patientId}/rules`, admin.cookie, {
      thresholds: { 'hr-high': { limit: 125 } },
    });
    expect(rules.status).toBe(200);

    const all = await send('GET', '/api/admin/changes', admin.cookie);
    expect(all.status).toBe(200);
    const { changes } = (await all.json()) as Page;
    expect(changes.map((c) => [c.action, c.actor, c.patientId, c.detail])).toEqual([
      ['thresholds.set', 'Ada Admin', patientId, { changed: 1 }],
      ['escalation.set', 'Dr Roux', patientId, { steps: 1 }],
      ['invitation.created', 'Infirmière Test', patientId, { name: 'Claire Lefèvre', role: 'family' }],
    ]);

    const byAuthor = (await (
      await send('GET', `/api/admin/changes?actorId=${doctor.personId}`, admin.cookie)
    ).json()) as Page;
    expect(byAuthor.changes.map((c) => c.action)).toEqual(['escalation.set']);

    // The care team reads the changes about their patient; the organisation's log is not theirs.
    const mine = await send('GET', `/api/console/patients/${patientId}/changes`, doctor.cookie);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as Page).changes).toHaveLength(3);
    const refused = await send('GET', '/api/admin/changes', doctor.cookie);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('admin_only');
  });

  it('refuses a role without the right, with a reason, and logs nothing', async () => {
    const { device } = await s.senior('M. Petit');
    const { patientId } = device;
    const carer = await s.clinician({ name: 'Léa Aide', email: 'lea@vigie.test', role: 'homecare' });
    const admin = await s.clinician({ name: 'Ada Admin', email: 'ada2@vigie.test', role: 'admin' });

    for (const [path, body] of [
      [`/api/patients/${patientId}/escalation`, { steps: [], arrivalTimeoutMinutes: 30 }],
      [`/api/patients/${patientId}/rules`, { thresholds: {} }],
    ] as const) {
      const res = await send('PUT', path, carer.cookie, body);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('role_not_allowed');
    }
    const invite = await send('POST', `/api/patients/${patientId}/invitations`, carer.cookie, {
      name: 'Paul Petit',
      email: 'paul@vigie.test',
      relation: 'son',
      shareVitals: false,
    });
    expect(invite.status).toBe(403);
    const log = (await (await send('GET', `/api/admin/changes?patientId=${patientId}`, admin.cookie)).json()) as Page;
    expect(log.changes).toEqual([]);
  });
});
