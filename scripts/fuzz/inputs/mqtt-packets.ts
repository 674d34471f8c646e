/**
 * MQTT sessions to throw at every MQTT listener (TCP, the broker's WebSocket, the web relay): a
 * CONNECT with a watch's right secret followed by fuzzed PUBLISH (topics, QoS, payloads: readings
 * and events bent out of shape, oversized, not JSON), SUBSCRIBE and other packets; CONNECTs with
 * wrong credentials; and malformed packets. Valid packets come from mqtt-packet (MQTT.js and aedes'
 * codec) where it writes them; the rest is encoded here byte by byte, so that lengths and flags can lie.
 */
import mqttPacket from 'mqtt-packet';
import { deviceTopic, patientAlertsTopic } from '../../../devices/topics.ts';
import { MAX_PAYLOAD_BYTES, VITAL_RANGES, VITAL_NAMES } from '../../../devices/limits.ts';
import { hostileValue, mutate, nested, serialize } from '../json.ts';
import type { CategoryDescriptions, World } from '../model.ts';
import type { Rng } from '../random.ts';

export const MQTT_CATEGORIES: CategoryDescriptions = {
  'right-secret':
    "a CONNECT with a watch's right secret (clean or not, odd keep-alives, wills right and wrong), then 1 to 25 packets: PUBLISH to its own vitals, events and status and to other watches', platform and $SYS topics, wildcards, empty and 64 KiB topics, at QoS 0, 1 and 2, retained or not, with readings and events in range, out of range, of the wrong type, with unknown fields, stale or future, backfills of 0 to 501 samples, alarms (fall, sos) at QoS 0 and 1, payloads over 64 KiB, not UTF-8, not JSON, deeply nested; SUBSCRIBE to its own and others' topics, wildcards, $SYS, invalid filters and QoS 3; UNSUBSCRIBE, PUBACK/PUBREC/PUBREL/PUBCOMP for unknown ids, PINGREQ, a second CONNECT, DISCONNECT",
  'wrong-secret':
    "a CONNECT with wrong credentials: a known watch's id (the legitimate test watch's included) or a service account's name with a wrong secret, unknown and invalid ids, a client id that is not the username, no username or password, a 64 KiB password; then PUBLISH and SUBSCRIBE without waiting for the answer",
  malformed:
    'malformed packets: remaining lengths of 5 bytes or 256 MB announced, unknown packet types 0 and 15, wrong fixed-header flags, CONNECT with another protocol name or level (0, 3, 5, 6, 255), reserved flag set, password without username, string lengths past the packet, PUBLISH before CONNECT, truncated packets, bit flips in valid CONNECT and PUBLISH, 1,000 PINGREQ before CONNECT',
  'random-bytes': 'random bytes (1 byte to 64 KiB) instead of MQTT',
};

/** One MQTT session: packets sent at once, whether to wait for CONNACK, then the rest. */
export interface MqttSession {
  readonly category: string;
  readonly first: readonly Buffer[];
  readonly awaitConnack: boolean;
  readonly rest: readonly Buffer[];
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0 && out.length < 4);
  return Buffer.from(out);
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(Math.min(b.length, 0xffff));
  return Buffer.concat([len, b]);
}

function packet(typeAndFlags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags]), remainingLength(body.length), body]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

/** PUBLISH, encoded by hand: any topic, QoS 3 and message id 0 included. */
export function publish(
  topic: string | Buffer,
  payload: Buffer,
  o: { qos: number; retain?: boolean; dup?: boolean; id?: number },
): Buffer {
  const flags = 0x30 | (o.dup ? 0x08 : 0) | ((o.qos & 3) << 1) | (o.retain ? 1 : 0);
  return packet(flags, Buffer.concat([str(topic), o.qos > 0 ? u16(o.id ?? 1) : Buffer.alloc(0), payload]));
}

function subscribe(filters: ReadonlyArray<readonly [string, number]>, id: number, flags = 0x82): Buffer {
  return packet(flags, Buffer.concat([u16(id), ...filters.map(([f, q]) => Buffer.concat([str(f), Buffer.from([q])]))]));
}

/**
 * CONNECT (MQTT 3.1.1 §3.1), encoded here rather than by mqtt-packet, which refuses to write some of
 * the CONNECTs worth sending (an empty client id without a clean session, a password without a username).
 */
