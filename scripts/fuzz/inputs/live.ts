/**
 * Hostile input for the web service's live channel (WebSocket /api/live): signed-in sockets (a
 * relative's or a clinician's valid session, the right Origin) that send fuzzed subscriptions,
 * broken JSON, binary, oversized and fragmented messages, floods and protocol-breaking frames; and
 * upgrades that should be refused (no session, a forged one, another site's Origin, bad handshakes).
 */
import { frame } from '../../../tests/support/raw-ws.ts';
import { hostileValue, mutate, nested, serialize } from '../json.ts';
import { busyAddress, openMany, sourceAddress, type CategoryDescriptions, type Input, type World } from '../model.ts';
import type { Rng } from '../random.ts';
import { upgradeRequest, type UpgradeRequest } from '../ws-wire.ts';
import {
  afterUpgrade,
  badUpgrade,
  fragments,
  hostileFrame,
  manySockets,
  oddFrame,
  upgrade,
  wsKey,
} from './websocket.ts';

export const LIVE_CATEGORIES: CategoryDescriptions = {
  messages:
    "a signed-in socket (a relative's or a clinician's session, the right Origin) sending 1 to 60 fuzzed messages: subscriptions to its own patients, others' patients, '*', bad ids; bent and broken JSON; binary; over 4 KiB; fragmented; pings, pongs and close frames; floods past the message rate",
  'hostile-frame':
    'a signed-in socket sending one of the hostile frames of tests/support/raw-ws.ts (RSV bits, unknown opcodes, unmasked, invalid UTF-8, 16 MiB announced, 1 MiB sent, fragment floods, bad close frames)',
  'random-bytes': 'a signed-in socket sending random bytes that are not WebSocket frames',
  'too-many-sockets':
    'one busy client opening 20 signed-in sockets at once (16 are allowed per client): the answer counted is 429 if any was refused',
  'bad-upgrade':
    'upgrades to be refused: no session, a forged or oversized cookie, another Origin, no Origin, bad versions and keys, wrong methods and paths, unknown extensions and subprotocols',
};

function subscription(rng: Rng, w: World): Buffer {
  const good = { type: 'subscribe', patientId: rng.chance(0.2) ? '*' : rng.pick(w.patientIds) };
  return rng.weighted<() => Buffer>([
    [4, () => Buffer.from(JSON.stringify(good))],
    [6, () => serialize(rng, mutate(rng, good))],
    [1, () => serialize(rng, hostileValue(rng))],
    [1, () => Buffer.from(nested(rng).slice(0, 4096))],
    [1, () => Buffer.from(JSON.stringify({ type: 'subscribe', patientId: 'x'.repeat(rng.int(4000, 5000)) }))],
  ])();
}

function liveMessage(rng: Rng, w: World): Buffer {
  return rng.weighted<() => Buffer>([
    [10, () => frame(subscription(rng, w))],
    [1, () => frame(subscription(rng, w), { opcode: 0x2 })],
    [1, () => frame(Buffer.alloc(rng.int(4097, 130_000), 0x20))],
    [1, () => fragments(subscription(rng, w), rng.pick([2, 10, 64, 65, 100]), 0x1)],
    [2, () => oddFrame(rng)],
  ])();
}

export function liveInputFor(rng: Rng, w: World): Input {
  const category = rng.weighted<string>([
    [55, 'messages'],
    [15, 'hostile-frame'],
    [8, 'random-bytes'],
    [22, 'bad-upgrade'],
    [3, 'too-many-sockets'],
  ]);
  const sessions = w.sessions();
  const cookie = rng.chance(0.5) ? rng.pick(sessions.family) : rng.pick(sessions.staff);
  const good: UpgradeRequest = {
    path: '/api/live',
    host: `127.0.0.1:${w.ports.web}`,
    key: wsKey(rng),
    origin: w.webOrigin,
    cookie,
  };
  let request = good;
  let payload: Buffer[] = [];
  switch (category) {
    case 'messages': {
      // Mostly a few messages; sometimes a flood past the socket's budget (in one write, as a burst).
      const n = rng.weighted([
        [8, rng.int(1, 5)],
        [2, rng.int(6, 30)],
        [1, rng.int(41, 60)],
      ]);
      for (let i = 0; i < n; i++) payload.push(liveMessage(rng, w));
      break;
    }
    case 'hostile-frame': {
      const hostile = hostileFrame(rng);
      payload = [hostile.bytes()];
      break;
    }
    case 'random-bytes':
      payload = [rng.bytes(rng.pick([1, 2, 14, 200, 5000]))];
      break;
    default:
      request = rng.chance(0.35) ? { ...good, omit: new Set(['cookie']) } : badUpgrade(rng, good);
      payload = rng.chance(0.3) ? [frame(subscription(rng, w))] : [];
  }
  if (category === 'too-many-sockets') {
    const keys = Array.from({ length: 20 }, () => wsKey(rng));
    return {
      listener: 'live',
      category,
      from: busyAddress(rng),
      run: async (open, world) =>
        manySockets(await openMany(open, world.ports.web, 20, (i) => upgradeRequest({ ...good, key: keys[i]! }))),
    };
  }
  const bytes = Buffer.concat(payload);
  return {
    listener: 'live',
    category,
    from: sourceAddress(rng),
    async run(open, world) {
      const u = await upgrade(await open(world.ports.web), upgradeRequest(request));
      return afterUpgrade(u, async () => {
        if (bytes.length) u.conn.write(bytes);
      });
    },
  };
}
