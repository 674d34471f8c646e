/**
 * What the web API and the live channel say, as zod schemas shared by the server (which validates
 * requests and serialises answers with them, web/routes) and the pages (which parse every answer with
 * them, web/src/lib/api.ts): one definition, typed on both sides, no casts.
 */
import { z } from 'zod';
import { alertViewSchema, auditEntrySchema } from '../../common/alert-api.ts';
import { READING_NAMES, VITAL_RANGES, type ReadingName } from '../../devices/limits.ts';
import { LANGS, ROLES, STAFF_ROLES } from '../../common/people-rules.ts';
import { RELATIONS, SEXES } from '../../common/relations.ts';
import { IDENTITY_STATUSES, INS_KINDS, INS_OIDS } from '../../common/ins.ts';
import { ROLES as CALL_ROLES } from '../../sfu/protocol.ts';

export const id = z.string().trim().min(1).max(100);
export const langSchema = z.enum(LANGS);
/** Who a person is for the patient (common/relations.ts), and what was typed for `other`. */
export const relationFields = { relation: z.enum(RELATIONS), relationText: z.string().nullable() };

const readingShape = Object.fromEntries(READING_NAMES.map((k) => [k, z.number().optional()])) as {
  [K in ReadingName]: z.ZodOptional<z.ZodNumber>;
};
const latestShape = Object.fromEntries(
  READING_NAMES.map((k) => [k, z.object({ value: z.number(), ts: z.number() }).optional()]),
) as { [K in ReadingName]: z.ZodOptional<z.ZodObject<{ value: z.ZodNumber; ts: z.ZodNumber }>> };

/** Each vital's latest reading and when it was taken. */
export const latestSchema = z.object(latestShape);
/** One reading as the pages receive it (no seq, no backfill flag). */
export const liveSampleSchema = z.object({ ts: z.number(), battery: z.number().optional(), ...readingShape });
export type LiveSample = z.infer<typeof liveSampleSchema>;

export const presenceSchema = z.object({
  online: z.boolean().nullable(),
  lastSeen: z.number().nullable(),
  battery: z.number().nullable(),
});

export const meSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  role: z.enum(ROLES),
  lang: langSchema,
  patients: z.array(
    z.object({ id: z.string(), name: z.string(), ...relationFields, shareVitals: z.boolean(), self: z.boolean() }),
  ),
});
export type Me = z.infer<typeof meSchema>;

/**
 * A teleconsultation a relative (or the patient) may join: they ask for their own link (POST
 * .../call-link). `caller`: the clinician who opened it; `startedAt` tells the page whether it still rings.
 */
export const callOfferSchema = z.object({
  roomId: z.string(),
  startedAt: z.number(),
  expiresAt: z.number(),
  caller: z.string(),
});
export type CallOffer = z.infer<typeof callOfferSchema>;

/**
 * Where someone asked to join a consultation stands, as the web service knows it: `invited` (asked),
 * `ringing` (their page shows the incoming call), `declined` ("not now"), `answered` (they took or
 * opened their link). Waiting and in the call are the SFU's to say (INVITEE_PRESENCES).
 */
export const INVITEE_STATES = ['invited', 'ringing', 'declined', 'answered'] as const;
export type InviteeState = (typeof INVITEE_STATES)[number];
/**
 * Where an invitee is now, as the SFU reports it (sfu/presence-report.ts): in the `waiting` room, `in-call`
 * (let in), or `away` (not in the room); null until the SFU has said anything about the room.
 */
export const INVITEE_PRESENCES = ['waiting', 'in-call', 'away'] as const;
export type InviteePresence = (typeof INVITEE_PRESENCES)[number];
export const inviteeSchema = z.object({
  participantId: z.string(),
  role: z.enum(CALL_ROLES),
  name: z.string(),
  state: z.enum(INVITEE_STATES),
  presence: z.enum(INVITEE_PRESENCES).nullable(),
});
export type InviteeView = z.infer<typeof inviteeSchema>;
export const consultationStatusSchema = z.object({
  roomId: z.string(),
  patientId: z.string(),
  caller: z.string(),
  invitees: z.array(inviteeSchema),
});

