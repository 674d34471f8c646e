/**
 * Live values: the readings a watch sends reach the web service's live state through the ingest
 * (validated, stored, attributed to their patient, coalesced on the live-values topic), never from the
 * device's own vitals topic, and still after either service restarts. Against the real broker, ingest
 * and web service.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { usePipeline } from './support/pipeline.ts';
import { countTurns } from './support/loop-turns.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { collect, connect, end, eventually } from './support/mqtt.ts';
import { startTestIngest } from './support/ingest.ts';
import { allDevicesFilter, deviceTopic, liveValuesTopic } from '../devices/topics.ts';
import { encodeLiveValues, parseLiveValues, type LiveDeviceValues } from '../common/live-values.ts';
import { WebServer } from '../web/server.ts';
import { LiveHub } from '../web/live.ts';
import { createLogger } from '../common/log.ts';

const open: MqttClient[] = [];
/** The client ids the broker accepted, in order (its debug log). */
const connected: string[] = [];
const brokerLog = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { msg?: string; clientId?: string };
      if (entry.msg === 'client connected' && entry.clientId) connected.push(entry.clientId);
    }
    done();
  },
});
const t = usePipeline(
  async () => {
    await Promise.all(open.splice(0).map((c) => end(c, true)));
  },
  { logger: pino({ level: 'debug' }, brokerLog) },
);
const s = useFamilyStack(t);

async function asService(role: 'web' | 'ingest', clientId: string): Promise<MqttClient> {
  const username = `svc:${role}`;
  // The stack's services keep their own secrets: a second account of the same role for the test.
  const password = await t.broker.registry.setService(`${username}-test`, role);
  const client = await connect(t.broker.url, { clientId, username: `${username}-test`, password });
  open.push(client);
  return client;
}

