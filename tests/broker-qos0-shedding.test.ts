import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { allDevicesFilter, deviceTopic, liveValuesTopic } from '../devices/topics.ts';
import { startTestBroker, type TestBroker } from './support/broker.ts';
import { collect, connect, connectDevice, end, eventually } from './support/mqtt.ts';
import { rawSubscriber } from './support/raw-mqtt.ts';

/** Far more than the kernel's buffers of a loopback connection hold (a few MiB here). */
const LIVE_MESSAGES = 600;
const LIVE_PAYLOAD = Buffer.alloc(60 * 1024, 'x');

describe('QoS 0 messages to a subscriber that does not read', () => {
  let t: TestBroker;
  const clients: MqttClient[] = [];
  let stuck: Duplex | undefined;
  beforeEach(async () => {
    t = await startTestBroker();
  });
  afterEach(async () => {
    stuck?.destroy();
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    await t.stop();
  });

  it('are dropped and counted, and routing goes on: a QoS 1 message reaches the others, and it too once it reads', async () => {
    const ingest = await connect(t.url, {
      clientId: 'ingest-live',
      username: 'svc:ingest',
      password: await t.registry.setService('svc:ingest', 'ingest'),
    });
    const reader = await connect(t.url, {
      clientId: 'web-reader',
      username: 'svc:web',
      password: await t.registry.setService('svc:web', 'web'),
    });
    const device = await t.registry.provisionPatient('Jeanne Dupont');
    const watch = await connectDevice(t.url, device);
    clients.push(ingest, reader, watch);
    const received = collect(reader);
    await reader.subscribeAsync({ [liveValuesTopic()]: { qos: 0 }, [allDevicesFilter('status')]: { qos: 1 } });
    const slow = await rawSubscriber(t.ports.mqtt, {
      clientId: 'web-slow',
      username: 'svc:web-slow',
      password: await t.registry.setService('svc:web-slow', 'web'),
      clean: true,
      subscriptions: [
        { topic: liveValuesTopic(), qos: 0 },
        { topic: allDevicesFilter('status'), qos: 1 },
      ],
    });
    stuck = slow.socket;
    stuck.pause();

    for (let i = 0; i < LIVE_MESSAGES; i += 1) ingest.publish(liveValuesTopic(), LIVE_PAYLOAD, { qos: 0 });
    await new Promise<void>((resolve, reject) =>
      ingest.publish(liveValuesTopic(), 'last', { qos: 0 }, (e) => (e ? reject(e) : resolve())),
    );
    // The flood has met the stuck socket: messages dropped (or, without shedding, waiting for a slot).
    const dropped = async () => (await t.broker.metrics.qos0Dropped.get()).values[0]?.value ?? 0;
    const waiting = async () => (await t.broker.metrics.routingWaiting.get()).values[0]?.value ?? 0;
    await eventually(async () => expect((await dropped()) + (await waiting())).toBeGreaterThan(0), 30_000);
    // Without shedding, every routing slot of the broker waits for the stuck socket to drain: this
    // status is never routed, and the ingest's live connection no longer read.
    const statusTopic = deviceTopic(device.deviceId, 'status');
    // (Its PUBACK waits for every subscriber's write, the stuck one's included: not awaited.)
    watch.publish(statusTopic, 'online', { qos: 1 });
    await eventually(() => expect(received.map((m) => m.topic)).toContain(statusTopic), 30_000);

    // QoS 1 is never shed: the stuck subscriber gets the status once it reads again, after at most
    // the bounded backlog of live values and what the kernel held.
    stuck.resume();
    await eventually(() => {
      expect(slow.packets.some((p) => p.cmd === 'publish' && p.topic === statusTopic)).toBe(true);
    }, 30_000);
    const liveDelivered = slow.packets.filter((p) => p.cmd === 'publish' && p.topic === liveValuesTopic()).length;
    expect(liveDelivered).toBeLessThan(LIVE_MESSAGES);
    expect(await dropped()).toBeGreaterThanOrEqual(LIVE_MESSAGES - liveDelivered);
  });
});
