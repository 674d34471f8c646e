/**
 * The alert engine's contract with the web service: what an alert looks like on the wire (HTTP and
 * the live channel), and the actions people take on it. The ingest owns alerts; the web service
 * checks who may see and do what, then calls the ingest's internal API (bearer service token).
 */
import { z } from 'zod';

export const alertViewSchema = z.object({
  id: z.number().int(),
  patientId: z.string(),
  kind: z.string(),
  priority: z.enum(['high', 'medium', 'low']),
  status: z.enum(['pending', 'confirmed']),
  active: z.boolean(),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: z.number().nullable(),
  assignee: z.string().nullable(),
  snoozedUntil: z.number().nullable(),
  openedAt: z.number(),
  updatedAt: z.number(),
  clearedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  closedReason: z.enum(['cleared', 'resolved', 'cancelled']).nullable(),
  resolution: z.string().nullable(),
  /** When the care team was last told (re-notified while unacknowledged), and how many times. */
  lastNotifiedAt: z.number().nullable(),
  notifications: z.number().int(),
  detail: z.record(z.string(), z.unknown()),
  escalation: z
    .object({
      state: z.enum(['notifying', 'accepted', 'arrived', 'stopped']),
      step: z.number().int(),
      steps: z.number().int(),
      owner: z.string().nullable(),
      acceptedAt: z.number().nullable(),
      arrivedAt: z.number().nullable(),
      arrivalDueAt: z.number().nullable(),
      /** Everyone the escalation has notified so far, in order (person ids). */
      notified: z.array(z.string()),
    })
    .nullable(),
});
export type AlertView = z.infer<typeof alertViewSchema>;

export const auditEntrySchema = z.object({
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  channel: z.string(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditView = z.infer<typeof auditEntrySchema>;

/** What a person does to an alert. The web service fills in `actor` from the signed-in person. */
export const alertActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('acknowledge') }),
  z.object({ action: z.literal('accept') }),
  z.object({ action: z.literal('arrived') }),
  z.object({ action: z.literal('resolve'), note: z.string().trim().min(1, 'say what was done').max(2000) }),
  z.object({
    action: z.literal('snooze'),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60),
  }),
  z.object({ action: z.literal('assign'), assignee: z.string().min(1).max(100).nullable() }),
]);
export type AlertAction = z.infer<typeof alertActionSchema>;

export const actionRequestSchema = z.object({
  actor: z.string().min(1).max(100),
  channel: z.string().min(1).max(20),
  action: alertActionSchema,
});
export type ActionRequest = z.infer<typeof actionRequestSchema>;

/** POST /calls/invitations: the web service asks the ingest to tell these people a consultation awaits them. */
export const callInvitationRequestSchema = z.object({
  patientId: z.string().min(1).max(100),
  personIds: z.array(z.string().min(1).max(100)).min(1).max(50),
  /** The clinician who calls, by the name their pages show. */
  caller: z.string().min(1).max(60),
});
export type CallInvitationRequest = z.infer<typeof callInvitationRequestSchema>;

/** Actions a family member may take; the others are the care team's. */
export const FAMILY_ACTIONS: ReadonlySet<AlertAction['action']> = new Set(['accept', 'arrived']);

/**
 * POST /appointments/invitations: the web service asks the ingest to send these people a scheduled
 * consultation's calendar invitation (`booked`: METHOD:REQUEST) or its cancellation (`cancelled`:
 * METHOD:CANCEL, same UID), by e-mail and Web Push; or one of its reminders (web/appointments.ts
 * REMINDERS): `reminder`, the day before, by e-mail with the same calendar file (METHOD:REQUEST, same
 * UID: the calendar updates its event), and `starting`, shortly before, by Web Push only.
 */
export const APPOINTMENT_MESSAGE_KINDS = ['booked', 'cancelled', 'reminder', 'starting'] as const;
export type AppointmentMessageKind = (typeof APPOINTMENT_MESSAGE_KINDS)[number];
export const appointmentInvitationRequestSchema = z.object({
  kind: z.enum(APPOINTMENT_MESSAGE_KINDS),
  appointmentId: z.string().regex(/^a-[0-9a-f]{12}$/),
  patientId: z.string().min(1).max(100),
  personIds: z.array(z.string().min(1).max(100)).min(1).max(50),
  /** The clinician, by the name their pages show, and their e-mail when they have one (the organizer). */
  clinician: z.string().min(1).max(100),
  clinicianEmail: z.email().max(254).nullable(),
  startsAt: z.number().int().min(0).max(8.64e15),
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
});
export type AppointmentInvitationRequest = z.infer<typeof appointmentInvitationRequestSchema>;
