/**
 * Watches -> broker -> ingest -> InfluxDB, all real: readings are queryable, backfills keep their
 * timestamps, duplicates are stored once, and InfluxDB or ingest restarts lose and duplicate nothing.
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { join } from 'node:path';
import { createInflux } from '../ingest/influx-client.ts';
import { DurableQueue } from '../ingest/queue.ts';
import { usePipeline } from './support/pipeline.ts';
import { startTestIngest } from './support/ingest.ts';
import { connectDevice, end, eventually } from './support/mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import type { Provisioned } from '../web/registry.ts';

const clients: MqttClient[] = [];

/** Opens a stopped ingest's queue file, to read or set what a crash would leave there. */
function stoppedQueue<T>(use: (queue: DurableQueue) => T): T {
  const queue = new DurableQueue(join(t.broker.dir, 'ingest', 'queue.db'), 10);
  try {
    return use(queue);
  } finally {
    queue.close();
  }
}
// Publishes not paced: these tests build backlogs with thousands of readings from one watch, far
// beyond a watch's publish rate (broker-hostile.test.ts tests the pacing).
const t = usePipeline(
  async () => {
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
  },
  { publishRate: false },
);

async function watch(): Promise<{
  device: Provisioned;
  client: MqttClient;
  send: (body: object, qos?: 0 | 1) => Promise<void>;
}> {
  const device = await t.broker.registry.provisionPatient('test');
  const client = await connectDevice(t.broker.url, device);
  clients.push(client);
  const send = async (body: object, qos: 0 | 1 = 1) => {
    const channel = 'type' in body ? 'events' : 'vitals';
    await client.publishAsync(deviceTopic(device.deviceId, channel), JSON.stringify(body), { qos });
  };
  return { device, client, send };
}

