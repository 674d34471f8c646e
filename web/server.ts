/**
 * The web service: the built pages (web/dist), their HTTP API and the live channel. A clinician
 * (staff token) creates teleconsultations, invites relatives and sets escalation chains; families
 * sign in and follow their relative (family-api.ts, live-socket.ts); alerts come from the ingest's
 * alert API and the broker (live.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sirv from 'sirv';
import { z } from 'zod';
import type { Logger } from '../common/log.ts';
import type { Registry } from '../common/registry.ts';
import { CallTokens } from '../sfu/tokens.ts';
import { HttpError, json, readBody } from '../common/http.ts';
import { isStaff, PeopleError, type People } from '../common/people.ts';
import { requireAccess } from './access.ts';
import { AlertsClient } from './alerts-client.ts';
import { Auth } from './auth.ts';
import { FamilyApi, type CallInvite } from './family-api.ts';
import { CareTeamApi } from './care-team-api.ts';
import { ConsoleApi } from './console-api.ts';
import { createInflux } from '../ingest/influx-client.ts';
import type { PatientSettingsStore } from '../common/patient-settings.ts';
import { LiveHub } from './live.ts';
import { attachLiveSocket } from './live-socket.ts';
import { attachMqttRelay } from './mqtt-relay.ts';
import { MQTT_WS_PATH, routeGateways, type GatewayApiDeps } from './gateway-api.ts';
import type { WebSocketServer } from 'ws';

export interface WebOptions {
  readonly host: string;
  readonly port: number;
  /** Where browsers reach this server (used in invitation links). Defaults to the listening address. */
  readonly publicUrl?: string;
  /** Where browsers reach the SFU's signalling WebSocket. */
  readonly sfuUrl: string;
  readonly secret: string;
  readonly inviteTtlSeconds: number;
  readonly registry: Registry;
  readonly people: People;
  readonly settings: PatientSettingsStore;
  /** InfluxDB, for the console's charts (read only). */
  readonly influxUrl: string;
  /** The ingest's internal alert API and its token. */
  readonly alertsApi: { readonly url: string; readonly token: string };
  /** The broker, as the `web` service account (live vitals, presence, alert changes). */
  readonly mqtt: { readonly url: string; readonly username: string; readonly password: string };
  /** The broker's WebSocket listener, relayed at /mqtt for the Bluetooth gateway page (off when absent). */
  readonly mqttWsUrl?: string;
  /** For the family page's push subscriptions (VAPID public key), when Web Push is configured. */
  readonly vapidPublicKey?: string;
  readonly logger: Logger;
  readonly distDir?: string;
  /** How often open live sockets re-check their session (default one minute). */
  readonly sessionCheckMs?: number;
}

const PEOPLE_STATUS: Record<PeopleError['code'], number> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  expired: 410,
};

export const DIST_DIR = join(import.meta.dirname, 'dist');

const createConsultation = z.object({
  patientId: z.string().trim().min(1, 'patientId is required').max(100),
  inviteFamily: z.boolean().default(true),
});

export class WebServer {
  readonly tokens: CallTokens;
  readonly live: LiveHub;
  /** Resolves once the live feed is subscribed at the broker. */
  liveReady: Promise<void> = Promise.resolve();
  readonly #o: WebOptions;
  readonly #http: Server;
  readonly #static: ReturnType<typeof sirv>;
  readonly #family: FamilyApi;
  readonly #careTeam: CareTeamApi;
  readonly #console: ConsoleApi;
  readonly #calls = new Map<string, CallInvite>();
  readonly #liveSockets: WebSocketServer;
  readonly #mqttRelay: WebSocketServer | undefined;
  readonly #gateways: GatewayApiDeps;
  readonly #auth: Auth;
  #url = '';

