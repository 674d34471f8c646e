/**
 * "Persisted before acknowledged": falls that a watch saw acknowledged survive the broker process
 * being killed (SIGKILL, no chance to flush) right after the acknowledgements.
 */
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Registry } from '../common/registry.ts';
import { registryPath } from '../common/paths.ts';
import { freePort } from '../common/free-port.ts';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import { startService, type ServiceProcess } from './support/process.ts';
import { collect, connect, end, eventually } from './support/mqtt.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigie-crash-'));
let broker: ServiceProcess | undefined;
afterAll(async () => {
  await broker?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('keeps every acknowledged fall when the broker is killed right after acknowledging', async () => {
  const registry = Registry.open(registryPath(dir));
  const watches = await Promise.all(Array.from({ length: 5 }, (_, i) => registry.provisionPatient(`crash ${i}`)));
  const secret = await registry.setService('svc:ingest', 'ingest');
  registry.close();
  const env = {
    VIGIE_DATA_DIR: dir,
    MQTT_PORT: String(await freePort()),
    MQTT_WS_PORT: String(await freePort()),
    BROKER_METRICS_PORT: String(await freePort()),
  };
  const url = `mqtt://127.0.0.1:${env.MQTT_PORT}`;
  broker = startService('broker/main.ts', env, 'broker listening');
  await broker.ready;

  // The ingest's persistent session exists, but the ingest is away: the broker must keep the falls.
  const session = { clientId: 'vigie-ingest', clean: false, username: 'svc:ingest', password: secret };
  const ingest = await connect(url, session);
  await ingest.subscribeAsync(allDevicesFilter('events'), { qos: 1 });
  await end(ingest);

  const sent: Array<{ device: string; seq: number }> = [];
  await Promise.all(
    watches.map(async (w) => {
      const c = await connect(url, { clientId: w.deviceId, username: w.deviceId, password: w.secret });
      const pubs = [];
      for (let seq = 0; seq < 40; seq += 1) {
        pubs.push(
          c.publishAsync(deviceTopic(w.deviceId, 'events'), JSON.stringify({ ts: Date.now(), seq, type: 'fall' }), {
            qos: 1,
          }),
        );
        sent.push({ device: w.deviceId, seq });
      }
      await Promise.all(pubs); // every PUBACK received
      c.stream.destroy();
    }),
  );
  await broker.kill('SIGKILL');

  broker = startService('broker/main.ts', env, 'broker listening');
  await broker.ready;
  const back = await connect(url, session);
  const got = collect(back);
  await eventually(() => expect(got.length).toBeGreaterThanOrEqual(sent.length), 20_000);
  const received = new Set(got.map((m) => `${m.topic}#${JSON.parse(m.payload.toString()).seq}`));
  expect(sent.filter((s) => !received.has(`${deviceTopic(s.device, 'events')}#${s.seq}`))).toEqual([]);
  await end(back, true);
});
