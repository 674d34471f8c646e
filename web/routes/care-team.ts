/**
 * What the care team sets up around one of their patients: the escalation chain (relatives and members
 * of the care team), the alert settings with a preview of the alarm load they would make
 * (web/rules-preview.ts), and the pending invitations (teleconsultations: web/routes/consultations.ts). Members of the care team only, for the patients of their team, by session or
 * personal API token.
 */
import { VigieError } from '../../common/errors.ts';
import { patientSettingsSchema } from '../patient-settings.ts';
import { isThresholdRuleId, thresholdsFor } from '../../ingest/rules/thresholds.ts';
import { ROUTES, SET_ROUTES } from '../api/routes.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireAccess, requireRightOver } from '../access.ts';
import type { StaffRight } from '../../common/people-rules.ts';
import { noteRead } from '../record-reads.ts';
import { routeOf } from './define.ts';
import type { ChainPerson, ChainView } from '../api/schemas.ts';
import type { PatientSettings } from '../../common/patient-settings-schema.ts';
import { alarmLoad } from '../rules-preview.ts';

/** Previews running at once over the whole service (each replays a week of readings). */
export const MAX_PREVIEWS = 2;

export function careTeamRoutes(app: App, c: WebContext): void {
  const chainView = (patientId: string): ChainView => {
    const chain = c.people.chain(patientId);
    const people: ChainPerson[] = [
      ...c.people.peopleOf(patientId).map(({ person, link }) => ({
        id: person.id,
        name: person.name,
        role: person.role,
        relation: link.relation,
        relationText: link.relationText,
      })),
      ...c.people
        .teamMembersOf(patientId)
        .map((p) => ({ id: p.id, name: p.name, role: p.role, relation: null, relationText: null })),
    ];
    return {
      steps: chain.steps.map((s) => ({ ...s, name: c.people.person(s.personId)?.name ?? s.personId })),
      arrivalTimeoutMs: chain.arrivalTimeoutMs,
      people,
    };
  };
  const rulesView = (patientId: string) => {
    const settings = c.settings.get(patientId) ?? patientSettingsSchema.parse({});
    return { settings, thresholds: thresholdsFor(settings.thresholds) };
  };
  /** The patient, if it is one of this member's team (and their role has this right over them). */
  const patientOf = (request: Parameters<typeof personOf>[0], patientId: string, right?: StaffRight) => {
    if (right) requireRightOver(c.people, personOf(request), patientId, right);
    else requireAccess(c.people, personOf(request), patientId);
    if (!c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
    return patientId;
  };
  /** The same, for a read of its set-up (logged: web/record-reads.ts). */
  const readSettings = (request: Parameters<typeof personOf>[0], patientId: string) => {
    noteRead(c.reads, request, personOf(request), patientOf(request, patientId), 'settings');
    return patientId;
  };

  app.route({
    ...routeOf(ROUTES.escalation, 'staff'),
    handler: async (request) => chainView(readSettings(request, request.params.patientId)),
  });
  app.route({
    ...routeOf(SET_ROUTES.setEscalation, 'staff'),
    handler: async (request) => {
      const patientId = patientOf(request, request.params.patientId, 'setup');
      const { steps, arrivalTimeoutMinutes } = request.body;
      c.people.setChain(
        patientId,
        steps.map((s) => ({ personId: s.personId, delayMs: Math.round(s.delayMinutes * 60_000) })),
        Math.round(arrivalTimeoutMinutes * 60_000),
      );
      c.logger.info({ patientId, staffId: personOf(request).id, steps: steps.length }, 'escalation chain changed');
      c.changes.record(personOf(request).id, 'escalation.set', { patientId, detail: { steps: steps.length } });
      return chainView(patientId);
    },
  });

  app.route({
    ...routeOf(ROUTES.rules, 'staff'),
    handler: async (request) => rulesView(readSettings(request, request.params.patientId)),
  });
  app.route({
    ...routeOf(SET_ROUTES.setRules, 'staff'),
    handler: async (request) => {
      const patientId = patientOf(request, request.params.patientId, 'thresholds');
      checkRuleIds(request.body);
      c.settings.set(patientId, request.body, personOf(request).id);
      c.logger.info({ patientId, staffId: personOf(request).id }, 'alert settings changed');
      c.changes.record(personOf(request).id, 'thresholds.set', {
        patientId,
        detail: { changed: Object.keys(request.body.thresholds).length },
      });
      return rulesView(patientId);
    },
  });

  // One preview at a time per person, and a few at once in all: each reads a week of readings.
  const previewing = new Set<string>();
  app.route({
    ...routeOf(ROUTES.rulesPreview, 'staff'),
    handler: async (request) => {
      const patientId = patientOf(request, request.params.patientId, 'thresholds');
      checkRuleIds(request.body);
      const who = personOf(request).id;
      noteRead(c.reads, request, personOf(request), patientId, 'vitals');
      if (previewing.has(who) || previewing.size >= MAX_PREVIEWS)
        throw new VigieError('preview_busy', 'a preview is already running; try again when it is done');
      previewing.add(who);
      try {
        return await alarmLoad(c.influx, patientId, { current: rulesView(patientId).settings, proposed: request.body });
      } catch (error) {
        if (error instanceof VigieError) throw error;
        c.logger.warn({ patientId, error: String(error) }, 'threshold preview failed: InfluxDB does not answer');
        throw new VigieError('history_unavailable', 'the stored readings cannot be read now');
      } finally {
        previewing.delete(who);
      }
    },
  });

  app.route({
    ...routeOf(ROUTES.invitations, 'staff'),
    handler: async (request) => {
      const patientId = patientOf(request, request.params.patientId, 'setup');
      return {
        invitations: c.people.pendingInvitations(patientId).map((i) => ({
          id: i.id,
          name: i.name,
          email: i.email,
          relation: i.relation,
          relationText: i.relationText,
          shareVitals: i.shareVitals,
          role: i.role,
          invitedBy: i.invitedBy,
          invitedByName: c.people.person(i.invitedBy)?.name ?? i.invitedBy,
          expiresAt: i.expiresAt,
        })),
      };
    },
  });
  app.route({
    ...routeOf(ROUTES.cancelInvitation, 'staff'),
    handler: async (request) => {
      const patientId = patientOf(request, request.params.patientId, 'setup');
      const staffId = personOf(request).id;
      const revoked = c.people.revokeInvitation(patientId, request.params.invitationId, staffId);
      c.logger.info({ patientId, staffId, invitationId: revoked.id }, 'invitation cancelled');
      c.changes.record(staffId, 'invitation.revoked', {
        patientId,
        detail: { name: revoked.name, role: revoked.role },
      });
      return null;
    },
  });
}

/** Settings may only name the threshold rules that exist (ingest/rules/thresholds.ts). */
function checkRuleIds(settings: PatientSettings): void {
  const unknown = Object.keys(settings.thresholds).find((id) => !isThresholdRuleId(id));
  if (unknown !== undefined) {
    throw new VigieError('threshold_unknown', `unknown threshold rule "${unknown}"`, { rule: unknown });
  }
}