function connect(o: {
  clientId: string;
  username?: string;
  password?: Buffer;
  clean?: boolean;
  keepalive?: number;
  will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean };
}): Buffer {
  const flags =
    (o.username !== undefined ? 0x80 : 0) |
    (o.password !== undefined ? 0x40 : 0) |
    (o.will?.retain ? 0x20 : 0) |
    ((o.will?.qos ?? 0) << 3) |
    (o.will ? 0x04 : 0) |
    ((o.clean ?? true) ? 0x02 : 0);
  return packet(
    0x10,
    Buffer.concat([
      str('MQTT'),
      Buffer.from([4, flags]),
      u16(o.keepalive ?? 60),
      str(o.clientId),
      ...(o.will ? [str(o.will.topic), str(o.will.payload)] : []),
      ...(o.username !== undefined ? [str(o.username)] : []),
      ...(o.password !== undefined ? [str(o.password)] : []),
    ]),
  );
}

const now = () => Date.now();

/** A reading: mostly plausible, often bent (out of range, wrong type, unknown field...). */
function reading(rng: Rng, seq: number): Record<string, unknown> {
  const r: Record<string, unknown> = { ts: now() - rng.int(0, 60_000), seq };
  for (const name of VITAL_NAMES) {
    if (!rng.chance(0.4)) continue;
    const range = VITAL_RANGES[name];
    const span = range.max - range.min;
    r[name] = rng.weighted<number>([
      [6, range.min + (range.integer ? Math.round(rng.float() * span) : rng.float() * span)],
      [1, range.min - rng.int(1, 10)],
      [1, range.max + rng.int(1, 10)],
      [1, range.min],
      [1, range.max],
    ]);
  }
  return r;
}

function event(rng: Rng, seq: number): Record<string, unknown> {
  const type = rng.pick(['fall', 'sos', 'im_ok', 'low_battery', 'removed', 'out_of_range', 'unknown', 'FALL']);
  const e: Record<string, unknown> = { ts: now(), seq, type };
  if (type === 'fall' && rng.chance(0.5)) e.confidence = rng.pick([0, 0.93, 1, 1.5, -0.1]);
  if (type === 'low_battery') e.battery = rng.int(-5, 120);
  if (type === 'out_of_range') {
    e.vital = rng.pick(['glucose', 'hr', 'battery', 'nope']);
    e.direction = rng.pick(['above', 'below', 'sideways']);
  }
  return e;
}

function payloadFor(rng: Rng, channel: string): Buffer {
  const seq = rng.weighted([
    [8, rng.int(0, 1_000_000)],
    [1, -1],
    [1, 2 ** 53],
  ]);
  const base: Record<string, unknown> =
    channel === 'events'
      ? event(rng, seq)
      : channel === 'vitals' && rng.chance(0.15)
        ? {
            samples: Array.from({ length: rng.pick([0, 1, 2, 50, 500, 501]) }, (_, i) =>
              reading(rng, seq + (rng.chance(0.9) ? i : 0)),
            ),
          }
        : reading(rng, seq);
  if (rng.chance(0.1)) base.ts = rng.pick([now() + 10 * 60_000, now() - 31 * 24 * 3600_000, 0, -1, 1.5, '2026-01-01']);
  if (channel === 'status' && rng.chance(0.7))
    return Buffer.from(rng.pick(['online', 'offline', 'ONLINE', '', 'offline\u0000', '{"status":"online"}']));
  return rng.weighted<() => Buffer>([
    [5, () => Buffer.from(JSON.stringify(base))],
    [6, () => serialize(rng, mutate(rng, base as never))],
    [1, () => serialize(rng, hostileValue(rng))],
    [1, () => Buffer.from(nested(rng).slice(0, MAX_PAYLOAD_BYTES))],
    [1, () => Buffer.alloc(MAX_PAYLOAD_BYTES + rng.pick([1, 1000, 200_000]), 0x20)],
    [1, () => rng.bytes(rng.size(2000))],
  ])();
}

function topicFor(rng: Rng, w: World, own: string): { topic: string | Buffer; channel: string } {
  const channel = rng.weighted<string>([
    [5, 'vitals'],
    [3, 'events'],
    [1, 'status'],
    [1, 'commands'],
    [1, 'errors'],
  ]);
  const other = rng.pick([...w.foreignDeviceIds, ...w.devices.map((d) => d.deviceId)]);
  const topic = rng.weighted<() => string | Buffer>([
    [12, () => deviceTopic(own, channel as 'vitals')],
    [2, () => deviceTopic(other, channel as 'vitals')],
    [1, () => patientAlertsTopic(rng.pick(w.patientIds))],
    [
      2,
      () =>
        rng.pick([
          '$SYS/broker/uptime',
          '$vigie/sink',
          'vigie/v1/devices/+/vitals',
          'vigie/v1/devices/#',
          '#',
          '',
          '/',
          `${deviceTopic(own, 'vitals')}/extra`,
          `vigie/v1/devices/${own.toUpperCase()}/vitals`,
          'vigie/v1/devices//vitals',
          'a\u0000b',
          '🩺/🩺',
          'x'.repeat(rng.pick([1000, 65_535])),
        ]),
    ],
    [1, () => Buffer.from([0xc3, 0x28, 0x2f, 0xff])],
  ])();
  return { topic, channel };
}

