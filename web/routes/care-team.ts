/**
 * What the care team sets up around one of their patients: the escalation chain and the alert settings
 * (teleconsultations: web/routes/consultations.ts). Members of the care team only, for the patients of their team, by session or
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

export function careTeamRoutes(app: App, c: WebContext): void {
  const chainView = (patientId: string) => {
    const chain = c.people.chain(patientId);
    const names = new Map(
      c.people
        .peopleOf(patientId)
        .map(({ person, link }) => [person.id, { name: person.name, relation: link.relation }]),
    );
    return {
      steps: chain.steps.map((s) => ({ ...s, ...names.get(s.personId) })),
      arrivalTimeoutMs: chain.arrivalTimeoutMs,
      people: [...names].map(([id, v]) => ({ id, ...v })),
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
      const unknown = Object.keys(request.body.thresholds).find((id) => !isThresholdRuleId(id));
      if (unknown !== undefined) {
        throw new VigieError('threshold_unknown', `unknown threshold rule "${unknown}"`, { rule: unknown });
      }
      c.settings.set(patientId, request.body, personOf(request).id);
      c.logger.info({ patientId, staffId: personOf(request).id }, 'alert settings changed');
      c.changes.record(personOf(request).id, 'thresholds.set', {
        patientId,
        detail: { changed: Object.keys(request.body.thresholds).length },
      });
      return rulesView(patientId);
    },
  });
}
