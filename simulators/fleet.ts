/**
 * Simulated watches on the network: one MQTT connection per watch (the protocol v1 contract), driven by
 * a single shared timer so thousands fit in one process. Counts sent, acknowledged and rejected.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { BATCH_SECONDS, type DeviceCommand, type DeviceInfo } from '../devices/payloads.ts';
import { deviceTopic } from '../devices/topics.ts';
import { parseCommand, parseRejection } from '../devices/protocol.ts';
import type { CohortWatch } from '../common/cohort.ts';
import { WatchModel, type Outgoing } from './model.ts';
import type { ScenarioName } from './scenarios.ts';
import { hash } from './random.ts';
import { assertNever } from '../devices/ble/assert-never.ts';

/** What a simulated watch says about itself on connect (devices/PROTOCOL.md `info`). */
const SIMULATED_WATCH_INFO = JSON.stringify({
  model: 'Vigie Watch (simulated)',
  firmware: '1.0.0',
} satisfies DeviceInfo);

export interface FleetOptions {
  readonly brokerUrl: string;
  readonly watches: readonly CohortWatch[];
  /** Readings per second per watch. */
  readonly rate: number;
  readonly qos: 0 | 1;
  readonly seed: number;
  readonly scenario: ScenarioName;
  /** How many watches act the scenario out (the first ones); the others stay normal. */
  readonly affected: number;
  readonly atSec: number;
  readonly offlineMinutes: number;
  /** New connections per second. */
  readonly connectRate: number;
  /**
   * How often each watch uploads its readings as one batch, in seconds (default BATCH_SECONDS); 0 sends
   * each reading as it is taken. A `live` command sends them as taken for its lease either way.
   */
  readonly batchSeconds?: number;
  readonly clock?: () => number;
}

export interface FleetStats {
  readonly watches: number;
  readonly connected: number;
  /** Messages published (readings, batches, events). */
  readonly sent: number;
  /** Readings in the well-formed vitals messages published (a batch counts each of its readings). */
  readonly readings: number;
  /** Watches in live mode now (a `live` lease running). */
  readonly live: number;
  readonly acknowledged: number;
  readonly rejected: number;
  readonly connectFailures: Readonly<Record<string, number>>;
  readonly rejections: Readonly<Record<string, number>>;
}

interface SimWatch {
  readonly cohort: CohortWatch;
  readonly model: WatchModel;
  client: MqttClient | undefined;
  nextAt: number;
  online: boolean;
  refused: boolean;
}

const TICK_MS = 50;

export class Fleet {
  readonly #o: FleetOptions;
  readonly #watches: SimWatch[];
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;
  #toConnect = 0;
  #connectBudget = 0;
  #sent = 0;
  #readings = 0;
  #acknowledged = 0;
  #rejected = 0;
  readonly #connectFailures: Record<string, number> = {};
  readonly #rejections: Record<string, number> = {};
  #stopped = false;

