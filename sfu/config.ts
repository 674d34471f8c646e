/** The SFU's environment (see README, "Configuration"). */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { DEFAULT_SIGNALLING_LIMITS as LIMITS, joinSequenceLength } from './signalling-limits.ts';

export const sfuConfigSchema = z
  .object({
    SFU_HOST: env.string('127.0.0.1'),
    SFU_PORT: env.port(4443),
    SFU_WORKERS: env.int(availableParallelism(), 1),
    SFU_LISTEN_IP: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
    SFU_ANNOUNCED_IP: z
      .string()
      .default('')
      .transform((v) => v || undefined),
    SFU_RTC_MIN_PORT: env.int(40_000, 1024),
    SFU_RTC_MAX_PORT: env.int(49_999, 1024),
    SFU_MAX_PARTICIPANTS_PER_ROOM: env.int(6, 2),
    SFU_MAX_PARTICIPANTS_PER_WORKER: env.int(400, 2),
    SFU_JOIN_TIMEOUT_MS: env.int(LIMITS.joinTimeoutMs, 100),
    SFU_MAX_SOCKETS_PER_CLIENT: env.int(LIMITS.maxSocketsPerClient, 1),
    SFU_MESSAGES_PER_SECOND: env.int(LIMITS.messagesPerSecond, 1),
    SFU_MESSAGE_BURST: env.int(LIMITS.messageBurst, 1),
    /** The web service, where the SFU reports who is in each room (none: not reported). */
    SFU_WEB_URL: z
      .url()
      .optional()
      .or(z.literal('').transform(() => undefined)),
    VIGIE_CALL_SECRET: z
      .string()
      .min(32, 'VIGIE_CALL_SECRET must have at least 32 characters (shared with the web API)'),
  })
  .refine((c) => c.SFU_RTC_MIN_PORT < c.SFU_RTC_MAX_PORT, {
    message: 'SFU_RTC_MIN_PORT must be below SFU_RTC_MAX_PORT',
    path: ['SFU_RTC_MIN_PORT'],
  })
  .refine((c) => c.SFU_MESSAGE_BURST >= joinSequenceLength(c.SFU_MAX_PARTICIPANTS_PER_ROOM), {
    message: 'SFU_MESSAGE_BURST must hold a call page joining a full room (see joinSequenceLength)',
    path: ['SFU_MESSAGE_BURST'],
  });

export type SfuConfig = z.infer<typeof sfuConfigSchema>;

export function readSfuConfig(environment: Record<string, string | undefined> = process.env): Readonly<SfuConfig> {
  return readConfig(sfuConfigSchema, environment);
}
