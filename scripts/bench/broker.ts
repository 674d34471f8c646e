/**
 * Broker throughput, side by side: Vigie's broker (authentication, ACL, validation of every message,
 * durable persistence), stock aedes and Mosquitto, under the same client load: `publishers`
 * connections each keeping `window` QoS 1 vitals messages in flight, one persistent QoS 1 subscriber
 * (the ingest's role) receiving them all. The configurations take turns (interleaved rounds) so that
 * the machine's noise falls on all of them; medians and ratios are reported. Also Vigie's broker with
 * Nagle's algorithm left on (the default of Node sockets), to show what TCP_NODELAY costs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../common/free-port.ts';
import { registryPath } from '../../common/paths.ts';
import { Registry } from '../../web/registry.ts';
import { allDevicesFilter } from '../../devices/topics.ts';
import { ClosedLoop, connectAll, countingSubscriber, type Credentials } from './lib/load.ts';
import { startMosquitto, startService, startStockAedes, UsageSampler, type Running } from './lib/processes.ts';

export interface BrokerBenchOptions {
  readonly publishers: number;
  readonly window: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly progress?: (done: number, total: number, label: string) => void;
}

export interface BrokerRun {
  readonly config: string;
  readonly round: number;
  readonly msgsPerSec: number;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  /** Why the round has no figure: the broker stopped answering (the end of its output). */
  readonly failure?: string;
}
export interface BrokerBenchResult {
  readonly runs: BrokerRun[];
  readonly median: Record<string, number>;
  readonly ratios: {
    readonly vigieToAedes: number;
    readonly vigieToMosquitto: number;
    readonly nagleToNoDelay: number;
  };
  readonly load: {
    readonly publishers: number;
    readonly window: number;
    readonly seconds: number;
    readonly rounds: number;
  };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
    : Number.NaN;
};

/**
 * One measurement on the broker at `at`: closed-loop load for `seconds` after a warm-up; messages
 * received by the subscriber.
 */
async function measureRound(
  at: { host: string; port: number },
  watches: readonly Credentials[],
  subscriber: { username: string; password: string; clientId: string },
  o: { window: number; seconds: number },
  pids: Record<string, number>,
): Promise<{ msgs: number; secs: number; usage: ReturnType<UsageSampler['stop']> }> {
  const counting = await countingSubscriber(at, subscriber, allDevicesFilter('vitals'));
  const { connections, ramp } = await connectAll(at, watches, { rate: 2000, concurrency: 50 });
  // A round some publishers could not join measures less than it says: it fails, with why.
  if (connections.length < watches.length) {
    for (const c of connections) c.end();
    counting.connection.end();
    throw new Error(
      `${connections.length} of ${watches.length} publishers connected: ${JSON.stringify(ramp.failures)}`,
    );
  }
  const load = new ClosedLoop(connections, watches, o.window);
  await new Promise((r) => setTimeout(r, 2000)); // warm-up
  const sampler = new UsageSampler(pids, 1000);
  const from = counting.received();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const msgs = counting.received() - from;
  const secs = (Date.now() - t0) / 1000;
  const usage = sampler.stop();
  load.stop();
  for (const c of connections) c.end();
  counting.connection.end();
  await new Promise((r) => setTimeout(r, 1500)); // let the broker drain before the next turn
  return { msgs, secs, usage };
}

/** The publishers' watches and the subscriber's service account, in the registry the brokers use. */
async function provisionLoad(
  registry: Registry,
  publishers: number,
): Promise<{ watches: Credentials[]; subscriber: { username: string; password: string; clientId: string } }> {
  const watches: Credentials[] = [];
  for (let i = 0; i < publishers; i += 1) {
    const p = await registry.provisionPatient(`Bench ${i + 1}`);
    watches.push({ deviceId: p.deviceId, secret: p.secret });
  }
  const username = 'svc:bench-ingest';
  return {
    watches,
    subscriber: { username, password: await registry.setService(username, 'ingest'), clientId: username },
  };
}