describe('live values', () => {
  it("a watch's reading reaches the web service's live state through the ingest's live values, same values and times", async () => {
    const { device, publish } = await s.senior('Jeanne Dupont');
    const spy = await asService('web', 'live-spy');
    const heard = collect(spy);
    await spy.subscribeAsync(liveValuesTopic(), { qos: 0 });
    const ts = Date.now() - 5_000;
    await publish('vitals', {
      samples: [
        { ts, seq: 1, hr: 72, spo2: 97, battery: 61 },
        { ts: ts + 1_000, seq: 2, hr: 74, temp: 37.1 },
      ],
    });
    const now = await eventually(() => {
      const n = s.web.live.now(device.patientId);
      expect(n.latest.hr).toEqual({ value: 74, ts: ts + 1_000 });
      return n;
    });
    expect(now.latest).toEqual({
      hr: { value: 74, ts: ts + 1_000 },
      spo2: { value: 97, ts },
      temp: { value: 37.1, ts: ts + 1_000 },
    });
    expect(now.recent.list().map((x) => x.seq)).toEqual([1, 2]);
    expect(now.battery).toBe(61);
    expect(now.online).toBe(true);
    expect(s.web.live.device(device.deviceId)).toMatchObject({ online: true, battery: 61 });
    // What the web service got is what the ingest published on its topic, with the ingest's reception time.
    const entries = await eventually(() => {
      const all = heard.flatMap((m) => {
        const parsed = parseLiveValues(m.payload);
        return parsed.ok ? parsed.value.devices : [];
      });
      expect(all.length).toBeGreaterThan(0);
      return all;
    });
    expect(entries).toEqual([
      {
        deviceId: device.deviceId,
        patientId: device.patientId,
        receivedAt: expect.any(Number) as number,
        samples: [
          { ts, seq: 1, hr: 72, spo2: 97, battery: 61 },
          { ts: ts + 1_000, seq: 2, hr: 74, temp: 37.1 },
        ],
      },
    ]);
    expect(now.lastSeen).toBe(entries[0]!.receivedAt);
  });

  it("the web service does not read the devices' vitals: with the ingest away, nothing shows; once it is back, the readings do", async () => {
    const { device, client } = await s.senior('Jeanne Dupont');
    // The web service's account may not subscribe to the devices' vitals any more (broker/acl.ts).
    const web = await asService('web', 'web-vitals-try');
    const refused: unknown = await web.subscribeAsync(allDevicesFilter('vitals'), { qos: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ packet: { cmd: 'suback', granted: [128] } });

    await t.ingest.stop();
    await client.publishAsync(
      deviceTopic(device.deviceId, 'vitals'),
      JSON.stringify({ ts: Date.now(), seq: 1, hr: 88 }),
      {
        qos: 1,
      },
    );
    // The same connection's next message reaches the web service after the reading would have.
    await client.publishAsync(deviceTopic(device.deviceId, 'status'), 'online', { qos: 1, retain: true });
    await eventually(() => expect(s.web.live.device(device.deviceId).online).toBe(true));
    expect(s.web.live.now(device.patientId).latest).toEqual({});

    // The ingest's persistent session kept the reading: once it is back, the web service shows it.
    connected.length = 0;
    t.ingest = await startTestIngest(t.broker, t.influx);
    await eventually(() => expect(s.web.live.now(device.patientId).latest.hr?.value).toBe(88));
    // The broker hands a session's messages over as soon as it connects, and live values are dropped
    // while the live connection is not up: the ingest's publishing connections come first.
    const ingest = connected.filter((id) => id.startsWith('vigie-ingest'));
    expect(ingest.slice(0, 2).sort()).toEqual(['vigie-ingest-alerts', 'vigie-ingest-live']);
    expect(ingest.slice(2).sort()).toEqual(['vigie-ingest', 'vigie-ingest-alarms']);
  });

  it('the web service shows live values again after it restarts, and the presence the broker kept', async () => {
    const { device, client, publish } = await s.senior('Jeanne Dupont');
    await client.publishAsync(deviceTopic(device.deviceId, 'status'), 'online', { qos: 1, retain: true });
    await publish('vitals', { ts: Date.now(), seq: 1, hr: 70 });
    await eventually(() => expect(s.web.live.now(device.patientId).latest.hr?.value).toBe(70));

    await s.web.close();
    s.web = new WebServer(s.webOptions);
    s.webUrl = await s.web.listen();
    await s.web.liveReady;
    await eventually(() => expect(s.web.live.device(device.deviceId).online).toBe(true));
    await publish('vitals', { ts: Date.now(), seq: 2, hr: 71 });
    await eventually(() => expect(s.web.live.now(device.patientId).latest.hr?.value).toBe(71));
  });

  it('an old or repeated reading does not move the latest back nor show twice; a malformed message harms nothing', async () => {
    const { device } = await s.senior('Jeanne Dupont');
    const ingest = await asService('ingest', 'live-publisher');
    const at = Date.now();
    const entry = (seq: number, ts: number, hr: number): LiveDeviceValues => ({
      deviceId: device.deviceId,
      patientId: device.patientId,
      receivedAt: at,
      samples: [{ ts, seq, hr }],
    });
    const send = async (entries: LiveDeviceValues[]) => {
      for (const payload of encodeLiveValues(entries))
        await ingest.publishAsync(liveValuesTopic(), payload, { qos: 0 });
    };
    await send([entry(2, at - 1_000, 80)]);
    await eventually(() => expect(s.web.live.now(device.patientId).latest.hr).toEqual({ value: 80, ts: at - 1_000 }));
    // Messages from one client on one topic arrive in order: the marker comes after the others.
    await send([entry(2, at - 1_000, 80), entry(1, at - 2_000, 60)]);
    await ingest.publishAsync(liveValuesTopic(), '{"v":1,"devices":[{"deviceId":"x"}]}', { qos: 0 });
    await ingest.publishAsync(liveValuesTopic(), 'not json', { qos: 0 });
    await send([{ ...entry(3, at - 500, 82), deviceId: 'w-marker', patientId: 'p-marker' }]);
    await eventually(() => expect(s.web.live.now('p-marker').latest.hr?.value).toBe(82));
    const now = s.web.live.now(device.patientId);
    expect(now.latest.hr).toEqual({ value: 80, ts: at - 1_000 });
    expect(now.recent.list().map((x) => x.seq)).toEqual([1, 2]);
  });
});

