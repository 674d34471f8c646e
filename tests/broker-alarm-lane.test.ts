import { afterEach, describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import { MAX_SAMPLES } from '../devices/limits.ts';
import { startTestBroker, type TestBroker } from './support/broker.ts';
import { collect, connect, connectDevice, end, eventually } from './support/mqtt.ts';
import { rawSubscriber } from './support/raw-mqtt.ts';

type Gauge = (
  name:
    'routingWaiting' | 'connectionsBacklogged' | 'connectionsWaitingToRead' | 'connectionsDropped' | 'messagesQueued',
) => Promise<number>;

describe('alarms in a broker whose routing slots are all taken', () => {
  let t: TestBroker;
  const clients: MqttClient[] = [];
  let stuck: Duplex | undefined;
  afterEach(async () => {
    stuck?.destroy();
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    await t.stop();
  });

  /**
   * A broker whose subscriber of readings has stopped reading (the ingest with its queue full), and
   * 40 watches that send readings until `until` passes. The subscriber is connected in memory, so
   * that the broker's writes to it never drain (over TCP, the kernel's growing buffers took
   * megabytes more on a loaded machine, and the readings went on).
   */
  async function stuckSubscriber(drainTimeoutMs: number, until: (gauge: Gauge) => Promise<void>) {
    t = await startTestBroker(undefined, { publishRate: false, drainTimeoutMs });
    const readings = await rawSubscriber(t.broker, {
      clientId: 'ingest-readings',
      username: 'svc:ingest',
      password: await t.registry.setService('svc:ingest', 'ingest'),
      clean: false,
      subscriptions: [{ topic: allDevicesFilter('vitals'), qos: 1 }],
    });
    stuck = readings.socket;
    stuck.pause();
    const alarms = await connect(t.url, {
      clientId: 'ingest-alarms',
      username: 'svc:ingest-alarms',
      password: await t.registry.setService('svc:ingest-alarms', 'ingest'),
      clean: false,
    });
    clients.push(alarms);
    const received = collect(alarms);
    await alarms.subscribeAsync(allDevicesFilter('events'), { qos: 1 });

    const watches = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const watch = await connectDevice(t.url, await t.registry.provisionPatient(`Patient ${i}`));
        clients.push(watch);
        return watch;
      }),
    );
    const gauge: Gauge = async (name) =>
      (await t.broker.metrics[name].get()).values.reduce((sum, v) => sum + v.value, 0);
    let seq = 0;
    const batch = () => {
      const ts = Date.now() - 600_000;
      return JSON.stringify({
        samples: Array.from({ length: MAX_SAMPLES }, (_, k) => ({ ts: ts + k * 1000, seq: (seq += 1), hr: 70 })),
      });
    };
    const upload = (watch: MqttClient) =>
      watch.publishAsync(deviceTopic(String(watch.options.clientId), 'vitals'), batch(), { qos: 1 });
    await eventually(async () => {
      for (const watch of watches) void upload(watch).catch(() => undefined);
      await until(gauge);
    }, 60_000);
    return { watches, received, gauge, upload };
  }

  it('routes a fall at once, even from a watch whose last readings wait, and acknowledges both', async () => {
    // aedes' drain timeout would cut the frozen subscriber and free every slot (see the test below).
    const { watches, received, gauge, upload } = await stuckSubscriber(0, async (gauge) => {
      // Held back for good, not only slow: the readings connection's buffer is full and cannot
      // drain, every slot a reading takes stays taken, readings wait for one, and the broker no
      // longer reads the watches' connections.
      expect(await gauge('connectionsBacklogged')).toBe(1);
      expect(await gauge('routingWaiting')).toBeGreaterThan(0);
      expect(await gauge('connectionsWaitingToRead')).toBeGreaterThan(0);
    });
    // The watch uploads readings, then falls: aedes reads a connection's packets in order, and a
    // publish used to complete only once delivered, so the fall waited in the watch's own connection
    // behind readings that waited for a slot (for good, here).
    const raiser = watches[0]!;
    const uploaded = upload(raiser);
    const fallTopic = deviceTopic(String(raiser.options.clientId), 'events');
    await raiser.publishAsync(fallTopic, JSON.stringify({ ts: Date.now(), seq: 1, type: 'fall' }), { qos: 1 });
    await uploaded; // acknowledged before the fall, as MQTT orders PUBACKs
    await eventually(() => expect(received.map((m) => m.topic)).toContain(fallTopic));
    // The readings still wait: the fall went past them, not after them.
    expect(await gauge('routingWaiting')).toBeGreaterThan(0);
    expect(await gauge('connectionsBacklogged')).toBe(1);
  });

  it('cuts a subscriber that reads nothing for the drain timeout; its readings stay in its session', async () => {
    const { gauge } = await stuckSubscriber(1_000, async (gauge) => {
      expect(await gauge('connectionsDropped')).toBe(1);
    });
    const [drop] = (await t.broker.metrics.connectionsDropped.get()).values;
    expect(drop?.labels).toEqual({ transport: 'stream', reason: 'network' });
    expect(await gauge('connectionsBacklogged')).toBe(0);
    // Its slots are free, and every reading went on to its session for its next connection.
    await eventually(async () => expect(await gauge('routingWaiting')).toBe(0));
    expect(await gauge('messagesQueued')).toBeGreaterThan(0);
  });
});
