/**
 * Every MQTT listener survives anything: malformed, out-of-order and oversized MQTT over TCP, every
 * hostile WebSocket frame, refused upgrades, sockets that never say CONNECT. Each closes only its
 * own connection, with a reason where the transport has one, and is counted and logged; afterwards
 * a watch still connects and its fall is stored (broker, ingest and InfluxDB, all real).
 */
import { describe, expect, it } from 'vitest';
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import type { MqttClient } from 'mqtt';
import { usePipeline } from './support/pipeline.ts';
import { connect, end, eventually } from './support/mqtt.ts';
import { frame, HOSTILE_FRAMES, rawUpgrade } from './support/raw-ws.ts';
import { deviceTopic } from '../devices/topics.ts';
import { MAX_PACKET_BYTES } from '../devices/limits.ts';

const CONNECT_TIMEOUT_MS = 500;

/** What the broker logs at warn and above, as JSON objects. */
const logs: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'warn', base: { service: 'broker' } },
  {
    write: (line: string) => {
      const entry: unknown = JSON.parse(line);
      if (typeof entry === 'object' && entry !== null) logs.push({ ...entry });
    },
  },
);

const clients: MqttClient[] = [];
const sockets: Socket[] = [];
const t = usePipeline(
  async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    logs.splice(0);
  },
  { connectTimeoutMs: CONNECT_TIMEOUT_MS, logger },
);

const count = async (name: string, labels: Record<string, string>): Promise<number> => {
  const m = await t.broker.broker.metrics.registry.getSingleMetric(name)?.get();
  const match = m?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
};
const dropped = (transport: 'tcp' | 'websocket', reason: string) =>
  count('vigie_broker_connections_dropped_total', { transport, reason });
const logged = (msg: string, reason: string) =>
  logs.some((l) => l.msg === msg && l.reason === reason && l.address === '127.0.0.1');

/** A watch connects (over TCP or WebSocket) with its secret; its fall becomes an alert and an InfluxDB point. */
async function expectAWatchServed(over: 'tcp' | 'websocket' = 'tcp'): Promise<void> {
  const device = await t.broker.registry.provisionPatient('Suzanne');
  const url = over === 'tcp' ? t.broker.url : t.broker.wsUrl;
  const watch = await connect(url, { clientId: device.deviceId, username: device.deviceId, password: device.secret });
  clients.push(watch);
  const fall = JSON.stringify({ ts: Date.now(), seq: 1, type: 'fall', confidence: 0.9 });
  await watch.publishAsync(deviceTopic(device.deviceId, 'events'), fall, { qos: 1 });
  await eventually(() =>
    expect(
      t.ingest.alerts
        .list()
        .filter((a) => a.deviceId === device.deviceId)
        .map((a) => a.type),
    ).toEqual(['fall']),
  );
  await eventually(async () => expect(await t.influx.count('events', device.deviceId)).toBe(1));
}

/** Sends bytes on a raw TCP connection; resolves when the broker has closed it. */
async function sendRaw(bytes: Buffer): Promise<void> {
  const socket = tcpConnect(t.broker.ports.mqtt, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined); // a reset is one way for the broker to close it
  socket.resume(); // read what the broker answers (a CONNACK), or its end is never seen
  await once(socket, 'connect');
  const closed = once(socket, 'close');
  socket.write(bytes);
  await closed;
}

const connectPacket = (o: { clientId: string; username?: string; password?: string }) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    clientId: o.clientId,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: Buffer.from(o.password) }),
  });

