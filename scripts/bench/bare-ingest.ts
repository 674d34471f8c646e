/**
 * The floor under the ingest benchmark (scripts/bench/ingest.ts, config `floor`): the least a Node
 * process does to carry readings from MQTT into InfluxDB. It is not Vigie, and not safe: it
 * acknowledges each message as it arrives (no durable copy: a crash loses what it holds), trusts every
 * payload (no validation), and has no alert rules, duplicate check or minute roll-up. Behind
 * Mosquitto (no authentication, validation or durability either), it shows how much of the raw rate
 * this machine leaves any pipeline whose broker, subscriber, influxd and load generator share its
 * cores: the ceiling for Vigie's ingest, which does all of that.
 *
 * Environment: FLOOR_MQTT_URL, FLOOR_METRICS_PORT, FLOOR_BATCH_SIZE, FLOOR_PATIENTS (a JSON file:
 * device id → patient id), and INFLUX_URL, INFLUX_USERNAME, INFLUX_PASSWORD, INFLUX_CA (a path).
 * Serves vigie_ingest_points_written_total and vigie_ingest_queue_depth, as the ingest does.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mqttAddress, MqttSocket } from '../../common/mqtt-socket.ts';
import { allDevicesFilter, parseDeviceTopic } from '../../devices/topics.ts';
import type { VitalSample } from '../../devices/payloads.ts';
import { createLineWriter } from '../../ingest/influx-client.ts';
import { seriesKey, vitalsLine } from '../../ingest/line-protocol.ts';
import { RETENTION } from '../../ingest/schema.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const batchSize = Number(env('FLOOR_BATCH_SIZE'));
const patients = new Map(
  Object.entries(JSON.parse(readFileSync(env('FLOOR_PATIENTS'), 'utf8')) as Record<string, string>),
);
const keys = new Map<string, string>();
const writer = createLineWriter(env('INFLUX_URL'), {
  username: env('INFLUX_USERNAME'),
  password: env('INFLUX_PASSWORD'),
  ca: readFileSync(env('INFLUX_CA'), 'utf8'),
});

let pending: string[] = [];
/** The MQTT connection (set by its first packets, which may come before it is open). */
let reader: MqttSocket | undefined;
let written = 0;
let writing = false;
/**
 * Like the ingest's writer: one request at a time, several batches in it when behind; writes while
 * at least `least` lines wait.
 */
const pump = async (least = batchSize): Promise<void> => {
  if (writing) return;
  writing = true;
  try {
    while (pending.length >= least) {
      const lines = pending.slice(0, 4 * batchSize);
      pending = pending.slice(lines.length);
      await writer.write(lines.join('\n'), { retentionPolicy: RETENTION.raw.name });
      written += lines.length;
      if (pending.length < 8 * batchSize) reader?.resume();
    }
  } finally {
    writing = false;
  }
};

/** A reading message: its points to the pending lines. */
const take = (topic: string, payload: Buffer): void => {
  const device = parseDeviceTopic(topic)?.deviceId;
  const patient = device && patients.get(device);
  if (!device || !patient) return;
  let key = keys.get(device);
  if (!key) keys.set(device, (key = seriesKey('vitals', { device, patient })));
  const message = JSON.parse(payload.toString()) as { samples?: VitalSample[] } & VitalSample;
  for (const s of message.samples ?? [message]) pending.push(vitalsLine(key, s, false));
};
// The raw MQTT connection the ingest itself reads from (common/mqtt-socket.ts), each PUBLISH
// acknowledged as it is read.
const address = mqttAddress(env('FLOOR_MQTT_URL'));
const socket = await MqttSocket.open({
  host: address.host,
  port: address.port,
  clientId: 'bench-floor',
  username: 'bench-floor',
  password: 'bench-floor',
  clean: true,
  onPackets: (packets, connection) => {
    reader = connection;
    for (const p of packets) {
      if (p.cmd !== 'publish') continue;
      if (p.qos === 1) connection.write({ cmd: 'puback', messageId: p.messageId! });
      take(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
    }
    // Read no further while InfluxDB is behind (its memory stays bounded).
    if (pending.length >= 16 * batchSize) connection.pause();
    if (pending.length >= batchSize) void pump();
  },
});
socket.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: allDevicesFilter('vitals'), qos: 1 }] });
// What is left under a batch when the publishers stop.
setInterval(() => void pump(1), 200).unref();

createServer((_req, res) => {
  res.end(`vigie_ingest_points_written_total ${written}\nvigie_ingest_queue_depth ${pending.length}\n`);
}).listen(Number(env('FLOOR_METRICS_PORT')), '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ msg: 'floor ready' })}\n`),
);
process.once('SIGTERM', () => {
  socket.end();
  process.exit(0);
});
