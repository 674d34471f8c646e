/**
 * Two Vigie brokers sharing state through a real Redis (cluster mode): a watch connected to one, the
 * ingest to the other. Readings cross from one broker to the other, at QoS 1, with the same
 * authentication, ACL and validation on both, and a persistent session survives a move between them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { VigieBroker } from '../broker/broker.ts';
import { createLogger } from '../common/log.ts';
import { registryPath } from '../common/paths.ts';
import { Registry } from '../web/registry.ts';
import { startRedisServer, type RedisServer } from '../common/redis-server.ts';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import { connect, connectCollecting, end, eventually } from './support/mqtt.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigie-cluster-'));
let redis: RedisServer;
let registry: Registry;
const brokers: VigieBroker[] = [];
const urls: string[] = [];
const open: MqttClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer(join(dir, 'redis'));
  registry = Registry.open(registryPath(dir));
  for (const id of ['vigie-a', 'vigie-b']) {
    const b = await VigieBroker.create({
      host: '127.0.0.1',
      port: 0,
      wsPort: 0,
      metricsPort: 0,
      persistenceDir: join(dir, id),
      registry,
      logger: createLogger('broker', 'silent'),
      redisUrl: redis.url,
      id,
    });
    brokers.push(b);
    urls.push(`mqtt://127.0.0.1:${(await b.listen()).mqtt}`);
  }
});
afterAll(async () => {
  await Promise.all(open.map((c) => end(c, true)));
  for (const b of brokers) await b.close();
  await redis?.stop();
  registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('carries a watch reading on one broker to the ingest on the other, and keeps the ingest session across brokers', async () => {
  const watch = await registry.provisionPatient('Jeanne');
  const secret = await registry.setService('svc:ingest', 'ingest');
  const ingestOn = async (url: string) => {
    const session = { clientId: 'vigie-ingest', username: 'svc:ingest', password: secret, clean: false };
    const c = await connectCollecting(url, session);
    open.push(c.client);
    return c;
  };
  const { client: ingest, received } = await ingestOn(urls[1]!);
  await ingest.subscribeAsync(allDevicesFilter('vitals'), { qos: 1 });
  const device = await connect(urls[0]!, {
    clientId: watch.deviceId,
    username: watch.deviceId,
    password: watch.secret,
  });
  open.push(device);
  await device.publishAsync(deviceTopic(watch.deviceId, 'vitals'), JSON.stringify({ ts: Date.now(), seq: 1, hr: 72 }), {
    qos: 1,
  });
  await eventually(() => expect(received.map((r) => JSON.parse(r.payload.toString()).seq)).toEqual([1]));
  // Validation holds on the watch's broker: a malformed reading is refused there and crosses nowhere.
  await device.publishAsync(deviceTopic(watch.deviceId, 'vitals'), '{"ts":"yesterday"}', { qos: 1 });

  // The ingest goes away; a reading arrives meanwhile; the ingest comes back on the other broker.
  await end(ingest, false);
  await device.publishAsync(deviceTopic(watch.deviceId, 'vitals'), JSON.stringify({ ts: Date.now(), seq: 2, hr: 73 }), {
    qos: 1,
  });
  const { received: later } = await ingestOn(urls[0]!);
  await eventually(() => expect(later.map((r) => JSON.parse(r.payload.toString()).seq)).toEqual([2]));
  expect(received).toHaveLength(1);
});