/** What the call page learns of its link before offering to join: whose it is, and who calls. */
export const callLinkCheckSchema = z.object({
  role: z.enum(CALL_ROLES),
  name: z.string(),
  expiresAt: z.number(),
  /** The clinician who opened the consultation, while it is open. */
  caller: z.string().nullable(),
});

export const familyOverviewSchema = z.object({
  patient: z.object({
    id: z.string(),
    name: z.string(),
    /** E.164, to call them on a fall or an SOS; null when the registry has none. */
    phone: z.string().nullable(),
    /** How the page names them from the reader's side ("votre mère"); null: the neutral form. */
    sex: z.enum(SEXES).nullable(),
  }),
  ...relationFields,
  /** The reader is the patient themself. */
  self: z.boolean(),
  shareVitals: z.boolean(),
  /** The reader may download the patient's data (the patient themself, or a relative they allow). */
  mayDownload: z.boolean(),
  presence: presenceSchema,
  /** Null when the patient has not consented to share them with this person. */
  vitals: z
    .object({
      latest: latestSchema,
      recent: z.array(z.object({ ts: z.number(), hr: z.number().optional(), spo2: z.number().optional() })),
    })
    .nullable(),
  alerts: z.array(alertViewSchema),
  /** Names of the patient's people, by id (who accepted an alert). */
  people: z.record(z.string(), z.string()),
  call: callOfferSchema.nullable(),
});
export type FamilyOverview = z.infer<typeof familyOverviewSchema>;

/** One of the patient's relatives as the patient's own page lists them, with what they let them do. */
export const relativeAccessSchema = z.object({
  id: z.string(),
  name: z.string(),
  ...relationFields,
  /** The patient lets them download all their data for them. */
  mayDownload: z.boolean(),
});
export type RelativeAccess = z.infer<typeof relativeAccessSchema>;

export const news2ViewSchema = z.object({
  score: z.number(),
  risk: z.enum(['low', 'low-medium', 'medium', 'high']),
  partial: z.boolean(),
  missing: z.array(z.string()),
});
export type News2View = z.infer<typeof news2ViewSchema>;

export const thresholdViewSchema = z.object({
  id: z.string(),
  vital: z.string(),
  direction: z.enum(['below', 'above']),
  limit: z.number(),
  priority: z.enum(['high', 'medium', 'low']),
  enabled: z.boolean(),
});
export type ThresholdView = z.infer<typeof thresholdViewSchema>;
/** An enabled threshold, as the list needs it to mark a reading beyond it. */
export const thresholdLimitSchema = thresholdViewSchema.pick({
  vital: true,
  direction: true,
  limit: true,
  priority: true,
});
export type ThresholdLimit = z.infer<typeof thresholdLimitSchema>;

/**
 * A patient's identity as the care team sees it (common/ins.ts): the strict traits, the identity
 * status, and the INS only when the identity is qualified (null otherwise, whatever is stored).
 */
export const identityViewSchema = z.object({
  birthName: z.string(),
  firstNames: z.string(),
  usedName: z.string().nullable(),
  birthDate: z.string(),
  sex: z.enum(SEXES),
  birthplace: z.string().nullable(),
  status: z.enum(IDENTITY_STATUSES),
  ins: z.object({ matricule: z.string(), key: z.string(), oid: z.enum([INS_OIDS.nir, INS_OIDS.nia]) }).nullable(),
});
export type IdentityView = z.infer<typeof identityViewSchema>;

/** What the care team sends to set a patient's identity; the server checks it with common/ins.ts. */
export const identityBody = z.object({
  birthName: z.string().max(200),
  firstNames: z.string().max(200),
  usedName: z.string().max(200).nullable().default(null),
  birthDate: z.string().max(20),
  sex: z.enum(SEXES),
  birthplace: z.string().max(20).nullable().default(null),
  ins: z
    .object({ matricule: z.string().max(40), kind: z.enum(INS_KINDS) })
    .nullable()
    .default(null),
  status: z.enum(IDENTITY_STATUSES),
});

