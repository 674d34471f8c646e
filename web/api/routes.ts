/**
 * Every HTTP route of the web API, declared once: method, path, what it takes (params, query, body)
 * and what it answers on success. The server registers each with Fastify and the zod type provider
 * (web/routes/*), which validates the request and the answer; the pages call them with
 * web/src/lib/api.ts, which parses the answer with the same schema. Refusals are
 * common/errors.ts's `{ error: { code, message, params } }`.
 */
import { z } from 'zod';
import { roomPresenceSchema } from '../../sfu/protocol.ts';
import { alertActionSchema, alertViewSchema } from '../../common/alert-api.ts';
import { patientSettingsSchema } from '../../common/patient-settings-schema.ts';
import { THRESHOLD_VITALS } from '../../ingest/rules/thresholds.ts';
import { MAX_NOTE_LENGTH, STAFF_ROLES } from '../../common/people-rules.ts';
import {
  alarmLoadSchema,
  appointmentSchema,
  bookingSchema,
  dayAppointmentSchema,
  nextAppointmentSchema,
  chainViewSchema,
  pendingInvitationSchema,
  alertHistorySchema,
  alertWithNamesSchema,
  apiTokenSchema,
  chainSchema,
  changeSchema,
  consoleRowSchema,
  adminPatientSchema,
  deviceIdBody,
  deviceViewSchema,
  enrolmentSchema,
  externalSystemSchema,
  patientContactSchema,
  SYSTEM_SCOPES,
  callLinkCheckSchema,
  consultationSchema,
  consultationStatusSchema,
  consentBody,
  langSchema,
  consentSchema,
  reportContentSchema,
  reportSchema,
  reportSummarySchema,
  familyOverviewSchema,
  gatewayIdentitySchema,
  HISTORY_RANGES,
  historySchema,
  id,
  identityBody,
  identityViewSchema,
  invitationViewSchema,
  meSchema,
  noteSchema,
  recordReadAdminSchema,
  recordReadSchema,
  relationFields,
  relativeAccessSchema,
  staffAccountSchema,
  staffMeSchema,
  teamsSchema,
  thresholdViewSchema,
} from './schemas.ts';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  /** 303: the route sends the browser elsewhere (no body). */
  readonly status: 200 | 201 | 204 | 303;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly reply: z.ZodType;
}

function route<const S extends RouteSpec>(spec: S): S {
  return spec;
}

/** How far back a patient's page lists past alerts (the alert service keeps them longer). */
export const PAST_ALERT_DAYS = 90;
/** The most past alerts a patient's page lists. */
export const MAX_PAST_ALERTS = 100;

/** Personal API tokens live at most this long (short-lived by design). */
export const MAX_API_TOKEN_DAYS = 30;

const patientParams = z.object({ patientId: id });
const alertParams = z.object({ alertId: z.coerce.number().int().positive() });
const ok = z.object({ ok: z.literal(true) });
const nothing = z.null();
/** One page of the record-reads log; `next` is the `before` of the following page (null: no more). */
/** A key set of five RSA keys of 4096 bits, pasted with indentation, fits well within this. */
export const MAX_JWKS_CHARS = 12_000;
const readsPage = <T extends z.ZodType>(entry: T) => z.object({ reads: z.array(entry), next: z.number().nullable() });
const before = z.coerce.number().int().positive().optional();
const personParams = z.object({ personId: id });
const roomParams = z.object({ roomId: id });
const reportParams = z.object({ reportId: z.string().regex(/^r-[0-9a-f]{12}$/) });
const teamParams = z.object({ teamId: id });
const staffName = z.string().trim().min(1).max(100);
const teamName = z.string().trim().min(1).max(80);
/** Checked by the server (`rpps_invalid`: 9 to 12 digits); bounded here. */
const rpps = z.string().trim().max(40);

export const inviteBody = z.object({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(200),
  /** A code of common/relations.ts (a word people use, "fille", is taken as its code; others as `other`). */
  relation: z.string().trim().min(1).max(60),
  /** For `other`: who they are, as the inviter puts it. */
  relationText: z.string().trim().max(60).optional(),
  shareVitals: z.boolean().default(false),
  /** `patient`: an account for the senior themself, who can then invite relatives (the care team only). */
  role: z.enum(['family', 'patient']).default('family'),
});

