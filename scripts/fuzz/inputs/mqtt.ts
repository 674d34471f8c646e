/**
 * The MQTT sessions of mqtt-packets.ts on each transport: raw TCP to the broker; WebSocket to the
 * broker's listener; and WebSocket through the web service's /mqtt relay (which also needs this
 * site's Origin). On WebSocket, packets travel one per binary frame, all in one, split across frames,
 * or (wrongly) in text frames, and hostile frames and bad upgrades are thrown too.
 */
import { frame } from '../../../tests/support/raw-ws.ts';
import { sourceAddress, type CategoryDescriptions, type Input, type Outcome, type World } from '../model.ts';
import type { Rng } from '../random.ts';
import { upgradeRequest, type UpgradeRequest } from '../ws-wire.ts';
import { MQTT_CATEGORIES, mqttSessionFor, type MqttSession } from './mqtt-packets.ts';
import {
  afterUpgrade,
  badUpgrade,
  binaryStream,
  framesOf,
  hostileFrame,
  oddFrame,
  upgrade,
  wsKey,
} from './websocket.ts';

export const MQTT_TCP_CATEGORIES = MQTT_CATEGORIES;

export const MQTT_WS_CATEGORIES: CategoryDescriptions = {
  ...MQTT_CATEGORIES,
  'hostile-frame': 'an accepted MQTT WebSocket sending one of the hostile frames of tests/support/raw-ws.ts',
  'bad-upgrade':
    "upgrades without the mqtt subprotocol or with odd ones, bad versions and keys, wrong methods and paths, unknown extensions (and, on the relay, no Origin or another site's)",
};

/** The CONNACK return code, once its 4 bytes arrived (undefined if the first packet was not a CONNACK). */
function connackOf(bytes: Buffer): number | undefined {
  return bytes.length >= 4 && bytes[0] === 0x20 ? bytes[3] : undefined;
}

export function mqttTcpInputFor(rng: Rng, w: World): Input {
  const s = mqttSessionFor(rng, w);
  return {
    listener: 'mqtt',
    category: s.category,
    from: sourceAddress(rng),
    async run(open, world): Promise<Outcome> {
      const conn = await open(world.ports.mqtt);
      conn.write(Buffer.concat(s.first));
      if (s.awaitConnack) await conn.until((r) => r.length >= 4, 2000);
      const connack = connackOf(conn.received);
      if (connack === 0 && s.rest.length) conn.write(Buffer.concat(s.rest));
      await conn.quiet(250, 1500);
      return { serverClosed: conn.closedByServer, ...(connack !== undefined ? { connack } : {}) };
    },
  };
}

type Framing = 'one-per-frame' | 'all-in-one' | 'split' | 'text';

function framed(packets: readonly Buffer[], how: Framing, rng: Rng): Buffer {
  if (packets.length === 0) return Buffer.alloc(0);
  switch (how) {
    case 'one-per-frame':
      return Buffer.concat(packets.map((p) => frame(p, { opcode: 0x2 })));
    case 'all-in-one':
      return frame(Buffer.concat(packets), { opcode: 0x2 });
    case 'split': {
      // MQTT over WebSocket lets a packet span frames (MQTT 3.1.1 §6): cut the stream anywhere.
      const all = Buffer.concat(packets);
      const cut = rng.int(1, Math.max(1, all.length - 1));
      return Buffer.concat([frame(all.subarray(0, cut), { opcode: 0x2 }), frame(all.subarray(cut), { opcode: 0x2 })]);
    }
    case 'text':
      return Buffer.concat(packets.map((p) => frame(p, { opcode: 0x1 })));
  }
}

/** An MQTT-over-WebSocket input for the broker's listener or the web relay. */
function mqttWsInput(rng: Rng, w: World, listener: 'mqtt-ws' | 'relay'): Input {
  const category = rng.weighted<string>([
    [80, 'session'],
    [10, 'hostile-frame'],
    [10, 'bad-upgrade'],
  ]);
  const good: UpgradeRequest = {
    path: listener === 'relay' ? '/mqtt' : rng.pick(['/', '/mqtt']),
    host: `127.0.0.1:${listener === 'relay' ? w.ports.web : w.ports.mqttWs}`,
    key: wsKey(rng),
    protocol: 'mqtt',
    ...(listener === 'relay' ? { origin: w.webOrigin } : {}),
  };
  const port = (world: World) => (listener === 'relay' ? world.ports.web : world.ports.mqttWs);
  if (category !== 'session') {
    const request =
      category === 'bad-upgrade' ? badUpgrade(rng, rng.chance(0.3) ? { ...good, protocol: undefined } : good) : good;
    const bytes =
      category === 'hostile-frame' ? hostileFrame(rng).bytes() : rng.chance(0.5) ? oddFrame(rng) : Buffer.alloc(0);
    return {
      listener,
      category,
      from: sourceAddress(rng),
      async run(open, world) {
        const u = await upgrade(await open(port(world)), upgradeRequest(request));
        return afterUpgrade(u, async () => {
          if (bytes.length) u.conn.write(bytes);
        });
      },
    };
  }
  const s: MqttSession = mqttSessionFor(rng, w);
  const how = rng.weighted<Framing>([
    [6, 'one-per-frame'],
    [2, 'all-in-one'],
    [2, 'split'],
    [1, 'text'],
  ]);
  const first = framed(s.first, how, rng);
  const rest = framed(s.rest, how, rng);
  const extra = rng.chance(0.1) ? oddFrame(rng) : Buffer.alloc(0);
  return {
    listener,
    category: s.category,
    from: sourceAddress(rng),
    async run(open, world) {
      const u = await upgrade(await open(port(world)), upgradeRequest(good));
      let connack: number | undefined;
      const outcome = await afterUpgrade(u, async () => {
        u.conn.write(first);
        if (s.awaitConnack)
          await u.conn.until(() => binaryStream(u).length >= 4 || framesOf(u).some((f) => f.opcode === 0x8), 2000);
        connack = connackOf(binaryStream(u));
        if (connack === 0) u.conn.write(Buffer.concat([rest, extra]));
      });
      return { ...outcome, ...(connack !== undefined ? { connack } : {}) };
    },
  };
}

export function mqttWsInputFor(rng: Rng, w: World): Input {
  return mqttWsInput(rng, w, 'mqtt-ws');
}

export function relayInputFor(rng: Rng, w: World): Input {
  return mqttWsInput(rng, w, 'relay');
}