/** A patient's address (France: a 5-digit postcode; abroad, up to 10 characters). */
export const addressSchema = z.object({
  street: z.string().trim().min(1).max(200),
  postcode: z.string().trim().max(10).nullable(),
  city: z.string().trim().max(100).nullable(),
});
/** The patient's GP: the phone is normalised by the server (common/phone.ts), the RPPS is 11 digits. */
export const gpSchema = z.object({
  name: z.string().trim().min(1).max(200),
  phone: z.string().trim().max(40).nullable(),
  rpps: z.string().trim().max(20).nullable(),
});
/** How to reach the patient and who their GP is; what the set-up page shows and sends. */
export const patientContactSchema = z.object({
  /** E.164 once recorded; as typed when sent (the server normalises it). */
  phone: z.string().trim().max(40).nullable(),
  address: addressSchema.nullable(),
  gp: gpSchema.nullable(),
});
export type PatientContactView = z.infer<typeof patientContactSchema>;

/** Device kinds the set-up page names (a watch; the tablet's Bluetooth gateway). */
export const DEVICE_KINDS = ['watch', 'ble-gateway'] as const;
/**
 * One of a patient's devices: when it was enrolled or revoked, and what the web service heard from it
 * since it started (null: nothing yet): presence, battery, the time of its last message, and what it
 * reports about itself.
 */
export const deviceViewSchema = z.object({
  id: z.string(),
  kind: z.enum(DEVICE_KINDS),
  enrolledAt: z.number(),
  revokedAt: z.number().nullable(),
  online: z.boolean().nullable(),
  battery: z.number().nullable(),
  lastMessageAt: z.number().nullable(),
  /** What the device says about itself (devices/PROTOCOL.md `info`): model, firmware, hardware revision. */
  info: z.object({ model: z.string(), firmware: z.string(), hardware: z.string().optional() }).nullable(),
});
export type DeviceView = z.infer<typeof deviceViewSchema>;
/** A device id as devices/topics.ts's isDeviceId accepts it (checked again by the server); absent: generated. */
export const deviceIdBody = z.object({ deviceId: z.string().trim().min(1).max(64).nullable().default(null) });
/**
 * A new watch's credentials, shown once (only the secret's hash is stored), and the enrolment URI
 * the maker's set-up app reads from the QR code (devices/PROTOCOL.md, "Enrolment").
 */
export const enrolmentSchema = z.object({
  deviceId: z.string(),
  secret: z.string(),
  brokerUrl: z.string(),
  uri: z.string(),
});
export type EnrolmentView = z.infer<typeof enrolmentSchema>;

/** A patient in the organisation's list: strict identity, teams, watches. */
export const adminPatientSchema = z.object({
  id: z.string(),
  name: z.string(),
  identity: identityViewSchema.nullable(),
  teams: z.array(z.object({ id: z.string(), name: z.string() })),
  /** Active (not revoked) watches, and whether one of them is connected now (null: not heard since start). */
  watches: z.number(),
  online: z.boolean().nullable(),
});
export type AdminPatientView = z.infer<typeof adminPatientSchema>;

export const consoleRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The recorded identity, to name the patient without confusion (null: only `name` is known). */
  identity: identityViewSchema.nullable().default(null),
  presence: presenceSchema,
  latest: latestSchema,
  news2: news2ViewSchema.nullable(),
  /** How this patient's NEWS2 is scored (the page recomputes it as readings arrive). */
  news2Options: z.object({ spo2Scale: z.union([z.literal(1), z.literal(2)]), onOxygen: z.boolean() }),
  alerts: z.array(alertViewSchema),
  /** Names of the people the alerts mention (who acknowledged, who is on the way). */
  names: z.record(z.string(), z.string()),
  /** The patient's enabled alert thresholds, to mark the readings beyond them (absent from older servers). */
  thresholds: z.array(thresholdLimitSchema).default([]),
  /** Whether the patient's watch is in live mode (someone watches: each reading sent as taken). */
  live: z.boolean().default(false),
});
export type ConsoleRow = z.infer<typeof consoleRowSchema>;

export const staffMeSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(STAFF_ROLES),
  lang: langSchema,
});
export type StaffMe = z.infer<typeof staffMeSchema>;

export const chainSchema = z.object({
  patientId: z.string(),
  steps: z.array(z.object({ personId: z.string(), delayMs: z.number() })),
  arrivalTimeoutMs: z.number(),
});

