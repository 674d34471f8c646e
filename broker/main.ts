/** Starts the broker from the environment (see README, "Configuration"). */
import { join } from 'node:path';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { openDeviceDirectory } from '../web/directory.ts';
import { CONNECT_TIMEOUT_MS, PUBLISH_RATE_DEFAULTS, VigieBroker } from './broker.ts';

const logger = createLogger('broker');
const config = readConfig(
  z.object({
    MQTT_HOST: env.string('127.0.0.1'),
    MQTT_PORT: env.port(1883),
    MQTT_WS_PORT: env.port(8083),
    BROKER_METRICS_PORT: env.port(9101),
    /** TCP_NODELAY on client sockets: alarms leave at once instead of waiting for Nagle's algorithm. */
    MQTT_NODELAY: env.bool(true),
    BROKER_ID: env.string('vigie-broker'),
    /** Each device's sustained publishes per second (0: no limit, for capacity benchmarks). */
    MQTT_PUBLISH_RATE: env.int(PUBLISH_RATE_DEFAULTS.perSecond),
    /** Publishes a device may send at once before its rate applies. */
    MQTT_PUBLISH_BURST: env.int(PUBLISH_RATE_DEFAULTS.burst, 1),
    /** How long a new connection may take to send its CONNECT before it is closed. */
    MQTT_CONNECT_TIMEOUT_MS: env.int(CONNECT_TIMEOUT_MS, 100),
  }),
);
const dir = dataDir();
const registry = openDeviceDirectory(registryPath(dir));
const broker = await VigieBroker.create({
  host: config.MQTT_HOST,
  port: config.MQTT_PORT,
  wsPort: config.MQTT_WS_PORT,
  metricsPort: config.BROKER_METRICS_PORT,
  noDelay: config.MQTT_NODELAY,
  id: config.BROKER_ID,
  persistenceDir: join(dir, 'broker'),
  connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS,
  publishRate:
    config.MQTT_PUBLISH_RATE === 0 ? false : { perSecond: config.MQTT_PUBLISH_RATE, burst: config.MQTT_PUBLISH_BURST },
  registry,
  logger,
});
await broker.listen();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    broker.close().then(
      () => {
        registry.close();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ error: String(error) }, 'close failed');
        process.exit(1);
      },
    );
  });
}
