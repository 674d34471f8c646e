/**
 * The legitimate clients, run after every batch of hostile input: each listener must still serve
 * them. They come from 127.0.0.1, an address the fuzz inputs never use, as another person's browser
 * or watch would (per-client limits must not let an attacker spend a legitimate client's budget),
 * and they use real clients (fetch, ws, MQTT.js, the pages' signalling client). Each check waits for
 * an outcome, within a bound; one that does not come is a failure, with its reason.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { z } from 'zod';
import { deviceTopic } from '../../devices/topics.ts';
import { CallTokens } from '../../sfu/tokens.ts';
import { SignallingClient, type SocketLike } from '../../web/src/lib/signalling.ts';
import { newSeat } from '../../web/src/lib/seat.ts';
import type { Legit, Suite } from './suite.ts';

export const CHECKS = ['http', 'sign-in', 'live', 'signal', 'mqtt', 'mqtt-ws', 'relay'] as const;
export type CheckName = (typeof CHECKS)[number];

export const CHECK_TITLES: Readonly<Record<CheckName, string>> = {
  http: 'GET /api/config answers 200 with the SFU URL; GET /family answers 200',
  'sign-in': "the legitimate relative signs in (right password, from her browser's device cookie) and gets a session",
  live: 'her signed-in live socket (/api/live, right Origin) receives the snapshot of her senior',
  signal:
    'a clinician and a patient join a new SFU room, the clinician admits the patient, the patient gets a transport, a chat message is answered',
  mqtt: "the senior's watch connects over TCP with its secret, publishes a fall at QoS 1, gets its PUBACK, and the alert appears on the relative's family overview (web API, from the ingest); the watch then cancels it (im_ok)",
  'mqtt-ws': "a second device of hers connects to the broker's WebSocket listener and gets the PUBACK of a reading",
  relay: "her Bluetooth gateway connects through the web service's /mqtt relay and gets the PUBACK of a reading",
};

const CHECK_TIMEOUT_MS = 20_000;

/** The outcome of a check: passed, or why not. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const configSchema = z.object({ sfuUrl: z.string() });
const overviewSchema = z.object({
  alerts: z.array(z.object({ kind: z.string(), openedAt: z.number(), active: z.boolean() })),
});
const liveMessageSchema = z.object({ type: z.string(), patientId: z.string().optional() });

function withTimeout<T>(what: string, work: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Retries a step while the server says to wait (429 with Retry-After), as a page does; at most a few times. */
async function politely(request: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await request();
    if (res.status !== 429 || attempt >= 4) return res;
    const wait = Number(res.headers.get('retry-after') ?? '1');
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, Math.min(10, Math.max(1, wait)) * 1000));
  }
}

function connectMqtt(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Publishes at QoS 1 and resolves on PUBACK. */
async function publishAcked(client: MqttClient, topic: string, body: object): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
}

export class LegitClients {
  readonly #suite: Suite;
  readonly #legit: Legit;
  readonly #web: string;
  /** Her browser's cookies: the device cookie (kept) and the latest session. */
  #deviceCookie: string | undefined;
  #session: string | undefined;
  #round = 0;

  constructor(suite: Suite) {
    this.#suite = suite;
    this.#legit = suite.legit;
    this.#web = suite.world.webOrigin;
  }

  /** Runs every check; each result is independent of the others' (a failed sign-in keeps the last session). */
  async run(): Promise<Record<CheckName, CheckResult>> {
    this.#round += 1;
    const out = {} as Record<CheckName, CheckResult>;
    const steps: Record<CheckName, () => Promise<void>> = {
      http: () => this.#http(),
      'sign-in': () => this.#signIn(),
      live: () => this.#live(),
      signal: () => this.#signal(),
      mqtt: () => this.#watch(),
      'mqtt-ws': () => this.#reading(`ws://127.0.0.1:${this.#suite.world.ports.mqttWs}`, this.#legit.wsDevice, {}),
      relay: () =>
        this.#reading(`ws://127.0.0.1:${this.#suite.world.ports.web}/mqtt`, this.#legit.relayDevice, {
          wsOptions: { headers: { Origin: this.#web } },
        }),
    };
    for (const name of Object.keys(steps) as CheckName[]) {
      try {
        await withTimeout(name, steps[name]());
        out[name] = { ok: true };
      } catch (error) {
        out[name] = { ok: false, reason: error instanceof Error ? error.message : String(error) };
      }
    }
    return out;
  }