export const HISTORY_RANGES = ['1h', '24h', '7d', '30d'] as const;
export const HISTORY_SERIES = ['hr', 'spo2', 'temp', 'sys', 'dia', 'rr', 'weight', 'glucose'] as const;
export const historySchema = z.object({
  range: z.enum(HISTORY_RANGES),
  from: z.number(),
  to: z.number(),
  bucketMs: z.number(),
  source: z.enum(['raw', '1m', '1h']),
  ts: z.array(z.number()),
  values: z.object(
    Object.fromEntries(HISTORY_SERIES.map((s) => [s, z.array(z.number().nullable())])) as {
      [K in (typeof HISTORY_SERIES)[number]]: z.ZodArray<z.ZodNullable<z.ZodNumber>>;
    },
  ),
  alerts: z.array(
    z.object({ id: z.number(), at: z.number(), kind: z.string(), priority: z.enum(['high', 'medium', 'low']) }),
  ),
});
export type HistoryView = z.infer<typeof historySchema>;

export const noteSchema = z.object({
  id: z.number(),
  authorId: z.string(),
  author: z.string(),
  role: z.string(),
  text: z.string(),
  at: z.number(),
  /** The alert this note closed (its resolution note). */
  closes: z.object({ id: z.number(), kind: z.string(), openedAt: z.number() }).nullable(),
});
export type NoteView = z.infer<typeof noteSchema>;

export const apiTokenSchema = z.object({
  id: z.string(),
  label: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  lastUsedAt: z.number().nullable(),
});
export type ApiTokenView = z.infer<typeof apiTokenSchema>;

/**
 * The FHIR resource types an external system may be granted reading (web/fhir): one line here per type
 * the API serves, and the scopes, the registration form and the discovery document follow.
 */
export const FHIR_SYSTEM_TYPES = [
  'Patient',
  'Practitioner',
  'Device',
  'RelatedPerson',
  'Observation',
  'Flag',
  'Communication',
  'Encounter',
  'Appointment',
  'DocumentReference',
  'Binary',
  'Group',
] as const;
export type FhirSystemType = (typeof FHIR_SYSTEM_TYPES)[number];
/** SMART v2 scopes: `system/<type>.rs` (read and search), one per type. */
export const SYSTEM_SCOPES = FHIR_SYSTEM_TYPES.map((type) => `system/${type}.rs` as const);
export type SystemScope = (typeof SYSTEM_SCOPES)[number];
/** An external system as the administrators' page lists it (web/systems.ts): never its keys. */
export const externalSystemSchema = z.object({
  /** Its OAuth client id (`iss` and `sub` of its assertions). */
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SYSTEM_SCOPES)),
  teams: z.array(z.object({ id: z.string(), name: z.string() })),
  /** The ids (`kid`) of its public keys. */
  keyIds: z.array(z.string()),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});
export type ExternalSystemView = z.infer<typeof externalSystemSchema>;

