/**
 * The HTTP API of families (the care team's side is care-team-api.ts). A family
 * member sees only the patients they are linked to, and their vital signs only with the patient's
 * consent; every route checks it here, whatever the page does. Unknown and foreign patients get the
 * same answer, so that ids cannot be probed.
 *
 *   POST   /api/session                       sign in { email, password }
 *   DELETE /api/session                       sign out
 *   GET    /api/me                            the person and their relatives
 *   POST   /api/invitations/lookup            { token }: who invites whom (before choosing a password)
 *   POST   /api/invitations/accept            { token, password }: creates the account, signs in
 *   GET    /api/patients/:id                  presence, battery, vitals (with consent), open alerts, call
 *   GET    /api/alerts/:id                    one alert and its history
 *   POST   /api/alerts/:id/actions            { action: 'accept' | 'arrived' } (the care team may do more)
 *   POST   /api/patients/:id/invitations      (the patient themself) invite a relative: { name, email, relation, shareVitals }
 *   POST   /api/push-subscriptions            { endpoint, keys: { p256dh, auth } } from the service worker
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { alertActionSchema, FAMILY_ACTIONS, type AlertView } from '../common/alert-api.ts';
import { HttpError, json, readBody } from '../common/http.ts';
import { isStaff, MIN_PASSWORD_LENGTH, type CareLink, type People, type Person } from '../common/people.ts';
import type { Registry } from '../common/registry.ts';
import type { Logger } from '../common/log.ts';
import type { AlertsClient } from './alerts-client.ts';
import type { Auth } from './auth.ts';
import type { LiveHub } from './live.ts';
import type { FamilyOverview, Me } from './family-protocol.ts';
import { accessTo, namesOf, requireAccess } from './access.ts';
import { INVITATION_TTL_MS, inviteBody } from './care-team-api.ts';

const signInBody = z.object({
  email: z.string().trim().min(1, 'enter your e-mail').max(200),
  password: z.string().min(1, 'enter your password').max(500),
});
const tokenBody = z.object({ token: z.string().min(20).max(200) });
const acceptBody = tokenBody.extend({
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `choose a password of at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(500),
});
const pushBody = z.object({
  endpoint: z
    .url()
    .refine((u) => u.startsWith('https://'), 'push endpoints are https URLs')
    .max(2000),
  keys: z.object({ p256dh: z.string().min(80).max(200), auth: z.string().min(16).max(50) }),
});
const actionBody = z.object({ action: alertActionSchema });

export interface CallInvite {
  readonly url: string;
  readonly expiresAt: number;
}

export interface FamilyApiDeps {
  readonly people: People;
  readonly registry: Registry;
  readonly auth: Auth;
  readonly alerts: AlertsClient;
  readonly live: LiveHub;
  readonly calls: ReadonlyMap<string, CallInvite>;
  readonly publicUrl: () => string;
  readonly logger: Logger;
}

export class FamilyApi {
  readonly #d: FamilyApiDeps;

  constructor(deps: FamilyApiDeps) {
    this.#d = deps;
  }

  /** Handles the request if it is one of these routes; false otherwise. */
  async route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    // Cookie-authenticated changes must come from our pages; bearer-token calls carry no ambient credential.
    if (method !== 'GET' && method !== 'HEAD' && !req.headers.authorization) this.#d.auth.sameOrigin(req);
    const d = this.#d;
    if (path === '/api/session' && method === 'POST') {
      const { email, password } = await readBody(req, signInBody);
      const person = await d.auth.signIn(res, email, password);
      return ok(res, 200, { person: this.#me(person) });
    }
    if (path === '/api/session' && method === 'DELETE') {
      d.auth.signOut(req, res);
      return ok(res, 204, null);
    }
    if (path === '/api/me' && method === 'GET') return ok(res, 200, { person: this.#me(d.auth.require(req)) });
    if (path === '/api/invitations/lookup' && method === 'POST') {
      const inv = d.people.invitation((await readBody(req, tokenBody)).token);
      const existing = d.people.personByEmail(inv.email) !== undefined;
      return ok(res, 200, {
        name: inv.name,
        email: inv.email,
        relation: inv.relation,
        patientName: d.registry.patientLabel(inv.patientId) ?? '',
        existingAccount: existing,
        expiresAt: inv.expiresAt,
      });
    }
    if (path === '/api/invitations/accept' && method === 'POST') {
      const { token, password } = await readBody(req, acceptBody);
      const person = await d.people.acceptInvitation(token, password);
      d.auth.startSession(res, person);
      d.logger.info({ personId: person.id }, 'invitation accepted');
      return ok(res, 200, { person: this.#me(person) });
    }
    if (path === '/api/push-subscriptions' && method === 'POST') {
      const person = d.auth.require(req);
      d.people.addPushSubscription(person.id, await readBody(req, pushBody));
      return ok(res, 201, { ok: true });
    }
    const patient = /^\/api\/patients\/([\w-]+)$/.exec(path);
    if (patient) return await this.#patientRoute(req, res, method, patient[1]!);
    const invite = /^\/api\/patients\/([\w-]+)\/invitations$/.exec(path);
    if (invite && method === 'POST') return await this.#patientInvites(req, res, invite[1]!);
    const alert = /^\/api\/alerts\/(\d+)(\/actions)?$/.exec(path);
    if (alert) return await this.#alertRoute(req, res, method, Number(alert[1]), alert[2] !== undefined);
    return false;
  }

  async #patientRoute(req: IncomingMessage, res: ServerResponse, method: string, patientId: string): Promise<boolean> {
    const d = this.#d;
    if (method === 'GET') {
      const person = d.auth.require(req);
      const link = this.#familyLink(person, patientId);
      return ok(res, 200, await this.#overview(link));
    }
    throw new HttpError(405, `${method} is not allowed here`);
  }

  /** The patient themself invites a relative (and chooses whether to share their readings). */
  async #patientInvites(req: IncomingMessage, res: ServerResponse, patientId: string): Promise<boolean> {
    const d = this.#d;
    const person = d.auth.require(req);
    const link = this.#familyLink(person, patientId);
    if (person.role !== 'patient' || link.relation !== 'self')
      throw new HttpError(403, 'only the patient or the care team can invite relatives');
    const body = await readBody(req, inviteBody.omit({ role: true }));
    const { token, expiresAt } = d.people.invite({ patientId, ...body, invitedBy: person.id }, INVITATION_TTL_MS);
    d.logger.info({ patientId, personId: person.id }, 'relative invited by the patient');
    return ok(res, 201, { link: `${d.publicUrl()}/family/#invite=${token}`, expiresAt });
  }

  async #alertRoute(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    id: number,
    actions: boolean,
  ): Promise<boolean> {
    const d = this.#d;
    const person = d.auth.require(req);
    const found = await d.alerts.get(id);
    // An alert of someone else's relative is "not found", like one that does not exist.
    if (!found || !accessTo(d.people, person, found.alert.patientId))
      throw new HttpError(404, `no alert ${id} among your patients'`);
    if (!actions && method === 'GET')
      return ok(res, 200, {
        alert: found.alert,
        audit: found.audit.map((a) => ({ at: a.at, actor: this.#name(a.actor), action: a.action, channel: a.channel })),
      });
    if (!actions || method !== 'POST') throw new HttpError(405, `${method} is not allowed here`);
    const { action } = await readBody(req, actionBody);
    if (!isStaff(person.role) && !FAMILY_ACTIONS.has(action.action))
      throw new HttpError(
        403,
        `a relative can answer "I'm on my way" and confirm arrival; "${action.action}" is for the care team`,
      );
    const alert = await d.alerts.act(id, person.id, action, 'web');
    d.logger.info({ alertId: id, personId: person.id, action: action.action }, 'alert action');
    return ok(res, 200, { alert, names: namesOf(d.people, [alert]) });
  }

  async #overview(link: CareLink): Promise<FamilyOverview> {
    const d = this.#d;
    const now = d.live.now(link.patientId);
    const alerts: AlertView[] = await d.alerts.list([link.patientId]);
    const call = d.calls.get(link.patientId);
    return {
      patient: { id: link.patientId, name: d.registry.patientLabel(link.patientId) ?? link.patientId },
      relation: link.relation,
      shareVitals: link.shareVitals,
      presence: { online: now.online, lastSeen: now.lastSeen, battery: now.battery },
      vitals: link.shareVitals
        ? { latest: now.latest, recent: now.recent.map((s) => ({ ts: s.ts, hr: s.hr, spo2: s.spo2 })) }
        : null,
      alerts,
      people: Object.fromEntries(d.people.peopleOf(link.patientId).map(({ person }) => [person.id, person.name])),
      call: call && call.expiresAt > Date.now() ? call : null,
    };
  }

  /** For the live channel's snapshot: what GET /api/patients/:id answers. */
  overviewFor(link: CareLink): Promise<FamilyOverview> {
    return this.#overview(link);
  }

  /** The family page is for relatives (and the patient); the care team has the console. */
  #familyLink(person: Person, patientId: string): CareLink {
    const access = requireAccess(this.#d.people, person, patientId);
    if (access.kind !== 'family') throw new HttpError(403, 'the care team follows patients in the console (/console/)');
    return access.link;
  }

  #name(actor: string): string {
    return actor === 'system' ? 'Vigie' : (this.#d.people.person(actor)?.name ?? actor);
  }

  #me(person: Person): Me {
    const patients = this.#d.people.linksOf(person.id).map((l) => ({
      id: l.patientId,
      name: this.#d.registry.patientLabel(l.patientId) ?? l.patientId,
      relation: l.relation,
      shareVitals: l.shareVitals,
    }));
    return { id: person.id, name: person.name, email: person.email, role: person.role, lang: person.lang, patients };
  }
}

function ok(res: ServerResponse, status: number, body: unknown): true {
  if (status === 204) res.writeHead(204).end();
  else json(res, status, body);
  return true;
}
