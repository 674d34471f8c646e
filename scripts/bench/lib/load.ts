/**
 * Client load for the benchmarks, on the lean MQTT client (simulators/lean-client.ts) so that one
 * process drives tens of thousands of watches: connection ramps at a chosen rate, watches publishing
 * vitals at a steady rate (a paced fleet), or publishers keeping a window of QoS 1 messages in
 * flight (closed loop, for throughput), and subscribers that count what arrives.
 */
import { ConnectRefused, LeanMqttConnection } from '../../../simulators/lean-client.ts';
import { deviceTopic } from '../../../devices/topics.ts';

export interface Credentials {
  readonly deviceId: string;
  readonly secret: string;
}
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** A valid protocol v1 vitals message (one sample), cheap to make. */
export function vitalsPayload(seq: number, ts = Date.now()): Buffer {
  const wave = seq % 20;
  return Buffer.from(
    `{"ts":${ts},"seq":${seq},"hr":${62 + wave},"spo2":${95 + (wave % 4)},"temp":36.${wave % 10},"battery":${90 - (seq % 60)}}`,
  );
}

export interface RampResult {
  readonly connected: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly failures: Record<string, number>;
}

/**
 * Connects every watch, at most `rate` new connections per second, `concurrency` handshakes at a
 * time; a refused or timed-out connection is retried (counted) until `deadlineMs`.
 */
export async function connectAll(
  target: Target,
  watches: readonly Credentials[],
  options: {
    rate: number;
    concurrency?: number;
    deadlineMs?: number;
    persistent?: boolean;
    onProgress?: (connected: number) => void;
  },
): Promise<{ connections: LeanMqttConnection[]; ramp: RampResult }> {
  const started = Date.now();
  const failures: Record<string, number> = {};
  const connections = new Array<LeanMqttConnection>(watches.length);
  let next = 0;
  let connected = 0;
  const deadline = started + (options.deadlineMs ?? 30 * 60_000);
  const worker = async () => {
    while (next < watches.length && Date.now() < deadline) {
      const i = next++;
      const w = watches[i]!;
      // Pace: the i-th connection starts no earlier than i / rate seconds after the start.
      const due = started + (i * 1000) / options.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      for (;;) {
        const c = new LeanMqttConnection({
          ...target,
          clientId: w.deviceId,
          username: w.deviceId,
          password: w.secret,
          clean: !(options.persistent ?? true),
          keepaliveSec: 120,
          connectTimeoutMs: 30_000,
          will: { topic: deviceTopic(w.deviceId, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true },
        });
        try {
          await c.connect();
          connections[i] = c;
          connected += 1;
          options.onProgress?.(connected);
          break;
        } catch (error) {
          const reason =
            error instanceof ConnectRefused
              ? error.message
              : (error as Error).message.replace(/\d+\.\d+\.\d+\.\d+:\d+/, 'broker');
          failures[reason] = (failures[reason] ?? 0) + 1;
          if (error instanceof ConnectRefused && error.returnCode !== 3) throw error; // wrong credentials: the bench is broken
          if (Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 200 }, worker));
  const seconds = (Date.now() - started) / 1000;
  // Order kept; a watch that never connected leaves a hole, filled by the next ones.
  return {
    connections: connections.filter(Boolean),
    ramp: { connected, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(connected / seconds), failures },
  };
}

/** Watches that each publish one QoS 1 reading per `intervalMs`, spread evenly, from one timer. */
export class PacedFleet {
  sent = 0;
  acked = 0;
  /** Readings not sent because the watch already had `maxInFlight` unacknowledged (a busy broker): a real watch keeps them for a later backfill. */
  deferred = 0;
  readonly #timer: NodeJS.Timeout;
  readonly #seq: number[];

  constructor(
    readonly connections: readonly LeanMqttConnection[],
    readonly watches: readonly Credentials[],
    intervalMs = 1000,
    maxInFlight = 20,
  ) {
    const start = Date.now();
    this.#seq = connections.map(() => 0);
    const topics = watches.map((w) => deviceTopic(w.deviceId, 'vitals'));
    const nextAt = connections.map((_, i) => start + (i * intervalMs) / connections.length);
    const ack = () => {
      this.acked += 1;
    };
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (let i = 0; i < connections.length; i += 1) {
        if (nextAt[i]! > now) continue;
        nextAt[i] = Math.max(nextAt[i]! + intervalMs, now - intervalMs); // behind (busy machine): catch up, no burst
        const c = connections[i]!;
        if (!c.connected) continue;
        if (c.inFlight >= maxInFlight) {
          this.deferred += 1;
          continue;
        }
        this.#seq[i]! += 1;
        this.sent += 1;
        c.publish(topics[i]!, vitalsPayload(this.#seq[i]!, now), 1, ack);
      }
    }, 20);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Publishers that keep `window` QoS 1 messages in flight each: as fast as the broker acknowledges. */
export class ClosedLoop {
  acked = 0;
  #running = true;

  /** `payload`: the n-th message of a watch (default: one vitals sample). */
  constructor(
    connections: readonly LeanMqttConnection[],
    watches: readonly Credentials[],
    window: number,
    payload: (n: number) => Buffer = (n) => vitalsPayload(n),
  ) {
    connections.forEach((c, i) => {
      const topic = deviceTopic(watches[i]!.deviceId, 'vitals');
      let seq = 0;
      const send = () => {
        if (!this.#running || !c.connected) return;
        seq += 1;
        c.publish(topic, payload(seq), 1, () => {
          this.acked += 1;
          send();
        });
      };
      for (let k = 0; k < window; k += 1) send();
    });
  }

  stop(): void {
    this.#running = false;
  }
}

/** A subscriber (the ingest's role) that counts the messages it receives, acknowledging each. */
export async function countingSubscriber(
  target: Target,
  credentials: { username: string; password: string; clientId: string },
  filter: string,
): Promise<{ connection: LeanMqttConnection; received: () => number }> {
  const connection = new LeanMqttConnection({ ...target, ...credentials, clean: false, keepaliveSec: 120 });
  await connection.connect();
  let received = 0;
  connection.subscribe([filter], () => {
    received += 1;
  });
  return { connection, received: () => received };
}
