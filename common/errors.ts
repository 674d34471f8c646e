/**
 * Every refusal Vigie's HTTP APIs can give, once: a stable code (what the pages translate, what
 * scripts test for), its HTTP status, and the parameters its message may need. The server never sends
 * a sentence for a page to show; the pages say it in the person's language (web/src/lib/i18n.ts has a
 * French and an English text for every code, checked by the type system). The `message` that travels
 * with a code is for developers reading a log or a curl answer.
 */
import { z } from 'zod';

export const ERROR_STATUS = {
  // The request itself.
  invalid_request: 400,
  invalid_json: 400,
  body_too_large: 413,
  headers_too_large: 431,
  request_timeout: 408,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  not_a_websocket: 400,
  rate_limited: 429,
  too_many_connections: 429,
  server_busy: 429,
  internal: 500,
  // Who is asking.
  cross_site: 403,
  sign_in_required: 401,
  wrong_credentials: 401,
  sign_in_throttled: 429,
  psc_not_configured: 404,
  psc_state_invalid: 400,
  psc_provider_refused: 502,
  psc_unavailable: 503,
  psc_token_invalid: 401,
  psc_acr_refused: 403,
  psc_rpps_unknown: 403,
  psc_required: 403,
  admin_only: 403,
  role_not_allowed: 403,
  api_token_invalid: 401,
  staff_only: 403,
  family_only: 403,
  record_reads_self_only: 403,
  patient_forbidden: 403,
  patient_not_in_team: 403,
  patient_not_found: 404,
  action_not_allowed: 403,
  invite_not_allowed: 403,
  gateway_not_allowed: 403,
  // Accounts and invitations.
  password_too_short: 400,
  name_required: 400,
  email_taken: 409,
  rpps_invalid: 400,
  rpps_taken: 409,
  account_disabled: 403,
  staff_not_found: 404,
  cannot_disable_self: 409,
  last_admin: 409,
  team_not_found: 404,
  team_name_taken: 409,
  invitation_invalid: 404,
  invitation_used: 410,
  invitation_expired: 410,
  invitation_revoked: 410,
  invitation_not_found: 404,
  sign_in_to_accept: 409,
  invitation_other_account: 403,
  // Alerts (the ingest's alert API, passed through by the web service).
  alert_not_found: 404,
  alert_closed: 409,
  alert_already_accepted: 409,
  alert_accept_first: 409,
  alert_not_owner: 409,
  alert_invalid_action: 400,
  alerts_unavailable: 503,
  // Care team set-up.
  chain_person_unknown: 400,
  chain_person_not_linked: 400,
  chain_person_repeated: 400,
  chain_invalid: 400,
  threshold_unknown: 400,
  threshold_invalid: 400,
  preview_busy: 429,
  note_empty: 400,
  note_too_long: 400,
  // Patient identity (common/ins.ts).
  ins_length: 400,
  ins_characters: 400,
  ins_sex_digit: 400,
  ins_month: 400,
  ins_key: 400,
  ins_sex_mismatch: 400,
  ins_birth_mismatch: 400,
  identity_ins_required: 400,
  birth_name_invalid: 400,
  first_names_invalid: 400,
  used_name_invalid: 400,
  birth_date_invalid: 400,
  birth_date_future: 400,
  birthplace_invalid: 400,
  // Patients and their devices (web/routes/admin-patients.ts).
  phone_invalid: 400,
  team_not_yours: 403,
  device_id_invalid: 400,
  device_id_taken: 409,
  device_not_found: 404,
  history_unavailable: 503,
  // Devices and calls.
  push_endpoint_invalid: 400,
  push_endpoint_taken: 409,
  call_not_found: 404,
  call_link_invalid: 400,
  call_link_expired: 410,
  token_not_found: 404,
  // Scheduled teleconsultations (web/routes/appointments.ts).
  appointment_not_found: 404,
  appointment_in_past: 400,
  appointment_too_far: 400,
  appointment_duration_invalid: 400,
  appointment_overlap: 409,
  appointment_not_cancellable: 409,
  // Teleconsultations' consents and reports (web/routes/reports.ts).
  consent_representative_missing: 400,
  consent_representative_unexpected: 400,
  consent_time_invalid: 400,
  consent_required: 409,
  report_not_found: 404,
  report_final: 409,
  report_not_final: 409,
  report_incomplete: 400,
  report_not_shared: 403,
  // Bulk Data $export (web/fhir/export.ts) and the patient's own download (web/routes/my-data.ts).
  export_async_required: 400,
  export_type_unsupported: 400,
  export_format_unsupported: 400,
  export_busy: 429,
  export_not_found: 404,
  export_failed: 500,
  data_download_not_allowed: 403,
  data_permission_self_only: 403,
  relative_not_found: 404,
  // External systems of the FHIR API (SMART Backend Services: web/systems.ts, web/fhir/token.ts).
  system_not_found: 404,
  system_keys_invalid: 400,
  system_key_private: 400,
  system_token_invalid: 401,
  insufficient_scope: 403,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];
export const errorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]);

/** Values a message may mention (a field, a limit, a name); never health data. */
export type ErrorParams = Readonly<Record<string, string | number>>;

/** What every refusal looks like on the wire. */
export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A refusal with its code; the status follows from the code. */
export class VigieError extends Error {
  override readonly name: string = 'VigieError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly params: ErrorParams = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(Object.keys(this.params).length ? { params: this.params } : {}),
      },
    };
  }
}