/** The packets a connected watch sends: mostly PUBLISH, some SUBSCRIBE and others. */
function afterConnect(rng: Rng, w: World, own: string): Buffer[] {
  const n = rng.weighted([
    [6, rng.int(1, 4)],
    [3, rng.int(5, 12)],
    [1, rng.int(13, 25)],
  ]);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      rng.weighted<() => Buffer>([
        [
          14,
          () => {
            const { topic, channel } = topicFor(rng, w, own);
            const qos = rng.weighted([
              [4, 1],
              [3, 0],
              [1, 2],
              [0.2, 3],
            ]);
            return publish(topic, payloadFor(rng, channel), {
              qos,
              retain: rng.chance(0.1),
              dup: rng.chance(0.05),
              id: rng.weighted([
                [9, rng.int(1, 65_535)],
                [1, 0],
              ]),
            });
          },
        ],
        [
          2,
          () =>
            subscribe(
              Array.from(
                { length: rng.int(1, 3) },
                () =>
                  [
                    rng.pick([
                      deviceTopic(own, 'commands'),
                      deviceTopic(own, 'errors'),
                      '#',
                      '+/+/+/+/+',
                      '$SYS/#',
                      `vigie/v1/devices/${rng.pick(w.foreignDeviceIds)}/commands`,
                      'vigie/v1/patients/+/alerts',
                      '',
                      'a/#/b',
                      'a+/b',
                      '$share/g/#',
                    ]),
                    rng.pick([0, 1, 2, 3, 0x80]),
                  ] as const,
              ),
              rng.int(0, 65_535),
              rng.chance(0.9) ? 0x82 : 0x80,
            ),
        ],
        [
          1,
          () =>
            packet(
              0xa2,
              Buffer.concat([u16(rng.int(1, 65_535)), str(rng.pick(['#', deviceTopic(own, 'commands'), '']))]),
            ),
        ],
        [1, () => packet(rng.pick([0x40, 0x50, 0x62, 0x70]), u16(rng.int(0, 65_535)))],
        [1, () => Buffer.from([0xc0, 0x00])],
        [0.3, () => connect({ clientId: own, username: own, password: Buffer.from('again') })],
        [0.3, () => Buffer.from([0xe0, 0x00])],
      ])(),
    );
  }
  return out;
}

function wrongCredentials(rng: Rng, w: World): Buffer {
  const known = rng.pick(w.devices);
  // A stranger who knows a watch's id (the legitimate clients' among them) tries secrets: often, so
  // that a broker locking the id out would keep the legitimate watch offline, and a check would say so.
  if (rng.chance(0.25)) {
    const id = rng.pick(w.foreignDeviceIds);
    return connect({ clientId: id, username: id, password: rng.bytes(32) });
  }
  return rng.pick<() => Buffer>([
    () => connect({ clientId: known.deviceId, username: known.deviceId, password: Buffer.from(`${known.secret}x`) }),
    () => connect({ clientId: known.deviceId, username: known.deviceId, password: Buffer.from(rng.text(43)) }),
    () => connect({ clientId: 'vigie-ingest', username: rng.pick(['svc:ingest', 'svc:web']), password: rng.bytes(24) }),
    () => {
      const id = rng.pick([
        'w-000000000000',
        'unknown-watch',
        'A-B',
        'ab',
        'x'.repeat(65),
        'a/b',
        '#',
        '+',
        '',
        '\u0000',
      ]);
      return connect({ clientId: id, username: id, password: rng.bytes(16) });
    },
    () => connect({ clientId: `${known.deviceId}-2`, username: known.deviceId, password: Buffer.from(known.secret) }),
    () => connect({ clientId: known.deviceId }),
    () => connect({ clientId: known.deviceId, username: known.deviceId }),
    () => connect({ clientId: known.deviceId, username: known.deviceId, password: Buffer.alloc(65_535, 0x61) }),
    () => connect({ clientId: '', clean: false, username: known.deviceId, password: Buffer.from(known.secret) }),
  ])();
}

function flip(rng: Rng, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const flips = rng.int(1, 4);
  for (let i = 0; i < flips; i++) {
    const at = rng.int(0, out.length - 1);
    out[at] = out[at]! ^ (1 << rng.int(0, 7));
  }
  return out;
}