describe('MQTT over TCP', () => {
  const cases: Array<[name: string, bytes: () => Buffer, reason: string]> = [
    ['a Remaining Length of five bytes', () => Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]), 'protocol'],
    ['the reserved packet type 0', () => Buffer.from([0x00, 0x00]), 'protocol'],
    ['an AUTH packet (MQTT 5 only)', () => Buffer.from([0xf0, 0x00]), 'protocol'],
    [
      'a CONNECT with the protocol name MQTX',
      () => {
        const bytes = connectPacket({ clientId: 'w-mqtx' });
        bytes.write('MQTX', bytes.indexOf('MQTT'));
        return bytes;
      },
      'protocol',
    ],
    [
      'a CONNECT with protocol level 9',
      () => {
        const bytes = connectPacket({ clientId: 'w-nine' });
        bytes[bytes.indexOf('MQTT') + 4] = 9;
        return bytes;
      },
      'protocol',
    ],
    [
      'a PUBLISH before CONNECT',
      () =>
        mqttPacket.generate({
          cmd: 'publish',
          topic: 'vigie/v1/devices/w-x/events',
          payload: Buffer.from('{}'),
          qos: 0,
          retain: false,
          dup: false,
        }),
      'protocol',
    ],
    ['an HTTP request', () => Buffer.from('GET / HTTP/1.1\r\nHost: broker\r\n\r\n'), 'protocol'],
    [
      'a CONNECT announcing 200 MiB',
      () => Buffer.concat([Buffer.from([0x10, 0x80, 0x80, 0x80, 0x64]), Buffer.alloc(1024)]),
      'packet_too_large',
    ],
    [`a packet one byte over ${MAX_PACKET_BYTES}`, () => Buffer.from([0x30, 0x81, 0x80, 0x08]), 'packet_too_large'],
    ['nothing at all', () => Buffer.alloc(0), 'connect_timeout'],
    ['half a CONNECT', () => connectPacket({ clientId: 'w-half' }).subarray(0, 10), 'connect_timeout'],
  ];
  it.each(cases)(
    'closes a connection that sends %s, counts and logs it, and serves a watch after',
    async (_n, bytes, reason) => {
      await sendRaw(bytes());
      await eventually(async () => expect(await dropped('tcp', reason)).toBe(1));
      expect(logged('connection closed', reason)).toBe(true);
      await expectAWatchServed();
    },
  );

  it('closes the connection of a watch that sends a second CONNECT, and serves it when it comes back', async () => {
    const device = await t.broker.registry.provisionPatient('Armand');
    const credentials = { clientId: device.deviceId, username: device.deviceId, password: device.secret };
    await sendRaw(Buffer.concat([connectPacket(credentials), connectPacket(credentials)]));
    await eventually(async () => expect(await dropped('tcp', 'protocol')).toBe(1));
    await expectAWatchServed();
  });

  it('closes the connection of an authenticated watch that sends a packet over the limit', async () => {
    const device = await t.broker.registry.provisionPatient('Blanche');
    const watch = await connect(t.broker.url, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
    });
    clients.push(watch);
    const closed = new Promise<void>((resolve) => watch.once('close', () => resolve()));
    watch.publish(deviceTopic(device.deviceId, 'vitals'), Buffer.alloc(MAX_PACKET_BYTES + 1, 0x20), { qos: 1 });
    await closed;
    await eventually(async () => expect(await dropped('tcp', 'packet_too_large')).toBe(1));
    expect(logs.find((l) => l.msg === 'connection closed')).toMatchObject({ clientId: device.deviceId });
    await expectAWatchServed();
  });
});

