/**
 * The web service: the built pages (web/dist), their HTTP API (web/routes) and the live channel, on
 * Fastify (web/edge.ts). Families sign in and follow their relative; the care team follows their
 * patients in the console, sets them up and opens teleconsultations; alerts come from the ingest's
 * alert API and the broker (live.ts).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Registry as Metrics } from 'prom-client';
import type { Server } from 'node:http';
import type { Logger } from '../common/log.ts';
import type { Registry } from './registry.ts';
import type { People } from './people.ts';
import type { PatientSettingsStore } from './patient-settings.ts';
import { serveMetrics } from '../common/http-metrics.ts';
import { CallTokens } from '../sfu/tokens.ts';
import { createInflux, type InfluxAccess } from '../ingest/influx-client.ts';
import { AlertsClient } from './alerts-client.ts';
import { Auth } from './auth.ts';
import { Calls } from './calls.ts';
import type { WebContext } from './context.ts';
import { createEdge, type EdgeLimits } from './edge.ts';
import { LiveHub } from './live.ts';
import { liveSocketRoute } from './live-socket.ts';
import { LiveMode } from './live-mode.ts';
import { mqttRelayRoute } from './mqtt-relay.ts';
import type { RecordReads } from './record-reads.ts';
import type { ChangeLog } from './change-log.ts';
import type { Appointments } from './appointments.ts';
import type { Reports } from './reports.ts';
import type { ExternalSystems } from './systems.ts';
import { adminSystemRoutes } from './routes/admin-systems.ts';
import { reportRoutes } from './routes/reports.ts';
import { accountRoutes } from './routes/account.ts';
import { adminStaffRoutes } from './routes/admin-staff.ts';
import { careTeamRoutes } from './routes/care-team.ts';
import { consultationRoutes } from './routes/consultations.ts';
import { consoleRoutes, consoleRow } from './routes/console.ts';
import { familyOverview, familyRoutes } from './routes/family.ts';
import { pageRoutes } from './routes/pages.ts';
import { pscRoutes } from './routes/psc.ts';
import { ProSanteConnect, type PscSettings } from './psc.ts';
import { recordReadsRoutes } from './routes/record-reads.ts';
import { changesRoutes } from './routes/changes.ts';
import { appointmentRoutes } from './routes/appointments.ts';
import { AppointmentScheduler } from './appointment-scheduler.ts';
import { adminPatientRoutes } from './routes/admin-patients.ts';
import { fhirRoutes } from './fhir/routes.ts';
import { fhirExportRoutes } from './fhir/export.ts';
import { ExportJobs, type ExportOptions } from './fhir/export-jobs.ts';
import { myDataRoutes } from './routes/my-data.ts';

const PURGE_EVERY_MS = 24 * 3600_000;
const APPOINTMENT_TICK_MS = 60_000;

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
  /** Who read which patient's record (purged of old entries at start-up and daily). */
  readonly reads: RecordReads;
  /** Every change to the organisation's set-up (who, what, when). */
  readonly changes: ChangeLog;
  /** Scheduled teleconsultations. */
  readonly appointments: Appointments;
  /** Teleconsultations' consents and reports. */
  readonly reports: Reports;
  /** FHIR Bulk Data exports: where their files go (under the data directory), their retention and limits. */
  readonly exports: ExportOptions;
  /** External systems of the FHIR API (SMART Backend Services); its clock judges their assertions and tokens. */
  readonly systems: ExternalSystems;
  /** InfluxDB, for the console's charts (read only), and how to reach it (credentials, CA). */
  readonly influxUrl: string;
  readonly influxAccess?: InfluxAccess;
  /** The ingest's internal alert API and its token. */
  readonly alertsApi: { readonly url: string; readonly token: string };
  /** The broker, as the `web` service account (live vitals, presence, alert changes). */
  readonly mqtt: { readonly url: string; readonly username: string; readonly password: string };
  /** Where watches reach the broker, for their enrolment (default: `mqtt.url`). */
  readonly deviceMqttUrl?: string;
  /** The broker's WebSocket listener, relayed at /mqtt for the Bluetooth gateway page (off when absent). */
  readonly mqttWsUrl?: string;
  /** For the family page's push subscriptions (VAPID public key), when Web Push is configured. */
  readonly vapidPublicKey?: string;
  readonly logger: Logger;
  readonly distDir?: string;
  /** How often open live sockets re-check their session (default one minute). */
  readonly sessionCheckMs?: number;
  readonly limits?: EdgeLimits;
  /** Prometheus /metrics and /healthz on this port of `host` (none when absent). */
  readonly metricsPort?: number;
  /** Staff sign-in with Pro Santé Connect (off when absent). */
  readonly psc?: PscSettings;
  /** How often consultations' reminders and outcomes are looked at (default one minute). */
  readonly appointmentTickMs?: number;
  /** The clock of live mode (tests move it, then call `liveMode.tick()`); the real time by default. */
  readonly liveModeNow?: () => number;
}