function malformed(rng: Rng, w: World): Buffer[] {
  const d = rng.pick(w.devices);
  const good = connect({ clientId: d.deviceId, username: d.deviceId, password: Buffer.from(d.secret) });
  const withProtocol = (name: string, level: number, flags?: number) => {
    const body = Buffer.concat([
      str(name),
      Buffer.from([level, flags ?? 0xc2]),
      u16(60),
      str(d.deviceId),
      str(d.deviceId),
      str(d.secret),
    ]);
    return packet(0x10, body);
  };
  return rng.pick<() => Buffer[]>([
    () => [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
    () => [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), rng.bytes(100)],
    () => [Buffer.from([rng.pick([0x00, 0xf0, 0x0f, 0xff]), 0x00])],
    () => [good, Buffer.from([rng.pick([0x00, 0xf0]), 0x02, 0x00, 0x01])],
    () => [good, subscribe([[deviceTopic(d.deviceId, 'commands'), 1]], 1, 0x80)],
    () => [good, packet(0x60, u16(1))],
    () => [withProtocol(rng.pick(['MQTX', 'HTTP', '', 'MQIsdp', 'mqtt', 'M\u0000TT']), 4)],
    () => [withProtocol('MQTT', rng.pick([0, 3, 5, 6, 255]))],
    () => [withProtocol('MQTT', 4, 0xc3)],
    () => [withProtocol('MQTT', 4, 0x42)],
    () => [withProtocol('MQTT', 4, 0xc6)],
    () => [
      packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2]), u16(60), u16(60_000), Buffer.from('short')])),
    ],
    () => [publish(deviceTopic(d.deviceId, 'vitals'), Buffer.from('{}'), { qos: 1, id: 7 }), good],
    () => [good.subarray(0, rng.int(1, good.length - 1))],
    () => [
      good,
      publish(deviceTopic(d.deviceId, 'vitals'), Buffer.from('{"ts":1}'), { qos: 1 }).subarray(0, rng.int(2, 10)),
    ],
    () => [flip(rng, good)],
    () => [
      good,
      flip(
        rng,
        publish(deviceTopic(d.deviceId, 'vitals'), Buffer.from(JSON.stringify(reading(rng, 1))), { qos: 1, id: 3 }),
      ),
    ],
    () => [Buffer.alloc(2000, Buffer.from([0xc0, 0x00]))],
    () => [
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        clientId: d.deviceId,
        keepalive: 60,
        username: d.deviceId,
        password: Buffer.from(d.secret),
        properties: {
          maximumPacketSize: 1,
          receiveMaximum: 1,
          topicAliasMaximum: 65_535,
          requestProblemInformation: true,
        },
      }),
    ],
  ])();
}

export function mqttSessionFor(rng: Rng, w: World): MqttSession {
  const category = rng.weighted<string>([
    [50, 'right-secret'],
    [22, 'wrong-secret'],
    [20, 'malformed'],
    [8, 'random-bytes'],
  ]);
  switch (category) {
    case 'right-secret': {
      const d = rng.pick(w.devices);
      const will = rng.weighted<{ topic: string; payload: Buffer; qos: 0 | 1 | 2; retain: boolean } | undefined>([
        [6, undefined],
        [3, { topic: deviceTopic(d.deviceId, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true }],
        [
          1,
          {
            topic: rng.pick([
              deviceTopic(rng.pick(w.foreignDeviceIds), 'status'),
              '#',
              deviceTopic(d.deviceId, 'events'),
            ]),
            payload: Buffer.from(rng.pick(['offline', 'online', '{"type":"fall"}'])),
            qos: 1,
            retain: rng.chance(0.5),
          },
        ],
      ]);
      const first = connect({
        clientId: d.deviceId,
        username: d.deviceId,
        password: Buffer.from(d.secret),
        clean: rng.chance(0.6),
        keepalive: rng.pick([0, 1, 60, 65_535]),
        ...(will ? { will } : {}),
      });
      return { category, first: [first], awaitConnack: true, rest: afterConnect(rng, w, d.deviceId) };
    }
    case 'wrong-secret':
      return {
        category,
        first: [wrongCredentials(rng, w), ...afterConnect(rng, w, rng.pick(w.devices).deviceId).slice(0, 3)],
        awaitConnack: true,
        rest: [],
      };
    case 'malformed':
      return { category, first: malformed(rng, w), awaitConnack: false, rest: [] };
    default:
      return { category, first: [rng.bytes(rng.pick([1, 2, 5, 100, 2000, 65_536]))], awaitConnack: false, rest: [] };
  }
}
