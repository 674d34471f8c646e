/**
 * The clinician console's API. Every route needs a signed-in member of the care team (clinician,
 * nurse, admin), by session or personal API token, and answers only about the patients of their care
 * team. Alerts are acted on through /api/alerts/:id/actions (routes/family.ts, same access rule).
 */
import { STAFF_ROLES } from '../../common/people-rules.ts';
import { VigieError } from '../../common/errors.ts';
import { parseIdentity, shownIns, type Identity } from '../../common/ins.ts';
import type { AlertView } from '../../common/alert-api.ts';
import { thresholdsFor } from '../../ingest/rules/thresholds.ts';
import { MAX_PAST_ALERTS, ROUTES } from '../api/routes.ts';
import type { ConsoleRow, IdentityView, StaffMe } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { namesOf, requireAccess, requireRightOver, staffAccess, type Access } from '../access.ts';
import { alertFor } from '../../common/redact.ts';
import { readHistory } from '../history.ts';
import { news2Of } from '../news2-view.ts';
import { noteRead } from '../record-reads.ts';
import { routeOf } from './define.ts';

const DAY_MS = 24 * 3600_000;

export function consoleRoutes(app: App, c: WebContext): void {
  app.route({
    ...routeOf(ROUTES.staffMe, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const role: StaffMe['role'] = STAFF_ROLES.find((r) => r === person.role) ?? 'clinician';
      return { person: { id: person.id, name: person.name, role, lang: person.lang } };
    },
  });

  app.route({
    ...routeOf(ROUTES.patients, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const ids = c.people.teamPatients(person);
      const alerts = await c.alerts.list(ids);
      return {
        patients: ids.map((id) =>
          rowOf(
            c,
            staffAccess(person, id),
            alerts.filter((a) => a.patientId === id),
          ),
        ),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.patient, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      const access = requireAccess(c.people, personOf(request), patientId);
      noteRead(c.reads, request, personOf(request), patientId, 'record');
      const settings = c.settings.get(patientId);
      // The limits say what the patient's measurements are expected to be: with the vital signs only.
      const thresholds = access.vitals
        ? thresholdsFor(settings?.thresholds ?? {}).map(({ id, vital, direction, limit, priority, enabled }) => ({
            id,
            vital,
            direction,
            limit,
            priority,
            enabled,
          }))
        : [];
      const people = c.people.peopleOf(patientId).map(({ person: p, link }) => ({
        id: p.id,
        name: p.name,
        relation: link.relation,
        relationText: link.relationText,
      }));
      const chain = c.people.chain(patientId);
      return {
        patient: await consoleRow(c, access),
        thresholds,
        people,
        phone: c.registry.patientContact(patientId)?.phone ?? null,
        chain: { ...chain, steps: [...chain.steps] },
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.setIdentity, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      requireRightOver(c.people, person, patientId, 'setup');
      const { ins, status, ...traits } = request.body;
      const identity = parseIdentity({ traits, ins, status }, new Date().toISOString().slice(0, 10));
      if (!identity.ok) throw new VigieError(identity.error, `the identity is refused: ${identity.error}`);
      if (!c.registry.setPatientIdentity(patientId, identity.value))
        throw new VigieError('patient_not_found', 'unknown patient');
      c.logger.info({ patientId, staffId: person.id, status }, 'patient identity set');
      c.changes.record(person.id, 'patient.identity', { patientId, detail: { status } });
      return { identity: identityView(identity.value) };
    },
  });

  app.route({
    ...routeOf(ROUTES.history, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      requireRightOver(c.people, personOf(request), patientId, 'vitals');
      noteRead(c.reads, request, personOf(request), patientId, 'vitals');
      let history;
      try {
        history = await readHistory(c.influx, patientId, request.query.range, request.query.points);
      } catch (error) {
        c.logger.warn({ patientId, error: String(error) }, 'history query failed');
        throw new VigieError('history_unavailable', 'the history database does not answer; try again in a moment');
      }
      const markers = (await c.alerts.since(patientId, history.from)).map((a) => ({
        id: a.id,
        at: a.openedAt,
        kind: a.kind,
        priority: a.priority,
      }));
      return { ...history, alerts: markers };
    },
  });

  app.route({
    ...routeOf(ROUTES.pastAlerts, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      const access = requireAccess(c.people, personOf(request), patientId);
      noteRead(c.reads, request, personOf(request), patientId, 'alerts');
      const since = Date.now() - request.query.days * DAY_MS;
      const alerts = (await c.alerts.since(patientId, since))
        .filter((a) => a.closedAt !== null)
        .sort((a, b) => b.openedAt - a.openedAt)
        .slice(0, MAX_PAST_ALERTS)
        .map((a) => alertFor(a, access));
      return { alerts, names: namesOf(c.people, alerts) };
    },
  });

  app.route({
    ...routeOf(ROUTES.notes, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      requireAccess(c.people, personOf(request), patientId);
      noteRead(c.reads, request, personOf(request), patientId, 'notes');
      return { notes: c.people.notes(patientId) };
    },
  });

  app.route({
    ...routeOf(ROUTES.addNote, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      requireAccess(c.people, person, patientId);
      const note = c.people.addNote(patientId, person.id, request.body.text);
      c.logger.info({ patientId, personId: person.id }, 'coordination note added');
      return { note };
    },
  });

  // Personal API tokens: a member of the care team creates, lists and revokes their own.
  app.route({
    ...routeOf(ROUTES.apiTokens, 'staff'),
    handler: async (request) => ({ tokens: c.people.apiTokens(personOf(request).id) }),
  });

  app.route({
    ...routeOf(ROUTES.createApiToken, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { token, ...shown } = c.people.createApiToken(person.id, request.body.label, request.body.days * DAY_MS);
      c.logger.info({ personId: person.id, tokenId: shown.id, days: request.body.days }, 'API token created');
      return { token: { ...shown, secret: token } };
    },
  });

  app.route({
    ...routeOf(ROUTES.revokeApiToken, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      if (!c.people.revokeApiToken(person.id, request.params.tokenId)) {
        throw new VigieError('token_not_found', 'no such token of yours');
      }
      c.logger.info({ personId: person.id, tokenId: request.params.tokenId }, 'API token revoked');
      return null;
    },
  });
}

/** One patient's row, as the list and the live channel's snapshot give it to this viewer. */
export async function consoleRow(c: WebContext, viewer: Access): Promise<ConsoleRow> {
  return rowOf(c, viewer, await c.alerts.list([viewer.patientId]));
}

/**
 * A patient's row: presence and alerts for every member of their team; the latest readings, NEWS2,
 * the thresholds and the alerts' measurements only for a role with the `vitals` right.
 */
function rowOf(c: WebContext, viewer: Access, alerts: readonly AlertView[]): ConsoleRow {
  const { patientId, vitals } = viewer;
  const now = c.live.now(patientId);
  const settings = c.settings.get(patientId);
  const news2Options = { spo2Scale: settings?.spo2Scale ?? 1, onOxygen: settings?.onOxygen ?? false };
  return {
    id: patientId,
    name: c.registry.patientLabel(patientId) ?? patientId,
    identity: identityOf(c, patientId),
    presence: { online: now.online, lastSeen: now.lastSeen, battery: now.battery },
    latest: vitals ? now.latest : {},
    news2: vitals ? news2Of(now.news2, news2Options, Date.now()) : null,
    news2Options,
    alerts: alerts.map((a) => alertFor(a, viewer)),
    names: namesOf(c.people, alerts),
    thresholds: vitals
      ? thresholdsFor(settings?.thresholds ?? {})
          .filter((th) => th.enabled)
          .map(({ vital, direction, limit, priority }) => ({ vital, direction, limit, priority }))
      : [],
    live: c.liveMode.isLive(patientId),
  };
}

/** The patient's recorded identity as the care team sees it (null: only their name is known). */
export function identityOf(c: WebContext, patientId: string): IdentityView | null {
  const identity = c.registry.patientIdentity(patientId);
  return identity ? identityView(identity) : null;
}

/** What the care team is shown of an identity: its INS only when it is qualified. */
export function identityView({ traits, status, ...identity }: Identity): IdentityView {
  return { ...traits, status, ins: shownIns({ traits, status, ...identity }) };
}
