import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import { MAX_SAMPLES } from '../devices/limits.ts';
import { startTestBroker, type TestBroker } from './support/broker.ts';
import { collect, connect, connectDevice, end, eventually } from './support/mqtt.ts';
import { rawSubscriber } from './support/raw-mqtt.ts';

describe('alarms in a broker whose routing slots are all taken', () => {
  let t: TestBroker;
  const clients: MqttClient[] = [];
  let stuck: Duplex | undefined;
  beforeEach(async () => {
    t = await startTestBroker(undefined, { publishRate: false });
  });
  afterEach(async () => {
    stuck?.destroy();
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    await t.stop();
  });

  it('routes a fall at once while readings wait for a subscriber that holds the broker back', async () => {
    // The subscriber of readings stops reading (the ingest with its queue full): the broker's writes
    // to it pile up, and each reading for it keeps its routing slot until they drain. It is connected
    // in memory, so that they never drain (over TCP, the kernel's growing buffers took megabytes more
    // on a loaded machine, and the readings went on).
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
    const waiting = async () => (await t.broker.metrics.routingWaiting.get()).values[0]?.value ?? 0;
    const backlogged = async () => (await t.broker.metrics.connectionsBacklogged.get()).values[0]?.value ?? 0;
    let seq = 0;
    const batch = () => {
      const ts = Date.now() - 600_000;
      return JSON.stringify({
        samples: Array.from({ length: MAX_SAMPLES }, (_, k) => ({ ts: ts + k * 1000, seq: (seq += 1), hr: 70 })),
      });
    };
    await eventually(async () => {
      for (const watch of watches)
        watch.publish(deviceTopic(String(watch.options.clientId), 'vitals'), batch(), { qos: 1 });
      // Held back for good, not only slow: the readings connection's buffer is full and cannot drain,
      // so every slot a reading takes stays taken and no waiting reading gets one. (Readings waiting
      // alone may be a busy moment of a slow machine, soon over.)
      expect(await backlogged()).toBe(1);
      expect(await waiting()).toBeGreaterThan(0);
    }, 60_000);

    const raiser = watches[0]!;
    const fallTopic = deviceTopic(String(raiser.options.clientId), 'events');
    await raiser.publishAsync(fallTopic, JSON.stringify({ ts: Date.now(), seq: 1, type: 'fall' }), { qos: 1 });
    await eventually(() => expect(received.map((m) => m.topic)).toContain(fallTopic));
    // The readings still wait: the fall went past them, not after them.
    expect(await waiting()).toBeGreaterThan(0);
  });
});