describe('live values by slices', () => {
  it("lets the event loop turn while one message's readings are taken in, and keeps the messages in order", async () => {
    const web = await t.broker.registry.setService('svc:web-slices', 'web');
    const hub = new LiveHub({
      mqttUrl: t.broker.url,
      username: 'svc:web-slices',
      password: web,
      registry: t.broker.registry,
      logger: createLogger('web', process.env.TEST_LOG_LEVEL ?? 'silent'),
      sliceMs: 0,
    });
    await hub.start();
    const turns = countTurns(); // each patient's readings note the turn
    const heard: Array<{ patientId: string; turn: number; hr: number | undefined }> = [];
    const patients = Array.from({ length: 50 }, (_, i) => `p-slice-${i}`);
    for (const patientId of patients)
      hub.subscribe(patientId, (e) => {
        if (e.type === 'vitals') heard.push({ patientId, turn: turns.now, hr: e.samples[0]?.hr });
      });
    try {
      const ingest = await asService('ingest', 'live-slices');
      const at = Date.now();
      const message = (hr: number) =>
        encodeLiveValues(
          patients.map((patientId, i) => ({
            deviceId: `w-slice-${i}`,
            patientId,
            receivedAt: at,
            samples: [{ ts: at - 1_000 + hr, seq: hr, hr }],
          })),
        );
      expect(message(70)).toHaveLength(1); // one message each
      await ingest.publishAsync(liveValuesTopic(), message(70)[0]!, { qos: 0 });
      await ingest.publishAsync(liveValuesTopic(), message(71)[0]!, { qos: 0 });
      await eventually(() => expect(heard).toHaveLength(100));
      // Taken in over many turns (all in one turn before, one turn per message)...
      expect(new Set(heard.slice(0, 50).map((h) => h.turn)).size).toBeGreaterThan(1);
      // ...and the second message only after the first.
      expect(heard.map((h) => h.hr)).toEqual([...patients.map(() => 70), ...patients.map(() => 71)]);
      expect(hub.now('p-slice-0').latest.hr?.value).toBe(71);
    } finally {
      turns.stop();
      await hub.stop();
    }
  });
});

describe('presence from live values', () => {
  it('readings received before the device was seen going offline do not bring it back; later ones do', async () => {
    const { device, client } = await s.senior('Jeanne Dupont');
    const ingest = await asService('ingest', 'live-publisher');
    const before = Date.now();
    await client.publishAsync(deviceTopic(device.deviceId, 'status'), 'offline', { qos: 1, retain: true });
    await eventually(() => expect(s.web.live.device(device.deviceId).online).toBe(false));
    const send = async (receivedAt: number, seq: number) => {
      const entry = {
        deviceId: device.deviceId,
        patientId: device.patientId,
        receivedAt,
        samples: [{ ts: receivedAt, seq, hr: 70 + seq }],
      };
      for (const payload of encodeLiveValues([entry]))
        await ingest.publishAsync(liveValuesTopic(), payload, { qos: 0 });
    };
    await send(before - 1, 1);
    await eventually(() => expect(s.web.live.now(device.patientId).latest.hr?.value).toBe(71));
    expect(s.web.live.device(device.deviceId).online).toBe(false);
    expect(s.web.live.now(device.patientId).online).toBe(false);
    await send(Date.now() + 1, 2);
    await eventually(() => expect(s.web.live.device(device.deviceId).online).toBe(true));
    expect(s.web.live.now(device.patientId)).toMatchObject({ online: true, latest: { hr: { value: 72 } } });
  });
});
