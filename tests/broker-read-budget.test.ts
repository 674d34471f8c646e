/**
 * The broker's per-turn read budget (broker/read-budget.ts) over real MQTT connections: devices'
 * uploads past the budget wait for a later turn and are all acknowledged; services' sessions are
 * never held.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startTestBroker, type TestBroker } from './support/broker.ts';
import { connect, connectDevice, end, eventually } from './support/mqtt.ts';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import type { Provisioned } from '../web/registry.ts';

const DEVICES = 20;
let b: TestBroker;
let devices: Provisioned[];
const open: MqttClient[] = [];

const metric = async (name: string) =>
  (await b.broker.metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

beforeAll(async () => {
  // One chunk a turn: every upload but the first of a turn waits.
  b = await startTestBroker(undefined, {
    refusalDelay: { baseMs: 0, maxMs: 0 },
    publishRate: false,
    readChunksPerTurn: 1,
  });
  devices = [];
  for (let i = 0; i < DEVICES; i += 1) devices.push(await b.registry.provisionPatient(`P${i}`));
});
afterAll(async () => {
  await Promise.all(open.map((c) => end(c, true)));
  await b.stop();
});

it("holds devices' uploads past the budget for later turns, and acknowledges every one of them", async () => {
  const watches = await Promise.all(devices.map((d) => connectDevice(b.url, d)));
  open.push(...watches);
  const before = await metric('vigie_broker_reads_held_total');
  // Written in one turn of this process: they reach the broker together, in one of its turns.
  await Promise.all(
    watches.map((w, i) =>
      w.publishAsync(deviceTopic(devices[i]!.deviceId, 'vitals'), JSON.stringify({ ts: Date.now(), seq: 1, hr: 70 }), {
        qos: 1,
      }),
    ),
  );
  expect(await metric('vigie_broker_reads_held_total')).toBeGreaterThan(before);
  expect(await metric('vigie_broker_connections_waiting_to_read')).toBe(0);
});

it("never holds the services' sessions, however many read at once", async () => {
  const services = await Promise.all(
    Array.from({ length: DEVICES }, async (_, i) => {
      const username = `svc:ingest-${i}`;
      const password = await b.registry.setService(username, 'ingest');
      return connect(b.url, { clientId: `vigie-ingest-${i}`, username, password });
    }),
  );
  open.push(...services);
  const before = await metric('vigie_broker_reads_held_total');
  await Promise.all(services.map((s) => s.subscribeAsync(allDevicesFilter('vitals'), { qos: 1 })));
  await eventually(async () => expect(await metric('vigie_broker_connections_waiting_to_read')).toBe(0));
  expect(await metric('vigie_broker_reads_held_total')).toBe(before);
});
