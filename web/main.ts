/** Starts the web service from the environment (see README, "Configuration"). */
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { dataDir, exportsPath, registryPath } from '../common/paths.ts';
import { Registry } from './registry.ts';
import { RecordReads } from './record-reads.ts';
import { ChangeLog } from './change-log.ts';
import { Appointments } from './appointments.ts';
import { Reports } from './reports.ts';
import { ExternalSystems } from './systems.ts';
import { WebServer } from './server.ts';
import { People } from './people.ts';
import { PatientSettingsStore } from './patient-settings.ts';
import { checkInfluxEnv, influxAccess, influxEnv } from '../ingest/influx-client.ts';
import { checkPscEnv } from './psc-env.ts';

const logger = createLogger('web');
const config = readConfig(
  z
    .object({
      WEB_HOST: env.string('127.0.0.1'),
      WEB_PORT: env.port(8080),
      WEB_PUBLIC_URL: z.url().optional(),
      SFU_PUBLIC_URL: env.url('ws://127.0.0.1:4443/signal'),
      WEB_INVITE_TTL_MINUTES: env.int(120, 1).refine((m) => m <= 24 * 60, 'at most 24 hours'),
      VIGIE_CALL_SECRET: z.string().min(32, 'VIGIE_CALL_SECRET must have at least 32 characters (shared with the SFU)'),
      VIGIE_SERVICE_TOKEN: z
        .string({ error: "is required: the token of the ingest's alert API (the same as the ingest's)" })
        .min(32, 'must have at least 32 characters'),
      INGEST_API_URL: env.url('http://127.0.0.1:9103'),
      ...influxEnv,
      MQTT_URL: env.url('mqtt://127.0.0.1:1883'),
      MQTT_WS_URL: env.url('ws://127.0.0.1:8083'),
      /** Where watches reach the broker (in the enrolment QR code); MQTT_URL when absent. */
      DEVICE_MQTT_URL: z
        .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt:, mqtts:, ws: or wss: URL' })
        .optional(),
      WEB_MQTT_USERNAME: env.string('svc:web'),
      WEB_MQTT_SECRET: z
        .string({ error: 'is required: the web service account secret (npm run provision -- service --name web)' })
        .min(1),
      VAPID_PUBLIC_KEY: z.string().min(80).optional(),
      WEB_METRICS_PORT: env.port(9104),
      WEB_REQUESTS_PER_MINUTE: env.int(600, 10),
      WEB_MAX_CONNECTIONS_PER_CLIENT: env.int(256, 1),
      WEB_MAX_SOCKETS_PER_CLIENT: env.int(16, 1),
      /** Behind a reverse proxy: the proxy's address (or true), so that clients are told apart. */
      WEB_TRUST_PROXY: z
        .string()
        .optional()
        .transform((v) => (v === undefined || v === '' || v === 'false' ? undefined : v === 'true' ? true : v)),
      /** Pro Santé Connect: its issuer, or its discovery document's full URL (PSC's is not at the standard path). */
      PSC_DISCOVERY_URL: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
      PSC_CLIENT_ID: z.string().min(1).optional(),
      PSC_CLIENT_SECRET: z.string().min(1).optional(),
    })
    .superRefine(checkInfluxEnv)
    .superRefine(checkPscEnv),
);
const registry = Registry.open(registryPath(dataDir()));
const people = People.open(registryPath(dataDir()));
const settings = PatientSettingsStore.open(registryPath(dataDir()));
const reads = RecordReads.open(registryPath(dataDir()));
const changes = ChangeLog.open(registryPath(dataDir()));
const appointments = Appointments.open(registryPath(dataDir()));
const reports = Reports.open(registryPath(dataDir()));
const systems = ExternalSystems.open(registryPath(dataDir()));
const web = new WebServer({
  host: config.WEB_HOST,
  port: config.WEB_PORT,
  ...(config.WEB_PUBLIC_URL ? { publicUrl: config.WEB_PUBLIC_URL.replace(/\/$/, '') } : {}),
  sfuUrl: config.SFU_PUBLIC_URL,
  secret: config.VIGIE_CALL_SECRET,
  inviteTtlSeconds: config.WEB_INVITE_TTL_MINUTES * 60,
  registry,
  people,
  settings,
  reads,
  changes,
  appointments,
  reports,
  exports: { dir: exportsPath(dataDir()) },
  systems,
  influxUrl: config.INFLUX_URL,
  influxAccess: influxAccess(config),
  metricsPort: config.WEB_METRICS_PORT,
  limits: {
    requestsPerMinute: config.WEB_REQUESTS_PER_MINUTE,
    connectionsPerClient: config.WEB_MAX_CONNECTIONS_PER_CLIENT,
    socketsPerClient: config.WEB_MAX_SOCKETS_PER_CLIENT,
    ...(config.WEB_TRUST_PROXY !== undefined ? { trustProxy: config.WEB_TRUST_PROXY } : {}),
  },
  alertsApi: { url: config.INGEST_API_URL, token: config.VIGIE_SERVICE_TOKEN },
  mqtt: { url: config.MQTT_URL, username: config.WEB_MQTT_USERNAME, password: config.WEB_MQTT_SECRET },
  mqttWsUrl: config.MQTT_WS_URL,
  deviceMqttUrl: config.DEVICE_MQTT_URL ?? config.MQTT_URL,
  ...(config.VAPID_PUBLIC_KEY ? { vapidPublicKey: config.VAPID_PUBLIC_KEY } : {}),
  ...(config.PSC_DISCOVERY_URL && config.PSC_CLIENT_ID && config.PSC_CLIENT_SECRET
    ? {
        psc: {
          discoveryUrl: config.PSC_DISCOVERY_URL,
          clientId: config.PSC_CLIENT_ID,
          clientSecret: config.PSC_CLIENT_SECRET,
        },
      }
    : {}),
  logger,
});
await web.listen();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    void web.close().then(() => {
      registry.close();
      people.close();
      settings.close();
      reads.close();
      changes.close();
      appointments.close();
      reports.close();
      systems.close();
      process.exit(0);
    });
  });
}