  async #http(): Promise<void> {
    const config = await politely(() => fetch(`${this.#web}/api/config`));
    if (config.status !== 200) throw new Error(`GET /api/config answered ${config.status}`);
    configSchema.parse(await config.json());
    const page = await politely(() => fetch(`${this.#web}/family`));
    if (page.status !== 200) throw new Error(`GET /family answered ${page.status}`);
    await page.arrayBuffer();
  }

  async #signIn(): Promise<void> {
    const res = await politely(() =>
      fetch(`${this.#web}/api/session`, {
        method: 'POST',
        headers: {
          origin: this.#web,
          'content-type': 'application/json',
          ...(this.#deviceCookie ? { cookie: this.#deviceCookie } : {}),
        },
        body: JSON.stringify(this.#legit.relative),
      }),
    );
    const body = await res.text();
    if (res.status !== 200) throw new Error(`POST /api/session answered ${res.status}: ${body.slice(0, 200)}`);
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      if (pair.startsWith('vigie_session=')) this.#session = pair;
      if (pair.startsWith('vigie_device=')) this.#deviceCookie = pair;
    }
    if (!this.#session) throw new Error('signed in without a session cookie');
  }

  async #live(): Promise<void> {
    if (!this.#session) throw new Error('no session (sign-in failed)');
    const ws = new WebSocket(`${this.#web.replace('http', 'ws')}/api/live`, {
      headers: { cookie: this.#session, origin: this.#web },
      handshakeTimeout: 10_000,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode ?? '?'}`)));
        ws.once('error', reject);
        ws.once('close', (code, reason) =>
          reject(new Error(`closed ${code} ${reason.toString()} before the snapshot`)),
        );
        ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', patientId: this.#legit.patientId })));
        ws.on('message', (data: Buffer) => {
          const m = liveMessageSchema.safeParse(JSON.parse(data.toString()));
          if (!m.success) return;
          if (m.data.type === 'snapshot' && m.data.patientId === this.#legit.patientId) resolve();
          if (m.data.type === 'error') reject(new Error(`live error: ${data.toString().slice(0, 200)}`));
        });
      });
    } finally {
      ws.terminate();
    }
  }

  async #signal(): Promise<void> {
    const tokens = new CallTokens(this.#suite.callSecret);
    const roomId = `legit-${this.#round}-${Date.now()}`;
    const invite = async (role: 'clinician' | 'patient', participantId: string) =>
      (
        await tokens.issueCall({
          roomId,
          role,
          participantId,
          displayName: role,
          patientId: this.#legit.patientId,
          ttlSeconds: 600,
        })
      ).token;
    const url = `ws://127.0.0.1:${this.#suite.world.ports.sfu}/signal`;
    const open = () =>
      SignallingClient.open(url, (u) => new WebSocket(u, { handshakeTimeout: 10_000 }) as unknown as SocketLike);
    const doctor = await open();
    const patient = await open().catch((error: unknown) => {
      doctor.close();
      throw error;
    });
    try {
      await doctor.request('join', { roomId, token: await invite('clinician', 'dr-legit'), seat: newSeat() });
      const joined = await patient.request('join', {
        roomId,
        token: await invite('patient', 'pt-legit'),
        seat: newSeat(),
      });
      if (joined.admitted) throw new Error('the patient was admitted without the clinician');
      await doctor.request('admit', { participantId: 'pt-legit' });
      const transport = await patient.request('createTransport', { direction: 'recv' });
      if (!transport.id) throw new Error('no transport id');
      await doctor.request('chat', { text: 'still here' });
    } finally {
      doctor.close();
      patient.close();
    }
  }

  async #watch(): Promise<void> {
    const { watch } = this.#legit;
    const client = await connectMqtt(`mqtt://127.0.0.1:${this.#suite.world.ports.mqtt}`, {
      clientId: watch.deviceId,
      username: watch.deviceId,
      password: watch.secret,
    });
    try {
      const t0 = Date.now();
      const seq = t0;
      await publishAcked(client, deviceTopic(watch.deviceId, 'events'), { ts: t0, seq, type: 'fall', confidence: 0.9 });
      if (!this.#session) throw new Error('no session to read the family overview (sign-in failed)');
      const deadline = Date.now() + CHECK_TIMEOUT_MS - 2000;
      for (;;) {
        if (Date.now() > deadline) throw new Error('the fall was acknowledged but never showed on the family overview');
        const res = await politely(() =>
          fetch(`${this.#web}/api/patients/${this.#legit.patientId}`, { headers: { cookie: this.#session! } }),
        );
        if (res.status !== 200) throw new Error(`GET /api/patients/:id answered ${res.status}`);
        const overview = overviewSchema.parse(await res.json());
        if (overview.alerts.some((a) => a.kind === 'fall' && a.active && a.openedAt >= t0 - 1000)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      // "I'm OK": the fall is cancelled, so the next round's fall opens a new alert.
      await publishAcked(client, deviceTopic(watch.deviceId, 'events'), {
        ts: Date.now(),
        seq: seq + 1,
        type: 'im_ok',
      });
    } finally {
      client.end(true);
    }
  }

  async #reading(url: string, device: { deviceId: string; secret: string }, options: IClientOptions): Promise<void> {
    const client = await connectMqtt(url, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
      ...options,
    });
    try {
      await publishAcked(client, deviceTopic(device.deviceId, 'vitals'), {
        ts: Date.now(),
        seq: Date.now(),
        hr: 72,
        spo2: 97,
      });
    } finally {
      client.end(true);
    }
  }
}
