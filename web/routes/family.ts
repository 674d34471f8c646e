/**
 * A patient's people: their relatives (and the patient themself) follow them on the family page, and
 * act on alerts; the patient themself and their care team invite relatives and pair Bluetooth devices.
 * Every route checks access here (web/access.ts), whatever the page does; unknown and foreign patients
 * get the same answer. Vital signs reach a relative only with the patient's consent, alerts included
 * (common/redact.ts).
 */
import { randomBytes } from 'node:crypto';
import { FAMILY_ACTIONS } from '../../common/alert-api.ts';
import { VigieError } from '../../common/errors.ts';
import { isStaff, type CareLink, type Person } from '../people.ts';
import { alertFor } from '../../common/redact.ts';
import { ROUTES } from '../api/routes.ts';
import type { FamilyOverview } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { accessTo, isPatientOrCareTeam, namesOf, requireAccess, requireFamilyLink, requireRight } from '../access.ts';
import { isInvited, patientSeat } from '../calls.ts';
import { noteRead } from '../record-reads.ts';
import { routeOf } from './define.ts';
import { auditLine } from '../audit-view.ts';
import { joined } from './consultations.ts';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;
/** Invitations one person may create per hour (a care team's busiest morning is far below). */
export const INVITATIONS_PER_HOUR = 30;
export const GATEWAY_DEVICE_KIND = 'ble-gateway';
export const MQTT_WS_PATH = '/mqtt';

