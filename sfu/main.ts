/** Starts the SFU from the environment (see README, "Configuration"). */
import { ConfigError } from '../common/config.ts';
import { createLogger } from '../common/log.ts';
import { readSfuConfig } from './config.ts';
import { SfuServer } from './server.ts';
import { reportPresenceTo } from './presence-report.ts';

const logger = createLogger('sfu');
let config;
try {
  config = readSfuConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  logger.fatal({ problems: error.problems }, 'invalid configuration');
  process.exit(2);
}
const sfu = await SfuServer.create({
  host: config.SFU_HOST,
  port: config.SFU_PORT,
  workers: config.SFU_WORKERS,
  network: {
    listenIp: config.SFU_LISTEN_IP,
    announcedIp: config.SFU_ANNOUNCED_IP,
    rtcMinPort: config.SFU_RTC_MIN_PORT,
    rtcMaxPort: config.SFU_RTC_MAX_PORT,
  },
  secret: config.VIGIE_CALL_SECRET,
  limits: {
    maxParticipants: config.SFU_MAX_PARTICIPANTS_PER_ROOM,
    maxParticipantsPerWorker: config.SFU_MAX_PARTICIPANTS_PER_WORKER,
  },
  signalling: {
    joinTimeoutMs: config.SFU_JOIN_TIMEOUT_MS,
    maxSocketsPerClient: config.SFU_MAX_SOCKETS_PER_CLIENT,
    messagesPerSecond: config.SFU_MESSAGES_PER_SECOND,
    messageBurst: config.SFU_MESSAGE_BURST,
  },
  logger,
  ...(config.SFU_WEB_URL === undefined
    ? {}
    : {
        onPresence: reportPresenceTo({
          webUrl: () => config.SFU_WEB_URL ?? '',
          secret: config.VIGIE_CALL_SECRET,
          logger: logger.child({ component: 'presence' }),
        }),
      }),
});
await sfu.listen();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping');
    sfu.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'close failed');
        process.exit(1);
      },
    );
  });
}
