/**
 * Scheduled teleconsultations (web/appointments.ts): a member of the care team whose role may call
 * books one with a patient of their team (themself as the clinician), lists a patient's upcoming ones
 * and their own of the day, cancels one. The patient themself, and their relatives when invited, read
 * their next one on the family page. Bookings and cancellations are in the change log; the invitations
 * (e-mail with a calendar file) leave from the ingest, which holds the notification channels.
 */
import type { FastifyRequest } from 'fastify';
import { VigieError } from '../../common/errors.ts';
import { patientName } from '../directory.ts';
import type { AppointmentView, AttendanceView } from '../api/schemas.ts';
import { ROUTES } from '../api/routes.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { accessTo, requireFamilyLink, requireRight, requireRightOver } from '../access.ts';
import type { Appointment } from '../appointments.ts';
import { isInvited, patientKey } from '../calls.ts';
import type { Person } from '../people.ts';
import { noteRead } from '../record-reads.ts';
import { identityOf } from './console.ts';
import { routeOf } from './define.ts';
import { appointmentMessage } from '../appointment-scheduler.ts';

/** The longest span "my consultations" answers for: a day, whatever the page's time zone and clock change. */
const MAX_SPAN_MS = 48 * 3600_000;
/** How long a consultation held or missed stays in the patient's list (the day's outcome, then the record). */
const SETTLED_SHOWN_MS = 12 * 3600_000;

export function appointmentRoutes(app: App, c: WebContext): void {
  app.route({
    ...routeOf(ROUTES.bookAppointment, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      requireRightOver(c.people, person, patientId, 'calls');
      if (!c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
      const booked = c.appointments.book({ patientId, clinicianId: person.id, bookedBy: person.id, ...request.body });
      c.changes.record(person.id, 'appointment.booked', {
        patientId,
        detail: {
          appointment: booked.id,
          clinician: person.name,
          startsAt: booked.startsAt,
          minutes: booked.minutes,
          inviteFamily: booked.inviteFamily,
        },
      });
      invite(c, booked, 'booked');
      return { appointment: viewOf(c, booked) };
    },
  });

  app.route({
    ...routeOf(ROUTES.patientAppointments, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId } = request.params;
      requireRightOver(c.people, person, patientId, 'calls');
      noteRead(c.reads, request, person, patientId, 'appointments');
      const since = c.appointments.now() - SETTLED_SHOWN_MS;
      return { appointments: c.appointments.ofPatient(patientId, since).map((a) => viewOf(c, a)) };
    },
  });

  app.route({
    ...routeOf(ROUTES.myAppointments, 'staff'),
    handler: async (request) => {
      const person = requireRight(personOf(request), 'calls');
      const { from, to } = request.query;
      if (to <= from || to - from > MAX_SPAN_MS) {
        throw new VigieError('invalid_request', 'from must come before to, at most 48 hours apart', { field: 'to' });
      }
      // A patient who has left the member's team since the booking is no longer shown to them.
      const mine = c.appointments
        .ofClinician(person.id, from, to)
        .filter((a) => accessTo(c.people, person, a.patientId));
      return { appointments: mine.map((a) => dayViewOf(c, request, person, a)) };
    },
  });

  app.route({
    ...routeOf(ROUTES.cancelAppointment, 'staff'),
    handler: async (request, reply) => {
      const person = personOf(request);
      const found = c.appointments.get(request.params.appointmentId);
      // Another team's consultation is refused as an unknown one, so that ids cannot be probed.
      if (!found || !accessTo(c.people, person, found.patientId)) {
        throw new VigieError('appointment_not_found', 'no such consultation');
      }
      requireRightOver(c.people, person, found.patientId, 'calls');
      const cancelled = c.appointments.cancel(found.id, person.id);
      c.changes.record(person.id, 'appointment.cancelled', {
        patientId: cancelled.patientId,
        detail: {
          appointment: cancelled.id,
          clinician: clinicianName(c, cancelled),
          startsAt: cancelled.startsAt,
        },
      });
      invite(c, cancelled, 'cancelled');
      return reply.send(null);
    },
  });

  app.route({
    ...routeOf(ROUTES.nextAppointment, 'person'),
    handler: async (request) => {
      const link = requireFamilyLink(c.people, personOf(request), request.params.patientId);
      const next = c.appointments.upcoming(link.patientId).find((a) => isInvited({ family: a.inviteFamily }, link));
      if (!next) return { appointment: null };
      const offer = c.calls.offerFor(link.patientId);
      return {
        appointment: {
          id: next.id,
          startsAt: next.startsAt,
          minutes: next.minutes,
          clinician: clinicianName(c, next),
          // Why the patient sees their clinician is theirs to tell their relatives.
          reason: link.self ? next.reason : null,
          open: offer !== undefined && isInvited(offer, link),
        },
      };
    },
  });
}

function clinicianName(c: WebContext, a: Appointment): string {
  return c.people.person(a.clinicianId)?.name ?? a.clinicianId;
}

/** Who has joined (web/calls.ts: the call the clinician opened in this consultation's slot). */
function attendanceOf(c: WebContext, a: Appointment): AttendanceView {
  const offer = c.calls.offerFor(a.patientId);
  const held = offer?.appointmentId === a.id ? offer : undefined;
  const patientIn = held?.invitees.get(patientKey(a.patientId))?.state === 'answered';
  const late = Math.floor((c.appointments.now() - a.startsAt) / 60_000);
  return {
    open: held !== undefined,
    people: held ? c.calls.invitees(held) : [],
    lateMinutes: a.status === 'booked' && !patientIn && late >= 1 ? late : null,
  };
}

function viewOf(c: WebContext, a: Appointment): AppointmentView {
  return {
    id: a.id,
    patientId: a.patientId,
    clinicianId: a.clinicianId,
    clinician: clinicianName(c, a),
    startsAt: a.startsAt,
    minutes: a.minutes,
    inviteFamily: a.inviteFamily,
    reason: a.reason,
    status: a.status,
    bookedAt: a.bookedAt,
    attendance: attendanceOf(c, a),
  };
}

function dayViewOf(c: WebContext, request: FastifyRequest, person: Person, a: Appointment) {
  noteRead(c.reads, request, person, a.patientId, 'appointments');
  return {
    ...viewOf(c, a),
    patient: patientName(c.registry, a.patientId, person.lang),
    identity: identityOf(c, a.patientId),
  };
}

/**
 * Asks the ingest to send the calendar invitation (or its cancellation) to the patient's own account and,
 * when invited, their relatives; the member does not wait for the e-mails.
 */
function invite(c: WebContext, a: Appointment, kind: 'booked' | 'cancelled'): void {
  const request = appointmentMessage(c.people, a, kind);
  if (!request) return;
  c.alerts
    .inviteToAppointment(request)
    .catch((error: unknown) =>
      c.logger.warn({ appointment: a.id, kind, error: String(error) }, 'appointment invitations not sent'),
    );
}
