/** The web service's client of the ingest's internal alert API (see ingest/alert-api.ts). */
import { z } from 'zod';
import {
  alertViewSchema,
  auditEntrySchema,
  type AlertAction,
  type AlertView,
  type AuditView,
  type CallInvitationRequest,
  type AppointmentInvitationRequest,
} from '../common/alert-api.ts';
import { errorBodySchema, VigieError } from '../common/errors.ts';

const listSchema = z.object({ alerts: z.array(alertViewSchema) });
const oneSchema = z.object({ alert: alertViewSchema, audit: z.array(auditEntrySchema) });
const actedSchema = z.object({ alert: alertViewSchema });

export class AlertsClient {
  readonly #url: string;
  readonly #token: string;

  constructor(url: string, token: string) {
    this.#url = url.replace(/\/$/, '');
    this.#token = token;
  }

  /** Open alerts of these patients. A long list (a whole care team) would not fit in a URL: all open alerts are fetched and filtered here. */
  async list(patientIds: readonly string[]): Promise<AlertView[]> {
    if (patientIds.length === 0) return [];
    if (patientIds.length > 50) {
      const wanted = new Set(patientIds);
      return listSchema.parse(await this.#call('GET', '/alerts')).alerts.filter((a) => wanted.has(a.patientId));
    }
    return listSchema.parse(await this.#call('GET', `/alerts?patients=${patientIds.map(encodeURIComponent).join(',')}`))
      .alerts;
  }

  /** Alerts opened since `since`, open or closed (for a timeline). */
  async since(patientId: string, since: number): Promise<AlertView[]> {
    return listSchema.parse(
      await this.#call('GET', `/alerts?patients=${encodeURIComponent(patientId)}&since=${Math.floor(since)}`),
    ).alerts;
  }

  async get(id: number): Promise<{ alert: AlertView; audit: AuditView[] } | undefined> {
    try {
      return oneSchema.parse(await this.#call('GET', `/alerts/${id}`));
    } catch (error) {
      if (error instanceof VigieError && error.code === 'alert_not_found') return undefined;
      throw error;
    }
  }

  async act(id: number, actor: string, action: AlertAction, channel = 'web'): Promise<AlertView> {
    return actedSchema.parse(await this.#call('POST', `/alerts/${id}/actions`, { actor, channel, action })).alert;
  }

  /** Asks the ingest to tell these people, on its notification channels, that a consultation awaits them. */
  async inviteToCall(invitation: CallInvitationRequest): Promise<void> {
    await this.#call('POST', '/calls/invitations', invitation);
  }

  /** Asks the ingest to send these people a scheduled consultation's calendar invitation or cancellation. */
  async inviteToAppointment(invitation: AppointmentInvitationRequest): Promise<void> {
    await this.#call('POST', '/appointments/invitations', invitation);
  }

  /** Refusals of the alert API come back as VigieErrors with its code (alert_already_accepted...). */
  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.#url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new VigieError('alerts_unavailable', 'the alert service is unreachable; try again in a moment');
    }
    const payload: unknown = await res.json().catch(() => ({}));
    if (res.ok) return payload;
    const refusal = errorBodySchema.safeParse(payload);
    // The service token refused, or an answer we cannot read: the alert service is unusable, not the caller's request.
    if (!refusal.success || refusal.data.error.code === 'sign_in_required' || refusal.data.error.code === 'internal') {
      throw new VigieError('alerts_unavailable', `alert service error ${res.status}`);
    }
    throw new VigieError(refusal.data.error.code, refusal.data.error.message, refusal.data.error.params ?? {});
  }
}
