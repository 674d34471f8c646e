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
  return Buffer.from(readingJson(seq, ts));
}

/** A batch of `k` readings for one watch, seqs n*k .. n*k+k-1, one second apart, ending now. */
export function batchPayload(n: number, k: number, now = Date.now()): Buffer {
  const samples = [];
  for (let j = 0; j < k; j += 1)
    samples.push(
      `{"ts":${now - (k - j) * 1000},"seq":${n * k + j},"hr":${60 + ((n + j) % 30)},"spo2":${94 + (j % 5)},"temp":36.${j % 10},"battery":${80 - (n % 50)}}`,
    );
  return Buffer.from(`{"samples":[${samples.join(',')}]}`);
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

/** One reading of a watch, as the lean fleet makes it (a steady wave, so payloads are realistic). */
function readingJson(seq: number, ts: number): string {
  const wave = seq % 20;
  return `{"ts":${ts},"seq":${seq},"hr":${62 + wave},"spo2":${95 + (wave % 4)},"temp":36.${wave % 10},"battery":${90 - (seq % 60)}}`;
}

/**
 * Watches as real ones behave (devices/PROTOCOL.md, "Batched uploads and live mode"): each takes a
 * reading a second and uploads what it holds every `batchMs` as one QoS 1 `samples` message, or,
 * in live mode, each reading as it is taken. A watch keeps at most `maxInFlight` messages
 * unacknowledged; when an upload is due and the broker has not acknowledged enough, it keeps its
 * readings (held back) and sends them with the next upload, never dropping one. One timer drives
 * them all; readings are counted, not messages.
 */
export class WatchFleet {
  /** Readings taken, sent, acknowledged. */
  sampled = 0;
  sent = 0;
  acked = 0;
  /** Readings whose upload was put off at least once because earlier messages were unacknowledged. */
  heldBack = 0;
  /** Messages published (a reading each in live mode, a batch otherwise). */
  messages = 0;
  /** Readings taken, sent and acknowledged, split by the time they were taken (before and after `split`). */
  sampledBefore = 0;
  sentBefore = 0;
  ackedBefore = 0;
  ackedAfter = 0;
  split = Number.POSITIVE_INFINITY;
  #live = false;
  readonly #timer: NodeJS.Timeout;
  readonly #w: Array<{
    topic: string;
    /** The watch takes reading n at phase + n * 1000 ms (n from 1). */
    phase: number;
    /** Readings 1..taken are taken; 1..sentUpTo sent; 1..heldUpTo counted as held back. */
    taken: number;
    sentUpTo: number;
    heldUpTo: number;
    nextUploadAt: number;
  }>;

  constructor(
    readonly connections: readonly LeanMqttConnection[],
    watches: readonly Credentials[],
    readonly options: { batchMs: number; maxInFlight?: number; maxSamples?: number },
  ) {
    const start = Date.now();
    const n = connections.length;
    this.#w = watches.slice(0, n).map((w, i) => {
      const phase = start + (i * 1000) / n - 1000;
      return {
        topic: deviceTopic(w.deviceId, 'vitals'),
        phase,
        taken: 0,
        sentUpTo: 0,
        heldUpTo: 0,
        // Uploads spread evenly over the batch period.
        nextUploadAt: start + (i * options.batchMs) / n,
      };
    });
    this.#timer = setInterval(() => this.#tick(), 20);
  }

  /** Live mode for every watch (each reading sent as taken), or back to batches. */
  setLive(live: boolean): void {
    this.#live = live;
    const now = Date.now();
    const n = this.#w.length;
    // Leaving live mode, the uploads spread again over a batch period.
    this.#w.forEach((w, i) => (w.nextUploadAt = live ? now : now + (i * this.options.batchMs) / n));
  }

  /** Readings taken but not yet sent, across the fleet. */
  get unsent(): number {
    return this.#w.reduce((a, w) => a + (w.taken - w.sentUpTo), 0);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    const maxInFlight = this.options.maxInFlight ?? 2;
    const maxSamples = this.options.maxSamples ?? 500;
    const every = this.#live ? 1000 : this.options.batchMs;
    for (let i = 0; i < this.#w.length; i += 1) {
      const w = this.#w[i]!;
      const taken = Math.max(w.taken, Math.floor((now - w.phase) / 1000));
      this.sampled += taken - w.taken;
      for (let seq = w.taken + 1; seq <= taken; seq += 1)
        if (Math.round(w.phase + seq * 1000) < this.split) this.sampledBefore += 1;
      w.taken = taken;
      if (w.nextUploadAt > now) continue;
      w.nextUploadAt = Math.max(w.nextUploadAt + every, now - every); // a busy machine: catch up, no burst
      const c = this.connections[i]!;
      if (!c.connected || w.taken === w.sentUpTo) continue;
      if (c.inFlight >= maxInFlight) {
        this.heldBack += w.taken - Math.max(w.heldUpTo, w.sentUpTo);
        w.heldUpTo = w.taken;
        continue;
      }
      const from = w.sentUpTo + 1;
      const to = Math.min(w.taken, w.sentUpTo + maxSamples);
      w.sentUpTo = to;
      const parts: string[] = [];
      let before = 0;
      for (let seq = from; seq <= to; seq += 1) {
        const ts = Math.round(w.phase + seq * 1000);
        if (ts < this.split) before += 1;
        parts.push(readingJson(seq, ts));
      }
      const count = to - from + 1;
      this.messages += 1;
      this.sent += count;
      this.sentBefore += before;
      const payload = count === 1 ? parts[0]! : `{"samples":[${parts.join(',')}]}`;
      c.publish(w.topic, Buffer.from(payload), 1, () => {
        this.acked += count;
        this.ackedBefore += before;
        this.ackedAfter += count - before;
      });
    }
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