describe('MQTT over WebSocket', () => {
  const open = async (path = '/') => {
    const ws = await rawUpgrade(t.broker.ports.ws, { path, protocol: 'mqtt' });
    sockets.push(ws.socket);
    expect(ws.status).toBe(101);
    return ws;
  };

  it.each(HOSTILE_FRAMES.map((f) => [f.name, f] as const))(
    'closes a WebSocket that sends %s with a close code, counts and logs it, and serves a watch after',
    async (_name, hostile) => {
      const ws = await open();
      ws.send(hostile.bytes());
      const { code } = await ws.closed;
      expect(code).toBeGreaterThanOrEqual(1000);
      // A fragmented text message that never ends says nothing wrong on its own: it waits for the
      // CONNECT deadline. Every other frame is a WebSocket protocol error at once.
      const reason = hostile.name.startsWith('fragment flood') ? 'connect_timeout' : 'websocket';
      await eventually(async () => expect(await dropped('websocket', reason)).toBe(1));
      expect(logged('connection closed', reason)).toBe(true);
      await expectAWatchServed('websocket');
    },
  );

  const mqttInFrames: Array<[name: string, bytes: () => Buffer, code: number, reason: string]> = [
    ['MQTT in a text frame', () => frame(connectPacket({ clientId: 'w-text' })), 1003, 'websocket'],
    ['a malformed MQTT packet', () => frame(Buffer.from([0x00, 0x00]), { opcode: 0x2 }), 1002, 'protocol'],
    [
      'an MQTT packet announced over the limit',
      () => frame(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), { opcode: 0x2 }),
      1009,
      'packet_too_large',
    ],
    ['nothing', () => Buffer.alloc(0), 1008, 'connect_timeout'],
  ];
  it.each(mqttInFrames)(
    'closes a WebSocket that sends %s with its close code and a reason',
    async (_name, bytes, code, reason) => {
      const ws = await open('/mqtt');
      ws.send(bytes());
      const closed = await ws.closed;
      expect(closed.code).toBe(code);
      expect(closed.reason.length).toBeGreaterThan(0);
      await eventually(async () => expect(await dropped('websocket', reason)).toBe(1));
      await expectAWatchServed('websocket');
    },
  );

  const refusals: Array<[name: string, path: string, protocol: string | undefined, status: number, reason: string]> = [
    ['an unknown path', '/admin', 'mqtt', 404, 'unknown_path'],
    ['no subprotocol', '/mqtt', undefined, 400, 'no_mqtt_subprotocol'],
    ['another subprotocol only', '/', 'mqttv3.1', 400, 'no_mqtt_subprotocol'],
  ];
  it.each(refusals)(
    'refuses an upgrade with %s (%s, %s) with its status, and counts it',
    async (_n, path, protocol, status, reason) => {
      const ws = await rawUpgrade(t.broker.ports.ws, { path, ...(protocol ? { protocol } : {}) });
      sockets.push(ws.socket);
      expect(ws.status).toBe(status);
      expect(ws.head).toMatch(/\r\n\r\n.+/);
      await ws.closed;
      expect(await count('vigie_broker_websocket_upgrades_refused_total', { reason })).toBe(1);
      expect(logged('WebSocket upgrade refused', reason)).toBe(true);
      await expectAWatchServed('websocket');
    },
  );

  it('survives connections reset at every stage of the WebSocket path, and serves a watch after', async () => {
    const reset = (socket: Socket) =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.resetAndDestroy();
      });
    // During the request head, right after a complete upgrade request, in the middle of a frame, and
    // in the middle of an MQTT packet split across frames.
    const head = tcpConnect(t.broker.ports.ws, '127.0.0.1');
    sockets.push(head);
    head.on('error', () => undefined);
    await once(head, 'connect');
    head.write('GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgr');
    await reset(head);
    const upgraded = await rawUpgrade(t.broker.ports.ws, { path: '/mqtt', protocol: 'mqtt' });
    sockets.push(upgraded.socket);
    await reset(upgraded.socket);
    const midFrame = await open();
    midFrame.send(frame(connectPacket({ clientId: 'w-mid' }), { opcode: 0x2 }).subarray(0, 9));
    await reset(midFrame.socket);
    const midPacket = await open();
    midPacket.send(frame(connectPacket({ clientId: 'w-split' }).subarray(0, 6), { opcode: 0x2 }));
    await reset(midPacket.socket);
    await expectAWatchServed('websocket');
    await expectAWatchServed('tcp');
  });

  it.each([
    [
      'an upgrade without a key',
      'GET / HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
      400,
      'bad_handshake',
    ],
    ['a malformed HTTP request', 'GET / HTTP/1.1\r\nHost b\r\n\r\n', 400, 'bad_http'],
    ['a request head that never ends', 'GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n', 408, 'bad_http'],
  ])('answers %s with a 4xx and counts it', async (_n, request, status, reason) => {
    const socket = tcpConnect(t.broker.ports.ws, '127.0.0.1');
    sockets.push(socket);
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const closed = once(socket, 'close');
    socket.write(request);
    await closed;
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(await count('vigie_broker_websocket_upgrades_refused_total', { reason })).toBe(1);
    await expectAWatchServed('websocket');
  });
});
