/**
 * What the care team sets up around a patient (a staff token today; the console's sign-in with
 * issue 5): inviting relatives, the escalation chain, and the patient's alert settings.
 *
 *   POST /api/patients/:id/invitations   invite a relative (or the patient, role "patient"): { name, email, relation, shareVitals, role } -> { link, expiresAt }
 *   GET  /api/patients/:id/escalation    the chain, with names
 *   PUT  /api/patients/:id/escalation    { steps: [{ personId, delayMinutes }], arrivalTimeoutMinutes }
 *   GET  /api/patients/:id/rules         the patient's settings, and the rules they make (defaults included)
 *   PUT  /api/patients/:id/rules         settings (common/patient-settings.ts): threshold overrides, SpO2 scale, fall window...
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { HttpError, json, readBody } from '../common/http.ts';
import type { People } from '../common/people.ts';
import { patientSettingsSchema, type PatientSettingsStore } from '../common/patient-settings.ts';
import type { Registry } from '../common/registry.ts';
import type { Logger } from '../common/log.ts';
import { thresholdsFor } from '../ingest/rules/thresholds.ts';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

export const inviteBody = z.object({
  name: z.string().trim().min(1, "the relative's name is required").max(100),
  email: z.email('a valid e-mail address is required').max(200),
  relation: z.string().trim().min(1, 'say who they are to the patient (daughter, neighbour...)').max(60),
  shareVitals: z.boolean().default(false),
  /** `patient`: an account for the senior themself (relation "self"), who can then invite relatives. */
  role: z.enum(['family', 'patient']).default('family'),
});
const chainBody = z.object({
  steps: z
    .array(
      z.object({
        personId: z.string().min(1).max(100),
        delayMinutes: z
          .number()
          .min(0)
          .max(24 * 60),
      }),
    )
    .max(10),
  arrivalTimeoutMinutes: z
    .number()
    .min(1)
    .max(24 * 60)
    .default(30),
});

export interface CareTeamDeps {
  readonly people: People;
  readonly settings: PatientSettingsStore;
  readonly registry: Registry;
  readonly requireStaff: (req: IncomingMessage, patientId?: string) => Promise<{ staffId: string }>;
  readonly publicUrl: () => string;
  readonly logger: Logger;
}

export class CareTeamApi {
  readonly #d: CareTeamDeps;

  constructor(deps: CareTeamDeps) {
    this.#d = deps;
  }

  async route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const m = /^\/api\/patients\/([\w-]+)\/(invitations|escalation|rules)$/.exec(path);
    if (!m) return false;
    // A signed-in patient invites their own relatives (family-api.ts); the rest is the care team's.
    if (m[2] === 'invitations' && !req.headers.authorization) return false;
    const d = this.#d;
    const [, patientId, what] = m as unknown as [string, string, 'invitations' | 'escalation' | 'rules'];
    const method = req.method ?? 'GET';
    const staff = await d.requireStaff(req, patientId);
    if (!d.registry.hasPatient(patientId)) throw new HttpError(404, `unknown patient ${patientId}`);
    switch (what) {
      case 'invitations': {
        if (method !== 'POST') throw new HttpError(405, 'use POST');
        const body = await readBody(req, inviteBody);
        const { token, expiresAt } = d.people.invite(
          { patientId, ...body, invitedBy: staff.staffId },
          INVITATION_TTL_MS,
        );
        d.logger.info({ patientId, staffId: staff.staffId }, 'relative invited');
        json(res, 201, { link: `${d.publicUrl()}/family/#invite=${token}`, expiresAt });
        return true;
      }
      case 'escalation': {
        if (method === 'PUT') {
          const body = await readBody(req, chainBody);
          d.people.setChain(
            patientId,
            body.steps.map((s) => ({ personId: s.personId, delayMs: Math.round(s.delayMinutes * 60_000) })),
            Math.round(body.arrivalTimeoutMinutes * 60_000),
          );
          d.logger.info({ patientId, staffId: staff.staffId, steps: body.steps.length }, 'escalation chain changed');
        } else if (method !== 'GET') throw new HttpError(405, 'use GET or PUT');
        const chain = d.people.chain(patientId);
        const names = new Map(
          d.people
            .peopleOf(patientId)
            .map(({ person, link }) => [person.id, { name: person.name, relation: link.relation }]),
        );
        json(res, 200, {
          steps: chain.steps.map((s) => ({ ...s, ...names.get(s.personId) })),
          arrivalTimeoutMs: chain.arrivalTimeoutMs,
          people: [...names].map(([id, v]) => ({ id, ...v })),
        });
        return true;
      }
      case 'rules': {
        if (method === 'PUT') {
          const settings = await readBody(req, patientSettingsSchema);
          try {
            thresholdsFor(settings.thresholds);
          } catch (error) {
            throw new HttpError(400, (error as Error).message);
          }
          d.settings.set(patientId, settings, staff.staffId);
          d.logger.info({ patientId, staffId: staff.staffId }, 'alert settings changed');
        } else if (method !== 'GET') throw new HttpError(405, 'use GET or PUT');
        const settings = d.settings.get(patientId) ?? patientSettingsSchema.parse({});
        json(res, 200, { settings, thresholds: thresholdsFor(settings.thresholds) });
        return true;
      }
      default:
        throw new HttpError(404, `no API at ${path}`);
    }
  }
}