export async function benchBrokers(o: BrokerBenchOptions): Promise<BrokerBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-bench-broker-'));
  const registry = Registry.open(registryPath(dir));
  const running: Running[] = [];
  try {
    const { watches, subscriber } = await provisionLoad(registry, o.publishers);
    registry.close(); // checkpointed: its file can be copied
    const vigie = async (noDelay: boolean, name: string) => {
      const env = {
        VIGIE_DATA_DIR: join(dir, name),
        MQTT_PORT: String(await freePort()),
        MQTT_WS_PORT: String(await freePort()),
        BROKER_METRICS_PORT: String(await freePort()),
        MQTT_NODELAY: String(noDelay),
        // Each publisher here sends as fast as it is acknowledged, far beyond a watch's pace: the
        // per-device publish rate would measure itself, not the broker.
        MQTT_PUBLISH_RATE: '0',
        LOG_LEVEL: 'info',
      };
      mkdirSync(env.VIGIE_DATA_DIR, { recursive: true });
      copyFileSync(registryPath(dir), registryPath(env.VIGIE_DATA_DIR)); // the same devices and secrets
      return startService(name, 'broker/main.ts', env, 'broker listening');
    };
    const started = async (r: Promise<Running>) => {
      const x = await r;
      running.push(x);
      return x;
    };
    const factories: Record<string, () => Promise<Running>> = {
      vigie: () => vigie(true, 'vigie'),
      'vigie-nagle': () => vigie(false, 'vigie-nagle'),
      aedes: () => startStockAedes(),
      mosquitto: () => startMosquitto(join(dir, 'mosquitto')),
    };
    const brokers: Record<string, Running> = {};
    for (const [config, start] of Object.entries(factories)) brokers[config] = await started(start());
    const runs: BrokerRun[] = [];
    const total = o.rounds * Object.keys(brokers).length;
    for (let round = 1; round <= o.rounds; round += 1) {
      for (const [config, broker] of Object.entries(brokers)) {
        o.progress?.(runs.length, total, `${config}, round ${round}`);
        const at = { host: '127.0.0.1', port: broker.port };
        try {
          const { msgs, secs, usage } = await measureRound(at, watches, subscriber, o, { broker: broker.pid });
          runs.push({
            config,
            round,
            msgsPerSec: Math.round(msgs / secs),
            cpuPercent: usage.broker?.cpuMeanPercent ?? Number.NaN,
            rssMiB: usage.broker?.rssPeakMiB ?? Number.NaN,
          });
        } catch (error) {
          // A broker that falls over is a result too: say why, start it again for the next rounds.
          const failure = `${error instanceof Error ? error.message : String(error)}; its output ended with: ${broker.tail().split('\n').filter(Boolean).slice(-3).join(' | ')}`;
          runs.push({ config, round, msgsPerSec: Number.NaN, cpuPercent: Number.NaN, rssMiB: Number.NaN, failure });
          await broker.stop().catch(() => undefined);
          brokers[config] = await started(factories[config]!());
        }
      }
    }
    o.progress?.(total, total, 'done');
    const med = Object.fromEntries(
      Object.keys(brokers).map((c) => [
        c,
        Math.round(median(runs.filter((r) => r.config === c && !r.failure).map((r) => r.msgsPerSec))),
      ]),
    );
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      runs,
      median: med,
      ratios: {
        vigieToAedes: ratio(med.vigie!, med.aedes!),
        vigieToMosquitto: ratio(med.vigie!, med.mosquitto!),
        nagleToNoDelay: ratio(med['vigie-nagle']!, med.vigie!),
      },
      load: { publishers: o.publishers, window: o.window, seconds: o.seconds, rounds: o.rounds },
    };
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    registry.close(); // idempotent
    rmSync(dir, { recursive: true, force: true });
  }
}
