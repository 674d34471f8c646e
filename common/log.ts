/** Structured JSON logs. Ids only: no health data, no names, never a secret. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}

/**
 * A warning that is logged at most once per interval and key (e.g. per device and reason), with the
 * number of occurrences suppressed since the last line, so a chatty faulty device cannot flood logs.
 */
export function rateLimitedWarn(logger: Logger, intervalMs = 60_000, clock: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, fields: Record<string, unknown>, message: string): void => {
    const now = clock();
    const entry = last.get(key);
    if (entry && now - entry.at < intervalMs) {
      entry.suppressed += 1;
      return;
    }
    logger.warn({ ...fields, ...(entry?.suppressed ? { suppressed: entry.suppressed } : {}) }, message);
    last.set(key, { at: now, suppressed: 0 });
    if (last.size > 10_000) last.clear();
  };
}