/** Push endpoints must be https URLs on public hosts (checked further by the server: web/push-endpoint.ts). */
export const pushSubscriptionBody = z.object({
  endpoint: z.url({ protocol: /^https$/ }).max(2000),
  keys: z.object({ p256dh: z.string().min(80).max(200), auth: z.string().min(16).max(50) }),
});

export const thresholdRuleSchema = z.object({
  id: z.string(),
  vital: z.enum(THRESHOLD_VITALS),
  direction: z.enum(['below', 'above']),
  limit: z.number(),
  hysteresis: z.number(),
  sustain: z.union([z.object({ seconds: z.number() }), z.object({ readings: z.number() })]),
  priority: z.enum(['high', 'medium', 'low']),
  enabled: z.boolean(),
});

export const chainBody = z.object({
  steps: z
    .array(
      z.object({
        personId: id,
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

export const ROUTES = {
  config: route({
    method: 'GET',
    url: '/api/config',
    status: 200,
    reply: z.object({
      sfuUrl: z.string(),
      vapidPublicKey: z.string().nullable(),
      /** Whether staff may sign in with Pro Santé Connect here. */
      psc: z.boolean(),
    }),
  }),

  // Accounts and sessions.
  signIn: route({
    method: 'POST',
    url: '/api/session',
    status: 200,
    body: z.object({ email: z.string().trim().min(1).max(200), password: z.string().min(1).max(500) }),
    reply: z.object({ person: meSchema }),
  }),
  signOut: route({ method: 'DELETE', url: '/api/session', status: 204, reply: nothing }),
  /** Sends the browser to Pro Santé Connect; it comes back to pscCallback. */
  pscStart: route({ method: 'GET', url: '/api/auth/psc/start', status: 303, reply: nothing }),
  /** Where PSC sends the browser back: to the console signed in, or with `?psc_error=<code>`. */
  pscCallback: route({
    method: 'GET',
    url: '/api/auth/psc/callback',
    status: 303,
    query: z.looseObject({
      code: z.string().max(2000).optional(),
      state: z.string().max(200).optional(),
      error: z.string().max(200).optional(),
    }),
    reply: nothing,
  }),
  /** Which staff roles must sign in with Pro Santé Connect (admins). */
  pscRequiredRoles: route({
    method: 'GET',
    url: '/api/admin/psc-required',
    status: 200,
    reply: z.object({ roles: z.array(z.enum(STAFF_ROLES)) }),
  }),
  setPscRequiredRoles: route({
    method: 'PUT',
    url: '/api/admin/psc-required',
    status: 200,
    body: z.object({ roles: z.array(z.enum(STAFF_ROLES)).max(STAFF_ROLES.length) }),
    reply: z.object({ roles: z.array(z.enum(STAFF_ROLES)) }),
  }),
  /** Staff accounts (administrators): every one, with its role, RPPS, teams and whether it is disabled. */
  staffAccounts: route({
    method: 'GET',
    url: '/api/admin/staff',
    status: 200,
    reply: z.object({ staff: z.array(staffAccountSchema) }),
  }),
  /** Creates a staff account; `password`: its first password, shown once (only its hash is kept). */
  createStaff: route({
    method: 'POST',
    url: '/api/admin/staff',
    status: 201,
    body: z.object({
      name: staffName,
      email: z.email().max(200),
      role: z.enum(STAFF_ROLES),
      rpps: rpps.optional(),
      teamId: id.optional(),
    }),
    reply: z.object({ account: staffAccountSchema, password: z.string() }),
  }),
  /** Changes a staff account's name, role and RPPS (null: none). */
  updateStaff: route({
    method: 'PUT',
    url: '/api/admin/staff/:personId',
    status: 200,
    params: personParams,
    body: z.object({ name: staffName, role: z.enum(STAFF_ROLES), rpps: rpps.nullable() }),
    reply: z.object({ account: staffAccountSchema }),
  }),
  /** Disables a staff account (no sign-in, sessions and live sockets end; nothing deleted) or enables it again. */
  setStaffDisabled: route({
    method: 'PUT',
    url: '/api/admin/staff/:personId/disabled',
    status: 200,
    params: personParams,
    body: z.object({ disabled: z.boolean() }),
    reply: z.object({ account: staffAccountSchema }),
  }),
  /** The care teams with their members and patients (administrators); every change answers the same. */
  teams: route({ method: 'GET', url: '/api/admin/teams', status: 200, reply: teamsSchema }),
  createTeam: route({
    method: 'POST',
    url: '/api/admin/teams',
    status: 201,
    body: z.object({ name: teamName }),
    reply: teamsSchema,
  }),
  renameTeam: route({
    method: 'PUT',
    url: '/api/admin/teams/:teamId',
    status: 200,
    params: teamParams,
    body: z.object({ name: teamName }),
    reply: teamsSchema,
  }),
  addTeamMember: route({
    method: 'PUT',
    url: '/api/admin/teams/:teamId/members/:personId',
    status: 200,
    params: teamParams.extend({ personId: id }),
    reply: teamsSchema,
  }),
  removeTeamMember: route({
    method: 'DELETE',
    url: '/api/admin/teams/:teamId/members/:personId',
    status: 200,
    params: teamParams.extend({ personId: id }),
    reply: teamsSchema,
  }),
  addTeamPatient: route({
    method: 'PUT',
    url: '/api/admin/teams/:teamId/patients/:patientId',
    status: 200,
    params: teamParams.extend({ patientId: id }),
    reply: teamsSchema,
  }),
  removeTeamPatient: route({
    method: 'DELETE',
    url: '/api/admin/teams/:teamId/patients/:patientId',
    status: 200,
    params: teamParams.extend({ patientId: id }),
    reply: teamsSchema,
  }),
  /** Ends the session; `url`: where to end the PSC session too (its end-session endpoint), if signed in with PSC. */
  pscSignOut: route({
    method: 'POST',
    url: '/api/auth/psc/sign-out',
    status: 200,
    reply: z.object({ url: z.string().nullable() }),
  }),
  me: route({ method: 'GET', url: '/api/me', status: 200, reply: z.object({ person: meSchema }) }),
  lookupInvitation: route({
    method: 'POST',
    url: '/api/invitations/lookup',
    status: 200,
    body: z.object({ token: z.string().min(20).max(200) }),
    reply: invitationViewSchema,
  }),
  /** Creates the account the invitation names. An e-mail that has an account signs in, then claims. */
  acceptInvitation: route({
    method: 'POST',
    url: '/api/invitations/accept',
    status: 200,
    body: z.object({ token: z.string().min(20).max(200), password: z.string().min(1).max(500) }),
    reply: z.object({ person: meSchema }),
  }),
  /** The signed-in person the invitation was sent to accepts it. */
  claimInvitation: route({
    method: 'POST',
    url: '/api/invitations/claim',
    status: 200,
    body: z.object({ token: z.string().min(20).max(200) }),
    reply: z.object({ person: meSchema }),
  }),
  addPushSubscription: route({
    method: 'POST',
    url: '/api/push-subscriptions',
    status: 201,
    body: pushSubscriptionBody,
    reply: ok,
  }),

  // A relative (or the patient themself).
  familyOverview: route({
    method: 'GET',
    url: '/api/patients/:patientId',
    status: 200,
    params: patientParams,
    reply: familyOverviewSchema,
  }),
  /** Which professionals read the patient's record (the patient themself only). */
  recordReads: route({
    method: 'GET',
    url: '/api/patients/:patientId/record-reads',
    status: 200,
    params: patientParams,
    query: z.object({ before }),
    reply: readsPage(recordReadSchema),
  }),
  invite: route({
    method: 'POST',
    url: '/api/patients/:patientId/invitations',
    status: 201,
    params: patientParams,
    body: inviteBody,
    reply: z.object({ link: z.string(), expiresAt: z.number() }),
  }),
  callLink: route({
    method: 'POST',
    url: '/api/patients/:patientId/call-link',
    status: 200,
    params: patientParams,
    reply: z.object({ url: z.string(), expiresAt: z.number() }),
  }),
  /** The invitee's page tells the care team it rings, or that they said "not now". */
  callRing: route({
    method: 'POST',
    url: '/api/patients/:patientId/call-ring',
    status: 200,
    params: patientParams,
    body: z.object({ roomId: id, state: z.enum(['ringing', 'declined']) }),
    reply: ok,
  }),
  /** The call page checks its link (signature, expiry, room) before it offers to join. */
  checkCallLink: route({
    method: 'POST',
    url: '/api/call-links/check',
    status: 200,
    body: z.object({ roomId: id, token: z.string().min(1).max(4096) }),
    reply: callLinkCheckSchema,
  }),
  enrolGateway: route({
    method: 'POST',
    url: '/api/patients/:patientId/gateways',
    status: 201,
    params: patientParams,
    body: z.object({ label: z.string().trim().min(1).max(80).default('tablette') }),
    reply: gatewayIdentitySchema,
  }),
  alert: route({
    method: 'GET',
    url: '/api/alerts/:alertId',
    status: 200,
    params: alertParams,
    reply: alertHistorySchema,
  }),
  actOnAlert: route({
    method: 'POST',
    url: '/api/alerts/:alertId/actions',
    status: 200,
    params: alertParams,
    body: z.object({ action: alertActionSchema }),
    reply: alertWithNamesSchema,
  }),

  // The care team.
  staffMe: route({ method: 'GET', url: '/api/console/me', status: 200, reply: z.object({ person: staffMeSchema }) }),
  patients: route({
    method: 'GET',
    url: '/api/console/patients',
    status: 200,
    reply: z.object({ patients: z.array(consoleRowSchema) }),
  }),
  patient: route({
    method: 'GET',
    url: '/api/console/patients/:patientId',
    status: 200,
    params: patientParams,
    reply: z.object({
      patient: consoleRowSchema,
      thresholds: z.array(thresholdViewSchema),
      people: z.array(z.object({ id: z.string(), name: z.string(), ...relationFields })),
      /** How to reach the patient (E.164), for the care team as for the relatives. */
      phone: z.string().nullable(),
      chain: chainSchema,
    }),
  }),
  /** Records the patient's identity (traits, INS, status), checked by common/ins.ts. */
  setIdentity: route({
    method: 'PUT',
    url: '/api/console/patients/:patientId/identity',
    status: 200,
    params: patientParams,
    body: identityBody,
    reply: z.object({ identity: identityViewSchema }),
  }),
  history: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/history',
    status: 200,
    params: patientParams,
    query: z.object({
      range: z.enum(HISTORY_RANGES).default('24h'),
      points: z.coerce.number().int().min(10).max(100_000).default(800),
    }),
    reply: historySchema,
  }),
  /** A patient's closed alerts, newest first (each one's history: ROUTES.alert). */
  pastAlerts: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/alerts',
    status: 200,
    params: patientParams,
    query: z.object({ days: z.coerce.number().int().min(1).max(PAST_ALERT_DAYS).default(PAST_ALERT_DAYS) }),
    reply: z.object({ alerts: z.array(alertViewSchema), names: z.record(z.string(), z.string()) }),
  }),
  notes: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/notes',
    status: 200,
    params: patientParams,
    reply: z.object({ notes: z.array(noteSchema) }),
  }),
  addNote: route({
    method: 'POST',
    url: '/api/console/patients/:patientId/notes',
    status: 201,
    params: patientParams,
    body: z.object({ text: z.string().trim().min(1).max(MAX_NOTE_LENGTH) }),
    reply: z.object({ note: noteSchema }),
  }),
  apiTokens: route({
    method: 'GET',
    url: '/api/console/tokens',
    status: 200,
    reply: z.object({ tokens: z.array(apiTokenSchema) }),
  }),
  createApiToken: route({
    method: 'POST',
    url: '/api/console/tokens',
    status: 201,
    body: z.object({
      label: z.string().trim().min(1).max(80),
      days: z.number().int().min(1).max(MAX_API_TOKEN_DAYS).default(1),
    }),
    reply: z.object({ token: apiTokenSchema.extend({ secret: z.string() }) }),
  }),
  revokeApiToken: route({
    method: 'DELETE',
    url: '/api/console/tokens/:tokenId',
    status: 204,
    params: z.object({ tokenId: id }),
    reply: nothing,
  }),
  /** Who read which patient's record, for administrators: newest first, by patient or by person. */
  allRecordReads: route({
    method: 'GET',
    url: '/api/console/record-reads',
    status: 200,
    query: z.object({ patientId: id.optional(), personId: id.optional(), before }),
    reply: readsPage(recordReadAdminSchema),
  }),
  /**
   * External systems of the FHIR API (SMART Backend Services), for administrators: each with its client
   * id, scopes, teams and last use; and the token endpoint they ask their access tokens at.
   */
  systems: route({
    method: 'GET',
    url: '/api/admin/systems',
    status: 200,
    reply: z.object({ systems: z.array(externalSystemSchema), tokenEndpoint: z.string() }),
  }),
  registerSystem: route({
    method: 'POST',
    url: '/api/admin/systems',
    status: 201,
    body: z.object({
      name: z.string().trim().min(1).max(100),
      /** Its public keys: a JSON Web Key Set as the vendor gives it (checked by web/system-keys.ts). */
      jwks: z.string().trim().min(2).max(MAX_JWKS_CHARS),
      scopes: z.array(z.enum(SYSTEM_SCOPES)).min(1).max(SYSTEM_SCOPES.length),
      teamIds: z.array(id).min(1).max(100),
    }),
    reply: z.object({ system: externalSystemSchema }),
  }),
  revokeSystem: route({
    method: 'DELETE',
    url: '/api/admin/systems/:systemId',
    status: 204,
    params: z.object({ systemId: id }),
    reply: nothing,
  }),
  /** The set-up's change log, for administrators: newest first, by patient or by author. */
  changes: route({
    method: 'GET',
    url: '/api/admin/changes',
    status: 200,
    query: z.object({ patientId: id.optional(), actorId: id.optional(), before }),
    reply: z.object({ changes: z.array(changeSchema), next: z.number().nullable() }),
  }),
  /**
   * The patients a member with the `patients` right runs (an admin: every patient of the registry; a
   * coordinator: those of their teams), and the teams they may create a patient into.
   */
  adminPatients: route({
    method: 'GET',
    url: '/api/admin/patients',
    status: 200,
    reply: z.object({
      patients: z.array(adminPatientSchema),
      teams: z.array(z.object({ id: z.string(), name: z.string() })),
    }),
  }),
  /** Creates a patient (identity checked by common/ins.ts) in one of the member's teams, with their first watch if asked. */
  createPatient: route({
    method: 'POST',
    url: '/api/admin/patients',
    status: 201,
    body: z.object({
      identity: identityBody,
      contact: patientContactSchema,
      teamId: id,
      /** Enrol their first watch at once (`deviceId` null: a generated id); null: later. */
      watch: deviceIdBody.nullable().default(null),
    }),
    reply: z.object({ patientId: z.string(), enrolment: enrolmentSchema.nullable() }),
  }),
  /** The patient's phone, address and GP. */
  contact: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/contact',
    status: 200,
    params: patientParams,
    reply: z.object({ contact: patientContactSchema }),
  }),
  setContact: route({
    method: 'PUT',
    url: '/api/console/patients/:patientId/contact',
    status: 200,
    params: patientParams,
    body: patientContactSchema,
    reply: z.object({ contact: patientContactSchema }),
  }),
  /** The patient's devices (revoked ones too), with what the web service heard from each. */
  devices: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/devices',
    status: 200,
    params: patientParams,
    reply: z.object({ devices: z.array(deviceViewSchema) }),
  }),
  /** Enrols a watch: its secret is in this answer only. */
  enrolDevice: route({
    method: 'POST',
    url: '/api/console/patients/:patientId/devices',
    status: 201,
    params: patientParams,
    body: deviceIdBody,
    reply: enrolmentSchema,
  }),
  /** Enrols a new watch and revokes this one, in one step. */
  replaceDevice: route({
    method: 'POST',
    url: '/api/console/patients/:patientId/devices/:deviceId/replacement',
    status: 201,
    params: z.object({ patientId: id, deviceId: id }),
    body: deviceIdBody,
    reply: enrolmentSchema,
  }),
  /** Revokes a device: refused at its next connection, and disconnected by the broker if connected. */
  revokeDevice: route({
    method: 'DELETE',
    url: '/api/console/patients/:patientId/devices/:deviceId',
    status: 204,
    params: z.object({ patientId: id, deviceId: id }),
    reply: nothing,
  }),
  /** The changes to one patient's set-up, for their care team. */
  patientChanges: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/changes',
    status: 200,
    params: patientParams,
    query: z.object({ before }),
    reply: z.object({ changes: z.array(changeSchema), next: z.number().nullable() }),
  }),
  escalation: route({
    method: 'GET',
    url: '/api/patients/:patientId/escalation',
    status: 200,
    params: patientParams,
    reply: chainViewSchema,
  }),
  rules: route({
    method: 'GET',
    url: '/api/patients/:patientId/rules',
    status: 200,
    params: patientParams,
    reply: z.object({ settings: patientSettingsSchema, thresholds: z.array(thresholdRuleSchema) }),
  }),
  /**
   * How many threshold alerts the proposed settings would have raised over the patient's last 7 days
   * of readings, per rule and in total, next to the count with the current settings. One at a time per
   * person (`preview_busy`).
   */
  rulesPreview: route({
    method: 'POST',
    url: '/api/patients/:patientId/rules/preview',
    status: 200,
    params: patientParams,
    body: patientSettingsSchema,
    reply: alarmLoadSchema,
  }),
  /** The patient's invitations not yet accepted, cancelled or expired (the care team, right `setup`). */
  invitations: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/invitations',
    status: 200,
    params: patientParams,
    reply: z.object({ invitations: z.array(pendingInvitationSchema) }),
  }),
  /** Cancels a pending invitation: its link is refused from then on (`invitation_revoked`). */
  cancelInvitation: route({
    method: 'DELETE',
    url: '/api/console/patients/:patientId/invitations/:invitationId',
    status: 204,
    params: z.object({ patientId: id, invitationId: z.string().regex(/^i-[0-9a-f]{12}$/) }),
    reply: nothing,
  }),
  createConsultation: route({
    method: 'POST',
    url: '/api/consultations',
    status: 201,
    body: z.object({ patientId: id, inviteFamily: z.boolean().default(true) }),
    reply: consultationSchema,
  }),
  /** Who was asked to join a consultation, and where each stands (the clinician's call page). */
  consultationStatus: route({
    method: 'GET',
    url: '/api/consultations/:roomId',
    status: 200,
    params: z.object({ roomId: id }),
    reply: consultationStatusSchema,
  }),
  /** The SFU tells who is in a room now (sfu/presence-report.ts), with its presence token, not a session. */
  callPresence: route({
    method: 'POST',
    url: '/api/internal/call-presence',
    status: 200,
    body: roomPresenceSchema,
    reply: ok,
  }),

  // Consent and report of a teleconsultation (web/routes/reports.ts).
  /** The clinician's call page: the consultation's consent and report so far. */
  consultationReport: route({
    method: 'GET',
    url: '/api/consultations/:roomId/report',
    status: 200,
    params: roomParams,
    reply: z.object({ patientId: z.string(), consent: consentSchema.nullable(), report: reportSchema.nullable() }),
  }),
  recordConsent: route({
    method: 'POST',
    url: '/api/consultations/:roomId/consent',
    status: 201,
    params: roomParams,
    body: consentBody,
    reply: z.object({ consent: consentSchema }),
  }),
  /** Creates or updates the consultation's draft report. */
  saveReportDraft: route({
    method: 'PUT',
    url: '/api/consultations/:roomId/report',
    status: 200,
    params: roomParams,
    body: z.object({ content: reportContentSchema }),
    reply: reportSchema,
  }),
  finaliseReport: route({
    method: 'POST',
    url: '/api/reports/:reportId/finalise',
    status: 200,
    params: reportParams,
    reply: reportSchema,
  }),
  /** A new signed version of a finalised report; the previous ones stay. */
  amendReport: route({
    method: 'POST',
    url: '/api/reports/:reportId/amendments',
    status: 200,
    params: reportParams,
    body: z.object({ content: reportContentSchema, reason: z.string().trim().min(1).max(500) }),
    reply: reportSchema,
  }),
  /** A patient's reports for the care team (drafts included), newest first. */
  patientReports: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/reports',
    status: 200,
    params: patientParams,
    reply: z.object({ reports: z.array(reportSummarySchema) }),
  }),
  /** The patient's finalised reports, for themself and the relatives they share their health data with. */
  familyReports: route({
    method: 'GET',
    url: '/api/patients/:patientId/reports',
    status: 200,
    params: patientParams,
    reply: z.object({ reports: z.array(reportSummarySchema) }),
  }),
  report: route({
    method: 'GET',
    url: '/api/reports/:reportId',
    status: 200,
    params: reportParams,
    reply: reportSchema,
  }),
  /** The report as an A4 PDF in the page's language, else the reader's (the answer is the PDF, not JSON). */
  reportPdf: route({
    method: 'GET',
    url: '/api/reports/:reportId/pdf',
    status: 200,
    params: reportParams,
    query: z.object({ lang: langSchema.optional() }),
    reply: z.unknown(),
  }),
  /** Books a teleconsultation with one of the member's patients, with themself as the clinician. */
  bookAppointment: route({
    method: 'POST',
    url: '/api/console/patients/:patientId/appointments',
    status: 201,
    params: patientParams,
    body: bookingSchema,
    reply: z.object({ appointment: appointmentSchema }),
  }),
  /** A patient's booked consultations not yet over, soonest first. */
  patientAppointments: route({
    method: 'GET',
    url: '/api/console/patients/:patientId/appointments',
    status: 200,
    params: patientParams,
    reply: z.object({ appointments: z.array(appointmentSchema) }),
  }),
  /** The signed-in member's own consultations between `from` and `to` (the page's day, at most two days). */
  myAppointments: route({
    method: 'GET',
    url: '/api/console/appointments',
    status: 200,
    query: z.object({
      from: z.coerce.number().int().min(0).max(8.64e15),
      to: z.coerce.number().int().min(0).max(8.64e15),
    }),
    reply: z.object({ appointments: z.array(dayAppointmentSchema) }),
  }),
  cancelAppointment: route({
    method: 'DELETE',
    url: '/api/console/appointments/:appointmentId',
    status: 204,
    params: z.object({ appointmentId: z.string().regex(/^a-[0-9a-f]{12}$/) }),
    reply: nothing,
  }),
  /** The family page: the patient's next consultation (relatives see it only when they are invited). */
  nextAppointment: route({
    method: 'GET',
    url: '/api/patients/:patientId/next-appointment',
    status: 200,
    params: patientParams,
    reply: nextAppointmentSchema,
  }),
  /**
   * Everything Vigie keeps about the patient as one FHIR Bundle of type `collection` (JSON, sent as it
   * is read: the answer is the file, not a JSON of this API), for the patient themself and a relative
   * they allow.
   */
  myData: route({
    method: 'GET',
    url: '/api/patients/:patientId/data',
    status: 200,
    params: patientParams,
    reply: z.unknown(),
  }),
  /** The patient's relatives and whether each may download their data (the patient's own page). */
  dataDownloaders: route({
    method: 'GET',
    url: '/api/patients/:patientId/relatives',
    status: 200,
    params: patientParams,
    reply: z.object({ relatives: z.array(relativeAccessSchema) }),
  }),
  /** The patient lets a relative download their data, or no longer does. */
  setDataDownload: route({
    method: 'PUT',
    url: '/api/patients/:patientId/relatives/:personId/data-download',
    status: 200,
    params: z.object({ patientId: id, personId: id }),
    body: z.strictObject({ allowed: z.boolean() }),
    reply: z.object({ relatives: z.array(relativeAccessSchema) }),
  }),
} as const;

/** PUT routes share their GET's answer. */
export const SET_ROUTES = {
  setEscalation: route({ ...ROUTES.escalation, method: 'PUT', body: chainBody }),
  setRules: route({ ...ROUTES.rules, method: 'PUT', body: patientSettingsSchema }),
} as const;