export const alertWithNamesSchema = z.object({ alert: alertViewSchema, names: z.record(z.string(), z.string()) });
/** One line of an alert's history (web/audit-view.ts): names, not ids; the page translates `action`. */
export const auditLineSchema = auditEntrySchema.omit({ detail: true }).extend({
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type AuditLine = z.infer<typeof auditLineSchema>;
export const alertHistorySchema = z.object({ alert: alertViewSchema, audit: z.array(auditLineSchema) });

export const invitationViewSchema = z.object({
  name: z.string(),
  email: z.string(),
  ...relationFields,
  /** The invitation makes the patient's own account. */
  self: z.boolean(),
  patientName: z.string(),
  patientSex: z.enum(SEXES).nullable(),
  expiresAt: z.number(),
});

export const gatewayIdentitySchema = z.object({ deviceId: z.string(), secret: z.string(), mqttPath: z.string() });
export type GatewayIdentity = z.infer<typeof gatewayIdentitySchema>;

export const consultationSchema = z.object({
  roomId: z.string(),
  expiresAt: z.number(),
  links: z.object({ clinician: z.string(), patient: z.string(), family: z.string().optional() }),
});
export type Consultation = z.infer<typeof consultationSchema>;

/** What part of a patient's record a professional read (web/record-reads.ts). */
export const RECORD_PARTS = [
  'record',
  'vitals',
  'alerts',
  'notes',
  'settings',
  'live',
  'appointments',
  'reports',
] as const;
export type RecordPart = (typeof RECORD_PARTS)[number];
/**
 * How they read it: a console or call page (session), a script with a personal API token, or an
 * external system with a SMART Backend Services access token (web/fhir/token.ts).
 */
export const READ_CHANNELS = ['page', 'api_token', 'system_token'] as const;
export type ReadChannel = (typeof READ_CHANNELS)[number];
/** Who read it: a person (a member of the care team) or an external system an admin registered. */
export const READER_KINDS = ['person', 'system'] as const;
export type ReaderKind = (typeof READER_KINDS)[number];

/** Reads of one patient's record as the patient sees them: who (name, role), what, when; never from where. */
export const recordReadSchema = z.object({
  id: z.number(),
  reader: z.enum(READER_KINDS),
  /** The person's or the system's name. */
  name: z.string(),
  /** The person's role; null for a system. */
  role: z.enum(ROLES).nullable(),
  what: z.enum(RECORD_PARTS),
  /** The first and the last of the identical reads this entry stands for, and how many there were. */
  firstAt: z.number(),
  lastAt: z.number(),
  count: z.number(),
});
export type RecordReadView = z.infer<typeof recordReadSchema>;
/** The same for an administrator, with whom, which patient and from where. */
export const recordReadAdminSchema = recordReadSchema.extend({
  /** The reader's id: a person's, or a system's client id when `reader` is `system`. */
  personId: z.string(),
  patientId: z.string(),
  patient: z.string(),
  channel: z.enum(READ_CHANNELS),
  address: z.string(),
});
export type RecordReadAdminView = z.infer<typeof recordReadAdminSchema>;

/**
 * What can be changed in the organisation's set-up, each change one code of this list (the pages say
 * it in their language with its detail): web/change-log.ts keeps them. Append; never rename a code
 * (the log keeps old ones).
 */
export const CHANGE_ACTIONS = [
  'patient.created',
  'patient.identity',
  'patient.contact',
  'device.enrolled',
  'device.replaced',
  'device.revoked',
  'staff.created',
  'staff.updated',
  'staff.disabled',
  'staff.enabled',
  'team.created',
  'team.renamed',
  'team.member_added',
  'team.member_removed',
  'team.patient_added',
  'team.patient_removed',
  'escalation.set',
  'thresholds.set',
  'invitation.created',
  'invitation.revoked',
  'psc.required',
  'appointment.booked',
  'appointment.cancelled',
  'consent.recorded',
  'report.written',
  'report.amended',
  'data.exported',
  'data.download_allowed',
  'data.download_withdrawn',
  'appointment.done',
  'appointment.missed',
  'system.registered',
  'system.revoked',
] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];
/** A change's detail: a few named values (names, ids, counts, roles), never a secret. */
export const changeDetailSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type ChangeDetail = z.infer<typeof changeDetailSchema>;
export const changeSchema = z.object({
  id: z.number(),
  at: z.number(),
  actorId: z.string(),
  /** The author's name today (their id when the account is gone). */
  actor: z.string(),
  patientId: z.string().nullable(),
  /** How the care team calls the patient (null: not about one patient). */
  patient: z.string().nullable(),
  action: z.enum(CHANGE_ACTIONS),
  detail: changeDetailSchema,
});
export type ChangeView = z.infer<typeof changeSchema>;

/** A staff account as the administrators' page lists it (web/people.ts StaffAccount). */
export const staffAccountSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  role: z.enum(STAFF_ROLES),
  lang: langSchema,
  /** The national identifier they sign in with through Pro Santé Connect. */
  rpps: z.string().nullable(),
  disabled: z.boolean(),
  teams: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type StaffAccountView = z.infer<typeof staffAccountSchema>;

/** A patient as the teams page names them: the strict identity when recorded. */
export const teamPatientSchema = z.object({
  id: z.string(),
  name: z.string(),
  identity: identityViewSchema.nullable(),
});
export const teamMemberSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(STAFF_ROLES),
  disabled: z.boolean(),
});
export const teamViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  members: z.array(teamMemberSchema),
  patients: z.array(teamPatientSchema),
});
export type TeamView = z.infer<typeof teamViewSchema>;
/** The care teams, and every staff account and patient that may join one (those in no team too). */
export const teamsSchema = z.object({
  teams: z.array(teamViewSchema),
  staff: z.array(teamMemberSchema),
  patients: z.array(teamPatientSchema),
});
export type TeamsView = z.infer<typeof teamsSchema>;