  constructor(options: FleetOptions) {
    this.#o = options;
    this.#now = options.clock ?? Date.now;
    const start = this.#now();
    const intervalMs = 1000 / options.rate;
    this.#watches = options.watches.map((cohort, index) => ({
      cohort,
      model: new WatchModel({
        seed: options.seed,
        index,
        startTs: start,
        intervalMs,
        qos: options.qos,
        scenario: index < options.affected ? options.scenario : 'normal',
        atSec: options.atSec,
        offlineMinutes: options.offlineMinutes,
        batchMs: (options.batchSeconds ?? BATCH_SECONDS) * 1000,
      }),
      client: undefined,
      // Spread the watches over the interval so the broker sees a steady flow, not bursts.
      nextAt: start + (hash(options.seed, index) % Math.max(1, Math.round(intervalMs))),
      online: true,
      refused: false,
    }));
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  stats(): FleetStats {
    const now = this.#now();
    return {
      watches: this.#watches.length,
      connected: this.#watches.filter((w) => w.client?.connected).length,
      sent: this.#sent,
      readings: this.#readings,
      live: this.#watches.filter((w) => w.model.isLive(now)).length,
      acknowledged: this.#acknowledged,
      rejected: this.#rejected,
      connectFailures: { ...this.#connectFailures },
      rejections: { ...this.#rejections },
    };
  }

  /** Ends cleanly: each watch uploads the readings it holds, says it goes offline (retained), then disconnects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await Promise.all(
      this.#watches.map(async (w) => {
        const c = w.client;
        if (!c) return;
        if (c.connected) {
          const held = w.online ? w.model.flush() : [];
          await Promise.all(held.map((m) => this.#publish(w, c, m)));
          await c
            .publishAsync(deviceTopic(w.cohort.deviceId, 'status'), 'offline', { qos: 1, retain: true })
            .catch(() => undefined);
        }
        await c.endAsync(!c.connected).catch(() => undefined);
      }),
    );
  }

  #tick(): void {
    const now = this.#now();
    this.#connectBudget = Math.min(this.#connectBudget + (this.#o.connectRate * TICK_MS) / 1000, this.#o.connectRate);
    while (this.#connectBudget >= 1 && this.#toConnect < this.#watches.length) {
      const w = this.#watches[this.#toConnect++];
      if (w) this.#connect(w);
      this.#connectBudget -= 1;
    }
    for (const w of this.#watches) {
      if (!w.client || w.refused || now < w.nextAt) continue;
      w.nextAt += w.model.intervalMs;
      if (w.nextAt < now) w.nextAt = now + w.model.intervalMs; // fell behind (machine busy): do not burst
      const step = w.model.step(now);
      // Lose the network (no DISCONNECT, so the broker publishes the will) and stay away until the model says so.
      if (!step.online && w.online) w.client.end(true);
      if (step.online && !w.online) w.client.reconnect();
      w.online = step.online;
      for (const m of step.messages) void this.#publish(w, w.client, m);
    }
  }

  /** Publishes one message; resolves once it is acknowledged (QoS 1) or handed to the socket, never rejects. */
  #publish(w: SimWatch, client: MqttClient, m: Outgoing): Promise<void> {
    this.#sent += 1;
    this.#readings += m.readings ?? 0;
    return new Promise((resolve) => {
      client.publish(deviceTopic(w.cohort.deviceId, m.channel), m.payload, { qos: m.qos }, (error) => {
        if (!error && m.qos === 1) this.#acknowledged += 1;
        resolve();
      });
    });
  }

  #obey(w: SimWatch, command: DeviceCommand): void {
    switch (command.type) {
      case 'ping':
        return;
      case 'set_interval':
        return w.model.setInterval(command.seconds * 1000);
      case 'live':
        return w.model.live(command.seconds, this.#now());
      default:
        return assertNever(command);
    }
  }

  #connect(w: SimWatch): void {
    const { deviceId, secret } = w.cohort;
    const status = deviceTopic(deviceId, 'status');
    const client = mqtt.connect(this.#o.brokerUrl, {
      protocolVersion: 4,
      clientId: deviceId,
      username: deviceId,
      password: secret,
      clean: false,
      keepalive: 60,
      reconnectPeriod: 2_000 + (hash(this.#o.seed, deviceId.length, w.nextAt) % 1_000),
      connectTimeout: 10_000,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    w.client = client;
    client.on('connect', () => {
      client.publish(status, 'online', { qos: 1, retain: true });
      client.publish(deviceTopic(deviceId, 'info'), SIMULATED_WATCH_INFO, { qos: 1, retain: true });
      client.subscribe([deviceTopic(deviceId, 'commands'), deviceTopic(deviceId, 'errors')], { qos: 1 });
    });
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/errors')) {
        const r = parseRejection(payload);
        this.#rejected += 1;
        const code = r.ok ? r.value.code : 'unreadable';
        this.#rejections[code] = (this.#rejections[code] ?? 0) + 1;
        return;
      }
      const command = parseCommand(payload);
      if (command.ok) this.#obey(w, command.value);
    });
    // Live mode does not outlast the connection (devices/PROTOCOL.md): a reconnected watch batches.
    client.on('close', () => w.model.disconnected());
    client.on('error', (error) => {
      const code = 'code' in error ? error.code : undefined;
      // CONNACK 4/5: wrong secret or not authorised; retrying would only feed the broker's lock-out.
      const reason =
        code === 4
          ? 'bad username or password'
          : code === 5
            ? 'not authorized'
            : code === 2
              ? 'identifier rejected'
              : error.message;
      this.#connectFailures[reason] = (this.#connectFailures[reason] ?? 0) + 1;
      if (code === 2 || code === 4 || code === 5) {
        w.refused = true;
        client.end(true);
      }
    });
  }
}
