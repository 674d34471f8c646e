/** Starts the web service from the environment (see README, "Configuration"). */
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { Registry } from '../common/registry.ts';
import { WebServer } from './server.ts';

const logger = createLogger('web');
const config = readConfig(
  z.object({
    WEB_HOST: env.string('127.0.0.1'),
    WEB_PORT: env.port(8080),
    WEB_PUBLIC_URL: z.url().optional(),
    SFU_PUBLIC_URL: env.url('ws://127.0.0.1:4443/signal'),
    WEB_INVITE_TTL_MINUTES: env.int(120, 1).refine((m) => m <= 24 * 60, 'at most 24 hours'),
    VIGIE_CALL_SECRET: z.string().min(32, 'VIGIE_CALL_SECRET must have at least 32 characters (shared with the SFU)'),
  }),
);
const registry = Registry.open(registryPath(dataDir()));
const web = new WebServer({
  host: config.WEB_HOST,
  port: config.WEB_PORT,
  ...(config.WEB_PUBLIC_URL ? { publicUrl: config.WEB_PUBLIC_URL.replace(/\/$/, '') } : {}),
  sfuUrl: config.SFU_PUBLIC_URL,
  secret: config.VIGIE_CALL_SECRET,
  inviteTtlSeconds: config.WEB_INVITE_TTL_MINUTES * 60,
  registry,
  logger,
});
await web.listen();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    void web.close().then(() => {
      registry.close();
      process.exit(0);
    });
  });
}