describe('ingest into InfluxDB', () => {
  it('stores a watch reading with its tags, fields and timestamp', async () => {
    const { device, send } = await watch();
    const ts = Date.now() - 1_000;
    await send({ ts, seq: 1, hr: 72.5, spo2: 97, temp: 36.7, sys: 128, dia: 79, rr: 15, steps: 12, battery: 80 });
    const [row] = await eventually(async () => {
      const r = await t.influx.rows(`SELECT * FROM vitals WHERE device = '${device.deviceId}'`);
      expect(r).toHaveLength(1);
      return r;
    });
    expect(row, JSON.stringify(row)).toMatchObject({
      device: device.deviceId,
      patient: device.patientId,
      hr: 72.5,
      spo2: 97,
      temp: 36.7,
      sys: 128,
      dia: 79,
      rr: 15,
      steps: 12,
      battery: 80,
      seq: 1,
      backfill: false,
    });
    expect((row?.time as Date).getTime()).toBe(ts);
  });

  it('creates the retention policies and the hourly continuous query, and drops the minute query of earlier versions', async () => {
    const { send } = await watch();
    await send({ ts: Date.now(), seq: 1, hr: 70 });
    const cqNames = async () =>
      (await t.influx.rows('SHOW CONTINUOUS QUERIES')).filter((r) => r.name).map((r) => r.name);
    await eventually(async () => {
      const rps = await t.influx.rows('SHOW RETENTION POLICIES ON vigie');
      expect(rps.map((r) => r.name).sort()).toEqual(['raw', 'rp_1h', 'rp_1m']);
      expect(rps.find((r) => r.name === 'raw')?.default).toBe(true);
      expect(await cqNames()).toEqual(['cq_vitals_1h_v3']);
    });
    // An upgrade from a version whose continuous query made the minutes: it goes at the next start.
    await t.influx.rows(
      'CREATE CONTINUOUS QUERY cq_vitals_1m_v2 ON vigie RESAMPLE EVERY 1m FOR 2h BEGIN SELECT mean("hr") AS hr INTO "vigie"."rp_1m"."vitals" FROM "vigie"."raw"."vitals" GROUP BY time(1m), "device", "patient" END',
    );
    expect(await cqNames()).toEqual(['cq_vitals_1h_v3', 'cq_vitals_1m_v2']);
    await t.ingest.stop();
    t.ingest = await startTestIngest(t.broker, t.influx);
    await send({ ts: Date.now(), seq: 2, hr: 70 });
    await eventually(async () => expect(await cqNames()).toEqual(['cq_vitals_1h_v3']));
  });

  it("writes each device's minutes as its readings are stored, and after a crash redoes from the raw readings what was only in memory", async () => {
    const { device, send } = await watch();
    const minute = Date.now() - (Date.now() % 60_000) - 4 * 60_000;
    const at = (m: number, s: number) => minute + m * 60_000 + s * 1000;
    const rp1m = () =>
      t.influx.rows(
        `SELECT hr, hr_min, hr_max, samples FROM "vigie"."rp_1m"."vitals" WHERE device = '${device.deviceId}' ORDER BY time`,
      );
    // Batches of ten readings, as a watch uploads them; four minutes, the last one still open.
    let seq = 0;
    for (let m = 0; m < 4; m += 1)
      for (let b = 0; b < 6; b += 1)
        await send({
          samples: Array.from({ length: 10 }, (_, i) => ({
            ts: at(m, b * 10 + i),
            seq: ++seq,
            hr: 60 + m * 10 + (i % 2),
          })),
        });
    await eventually(async () =>
      expect(
        (await rp1m()).map((r) => [(r.time as Date).getTime() - minute, r.hr, r.hr_min, r.hr_max, r.samples]),
      ).toEqual([
        [0, 60.5, 60, 61, 60],
        [60_000, 70.5, 70, 71, 60],
        [120_000, 80.5, 80, 81, 60],
      ]),
    );
    await eventually(() => expect(t.ingest.queue.rollupMark()).toBe(minute + 3 * 60_000));

    // A crash while the fourth minute was only in memory, played by a clean stop (which writes it)
    // then putting back what a crash leaves: the mark on disk and, in rp_1m, nothing or anything.
    await t.ingest.stop();
    expect(stoppedQueue((q) => q.rollupMark())).toBeNull();
    stoppedQueue((q) => q.setRollupMark(minute + 3 * 60_000));
    await createInflux(t.influx.url, t.influx.access).writePoints(
      [
        {
          measurement: 'vitals',
          tags: { device: device.deviceId, patient: device.patientId },
          fields: { hr: 0, samples: 1 },
          timestamp: `${minute + 3 * 60_000}000000`,
        },
      ],
      { database: 'vigie', retentionPolicy: 'rp_1m', precision: 'n' },
    );
    t.ingest = await startTestIngest(t.broker, t.influx);
    await send({ ts: Date.now(), seq: ++seq, hr: 99 });
    await eventually(async () =>
      expect((await rp1m()).slice(3, 4).map((r) => [(r.time as Date).getTime() - minute, r.hr, r.samples])).toEqual([
        [180_000, 90.5, 60],
      ]),
    );
  });

  it('lands a backfill after an offline period with its original timestamps, and downsamples it', async () => {
    const { device, send } = await watch();
    const start = Date.now() - 3 * 3_600_000; // three hours ago: older than the continuous queries look back
    const samples = Array.from({ length: 180 }, (_, i) => ({
      ts: start + i * 60_000,
      seq: 100 + i,
      hr: 60 + (i % 10),
    }));
    await send({ samples });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(180));
    const rows = await t.influx.rows(
      `SELECT hr, backfill FROM vitals WHERE device = '${device.deviceId}' ORDER BY time`,
    );
    expect(rows.map((r) => (r.time as Date).getTime())).toEqual(samples.map((s) => s.ts));
    expect(rows.every((r) => r.backfill === true)).toBe(true);
    // Its minutes at once (the last one once the watch says more, or after two quiet minutes).
    await send({ ts: Date.now(), seq: 400, hr: 70 });
    await eventually(async () => {
      const minute = await t.influx.rows(
        `SELECT hr, hr_min, hr_max, samples FROM "vigie"."rp_1m"."vitals" WHERE device = '${device.deviceId}' AND time < ${start + 180 * 60_000}ms ORDER BY time`,
      );
      expect(minute).toHaveLength(180);
      expect(minute.slice(0, 3).map((r) => r.hr)).toEqual([60, 61, 62]);
      expect(minute.every((r) => r.samples === 1)).toBe(true);
    });
    // Its hours that the hourly query will not compute again (it redoes the two before the next hour).
    const hour = 3_600_000;
    const redone = Date.now() - (Date.now() % hour) - hour;
    const expected = samples.filter((s) => s.ts < redone).length;
    expect(expected).toBeGreaterThan(0);
    await eventually(async () => {
      const hours = await t.influx.rows(
        `SELECT samples FROM "vigie"."rp_1h"."vitals" WHERE device = '${device.deviceId}' AND time < ${redone}ms`,
      );
      expect(hours.reduce((n, r) => n + Number(r.samples), 0)).toBe(expected);
    });
  });

  it('stores a reading sent twice (same device and seq) once', async () => {
    const { device, send } = await watch();
    const reading = { ts: Date.now(), seq: 7, hr: 70 };
    await send(reading);
    await send(reading);
    await send({ ts: reading.ts + 1000, seq: 8, hr: 71 });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(2));
    expect((await t.ingest.metrics.duplicates.get()).values[0]?.value).toBe(1);
  });

  it('keeps two readings of the same millisecond apart', async () => {
    const { device, send } = await watch();
    const ts = Date.now();
    await send({
      samples: [
        { ts, seq: 1, hr: 70 },
        { ts, seq: 2, hr: 71 },
      ],
    });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(2));
  });

  it('keeps readings of the same ts whose seqs differ by a multiple of 10^6, aggregates them, and stores a redelivery once', async () => {
    const { device, send } = await watch();
    // Older than the continuous queries look back, so the ingest downsamples it at once.
    const ts = Date.now() - 3 * 3_600_000;
    const samples = [
      { ts, seq: 5, hr: 60 },
      { ts, seq: 1_000_005, hr: 80 },
      { ts, seq: 2_000_005, hr: 70 },
    ];
    await send({ samples });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(3));
    const raw = await t.influx.rows(`SELECT hr, seq, seq_block FROM vitals WHERE device = '${device.deviceId}'`);
    expect(raw.map((r) => [r.seq, r.seq_block, r.hr]).sort()).toEqual([
      [1_000_005, '1', 80],
      [2_000_005, '2', 70],
      [5, null, 60],
    ]);
    // The 1-minute downsample and the console's history query (no GROUP BY on tags) see all three.
    await eventually(async () => {
      const [minute] = await t.influx.rows(
        `SELECT hr, hr_min, hr_max, samples FROM "vigie"."rp_1m"."vitals" WHERE device = '${device.deviceId}'`,
      );
      expect(minute).toMatchObject({ hr: 70, hr_min: 60, hr_max: 80, samples: 3 });
    });
    const [history] = await t.influx.rows(
      `SELECT mean("hr") AS hr FROM "raw"."vitals" WHERE "patient" = '${device.patientId}' AND time >= ${ts - 60_000}ms AND time <= ${ts + 60_000}ms GROUP BY time(1h) fill(none)`,
    );
    expect(history?.hr).toBe(70);

    // Sent again to an ingest that does not remember them (restarted): each lands on its own point.
    await t.ingest.stop();
    t.ingest = await startTestIngest(t.broker, t.influx);
    await send({ ts, seq: 1_000_005, hr: 80 });
    await send({ ts, seq: 5, hr: 60 });
    await eventually(async () => expect((await t.ingest.metrics.pointsWritten.get()).values[0]?.value).toBe(2));
    expect(await t.influx.count('vitals', device.deviceId)).toBe(3);
  });

  it('loses and duplicates nothing when InfluxDB stops and restarts in the middle of a run', async () => {
    const { device, send } = await watch();
    const t0 = Date.now() - 60_000;
    for (let seq = 0; seq < 100; seq += 1) await send({ ts: t0 + seq * 100, seq, hr: 70 });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(100));
    // Queryable is not yet answered: a batch InfluxDB has stored but not yet acknowledged when it stops
    // stays queued (and is written again, idempotently).
    await eventually(() => expect(t.ingest.queue.size).toBe(0));
    await t.influx.stop();
    for (let seq = 100; seq < 300; seq += 1) await send({ ts: t0 + seq * 100, seq, hr: 71 });
    await eventually(() => expect(t.ingest.queue.size).toBe(200)); // acknowledged, waiting on disk
    // The writer has tried them while InfluxDB was away (not only after it is back).
    const failures = async () => (await t.ingest.metrics.writeFailures.get()).values[0]?.value ?? 0;
    await eventually(async () => expect(await failures()).toBeGreaterThan(0));
    await t.influx.start();
    for (let seq = 300; seq < 400; seq += 1) await send({ ts: t0 + seq * 100, seq, hr: 72 });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(400), 30_000);
    const seqs = await t.influx.rows(`SELECT seq FROM vitals WHERE device = '${device.deviceId}' ORDER BY time`);
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  });

  it('catches up a backlog in requests of up to eight batches, and stores all of it once', async () => {
    const { device, send } = await watch();
    await send({ ts: Date.now(), seq: 0, hr: 70 }); // the ingest creates the database on its first write
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(1));
    await eventually(() => expect(t.ingest.queue.size).toBe(0));
    await t.influx.stop();
    const t0 = Date.now() - 2 * 3_600_000; // one reading a second: 4,500 s, all in the past
    // Nine messages of 500 readings: nine batches of the test ingest (500 points each).
    for (let m = 0; m < 9; m += 1)
      await send({
        samples: Array.from({ length: 500 }, (_, i) => ({
          ts: t0 + (m * 500 + i) * 1000,
          seq: 1 + m * 500 + i,
          hr: 70,
        })),
      });
    await eventually(() => expect(t.ingest.queue.size).toBe(4500));
    const writes = async () =>
      (await t.ingest.metrics.batchSeconds.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const before = await writes();
    await t.influx.start();
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(4501), 30_000);
    await eventually(() => expect(t.ingest.queue.size).toBe(0));
    expect(await writes()).toBe(before + 2); // 4,000 points (eight batches), then 500
  });

  it('replays what was queued when the ingest itself restarts, and gets what the broker kept meanwhile', async () => {
    const { device, send } = await watch();
    const t0 = Date.now() - 60_000;
    await t.influx.stop();
    for (let seq = 0; seq < 50; seq += 1) await send({ ts: t0 + seq * 100, seq, spo2: 95 });
    await eventually(() => expect(t.ingest.queue.size).toBe(50));
    await t.ingest.stop();
    for (let seq = 50; seq < 80; seq += 1) await send({ ts: t0 + seq * 100, seq, spo2: 96 }); // broker keeps them (persistent session)
    await t.influx.start();
    t.ingest = await startTestIngest(t.broker, t.influx);
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(80), 30_000);
  });

  it('takes a fall ahead of the readings waiting for it (its own connection)', async () => {
    const { device, send } = await watch();
    await t.ingest.stop(); // the broker keeps both sessions' messages meanwhile
    const t0 = Date.now() - 600_000;
    const backlog = 5000;
    for (let seq = 0; seq < backlog; seq += 500)
      await Promise.all(Array.from({ length: 500 }, (_, k) => send({ ts: t0 + seq + k, seq: seq + k, hr: 70 })));
    await send({ ts: Date.now(), seq: 1, type: 'fall', confidence: 0.9 });
    const readingsHandled = async () =>
      (await t.ingest.metrics.messages.get()).values.find((v) => v.labels.channel === 'vitals')?.value ?? 0;
    t.ingest = await startTestIngest(t.broker, t.influx);
    const when = await eventually(
      async () => {
        expect(
          t.ingest.alerts
            .list()
            .filter((a) => a.deviceId === device.deviceId)
            .map((a) => a.type),
        ).toEqual(['fall']);
        return readingsHandled(); // this ingest's count: it starts at zero
      },
      30_000,
      5,
    );
    // The fall was stored while most of the readings sent before it still waited.
    expect(when).toBeLessThan(backlog / 2);
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(backlog), 60_000);
  });

  it('stores every fall and SOS as an alert before acknowledging, even with InfluxDB down', async () => {
    const { device, send } = await watch();
    await t.influx.stop();
    const now = Date.now();
    await send({ ts: now, seq: 1, type: 'fall', confidence: 0.95 });
    await send({ ts: now + 1, seq: 2, type: 'sos' });
    await send({ ts: now + 2, seq: 2, type: 'sos' }); // redelivered: stored once
    await send({ ts: now + 3, seq: 3, type: 'im_ok' });
    await eventually(() =>
      expect(
        t.ingest.alerts
          .list()
          .filter((a) => a.deviceId === device.deviceId)
          .map((a) => [a.type, a.seq, a.confidence])
          .sort(),
      ).toEqual([
        ['fall', 1, 0.95],
        ['sos', 2, null],
      ]),
    );
    await t.influx.start();
    await eventually(async () => expect(await t.influx.count('events', device.deviceId)).toBe(3), 30_000);
  });

  it('applies back-pressure when the disk queue is full, then stores everything', async () => {
    await t.ingest.stop();
    t.ingest = await startTestIngest(t.broker, t.influx, { bufferCapacity: 50, batchSize: 20 });
    const { device, send } = await watch();
    await t.influx.stop();
    const t0 = Date.now() - 60_000;
    const sending = (async () => {
      for (let seq = 0; seq < 120; seq += 1) await send({ ts: t0 + seq * 100, seq, hr: 80 });
    })();
    await eventually(async () =>
      expect((await t.ingest.metrics.backpressure.get()).values[0]?.value).toBeGreaterThan(0),
    );
    expect(t.ingest.queue.size).toBeLessThanOrEqual(50);
    await t.influx.start();
    await sending;
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(120), 30_000);
  });

  it('raises a fall at once while the queue of readings is full and holding the broker', async () => {
    await t.ingest.stop();
    t.ingest = await startTestIngest(t.broker, t.influx, { bufferCapacity: 50, batchSize: 20 });
    const reader = await watch();
    const faller = await watch();
    await t.influx.stop();
    const t0 = Date.now() - 60_000;
    const sending = (async () => {
      for (let seq = 0; seq < 120; seq += 1) await reader.send({ ts: t0 + seq * 100, seq, hr: 80 });
    })();
    await eventually(async () =>
      expect((await t.ingest.metrics.backpressure.get()).values[0]?.value).toBeGreaterThan(0),
    );
    await faller.send({ ts: Date.now(), seq: 1, type: 'fall', confidence: 0.9 });
    // The alert engine has it while the readings still wait for InfluxDB.
    await eventually(() =>
      expect(t.ingest.alertService.list([faller.device.patientId]).map((a) => a.kind)).toEqual(['fall']),
    );
    expect(t.ingest.queue.size).toBeGreaterThanOrEqual(50);
    await t.influx.start();
    await sending;
    await eventually(async () => expect(await t.influx.count('vitals', reader.device.deviceId)).toBe(120), 30_000);
    await eventually(async () => expect(await t.influx.count('events', faller.device.deviceId)).toBe(1), 30_000);
  });

  it('moves a point InfluxDB refuses for good to the dead letters, and stores the rest of its batch', async () => {
    const { device, send } = await watch();
    // Someone wrote hr as a string first into the shard of ten days ago: InfluxDB now refuses float hr
    // there for good (field type conflict, HTTP 400).
    await send({ ts: Date.now(), seq: 0, spo2: 97 }); // the ingest creates the database on its first write
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(1));
    const t0 = Date.now() - 10 * 86_400_000;
    const res = await t.influx.request('/write?db=vigie&rp=raw&precision=ms', {
      method: 'POST',
      body: `vitals,device=other hr="oops" ${t0 - 1}`,
    });
    expect(res.status).toBe(204);
    await send({
      samples: [
        { ts: t0, seq: 1, spo2: 95 },
        { ts: t0 + 1, seq: 2, hr: 70 },
        { ts: t0 + 2, seq: 3, spo2: 96 },
      ],
    });
    await eventually(async () => expect(await t.influx.count('vitals', device.deviceId)).toBe(3));
    await eventually(() => expect(t.ingest.queue.deadLetters).toBe(1));
    // The writer removes the batch from the queue once InfluxDB has answered, which is a moment after
    // the points become queryable.
    await eventually(() => expect(t.ingest.queue.size).toBe(0));
    expect((await t.ingest.metrics.deadLettered.get()).values[0]?.value).toBe(1);
  });
});
