/**
 * "Persisted before acknowledged": falls that a watch saw acknowledged survive the broker process
 * being killed (SIGKILL, no chance to flush) right after the acknowledgements, once or several times.
 */
import { afterEach, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Registry, type Provisioned } from '../web/registry.ts';
import { registryPath } from '../common/paths.ts';
import { freePort } from '../common/free-port.ts';
import { allDevicesFilter, deviceTopic } from '../devices/topics.ts';
import { startService, type ServiceProcess } from './support/process.ts';
import { connect, connectCollecting, end, eventually } from './support/mqtt.ts';

let broker: ServiceProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await broker?.kill('SIGKILL');
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** A data folder with watches and the ingest's account, and a broker process on it to kill and restart. */
async function setUp(watchCount: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-crash-'));
  dirs.push(dir);
  const registry = Registry.open(registryPath(dir));
  const watches = await Promise.all(
    Array.from({ length: watchCount }, (_, i) => registry.provisionPatient(`crash ${i}`)),
  );
  const secret = await registry.setService('svc:ingest', 'ingest');
  registry.close();
  const env = {
    VIGIE_DATA_DIR: dir,
    MQTT_PORT: String(await freePort()),
    MQTT_WS_PORT: String(await freePort()),
    BROKER_METRICS_PORT: String(await freePort()),
  };
  const url = `mqtt://127.0.0.1:${env.MQTT_PORT}`;
  const session = { clientId: 'vigie-ingest', clean: false, username: 'svc:ingest', password: secret };
  return {
    watches,
    url,
    session,
    async startBroker() {
      broker = startService('broker/main.ts', env, 'broker listening');
      await broker.ready;
    },
    /** Each watch sends its falls at once and waits for every PUBACK. */
    async sendFalls(seqs: readonly number[]): Promise<Array<{ device: string; seq: number }>> {
      const sent: Array<{ device: string; seq: number }> = [];
      await Promise.all(
        watches.map(async (w: Provisioned) => {
          const c = await connect(url, { clientId: w.deviceId, username: w.deviceId, password: w.secret });
          await Promise.all(
            seqs.map((seq) => {
              sent.push({ device: w.deviceId, seq });
              const fall = JSON.stringify({ ts: Date.now(), seq, type: 'fall' });
              return c.publishAsync(deviceTopic(w.deviceId, 'events'), fall, { qos: 1 });
            }),
          );
          c.stream.destroy();
        }),
      );
      return sent;
    },
  };
}

/** The ingest's session comes back and gets every fall it is owed. */
async function expectAllRedelivered(
  url: string,
  session: object,
  sent: ReadonlyArray<{ device: string; seq: number }>,
) {
  const { client, received } = await connectCollecting(url, session);
  await eventually(() => expect(received.length).toBeGreaterThanOrEqual(sent.length), 20_000);
  const got = new Set(received.map((m) => `${m.topic}#${JSON.parse(m.payload.toString()).seq}`));
  expect(sent.filter((s) => !got.has(`${deviceTopic(s.device, 'events')}#${s.seq}`))).toEqual([]);
  await end(client, true);
}

it('keeps every acknowledged fall when the broker is killed right after acknowledging', async () => {
  const s = await setUp(5);
  await s.startBroker();
  // The ingest's persistent session exists, but the ingest is away: the broker must keep the falls.
  const ingest = await connect(s.url, s.session);
  await ingest.subscribeAsync(allDevicesFilter('events'), { qos: 1 });
  await end(ingest);

  const sent = await s.sendFalls(Array.from({ length: 40 }, (_, i) => i));
  await broker!.kill('SIGKILL');

  await s.startBroker();
  await expectAllRedelivered(s.url, s.session, sent);
});

it('keeps the falls acknowledged before and after a restart: a new broker process never reuses a stored message identity', async () => {
  // aedes names a message by its broker's id and a counter that starts again at zero in every process;
  // the stored queue is keyed by that name. Falls queued by the first process are still there when
  // the second one numbers its own.
  const s = await setUp(5);
  await s.startBroker();
  const ingest = await connect(s.url, s.session);
  await ingest.subscribeAsync(allDevicesFilter('events'), { qos: 1 });
  await end(ingest);

  const before = await s.sendFalls(Array.from({ length: 40 }, (_, i) => i));
  await broker!.kill('SIGKILL');
  await s.startBroker();
  const after = await s.sendFalls(Array.from({ length: 40 }, (_, i) => 100 + i));
  await broker!.kill('SIGKILL');

  await s.startBroker();
  await expectAllRedelivered(s.url, s.session, [...before, ...after]);
});