  constructor(options: WebOptions) {
    this.#o = options;
    this.tokens = new CallTokens(options.secret);
    const dist = options.distDir ?? DIST_DIR;
    if (!existsSync(join(dist, 'call.html')))
      throw new Error(`the pages are not built (${dist}); run: npm run build:web`);
    this.#static = sirv(dist, {
      etag: true,
      dev: false,
      setHeaders: (res) => res.setHeader('x-content-type-options', 'nosniff'),
    });
    this.#http = createServer((req, res) => void this.#route(req, res));
    this.live = new LiveHub({
      mqttUrl: options.mqtt.url,
      username: options.mqtt.username,
      password: options.mqtt.password,
      registry: options.registry,
      logger: options.logger.child({ component: 'live' }),
    });
    const auth = new Auth(options.people, () => new URL(this.#url).origin);
    this.#auth = auth;
    const alerts = new AlertsClient(options.alertsApi.url, options.alertsApi.token);
    this.#family = new FamilyApi({
      people: options.people,
      registry: options.registry,
      auth,
      alerts,
      live: this.live,
      calls: this.#calls,
      publicUrl: () => this.#url,
      logger: options.logger,
    });
    this.#console = new ConsoleApi({
      people: options.people,
      registry: options.registry,
      settings: options.settings,
      auth,
      alerts,
      live: this.live,
      influx: createInflux(options.influxUrl),
      logger: options.logger.child({ component: 'console' }),
    });
    this.#careTeam = new CareTeamApi({
      people: options.people,
      settings: options.settings,
      registry: options.registry,
      requireStaff: (req, patientId) => this.#requireStaff(req, patientId),
      publicUrl: () => this.#url,
      logger: options.logger,
    });
    this.#liveSockets = attachLiveSocket(this.#http, {
      auth,
      people: options.people,
      live: this.live,
      snapshot: (person, access) =>
        access.kind === 'family' ? this.#family.overviewFor(access.link) : this.#console.row(access.patientId),
      logger: options.logger.child({ component: 'live' }),
      ...(options.sessionCheckMs ? { sessionCheckMs: options.sessionCheckMs } : {}),
    });
    this.#gateways = { people: options.people, registry: options.registry, auth, logger: options.logger };
    this.#mqttRelay = options.mqttWsUrl
      ? attachMqttRelay(this.#http, {
          path: MQTT_WS_PATH,
          brokerUrl: options.mqttWsUrl,
          sameOrigin: (req) => auth.sameOrigin(req),
          logger: options.logger.child({ component: 'mqtt-relay' }),
        })
      : undefined;
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<string> {
    this.liveReady = this.live.start();
    this.#http.listen(this.#o.port, this.#o.host);
    await once(this.#http, 'listening');
    const address = this.#http.address();
    const port = address && typeof address !== 'string' ? address.port : this.#o.port;
    this.#url = this.#o.publicUrl ?? `http://${this.#o.host}:${port}`;
    this.#o.logger.info({ url: this.#url }, 'web listening');
    return this.#url;
  }

  async close(): Promise<void> {
    await this.live.stop();
    for (const ws of this.#liveSockets.clients) ws.terminate(); // upgraded sockets are not the HTTP server's any more
    for (const ws of this.#mqttRelay?.clients ?? []) ws.terminate();
    this.#liveSockets.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (path === '/api/config' && req.method === 'GET')
        return json(res, 200, { sfuUrl: this.#o.sfuUrl, vapidPublicKey: this.#o.vapidPublicKey ?? null });
      if (path === '/api/consultations') {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST');
        return json(res, 201, await this.#createConsultation(req));
      }
      if (path.startsWith('/api/console/') && (await this.#console.route(req, res, path))) return;
      if (path.startsWith('/api/patients/') && (await this.#careTeam.route(req, res, path))) return;
      if (path.startsWith('/api/patients/') && (await routeGateways(this.#gateways, req, res, path))) return;
      if (path.startsWith('/api/') && (await this.#family.route(req, res, path))) return;
      if (path.startsWith('/api/')) throw new HttpError(404, `no API at ${path}`);
      if (/^\/call\/[\w-]+\/?$/.test(path)) req.url = '/call.html';
      if (/^\/family\/?$/.test(path)) req.url = '/family.html';
      if (/^\/console\/?$/.test(path)) req.url = '/console.html';
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'",
      );
      res.setHeader('referrer-policy', 'no-referrer');
      this.#static(req, res, () => json(res, 404, { error: `not found: ${path}` }));
    } catch (error) {
      if (error instanceof HttpError) return json(res, error.status, { error: error.message });
      if (error instanceof PeopleError) return json(res, PEOPLE_STATUS[error.code], { error: error.message });
      this.#o.logger.error({ path, err: String(error) }, 'request failed');
      json(res, 500, { error: 'internal error' });
    }
  }

  /**
   * A member of the care team: signed in to the console (session cookie, then only for the patients
   * of their team), or holding a staff token (`Authorization: Bearer`, for scripts and the demo's link).
   */
  async #requireStaff(req: IncomingMessage, patientId?: string): Promise<{ staffId: string; displayName: string }> {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) {
      const person = this.#auth.person(req);
      if (!person) throw new HttpError(401, 'sign in first (console), or send "Authorization: Bearer <staff token>"');
      if (!isStaff(person.role)) throw new HttpError(403, 'this is for the care team');
      if (req.method !== 'GET') this.#auth.sameOrigin(req);
      if (patientId !== undefined && this.#o.registry.hasPatient(patientId))
        requireAccess(this.#o.people, person, patientId);
      return { staffId: person.id, displayName: person.name };
    }
    const staff = await this.tokens.verifyStaff(auth.slice('Bearer '.length));
    if (!staff.ok)
      throw new HttpError(
        401,
        staff.error === 'token_expired'
          ? 'your sign-in has expired; sign in again'
          : 'your sign-in is not valid; sign in again',
      );
    return staff.value;
  }

  async #createConsultation(req: IncomingMessage) {
    await this.#requireStaff(req); // before reading the body
    const { patientId, inviteFamily } = await readBody(req, createConsultation);
    const staff = { value: await this.#requireStaff(req, patientId) };
    if (!this.#o.registry.hasPatient(patientId)) throw new HttpError(404, `unknown patient ${patientId}`);
    const roomId = CallTokens.newRoomId();
    const ttlSeconds = this.#o.inviteTtlSeconds;
    const issue = (role: 'clinician' | 'patient' | 'family', displayName: string, participantId?: string) =>
      this.tokens.issueCall({
        roomId,
        role,
        displayName,
        patientId,
        ttlSeconds,
        ...(participantId ? { participantId } : {}),
      });
    const clinician = await issue('clinician', staff.value.displayName, staff.value.staffId);
    const patient = await issue('patient', 'Patient');
    const family = inviteFamily ? await issue('family', 'Famille') : undefined;
    const link = (token: string) => `${this.#url}/call/${roomId}#${token}`;
    this.#o.logger.info({ room: roomId, patient: patientId, staff: staff.value.staffId }, 'consultation created');
    if (family) {
      // The relatives signed in to the family page see a "join the call" button at once.
      const invite = { url: link(family.token), expiresAt: family.grant.expiresAt };
      this.#calls.set(patientId, invite);
      this.live.announce({ type: 'call', patientId, ...invite });
    }
    return {
      roomId,
      expiresAt: clinician.grant.expiresAt,
      links: {
        clinician: link(clinician.token),
        patient: link(patient.token),
        ...(family ? { family: link(family.token) } : {}),
      },
    };
  }
}
