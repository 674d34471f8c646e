/**
 * The ingest stores and acknowledges messages in groups: a group's points are committed at once
 * before any of its PUBACKs, hostile messages in a group are refused and acknowledged while the others
 * are stored, a group that cannot be stored is delivered again by the real broker and stored once,
 * and the ingest comes back after the broker restarts.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { usePipeline } from './support/pipeline.ts';
import { countTurns } from './support/loop-turns.ts';
import { startTestIngest } from './support/ingest.ts';
import { connectDevice, end, eventually } from './support/mqtt.ts';
import { FakeMqttServer } from './support/fake-mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import type { Provisioned } from '../web/registry.ts';

const clients: MqttClient[] = [];
const servers: FakeMqttServer[] = [];
const t = usePipeline(
  async () => {
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  },
  { publishRate: false },
);

async function watch(): Promise<{ device: Provisioned; send: (seq: number) => Promise<void> }> {
  const device = await t.broker.registry.provisionPatient('test');
  const client = await connectDevice(t.broker.url, device);
  clients.push(client);
  const t0 = Date.now() - 60_000;
  const send = async (seq: number) => {
    await client.publishAsync(
      deviceTopic(device.deviceId, 'vitals'),
      JSON.stringify({ ts: t0 + seq * 100, seq, hr: 70 }),
      { qos: 1 },
    );
  };
  return { device, send };
}

const counter = async (metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }) =>
  (await metric.get()).values.reduce((n, v) => n + v.value, 0);

describe('ingest groups', () => {
  it('commits the good messages of a group before any PUBACK, refuses the hostile ones, and acknowledges all in order', async () => {
    const device = await t.broker.registry.provisionPatient('test');
    const fake = await FakeMqttServer.start();
    servers.push(fake);
    await t.ingest.stop();
    await t.influx.stop(); // the points stay in the queue, where the test counts them
    t.ingest = await startTestIngest(t.broker, t.influx, { mqttUrl: fake.url });
    const [readings] = fake.of('vigie-ingest');
    const queuedAtEachAck: number[] = [];
    readings!.onPacket = (packet) => {
      if (packet.cmd === 'puback') queuedAtEachAck.push(t.ingest.queue.size);
    };
    const vitals = deviceTopic(device.deviceId, 'vitals');
    const ts = Date.now() - 1_000;
    const group = [
      {
        topic: vitals,
        payload: JSON.stringify({
          samples: [
            { ts, seq: 1, hr: 70 },
            { ts: ts + 1, seq: 2, hr: 71 },
          ],
        }),
      },
      { topic: vitals, payload: '{"ts": 1, "seq": ' }, // cut short
      { topic: vitals, payload: JSON.stringify({ ts: ts + 2, seq: 3, hr: 'fast' }) }, // not a number
      { topic: vitals, payload: JSON.stringify({ ts: ts + 2, seq: 3, hr: 72 }) },
      { topic: deviceTopic('w-0a0b0c0d0e0f', 'vitals'), payload: JSON.stringify({ ts, seq: 1, hr: 70 }) }, // no such watch
      { topic: 'devices/../vitals', payload: JSON.stringify({ ts, seq: 4, hr: 70 }) },
      { topic: vitals, payload: JSON.stringify({ ts, seq: 2, hr: 71 }) }, // sent twice: the same group has it
    ];
    readings!.publish(group);
    await expect.poll(() => readings!.pubacks).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Every PUBACK left after the one commit of the group's three points.
    expect(queuedAtEachAck).toEqual([3, 3, 3, 3, 3, 3, 3]);
    expect(await counter(t.ingest.metrics.rejected)).toBe(4);
    expect(await counter(t.ingest.metrics.duplicates)).toBe(1);
    await t.influx.start();
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(3), 30_000);
  });

  it('does not acknowledge a group it cannot store: the broker delivers it again and it is stored once', async () => {
    const { device, send } = await watch();
    // The queue's log cannot be written (as on a full disk): a file stands where its folder was, so
    // the ingest's first append, which begins a segment there, fails.
    const log = join(t.broker.dir, 'ingest', 'queue-log');
    rmSync(log, { recursive: true });
    writeFileSync(log, '');
    try {
      await Promise.all(Array.from({ length: 20 }, (_, seq) => send(seq)));
      await eventually(async () => expect(await counter(t.ingest.metrics.storeFailures)).toBeGreaterThan(0), 30_000);
    } finally {
      rmSync(log);
      mkdirSync(log, { mode: 0o700 });
    }
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(20), 30_000);
    const seqs = await t.influx.rows(`SELECT seq FROM vitals WHERE device = '${device.deviceId}' ORDER BY time`);
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reconnects after the broker restarts, and stores what is sent before and after', async () => {
    const { device, send } = await watch();
    await send(0);
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(1));
    await t.broker.restart();
    const again = await watch(); // the watches reconnect too; a new one is simplest
    await again.send(1);
    await eventually(async () => expect(await t.influx.count('vitals', again.device.deviceId)).toBe(1), 30_000);
  });

  it("lets the event loop turn between slices of a group's alert rules (an alarm on another connection is read meanwhile)", async () => {
    await t.ingest.stop();
    t.ingest = await startTestIngest(t.broker, t.influx, { rulesSliceMs: 0 });
    const turns = countTurns(); // each reading's rules note the turn
    const seen: number[] = [];
    const vitals = t.ingest.alertService.vitals.bind(t.ingest.alertService);
    t.ingest.alertService.vitals = (patient, samples) => {
      seen.push(turns.now);
      return vitals(patient, samples);
    };
    try {
      const { send } = await watch();
      await Promise.all(Array.from({ length: 200 }, (_, i) => send(i + 1)));
      await eventually(() => expect(seen).toHaveLength(200));
      const groups = (await t.ingest.metrics.groupMessages.get()).values;
      const count = groups.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      expect(count).toBeLessThan(200); // some group had several messages...
      // ...and its rules did not all run in one turn: with the rules of a group in one task, the
      // readings would see at most one turn per group.
      expect(new Set(seen).size).toBeGreaterThan(count);
    } finally {
      turns.stop();
    }
  });
});
