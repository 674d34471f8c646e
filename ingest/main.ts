/** Starts the ingest service from the environment (see README, "Configuration"). */
import { join } from 'node:path';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { serveMetrics } from '../common/http-metrics.ts';
import { Ingest } from './ingest.ts';
import { openCareDirectory } from '../web/directory.ts';
import { serveAlertApi } from './alert-api.ts';
import type { NotificationChannel } from './notify/channel.ts';
import { EmailChannel } from './notify/email.ts';
import { WebPushChannel } from './notify/push.ts';
import { checkInfluxEnv, influxAccess, influxEnv, influxUrlForLogs } from './influx-client.ts';

const logger = createLogger('ingest');
const config = readConfig(
  z
    .object({
      // The ingest's own MQTT client speaks TCP and TLS (ingest/group-subscriber.ts).
      MQTT_URL: z
        .url({ protocol: /^mqtts?$/, error: 'must be an mqtt: or mqtts: URL' })
        .default('mqtt://127.0.0.1:1883'),
      INGEST_MQTT_USERNAME: env.string('svc:ingest'),
      INGEST_MQTT_SECRET: z
        .string({
          error: 'is required: the ingest service account secret (npm run provision -- service --name ingest)',
        })
        .min(1),
      INGEST_CLIENT_ID: env.string('vigie-ingest'),
      ...influxEnv,
      INGEST_BATCH_SIZE: env.int(5000, 1),
      INGEST_BATCH_MS: env.int(1000, 10),
      INGEST_LIVE_MS: env.int(200, 0),
      INGEST_BUFFER_MAX_POINTS: env.int(1_000_000, 1000),
      INGEST_METRICS_HOST: env.string('127.0.0.1'),
      INGEST_METRICS_PORT: env.port(9102),
      INGEST_API_HOST: env.string('127.0.0.1'),
      INGEST_API_PORT: env.port(9103),
      VIGIE_SERVICE_TOKEN: z
        .string({
          error:
            'is required: the token the web service uses to reach the alert API (at least 32 characters, the same for both)',
        })
        .min(32, 'must have at least 32 characters'),
      WEB_PUBLIC_URL: env.url('http://127.0.0.1:8080'),
      SMTP_URL: z.url().optional(),
      SMTP_FROM: env.string('Vigie <alertes@localhost>'),
      VAPID_PUBLIC_KEY: z.string().min(80).optional(),
      VAPID_PRIVATE_KEY: z.string().min(40).optional(),
      VAPID_SUBJECT: env.string('mailto:admin@localhost'),
    })
    .refine((c) => (c.VAPID_PUBLIC_KEY === undefined) === (c.VAPID_PRIVATE_KEY === undefined), {
      message:
        'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together (generate them with: npx web-push generate-vapid-keys)',
      path: ['VAPID_PRIVATE_KEY'],
    })
    .superRefine(checkInfluxEnv),
);
const dir = dataDir();
const directory = openCareDirectory(registryPath(dir));
const channels: NotificationChannel[] = [];
if (config.SMTP_URL) channels.push(new EmailChannel({ url: config.SMTP_URL, from: config.SMTP_FROM }));
if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
  channels.push(
    new WebPushChannel(
      { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject: config.VAPID_SUBJECT },
      (endpoint) => logger.info({ endpoint: new URL(endpoint).host }, 'push subscription gone: not used again'),
    ),
  );
}
if (channels.length === 0)
  logger.warn('no notification channel configured (SMTP_URL, VAPID_*): alerts reach the console only');
const ingest = new Ingest({
  mqttUrl: config.MQTT_URL,
  username: config.INGEST_MQTT_USERNAME,
  password: config.INGEST_MQTT_SECRET,
  clientId: config.INGEST_CLIENT_ID,
  influxUrl: config.INFLUX_URL,
  influxAccess: influxAccess(config),
  dir: join(dir, 'ingest'),
  registry: directory.patients,
  batchSize: config.INGEST_BATCH_SIZE,
  batchMs: config.INGEST_BATCH_MS,
  liveIntervalMs: config.INGEST_LIVE_MS,
  bufferCapacity: config.INGEST_BUFFER_MAX_POINTS,
  logger,
  people: directory.people,
  settings: directory.settings,
  channels,
  webUrl: config.WEB_PUBLIC_URL,
});
const metrics = await serveMetrics(
  ingest.metrics.registry,
  config.INGEST_METRICS_HOST,
  config.INGEST_METRICS_PORT,
  () => true,
);
const api = await serveAlertApi(ingest.alertService, {
  host: config.INGEST_API_HOST,
  port: config.INGEST_API_PORT,
  token: config.VIGIE_SERVICE_TOKEN,
  logger,
  invitations: ingest.callInvitations,
  appointmentInvitations: ingest.appointmentInvitations,
});
logger.info(
  {
    metricsPort: metrics.port,
    alertApi: api.url,
    influx: influxUrlForLogs(config.INFLUX_URL),
    channels: channels.map((c) => c.name),
  },
  'ingest starting',
);
await ingest.start();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    metrics.server.close();
    api.server.close();
    ingest.stop().then(
      () => {
        directory.close();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error: String(error) }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