/**
 * Someone an escalation step may notify: one of the patient's people (a relative, or the patient
 * themself, with their relation) or a member of the patient's care team (their role; no relation).
 */
export const chainPersonSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  relation: z.enum(RELATIONS).nullable(),
  relationText: z.string().nullable(),
});
export type ChainPerson = z.infer<typeof chainPersonSchema>;
export const chainViewSchema = z.object({
  /** `name`: the person's name today (their id when the account is gone). */
  steps: z.array(z.object({ personId: z.string(), delayMs: z.number(), name: z.string() })),
  arrivalTimeoutMs: z.number(),
  /** Who may be a step today: the patient's people, then the members of their care team. */
  people: z.array(chainPersonSchema),
});
export type ChainView = z.infer<typeof chainViewSchema>;

/** An invitation not yet accepted (named by its id; its link was shown once, to whoever invited). */
export const pendingInvitationSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  ...relationFields,
  shareVitals: z.boolean(),
  role: z.enum(['family', 'patient']),
  invitedBy: z.string(),
  /** The inviter's name today (their id when the account is gone). */
  invitedByName: z.string(),
  expiresAt: z.number(),
});
export type PendingInvitation = z.infer<typeof pendingInvitationSchema>;

/** How many threshold alerts settings would have raised over the patient's last days (web/rules-preview.ts). */
export const alarmLoadSchema = z.object({
  from: z.number(),
  to: z.number(),
  readings: z.number(),
  rules: z.array(z.object({ id: z.string(), current: z.number(), proposed: z.number() })),
  total: z.object({ current: z.number(), proposed: z.number() }),
});
export type AlarmLoadView = z.infer<typeof alarmLoadSchema>;

/** Who consented to a teleconsultation: the patient, or their legal representative (named). */
export const CONSENT_GIVERS = ['patient', 'representative'] as const;
/** How: orally during the call, or in writing beforehand. */
export const CONSENT_METHODS = ['oral', 'written'] as const;
export const consentBody = z.object({
  givenBy: z.enum(CONSENT_GIVERS),
  /** The representative's name (required when `givenBy` is `representative`, refused otherwise). */
  representative: z.string().trim().min(1).max(200).nullable().default(null),
  method: z.enum(CONSENT_METHODS),
  /** When it was given (ms since the epoch); not in the future. */
  givenAt: z.number().int().positive(),
});
export type ConsentBody = z.infer<typeof consentBody>;
export const consentSchema = z.object({
  id: z.string(),
  patientId: z.string(),
  roomId: z.string(),
  givenBy: z.enum(CONSENT_GIVERS),
  representative: z.string().nullable(),
  method: z.enum(CONSENT_METHODS),
  givenAt: z.number(),
  recordedById: z.string(),
  /** Who recorded it, by their name today. */
  recordedBy: z.string(),
  recordedAt: z.number(),
});
export type ConsentView = z.infer<typeof consentSchema>;

