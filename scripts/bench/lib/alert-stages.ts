/**
 * Where the time of a fall goes, for the benchmarks that time falls (fleet.ts, console.ts): a
 * subscriber of every patient's alert changes, as the web service is (a service account of the
 * `web` role, on a connection of its own), notes when each patient's first alert change left the
 * broker; the caller notes the other moments (the watch's publish, its PUBACK, the page's socket)
 * and `stages` gives the per-stage percentiles. All clocks are this machine's.
 */
import mqtt from 'mqtt';
import { ALL_PATIENTS_ALERTS_FILTER, parsePatientAlertsTopic } from '../../../devices/topics.ts';
import type { Registry } from '../../../web/registry.ts';

export class AlertsOnBroker {
  readonly #client: mqtt.MqttClient;
  readonly #at = new Map<string, number>();

  private constructor(client: mqtt.MqttClient) {
    this.#client = client;
    client.on('message', (topic) => {
      const patientId = parsePatientAlertsTopic(topic);
      if (patientId && !this.#at.has(patientId)) this.#at.set(patientId, Date.now());
    });
  }

  /** Makes the service account `username` in the registry, connects as it and subscribes. */
  static async connect(mqttUrl: string, registry: Registry, username: string): Promise<AlertsOnBroker> {
    return AlertsOnBroker.signIn(mqttUrl, username, await registry.setService(username, 'web'));
  }

  /** Connects as the service account `username` (of the `web` role) and subscribes. */
  static async signIn(mqttUrl: string, username: string, password: string): Promise<AlertsOnBroker> {
    const client = mqtt.connect(mqttUrl, {
      clientId: username.replace(/^svc:/, 'vigie-'),
      username,
      password,
      protocolVersion: 4,
      reconnectPeriod: 1_000,
    });
    await new Promise((r) => client.once('connect', r));
    await client.subscribeAsync(ALL_PATIENTS_ALERTS_FILTER, { qos: 1 });
    return new AlertsOnBroker(client);
  }

  /** When the first alert change of this patient left the broker. */
  at(patientId: string): number | undefined {
    return this.#at.get(patientId);
  }

  close(): void {
    this.#client.end(true);
  }
}

export interface StageSummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** The value below which `p` % of `xs` lie (nearest rank), null for none. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Per stage: how many falls were timed through it, p50, p99 and max in ms. */
export function stages<K extends string>(times: Record<K, readonly number[]>): Record<K, StageSummary> {
  const out = {} as Record<K, StageSummary>;
  for (const k of Object.keys(times) as K[]) {
    const xs = times[k];
    out[k] = {
      count: xs.length,
      p50: percentile(xs, 50),
      p99: percentile(xs, 99),
      max: xs.length ? Math.max(...xs) : null,
    };
  }
  return out;
}
