/** Command-line options of the simulator, validated all at once with reasons a person can act on. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { dataDir } from '../common/paths.ts';
import { BATCH_SECONDS } from '../devices/payloads.ts';
import { SCENARIOS, type ScenarioName } from './scenarios.ts';

/** Longest batch period offered: a watch holding readings longer is no longer near real time. */
const MAX_BATCH_SECONDS = 600;

export interface SimulatorOptions {
  readonly watches: number;
  readonly rate: number;
  readonly seed: number;
  readonly scenario: ScenarioName;
  readonly qos: 0 | 1;
  /** Seconds to run; null until Ctrl-C. */
  readonly duration: number | null;
  readonly broker: string;
  readonly cohort: string;
  readonly offlineMinutes: number;
  readonly affected: number;
  readonly at: number;
  readonly connectRate: number;
  /** Seconds between a watch's batched uploads; 0 sends each reading as it is taken. */
  readonly batchSeconds: number;
  readonly help: boolean;
}

export const USAGE = `usage: npm run simulate -- [options]
  --watches N          simulated watches (default 10)
  --rate R             readings per second per watch, e.g. 1 or 0.2 (default 1)
  --seed S             seed; the same seed gives the same physiology and events (default 1)
  --scenario NAME      ${SCENARIOS.join(', ')} (default normal)
  --affected N|F       watches acting the scenario out: a count, or a fraction like 0.1 (default 1)
  --at SECONDS         when the scenario starts (default 10)
  --offline-minutes M  for --scenario offline (default 2)
  --qos 0|1            QoS of single readings; batches and events are always QoS 1 (default 1)
  --batch-seconds S    upload each watch's readings as one batch every S seconds, 0 for one
                       message per reading; a live command overrides it (default ${BATCH_SECONDS})
  --duration SECONDS   stop after this long (default: until Ctrl-C)
  --broker URL         default $MQTT_URL or mqtt://127.0.0.1:1883
  --cohort FILE        watches and secrets (default $VIGIE_DATA_DIR/cohort.json); provisioned if short
  --connect-rate N     new connections per second (default 200)`;

export type OptionsResult = { ok: true; options: SimulatorOptions } | { ok: false; problems: string[] };

export function parseOptions(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): OptionsResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        watches: { type: 'string' },
        rate: { type: 'string' },
        seed: { type: 'string' },
        scenario: { type: 'string' },
        qos: { type: 'string' },
        duration: { type: 'string' },
        broker: { type: 'string' },
        cohort: { type: 'string' },
        'offline-minutes': { type: 'string' },
        affected: { type: 'string' },
        at: { type: 'string' },
        'connect-rate': { type: 'string' },
        'batch-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return { ok: false, problems: [error instanceof Error ? error.message : String(error)] };
  }
  const problems: string[] = [];
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const num = (k: string, fallback: number, check: (n: number) => boolean, expected: string): number => {
    const raw = str(k);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) problems.push(`--${k} ${raw}: expected ${expected}`);
    return n;
  };
  const watches = num(
    'watches',
    10,
    (n) => Number.isInteger(n) && n >= 1 && n <= 100_000,
    'a whole number from 1 to 100000',
  );
  const rate = num('rate', 1, (n) => n > 0 && n <= 50, 'readings per second per watch, above 0 and at most 50');
  const seed = num('seed', 1, Number.isInteger, 'a whole number');
  const qos = num('qos', 1, (n) => n === 0 || n === 1, '0 or 1');
  const duration = str('duration') === undefined ? null : num('duration', 0, (n) => n > 0, 'seconds, above 0');
  const offlineMinutes = num('offline-minutes', 2, (n) => n > 0 && n <= 30 * 24 * 60, 'minutes, above 0');
  const at = num('at', 10, (n) => n >= 0, 'seconds, 0 or more');
  const connectRate = num('connect-rate', 200, (n) => n >= 1, 'connections per second, at least 1');
  const batchSeconds = num(
    'batch-seconds',
    BATCH_SECONDS,
    (n) => n === 0 || (n >= 1 && n <= MAX_BATCH_SECONDS),
    `0 (one message per reading) or seconds from 1 to ${MAX_BATCH_SECONDS}`,
  );
  const affectedRaw = num('affected', 1, (n) => n > 0, 'a count (1, 2, ...) or a fraction (0 < F < 1)');
  const scenario = SCENARIOS.find((s) => s === (str('scenario') ?? 'normal'));
  if (!scenario) problems.push(`--scenario ${str('scenario')}: expected one of ${SCENARIOS.join(', ')}`);
  const broker = str('broker') ?? env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  if (!/^(mqtts?|wss?):\/\/[^/]/.test(broker))
    problems.push(`--broker ${broker}: expected a URL like mqtt://127.0.0.1:1883 or ws://host:8083`);
  if (problems.length > 0 || !scenario) return { ok: false, problems };
  return {
    ok: true,
    options: {
      watches,
      rate,
      seed,
      scenario,
      qos: qos === 0 ? 0 : 1,
      duration,
      broker,
      cohort: str('cohort') ?? join(dataDir(env), 'cohort.json'),
      offlineMinutes,
      at,
      connectRate,
      batchSeconds,
      affected: Math.min(
        watches,
        affectedRaw < 1 ? Math.max(1, Math.round(affectedRaw * watches)) : Math.round(affectedRaw),
      ),
      help: values.help === true,
    },
  };
}
