/**
 * "After a crash the chain resumes where it was": the ingest runs as its own process (its entry
 * script, as in production), escalates an SOS by e-mail to a real SMTP server, and is killed with
 * SIGKILL between two steps. Started again on the same data, it sends the next step, and nothing is
 * sent twice.
 */
import { afterEach, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { usePipeline } from './support/pipeline.ts';
import { startService, type ServiceProcess } from './support/process.ts';
import { startTestSmtp, type TestSmtp } from './support/smtp.ts';
import { connect, end, eventually } from './support/mqtt.ts';
import { freePort } from '../common/free-port.ts';
import { People } from '../web/people.ts';
import { registryPath } from '../common/paths.ts';
import { deviceTopic } from '../devices/topics.ts';
import { TEST_PASSWORD_WORK } from './support/passwords.ts';

const STEP_MS = 4_000;
const services: ServiceProcess[] = [];
const clients: MqttClient[] = [];
let smtp: TestSmtp | undefined;
const t = usePipeline(async () => {
  await Promise.all(clients.splice(0).map((c) => end(c, true)));
  await Promise.all(services.splice(0).map((s) => s.kill('SIGKILL')));
});
afterEach(async () => {
  await smtp?.stop();
});

it('resumes an escalation after the ingest process is killed between two steps', async () => {
  await t.ingest.stop(); // the in-process one; this test runs the real service instead
  smtp = await startTestSmtp();
  const { registry, dir } = t.broker;
  const device = await registry.provisionPatient('Jeanne Dupont');
  const people = People.open(registryPath(dir), { passwordWork: TEST_PASSWORD_WORK });
  const claire = await people.createPerson({ role: 'family', name: 'Claire', email: 'claire@famille.test' });
  const marc = await people.createPerson({ role: 'family', name: 'Marc', email: 'marc@famille.test' });
  const nurse = await people.createPerson({ role: 'nurse', name: 'Infirmière', email: 'garde@ssiad.test' });
  for (const p of [claire, marc, nurse])
    people.link(p.id, device.patientId, { relation: 'proche', shareVitals: false });
  people.setChain(device.patientId, [
    { personId: claire.id, delayMs: 0 },
    { personId: marc.id, delayMs: STEP_MS },
    { personId: nurse.id, delayMs: STEP_MS },
  ]);
  people.close();

  const token = randomBytes(32).toString('base64url');
  const apiPort = await freePort();
  const env = {
    VIGIE_DATA_DIR: dir,
    MQTT_URL: t.broker.url,
    INGEST_MQTT_SECRET: await registry.setService('svc:ingest', 'ingest'),
    ...t.influx.env,
    INGEST_METRICS_PORT: '0',
    INGEST_API_PORT: String(apiPort),
    VIGIE_SERVICE_TOKEN: token,
    SMTP_URL: smtp.url,
  };
  const start = async () => {
    const s = startService('ingest/main.ts', env, 'connected to broker');
    services.push(s);
    await s.ready;
    return s;
  };
  const first = await start();

  const watch = await connect(t.broker.url, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
  });
  clients.push(watch);
  await watch.publishAsync(
    deviceTopic(device.deviceId, 'events'),
    JSON.stringify({ ts: Date.now(), seq: 1, type: 'sos' }),
    { qos: 1 },
  );
  await smtp.waitFor(1);
  // Wait until the delivery is recorded, then kill: what is on disk is all that survives.
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/alerts?patients=${device.patientId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const [alert] = ((await res.json()) as { alerts: Array<{ id: number; escalation: { step: number } }> }).alerts;
    const detail = (await (
      await fetch(`http://127.0.0.1:${apiPort}/alerts/${alert!.id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { audit: Array<{ action: string; detail: { to?: string; kind?: string } }> };
    expect(detail.audit).toContainEqual(
      expect.objectContaining({
        action: 'notified',
        detail: expect.objectContaining({ to: claire.id, kind: 'alert' }),
      }),
    );
  });
  await first.kill('SIGKILL');

  await start();
  const mails = await smtp.waitFor(3, 3 * STEP_MS + 15_000);
  await new Promise((r) => setTimeout(r, 1_000));
  expect(smtp.received.map((m) => (m.to as { value: Array<{ address: string }> }).value[0]!.address)).toEqual([
    'claire@famille.test',
    'marc@famille.test',
    'garde@ssiad.test',
  ]);
  expect(mails.map((m) => m.subject)).toEqual([
    'Alerte : Jeanne Dupont',
    'Alerte : Jeanne Dupont',
    'Alerte : Jeanne Dupont',
  ]);
});
