/**
 * Teleconsultations: the care team opens one (the patient's page rings, and the relatives' when they
 * are invited; each gets an e-mail), each invitee's page says when it rings and when they say "not
 * now", the clinician's call page follows who stands where, and any call page checks its link before
 * it offers to join.
 */
import { patientName } from '../directory.ts';
import type { Lang } from '../../common/people-rules.ts';
import { VigieError } from '../../common/errors.ts';
import { ROUTES } from '../api/routes.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { accessTo, requireFamilyLink, requireRightOver } from '../access.ts';
import { isInvited, patientKey, patientSeat, type CallOfferRecord, type Seat } from '../calls.ts';
import { routeOf } from './define.ts';

export function consultationRoutes(app: App, c: WebContext): void {
  // A teleconsultation: the clinician's own link, the patient's; the invitees' pages ring.
  app.route({
    ...routeOf(ROUTES.createConsultation, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId, inviteFamily } = request.body;
      requireRightOver(c.people, person, patientId, 'calls');
      if (!c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
      const { seats, recipients } = invitees(c, patientId, inviteFamily, person.lang);
      // Opened in the slot of one of their consultations with this patient, the call holds it.
      const booked = c.appointments.current(patientId, person.id);
      const offer = c.calls.open(patientId, {
        family: inviteFamily,
        caller: person.name,
        invitees: seats,
        ...(booked ? { appointmentId: booked.id } : {}),
      });
      const clinician = await c.calls.link(offer, {
        role: 'clinician',
        personKey: person.id,
        displayName: person.name,
      });
      const patient = await c.calls.link(
        offer,
        patientSeat(patientId, patientName(c.registry, patientId, person.lang)),
      );
      c.reports.recordConsultation({
        roomId: offer.roomId,
        patientId,
        clinicianId: person.id,
        startedAt: offer.startedAt,
        expiresAt: offer.expiresAt,
        inviteFamily,
        appointmentId: offer.appointmentId,
      });
      const link = (token: string) => `${c.publicUrl()}/call/${offer.roomId}#${token}`;
      c.logger.info({ room: offer.roomId, patientId, staffId: person.id }, 'consultation created');
      const { roomId, startedAt, expiresAt, family, caller } = offer;
      c.live.announce({ type: 'call', patientId, roomId, startedAt, expiresAt, family, caller });
      // The e-mails leave from the ingest, which holds the notification channels; the clinician does not wait for them.
      if (recipients.length > 0) {
        c.alerts
          .inviteToCall({ patientId, personIds: recipients, caller })
          .catch((error: unknown) =>
            c.logger.warn({ room: roomId, error: String(error) }, 'call invitations not sent'),
          );
      }
      return {
        roomId,
        expiresAt: clinician.expiresAt,
        links: { clinician: link(clinician.token), patient: link(patient.token) },
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.consultationStatus, 'staff'),
    handler: async (request) => {
      const offer = c.calls.byRoom(request.params.roomId);
      if (!offer || !accessTo(c.people, personOf(request), offer.patientId))
        throw new VigieError('call_not_found', 'no such consultation');
      return {
        roomId: offer.roomId,
        patientId: offer.patientId,
        caller: offer.caller,
        invitees: c.calls.invitees(offer),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.callRing, 'person'),
    handler: async (request) => {
      const link = requireFamilyLink(c.people, personOf(request), request.params.patientId);
      const offer = c.calls.offerFor(link.patientId);
      if (!offer || offer.roomId !== request.body.roomId || !isInvited(offer, link)) {
        throw new VigieError('call_not_found', 'no consultation to answer');
      }
      const key = link.self ? patientKey(link.patientId) : link.personId;
      if (c.calls.setState(offer, key, request.body.state)) announceInvitees(c, offer);
      return { ok: true as const };
    },
  });

  // The SFU says who is in a room after each change; the care team following the patient is told.
  app.route({
    ...routeOf(ROUTES.callPresence, 'service'),
    handler: async (request) => {
      if (!c.calls.fromSfu(request.headers.authorization)) {
        throw new VigieError('sign_in_required', 'only the SFU reports presence');
      }
      const offer = c.calls.recordPresence(request.body);
      if (!offer) return { ok: true as const };
      // An empty room is a consultation that has ended, until someone comes back.
      c.reports.consultationEmptied(offer.roomId, request.body.participants.length === 0 ? Date.now() : null);
      // The patient in the room (waiting or let in) has joined, however their page came there.
      if (request.body.participants.some((p) => p.role === 'patient')) joined(c, offer, patientKey(offer.patientId));
      announceInvitees(c, offer);
      return { ok: true as const };
    },
  });

  // Anyone holding a link may learn whether it is still good (and nothing a forger could not read in it).
  app.route({
    ...routeOf(ROUTES.checkCallLink, 'public'),
    handler: async (request) => {
      const checked = await c.tokens.verifyCall(request.body.token);
      if (!checked.ok) {
        throw checked.error === 'token_expired'
          ? new VigieError('call_link_expired', 'this invitation has expired')
          : new VigieError('call_link_invalid', 'this invitation is not valid');
      }
      const grant = checked.value;
      if (grant.roomId !== request.body.roomId) throw new VigieError('call_link_invalid', 'not for this room');
      const offer = c.calls.byRoom(grant.roomId);
      // A page opening its link has joined (the waiting room, then the call): the patient's tablet
      // comes with the link the clinician gave it, and this is where the web service learns of it.
      const seat = offer && c.calls.seatOf(offer, grant.participantId);
      if (offer && seat) joined(c, offer, seat.personKey);
      return {
        role: grant.role,
        name: grant.displayName,
        expiresAt: grant.expiresAt * 1000,
        caller: offer?.caller ?? null,
      };
    },
  });
}

/**
 * An invitee took their link. The patient joining a consultation opened in a scheduled one's slot is
 * that consultation held: it becomes `done`, in the change log under the clinician who holds it.
 */
export function joined(c: WebContext, offer: CallOfferRecord, personKey: string): void {
  if (c.calls.setState(offer, personKey, 'answered')) announceInvitees(c, offer);
  if (offer.appointmentId === null || personKey !== patientKey(offer.patientId)) return;
  const held = c.appointments.fulfil(offer.appointmentId);
  if (!held) return;
  c.changes.record(held.clinicianId, 'appointment.done', {
    patientId: held.patientId,
    detail: { appointment: held.id, clinician: offer.caller, startsAt: held.startsAt },
  });
}

/** Tells the care team following the patient where the invitees stand. */
export function announceInvitees(c: WebContext, offer: CallOfferRecord): void {
  c.live.announce({
    type: 'invitees',
    patientId: offer.patientId,
    roomId: offer.roomId,
    invitees: c.calls.invitees(offer),
  });
}

/** The patient's seat (always), and their relatives' when the family is invited; who of them has an account. */
function invitees(
  c: WebContext,
  patientId: string,
  family: boolean,
  lang: Lang,
): { seats: Seat[]; recipients: string[] } {
  const seats = new Map<string, Seat>();
  const patient = patientSeat(patientId, patientName(c.registry, patientId, lang));
  seats.set(patient.personKey, patient);
  const recipients: string[] = [];
  for (const { person, link } of c.people.peopleOf(patientId)) {
    if (!isInvited({ family }, link)) continue;
    recipients.push(person.id);
    if (!link.self) seats.set(person.id, { role: 'family', personKey: person.id, displayName: person.name });
  }
  return { seats: [...seats.values()], recipients };
}
