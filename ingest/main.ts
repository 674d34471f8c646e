/** Starts the ingest service from the environment (see README, "Configuration"). */
import { join } from 'node:path';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { Registry } from '../common/registry.ts';
import { serveMetrics } from '../common/http-metrics.ts';
import { Ingest } from './ingest.ts';

const logger = createLogger('ingest');
const config = readConfig(
  z.object({
    MQTT_URL: env.url('mqtt://127.0.0.1:1883'),
    INGEST_MQTT_USERNAME: env.string('svc:ingest'),
    INGEST_MQTT_SECRET: z.string({ error: 'is required: the ingest service account secret (npm run provision -- service --name ingest)' }).min(1),
    INGEST_CLIENT_ID: env.string('vigie-ingest'),
    INFLUX_URL: env.url('http://127.0.0.1:8086'),
    INGEST_BATCH_SIZE: env.int(5000, 1),
    INGEST_BATCH_MS: env.int(1000, 10),
    INGEST_BUFFER_MAX_POINTS: env.int(1_000_000, 1000),
    INGEST_METRICS_HOST: env.string('127.0.0.1'),
    INGEST_METRICS_PORT: env.port(9102),
  }),
);
const dir = dataDir();
const registry = Registry.open(registryPath(dir));
const ingest = new Ingest({
  mqttUrl: config.MQTT_URL,
  username: config.INGEST_MQTT_USERNAME,
  password: config.INGEST_MQTT_SECRET,
  clientId: config.INGEST_CLIENT_ID,
  influxUrl: config.INFLUX_URL,
  dir: join(dir, 'ingest'),
  registry,
  batchSize: config.INGEST_BATCH_SIZE,
  batchMs: config.INGEST_BATCH_MS,
  bufferCapacity: config.INGEST_BUFFER_MAX_POINTS,
  logger,
});
const metrics = await serveMetrics(ingest.metrics.registry, config.INGEST_METRICS_HOST, config.INGEST_METRICS_PORT, () => true);
logger.info({ metricsPort: metrics.port, influx: config.INFLUX_URL }, 'ingest starting');
await ingest.start();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    metrics.server.close();
    ingest.stop().then(() => {
      registry.close();
      process.exit(0);
    }, (error: unknown) => {
      logger.error({ error: String(error) }, 'stop failed');
      process.exit(1);
    });
  });
}