export class WebServer {
  readonly tokens: CallTokens;
  readonly live: LiveHub;
  /** Who watches which patient, and the `live` commands to their watches (web/live-mode.ts). */
  readonly liveMode: LiveMode;
  readonly auth: Auth;
  readonly metrics = new Metrics();
  /** Resolves once the live feed is subscribed at the broker. */
  liveReady: Promise<void> = Promise.resolve();
  readonly #o: WebOptions;
  readonly #refused = new Counter({
    name: 'vigie_web_refused_total',
    help: 'requests and sockets refused or closed for what they sent, by code',
    labelNames: ['code'],
    registers: [this.metrics],
  });
  readonly #liveCommands = new Counter({
    name: 'vigie_web_live_commands_total',
    help: 'live mode commands published to watches, by kind (start or renew: seconds > 0; stop: seconds 0)',
    labelNames: ['kind'],
    registers: [this.metrics],
  });
  #app: FastifyInstance | undefined;
  #metricsServer: Server | undefined;
  #purge: ReturnType<typeof setInterval> | undefined;
  #exports: ExportJobs | undefined;
  #scheduler: AppointmentScheduler | undefined;
  #url = '';

  constructor(options: WebOptions) {
    this.#o = options;
    this.tokens = new CallTokens(options.secret);
    this.auth = new Auth(options.people, {
      secure: () => this.#url.startsWith('https:'),
      systems: options.systems,
    });
    this.live = new LiveHub({
      mqttUrl: options.mqtt.url,
      username: options.mqtt.username,
      password: options.mqtt.password,
      registry: options.registry,
      logger: options.logger.child({ component: 'live' }),
    });
    this.liveMode = new LiveMode({
      watchesOf: (patientId) =>
        options.registry
          .devicesOf(patientId)
          .filter((d) => d.kind === 'watch' && d.revokedAt === null)
          .map((d) => d.id),
      publish: (deviceId, command) => {
        this.#liveCommands.inc({ kind: command.seconds > 0 ? 'live' : 'stop' });
        this.live.command(deviceId, command);
      },
      ...(options.liveModeNow ? { now: options.liveModeNow } : {}),
      logger: options.logger.child({ component: 'live-mode' }),
    });
    // The console learns at once which patients enter and leave live mode.
    this.liveMode.onChange((patientId, live) => this.live.announce({ type: 'mode', patientId, live }));
  }

  get url(): string {
    return this.#url;
  }

  /** Sends the reminders due and settles the consultations over, now (by the appointments' clock). */
  async tickAppointments(): Promise<void> {
    await this.#scheduler?.tick();
  }

  async listen(): Promise<string> {
    const o = this.#o;
    const origin = () => new URL(this.#url).origin;
    const refused = (code: string) => this.#refused.inc({ code });
    const app = await createEdge({
      logger: o.logger,
      auth: this.auth,
      origin,
      secure: o.publicUrl?.startsWith('https:') ?? false,
      sfuUrl: o.sfuUrl,
      ...(o.limits ? { limits: o.limits } : {}),
      onRefusal: refused,
      onSocketError: refused,
    });
    this.#app = app;
    this.#exports = await ExportJobs.create(o.exports, o.logger.child({ component: 'fhir-export' }));
    const c: WebContext = {
      people: o.people,
      registry: o.registry,
      settings: o.settings,
      reads: o.reads,
      changes: o.changes,
      appointments: o.appointments,
      reports: o.reports,
      exports: this.#exports,
      systems: o.systems,
      auth: this.auth,
      alerts: new AlertsClient(o.alertsApi.url, o.alertsApi.token),
      live: this.live,
      liveMode: this.liveMode,
      calls: new Calls(this.tokens, o.secret, o.inviteTtlSeconds),
      tokens: this.tokens,
      influx: createInflux(o.influxUrl, o.influxAccess),
      publicUrl: () => this.#url,
      sfuUrl: o.sfuUrl,
      deviceMqttUrl: o.deviceMqttUrl ?? o.mqtt.url,
      vapidPublicKey: o.vapidPublicKey ?? null,
      psc: o.psc !== undefined,
      logger: o.logger,
      refused,
    };
    accountRoutes(app, c);
    pscRoutes(app, c, o.psc ? new ProSanteConnect(o.psc, o.logger.child({ component: 'psc' })) : undefined);
    familyRoutes(app, c);
    consoleRoutes(app, c);
    careTeamRoutes(app, c);
    consultationRoutes(app, c);
    appointmentRoutes(app, c);
    recordReadsRoutes(app, c);
    changesRoutes(app, c);
    reportRoutes(app, c);
    adminStaffRoutes(app, c);
    adminPatientRoutes(app, c);
    adminSystemRoutes(app, c);
    await fhirRoutes(app, c);
    await fhirExportRoutes(app, c);
    myDataRoutes(app, c);
    liveSocketRoute(app, c, {
      snapshot: (_person, access) =>
        access.kind === 'family' ? familyOverview(c, access.link) : consoleRow(c, access),
      onClose: refused,
      ...(o.sessionCheckMs ? { sessionCheckMs: o.sessionCheckMs } : {}),
    });
    if (o.mqttWsUrl) {
      mqttRelayRoute(app, {
        brokerUrl: o.mqttWsUrl,
        logger: o.logger.child({ component: 'mqtt-relay' }),
        onClose: refused,
      });
    }
    await pageRoutes(app, o.distDir);

    o.reads.purge();
    this.#purge = setInterval(() => o.reads.purge(), PURGE_EVERY_MS).unref();
    this.#scheduler = new AppointmentScheduler({
      appointments: o.appointments,
      people: o.people,
      changes: o.changes,
      alerts: c.alerts,
      logger: o.logger.child({ component: 'appointments' }),
    });
    this.#scheduler.start(o.appointmentTickMs ?? APPOINTMENT_TICK_MS);
    this.liveReady = this.live.start();
    this.liveMode.start();
    const address = await app.listen({ host: o.host, port: o.port });
    this.#url = o.publicUrl ?? address.replace('[::1]', '127.0.0.1');
    if (o.metricsPort !== undefined) {
      this.#metricsServer = (await serveMetrics(this.metrics, o.host, o.metricsPort, () => true)).server;
    }
    o.logger.info({ url: this.#url }, 'web listening');
    return this.#url;
  }

  async close(): Promise<void> {
    clearInterval(this.#purge);
    await this.#scheduler?.stop();
    this.liveMode.stop();
    await this.live.stop();
    for (const ws of this.#app?.websocketServer.clients ?? []) ws.terminate();
    await this.#app?.close();
    await this.#exports?.close();
    this.#metricsServer?.close();
  }
}
