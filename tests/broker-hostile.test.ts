/**
 * Hostile or careless users of the device path, end to end (watches -> broker -> ingest ->
 * InfluxDB, all real): a stranger who knows a watch's id cannot keep it offline, a fall sent at
 * QoS 0 still raises an alert, and a flood from one watch degrades only that watch.
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { usePipeline } from './support/pipeline.ts';
import { startTestIngest } from './support/ingest.ts';
import { collect, connect, end, eventually } from './support/mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import { parseRejection } from '../devices/protocol.ts';
import type { Provisioned } from '../web/registry.ts';

/** Refusals of wrong secrets held for a minute: long enough that a test sees them still waiting. */
const HOLD_MS = 60_000;
const MAX_HELD = 8;

/** Each watch's publish rate here: a burst of 20, then 1,000 a second. */
const RATE = { perSecond: 1_000, burst: 20 };

/** The broker's clock: real time, unless a test stops it, which holds its time-based limits where they are. */
const brokerClock = { stoppedAt: undefined as number | undefined };

const clients: MqttClient[] = [];
const t = usePipeline(
  async () => {
    brokerClock.stoppedAt = undefined;
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
  },
  {
    refusalDelay: { baseMs: HOLD_MS, maxMs: HOLD_MS, maxHeldPerAddress: MAX_HELD },
    publishRate: RATE,
    clock: () => brokerClock.stoppedAt ?? Date.now(),
  },
);

const metric = async (name: string, label?: string): Promise<number> => {
  const m = await t.broker.broker.metrics.registry.getSingleMetric(name)?.get();
  const values = m?.values ?? [];
  return label === undefined
    ? (values[0]?.value ?? 0)
    : (values.find((v) => Object.values(v.labels).includes(label))?.value ?? 0);
};

async function asWatch(device: Provisioned): Promise<MqttClient> {
  const c = await connect(t.broker.url, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
  });
  clients.push(c);
  return c;
}

const fallsOf = (device: Provisioned) =>
  t.ingest.alerts
    .list()
    .filter((a) => a.deviceId === device.deviceId)
    .map((a) => [a.type, a.seq]);

describe('wrong secrets', () => {
  it('hold back the failing connections, never the watch with its right secret: it connects at once and its fall is stored', async () => {
    const device = await t.broker.registry.provisionPatient('Odette');
    // A stranger tries wrong secrets for the watch's id, many at once, from the watch's own address.
    const attempts = Array.from({ length: MAX_HELD + 4 }, () => {
      const state = { settled: false, code: undefined as number | undefined };
      connect(t.broker.url, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: 'a guess',
        connectTimeout: 2 * HOLD_MS,
      }).then(
        (c) => {
          clients.push(c);
          state.settled = true;
        },
        (error: { code?: number }) => {
          state.settled = true;
          state.code = error.code;
        },
      );
      return state;
    });
    await eventually(async () =>
      expect(await metric('vigie_broker_connections_refused_total', 'bad_credentials')).toBe(attempts.length),
    );
    // MAX_HELD refusals wait for their minute; the ones beyond are answered at once, the same way.
    await eventually(() => expect(attempts.filter((a) => a.settled)).toHaveLength(attempts.length - MAX_HELD));
    expect(attempts.filter((a) => a.settled).map((a) => a.code)).toEqual([4, 4, 4, 4]);
    expect(await metric('vigie_broker_refusals_held')).toBe(MAX_HELD);

    // The watch itself, meanwhile: accepted while the stranger's refusals are still held.
    const watch = await asWatch(device);
    expect(attempts.filter((a) => !a.settled)).toHaveLength(MAX_HELD);
    await watch.publishAsync(
      deviceTopic(device.deviceId, 'events'),
      JSON.stringify({ ts: Date.now(), seq: 1, type: 'fall', confidence: 0.9 }),
      { qos: 1 },
    );
    await eventually(() => expect(fallsOf(device)).toEqual([['fall', 1]]));
    await eventually(async () => expect(await t.influx.count('events', device.deviceId)).toBe(1));
    expect(await metric('vigie_broker_refusals_held')).toBe(MAX_HELD);
  });
});