/** The vital signs a consultation report notes, each in common/vital-units.ts's unit. */
export const REPORT_VITALS = ['hr', 'spo2', 'sys', 'dia', 'temp', 'rr'] as const;
export type ReportVital = (typeof REPORT_VITALS)[number];
const vital = (v: ReportVital) => z.number().min(VITAL_RANGES[v].min).max(VITAL_RANGES[v].max).nullable().default(null);
/** Each within the range a device may send (devices/limits.ts). */
export const reportVitalsSchema = z.object({
  hr: vital('hr'),
  spo2: vital('spo2'),
  sys: vital('sys'),
  dia: vital('dia'),
  temp: vital('temp'),
  rr: vital('rr'),
});
export const MAX_REPORT_FIELD = 4000;
const reportText = z.string().trim().max(MAX_REPORT_FIELD).default('');
export const reportContentSchema = z.object({
  reason: reportText,
  observations: reportText,
  vitals: reportVitalsSchema,
  conclusion: reportText,
  followUp: reportText,
});
export type ReportContent = z.infer<typeof reportContentSchema>;
export const REPORT_STATUSES = ['draft', 'final'] as const;
/** One signed version of a report: the first is the finalised report, the next ones its amendments. */
export const reportVersionSchema = z.object({
  version: z.number(),
  content: reportContentSchema,
  signedById: z.string(),
  /** The signer's name as it was when they signed. */
  signedBy: z.string(),
  signedAt: z.number(),
  /** Why it was amended (null for the first version). */
  reason: z.string().nullable(),
});
export type ReportVersion = z.infer<typeof reportVersionSchema>;
export const reportSchema = z.object({
  id: z.string(),
  patientId: z.string(),
  roomId: z.string(),
  status: z.enum(REPORT_STATUSES),
  /** The current text: the draft, or the last signed version. */
  content: reportContentSchema,
  authorId: z.string(),
  author: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  consent: consentSchema.nullable(),
  /** Signed versions, oldest first (empty for a draft). */
  versions: z.array(reportVersionSchema),
});
export type ReportView = z.infer<typeof reportSchema>;
/** A report in a patient's list. */
export const reportSummarySchema = z.object({
  id: z.string(),
  status: z.enum(REPORT_STATUSES),
  author: z.string(),
  createdAt: z.number(),
  /** When the last version was signed (null: a draft). */
  signedAt: z.number().nullable(),
  versions: z.number(),
  conclusion: z.string(),
});
export type ReportSummary = z.infer<typeof reportSummarySchema>;

/**
 * Where a scheduled consultation stands: `done` (FHIR `fulfilled`) once the clinician opened it in its
 * slot and the patient joined; `missed` (FHIR `noshow`) when its slot ended without the patient.
 */
export const APPOINTMENT_STATUSES = ['booked', 'cancelled', 'done', 'missed'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/**
 * Who has joined a scheduled consultation, as the web service knows it: whether the clinician has
 * opened the call in its slot, where each invitee stands (`answered`: they opened their link, so they are
 * in the waiting room or the call), and how late the patient is once the start has passed without them.
 */
export const attendanceSchema = z.object({
  open: z.boolean(),
  people: z.array(inviteeSchema),
  /** Whole minutes past the start, the patient not joined; null before the start, or once they have. */
  lateMinutes: z.number().int().nullable(),
});
export type AttendanceView = z.infer<typeof attendanceSchema>;

/** A scheduled teleconsultation as the console lists it (web/appointments.ts). */
export const appointmentSchema = z.object({
  id: z.string(),
  patientId: z.string(),
  clinicianId: z.string(),
  /** The clinician's name today. */
  clinician: z.string(),
  startsAt: z.number(),
  minutes: z.number().int(),
  inviteFamily: z.boolean(),
  reason: z.string(),
  status: z.enum(APPOINTMENT_STATUSES),
  bookedAt: z.number(),
  attendance: attendanceSchema,
});
export type AppointmentView = z.infer<typeof appointmentSchema>;
/** One of the clinician's consultations of the day, with the patient named strictly. */
export const dayAppointmentSchema = appointmentSchema.extend({
  patient: z.string(),
  identity: identityViewSchema.nullable(),
});
export type DayAppointmentView = z.infer<typeof dayAppointmentSchema>;
/** What a consultation's booking says: when, how long, why, and whether the relatives are invited. */
export const bookingSchema = z.object({
  /** The start, in ms since the epoch (the page turns its local date and time into it). */
  startsAt: z.number().int().min(0).max(8.64e15),
  /** 10 to 60 minutes (web/appointments.ts refuses outside with `appointment_duration_invalid`). */
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60),
  reason: z.string().trim().min(1).max(200),
  inviteFamily: z.boolean().default(false),
});
/** The family page's next consultation: the reason only for the patient themself. */
export const nextAppointmentSchema = z.object({
  appointment: z
    .object({
      id: z.string(),
      startsAt: z.number(),
      minutes: z.number().int(),
      clinician: z.string(),
      reason: z.string().nullable(),
      /** Whether the clinician has opened the consultation (the page then offers to join it). */
      open: z.boolean(),
    })
    .nullable(),
});
export type NextAppointmentView = z.infer<typeof nextAppointmentSchema>;