export function familyRoutes(app: App, c: WebContext): void {
  app.route({
    ...routeOf(ROUTES.familyOverview, 'person'),
    handler: async (request) =>
      familyOverview(c, requireFamilyLink(c.people, personOf(request), request.params.patientId)),
  });

  // The care team invites relatives or the patient themself; the patient themself invites relatives.
  // Accepting an invitation tells its holder whether the address has an account (sign_in_to_accept):
  // a bounded number of invitations per person bounds how many addresses anyone can learn that of.
  app.route({
    ...routeOf(ROUTES.invite, 'person'),
    config: {
      access: 'person',
      rateLimit: {
        max: INVITATIONS_PER_HOUR,
        timeWindow: 3600_000,
        hook: 'preHandler',
        keyGenerator: (request) => `invitations:${request.person?.id ?? request.ip}`,
      },
    },
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      const access = requireAccess(c.people, person, patientId);
      if (!isPatientOrCareTeam(access)) {
        throw new VigieError('invite_not_allowed', 'only the patient or their care team can invite relatives');
      }
      if (access.kind === 'staff') requireRight(person, 'setup');
      if (request.body.role === 'patient' && access.kind !== 'staff') {
        throw new VigieError('invite_not_allowed', 'only the care team can create the patient’s own account');
      }
      if (!c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
      const { token, expiresAt } = c.people.invite(
        { patientId, ...request.body, invitedBy: person.id },
        INVITATION_TTL_MS,
      );
      c.logger.info({ patientId, personId: person.id, role: request.body.role }, 'invitation created');
      c.changes.record(person.id, 'invitation.created', {
        patientId,
        detail: { name: request.body.name, role: request.body.role ?? 'family' },
      });
      return { link: `${c.publicUrl()}/family/#invite=${token}`, expiresAt };
    },
  });

  // A relative (or the patient) joins the consultation they were invited to with a link of their own.
  app.route({
    ...routeOf(ROUTES.callLink, 'person'),
    handler: async (request) => {
      const person = personOf(request);
      const link = requireFamilyLink(c.people, person, request.params.patientId);
      const offer = c.calls.offerFor(link.patientId);
      if (!offer || !isInvited(offer, link)) throw new VigieError('call_not_found', 'no consultation to join');
      // The patient's own account takes the patient's seat (the link the clinician sends is the same seat).
      const seat = link.self
        ? patientSeat(link.patientId, c.registry.patientLabel(link.patientId) ?? person.name)
        : { role: 'family' as const, personKey: person.id, displayName: person.name };
      const { token, expiresAt } = await c.calls.link(offer, seat);
      joined(c, offer, seat.personKey);
      return { url: `${c.publicUrl()}/call/${offer.roomId}#${token}`, expiresAt };
    },
  });

  // A tablet on which the patient pairs Bluetooth health devices gets its own device identity.
  app.route({
    ...routeOf(ROUTES.enrolGateway, 'person'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      // The patient themself, or their care team; a relative does not measure someone else.
      if (!isPatientOrCareTeam(requireAccess(c.people, person, patientId))) {
        throw new VigieError('gateway_not_allowed', 'only the patient or their care team can pair devices');
      }
      const deviceId = `g-${randomBytes(6).toString('hex')}`;
      const created = await c.registry.addDevice(patientId, deviceId, GATEWAY_DEVICE_KIND);
      c.logger.info({ patientId, deviceId, personId: person.id }, 'Bluetooth gateway enrolled');
      return { deviceId: created.deviceId, secret: created.secret, mqttPath: MQTT_WS_PATH };
    },
  });

  app.route({
    ...routeOf(ROUTES.alert, 'person'),
    handler: async (request) => {
      const { found, access } = await visibleAlert(c, personOf(request), request.params.alertId);
      noteRead(c.reads, request, personOf(request), found.alert.patientId, 'alerts');
      return {
        alert: alertFor(found.alert, access),
        audit: found.audit.map((a) => auditLine(a, (id) => nameOf(c, id))),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.actOnAlert, 'person'),
    handler: async (request) => {
      const person = personOf(request);
      const { alertId } = request.params;
      const { action } = request.body;
      const { access } = await visibleAlert(c, person, alertId);
      if (!isStaff(person.role) && !FAMILY_ACTIONS.has(action.action)) {
        throw new VigieError('action_not_allowed', `"${action.action}" is for the care team`, {
          action: action.action,
        });
      }
      try {
        const alert = await c.alerts.act(alertId, person.id, action, 'web');
        c.logger.info({ alertId, personId: person.id, action: action.action }, 'alert action');
        // The closing note joins the patient's coordination log, saying which alert it closed.
        if (action.action === 'resolve') {
          c.people.addNote(alert.patientId, person.id, action.note, Date.now(), {
            id: alert.id,
            kind: alert.kind,
            openedAt: alert.openedAt,
          });
        }
        return { alert: alertFor(alert, access), names: namesOf(c.people, [alert]) };
      } catch (error) {
        // "Already accepted by u-…": the page names the person, not their id.
        if (error instanceof VigieError && typeof error.params.by === 'string') {
          throw new VigieError(error.code, error.message, { ...error.params, by: nameOf(c, error.params.by) });
        }
        throw error;
      }
    },
  });
}

/** What GET /api/patients/:id answers, and the live channel's snapshot for a relative. */
export async function familyOverview(c: WebContext, link: CareLink): Promise<FamilyOverview> {
  const now = c.live.now(link.patientId);
  const alerts = await c.alerts.list([link.patientId]);
  const offer = c.calls.offerFor(link.patientId);
  const vitals = { vitals: link.shareVitals };
  const contact = c.registry.patientContact(link.patientId);
  return {
    patient: {
      id: link.patientId,
      name: c.registry.patientLabel(link.patientId) ?? link.patientId,
      phone: contact?.phone ?? null,
      sex: contact?.sex ?? null,
    },
    relation: link.relation,
    relationText: link.relationText,
    self: link.self,
    shareVitals: link.shareVitals,
    mayDownload: link.self || link.mayDownload,
    presence: { online: now.online, lastSeen: now.lastSeen, battery: now.battery },
    vitals: link.shareVitals
      ? { latest: now.latest, recent: now.recent.list().map(({ ts, hr, spo2 }) => ({ ts, hr, spo2 })) }
      : null,
    alerts: alerts.map((a) => alertFor(a, vitals)),
    people: Object.fromEntries(c.people.peopleOf(link.patientId).map(({ person }) => [person.id, person.name])),
    call:
      offer && isInvited(offer, link)
        ? { roomId: offer.roomId, startedAt: offer.startedAt, expiresAt: offer.expiresAt, caller: offer.caller }
        : null,
  };
}

/** An alert this person may see; one of someone else's patient is "not found", like one that does not exist. */
async function visibleAlert(c: WebContext, person: Person, alertId: number) {
  const found = await c.alerts.get(alertId);
  const access = found && accessTo(c.people, person, found.alert.patientId);
  if (!found || !access) throw new VigieError('alert_not_found', 'no such alert among your patients');
  return { found, access };
}

function nameOf(c: WebContext, actor: string): string {
  return actor === 'system' ? 'Vigie' : (c.people.person(actor)?.name ?? actor);
}
