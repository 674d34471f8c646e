/**
 * The web service's live hub against the real broker, through a relay that can stop delivering
 * what the broker sends on one of its connections (a hub that reads its live values more slowly than
 * they come, as under the fleet's overload).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { liveValuesTopic, patientAlertsTopic } from '../devices/topics.ts';
import { encodeLiveValues } from '../common/live-values.ts';
import { createLogger } from '../common/log.ts';
import { alertView } from './support/alerts.ts';
import { startTestBroker, type TestBroker } from './support/broker.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { connect, end, eventually } from './support/mqtt.ts';
import { LiveHub, type LiveEvent } from '../web/live.ts';

describe('the live hub', () => {
  let t: TestBroker;
  let proxy: TcpProxy;
  let hub: LiveHub;
  let ingest: MqttClient;
  beforeEach(async () => {
    t = await startTestBroker();
    proxy = await startTcpProxy(t.ports.mqtt);
    hub = new LiveHub({
      mqttUrl: `mqtt://127.0.0.1:${proxy.port}`,
      username: 'svc:web',
      password: await t.registry.setService('svc:web', 'web'),
      registry: t.registry,
      logger: createLogger('web', process.env.TEST_LOG_LEVEL ?? 'silent'),
    });
    await hub.start();
    ingest = await connect(t.url, {
      clientId: 'ingest-test',
      username: 'svc:ingest',
      password: await t.registry.setService('svc:ingest', 'ingest'),
    });
  });
  afterEach(async () => {
    await end(ingest, true);
    await hub.stop();
    await proxy.close();
    await t.stop();
  });

  it('gets an alert change while what the broker sent with the live values is not read yet', async () => {
    const { patientId, deviceId } = await t.registry.provisionPatient('Jeanne Dupont');
    const events: LiveEvent[] = [];
    hub.subscribe(patientId, (e) => events.push(e));
    // The connection that subscribed to the live values stops being read by the hub.
    proxy.hold((said) => said.includes(liveValuesTopic()));
    const [live] = encodeLiveValues(
      [{ patientId, deviceId, receivedAt: Date.now(), samples: [{ ts: Date.now(), seq: 1, hr: 70 }] }],
      64 * 1024,
    );
    await ingest.publishAsync(liveValuesTopic(), live!, { qos: 0 });
    await ingest.publishAsync(patientAlertsTopic(patientId), JSON.stringify(alertView({ patientId })), { qos: 1 });

    await eventually(() => expect(events.map((e) => e.type)).toContain('alert'));
    // The live value sent before the alert is still held: the alert did not come behind it.
    expect(events.map((e) => e.type)).not.toContain('vitals');
    proxy.release();
    await eventually(() => expect(events.map((e) => e.type)).toContain('vitals'));
  });
});