describe('events at QoS 0', () => {
  it('raise the alarm all the same (kept for the ingest as at QoS 1) and the device is told to use QoS 1', async () => {
    const device = await t.broker.registry.provisionPatient('Marcel');
    const watch = await asWatch(device);
    const errors = collect(watch);
    await watch.subscribeAsync(deviceTopic(device.deviceId, 'errors'), { qos: 1 });
    // The ingest is away: only a message kept in its persistent session can reach it.
    await t.ingest.stop();
    watch.publish(
      deviceTopic(device.deviceId, 'events'),
      JSON.stringify({ ts: Date.now(), seq: 41, type: 'fall', confidence: 0.8 }),
      { qos: 0 },
    );
    const notice = await eventually(() => {
      const r = parseRejection(errors[0]?.payload ?? Buffer.alloc(0));
      if (!r.ok) throw new Error('no notice yet');
      return r.value;
    });
    expect(notice).toMatchObject({ channel: 'events', seq: 41, code: 'qos' });
    expect(notice.reason).toMatch(/QoS 1/);
    expect(watch.connected).toBe(true);
    expect(await metric('vigie_broker_events_at_qos0_total')).toBe(1);

    t.ingest = await startTestIngest(t.broker, t.influx);
    await eventually(() => expect(fallsOf(device)).toEqual([['fall', 41]]));
    await eventually(async () => expect(await t.influx.count('events', device.deviceId)).toBe(1));
  });

  it('answer a malformed QoS 0 event with its rejection, not with a qos notice', async () => {
    const device = await t.broker.registry.provisionPatient('Lucien');
    const watch = await asWatch(device);
    const errors = collect(watch);
    await watch.subscribeAsync(deviceTopic(device.deviceId, 'errors'), { qos: 1 });
    watch.publish(
      deviceTopic(device.deviceId, 'events'),
      JSON.stringify({ ts: Date.now(), seq: 42, type: 'explosion' }),
      {
        qos: 0,
      },
    );
    await eventually(() => expect(errors).toHaveLength(1));
    expect(JSON.parse(errors[0]!.payload.toString())).toMatchObject({ seq: 42, code: 'invalid' });
    expect(await metric('vigie_broker_events_at_qos0_total')).toBe(0);
    expect(fallsOf(device)).toEqual([]);
  });
});

describe('a flood from one watch', () => {
  it("is held back at its source while another watch's SOS reaches the ingest, and none of it is lost", async () => {
    const flooder = await t.broker.registry.provisionPatient('Gaston');
    const other = await t.broker.registry.provisionPatient('Yvette');
    const flooding = await asWatch(flooder);
    const watch = await asWatch(other);
    brokerClock.stoppedAt = Date.now(); // the flooder's bucket does not refill until the clock moves again
    // About 200 KB: more than the broker reads from a connection at once (64 KiB).
    const FLOOD = 3_000;
    const t0 = Date.now() - 60_000;
    const acknowledged = Promise.all(
      Array.from({ length: FLOOD }, (_, seq) =>
        flooding.publishAsync(deviceTopic(flooder.deviceId, 'vitals'), JSON.stringify({ ts: t0 + seq, seq, hr: 70 }), {
          qos: 1,
        }),
      ),
    );
    await eventually(async () => expect(await metric('vigie_broker_publishes_waiting')).toBeGreaterThan(0));

    await watch.publishAsync(
      deviceTopic(other.deviceId, 'events'),
      JSON.stringify({ ts: Date.now(), seq: 1, type: 'sos' }),
      { qos: 1 },
    );
    await eventually(() => expect(fallsOf(other)).toEqual([['sos', 1]]));
    // Meanwhile the flood still waits: the ingest has had at most the burst of it.
    const floodHandled = async () =>
      (await t.ingest.metrics.messages.get()).values.find((v) => v.labels.channel === 'vitals')?.value ?? 0;
    expect(await floodHandled()).toBeLessThanOrEqual(RATE.burst);
    // And the broker has stopped reading the flooder: what waits is what it read before it stopped,
    // not the whole flood, which sits in the flooder's connection.
    const waiting = await metric('vigie_broker_publishes_waiting');
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThan(FLOOD - RATE.burst);
    expect(flooding.connected).toBe(true);

    brokerClock.stoppedAt = undefined;
    await acknowledged;
    await eventually(async () => expect(await t.influx.count('vitals', flooder.deviceId)).toBe(FLOOD), 30_000);
    expect(await metric('vigie_broker_publishes_waiting')).toBe(0);
    // At least those seen waiting were paced (once the clock moves, some may pass straight through).
    expect(await metric('vigie_broker_publishes_paced_total')).toBeGreaterThanOrEqual(waiting);
  });
});
