/** Simulated watches through the real broker and ingest into a real InfluxDB. */
import { describe, expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { collect, connect, end, eventually } from './support/mqtt.ts';
import { Fleet, type FleetOptions } from '../simulators/fleet.ts';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import type { CohortWatch } from '../common/cohort.ts';

let fleet: Fleet | undefined;
const t = usePipeline(async () => {
  await fleet?.stop();
  fleet = undefined;
});

async function cohort(n: number): Promise<CohortWatch[]> {
  return Promise.all(
    Array.from({ length: n }, () => t.broker.registry.provisionPatient('sim').then((p) => ({ ...p }))),
  );
}
function startFleet(watches: CohortWatch[], options: Partial<FleetOptions> = {}): Fleet {
  fleet = new Fleet({
    brokerUrl: t.broker.url,
    watches,
    rate: 5,
    qos: 1,
    seed: 7,
    scenario: 'normal',
    affected: 1,
    atSec: 1,
    offlineMinutes: 1,
    connectRate: 100,
    // One message per reading: these tests wait for readings soon after they are taken (batched
    // uploads are tested in batched-watch.test.ts).
    batchSeconds: 0,
    ...options,
  });
  return fleet;
}

describe('simulated watches', () => {
  it('land their readings in InfluxDB, each under its own device and patient', async () => {
    const watches = await cohort(3);
    const f = startFleet(watches);
    await eventually(async () => {
      for (const w of watches) expect(await t.influx.count('vitals', w.deviceId)).toBeGreaterThanOrEqual(5);
    }, 20_000);
    const rows = await t.influx.rows(`SELECT hr, patient FROM vitals WHERE device = '${watches[1]?.deviceId}' LIMIT 1`);
    expect(rows[0]?.patient).toBe(watches[1]?.patientId);
    expect(f.stats()).toMatchObject({ watches: 3, connected: 3, rejected: 0 });
    expect(f.stats().acknowledged).toBeGreaterThan(0);
  });

  it('have their malformed payloads rejected and explained, and keep sending good ones', async () => {
    const [w] = await cohort(1);
    const f = startFleet([w!], { scenario: 'malformed', atSec: 0 });
    await eventually(
      () =>
        expect(Object.keys(f.stats().rejections).sort()).toEqual([
          'future_timestamp',
          'invalid',
          'not_json',
          'out_of_range',
        ]),
      20_000,
    );
    expect(await t.influx.count('vitals', w!.deviceId)).toBeGreaterThan(0);
    expect(f.stats().connected).toBe(1);
  });

  it('go offline (the broker publishes the will), then backfill with the original timestamps', async () => {
    const [w] = await cohort(1);
    const observer = await connect(t.broker.url, {
      clientId: 'status-observer',
      username: 'svc:ingest',
      password: await t.broker.registry.setService('svc:ingest', 'ingest'),
    });
    const statuses = collect(observer);
    await observer.subscribeAsync(allDevicesFilter('status'), { qos: 1 });
    startFleet([w!], { scenario: 'offline', atSec: 2, offlineMinutes: 0.1 }); // six seconds away
    await eventually(
      () => expect(statuses.map((m) => m.payload.toString())).toEqual(['online', 'offline', 'online']),
      20_000,
    );
    expect(statuses.every((m) => m.topic === deviceTopic(w!.deviceId, 'status'))).toBe(true);
    await eventually(async () => {
      const rows = await t.influx.rows(
        `SELECT seq, backfill FROM vitals WHERE device = '${w!.deviceId}' AND backfill = true`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(25);
    }, 20_000);
    const all = await t.influx.rows(`SELECT seq FROM vitals WHERE device = '${w!.deviceId}' ORDER BY time`);
    const times = all.map((r) => (r.time as Date).getTime());
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(Math.max(...gaps)).toBeLessThan(1_000); // readings every 200 ms, none missing across the outage
    await end(observer);
  });

  it('raise a fall that is stored as an alert', async () => {
    const watches = await cohort(2);
    startFleet(watches, { scenario: 'fall', atSec: 1 });
    await eventually(
      () => expect(t.ingest.alerts.list().map((a) => [a.deviceId, a.type])).toEqual([[watches[0]?.deviceId, 'fall']]),
      20_000,
    );
  });

  it('report a wrong secret as a refused connection, without retrying it', async () => {
    const [w] = await cohort(1);
    const f = startFleet([{ ...w!, secret: 'not-the-secret' }]);
    await eventually(() => expect(f.stats().connectFailures).toEqual({ 'bad username or password': 1 }), 20_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(f.stats().connectFailures).toEqual({ 'bad username or password': 1 });
  });
});
