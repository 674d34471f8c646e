/**
 * Hostile input for the SFU's signalling WebSocket (/signal, sfu/SIGNALLING.md): a page that joins
 * with a valid call token (signed with the shared VIGIE_CALL_SECRET, as the web API does) and then
 * sends every request with bent data, mediasoup's own structures included (DTLS and RTP parameters,
 * RTP capabilities), on its real transports and producers; joins with bad tokens and seats; broken
 * and oversized messages, floods; protocol-breaking frames; bad upgrades and non-HTTP bytes.
 */
import { SignJWT } from 'jose';
import { z } from 'zod';
import { frame } from '../../../tests/support/raw-ws.ts';
import { CallTokens } from '../../../sfu/tokens.ts';
import { hostileValue, mutate, nested, serialize } from '../json.ts';
import { busyAddress, openMany, sourceAddress, type CategoryDescriptions, type Input, type World } from '../model.ts';
import type { Rng } from '../random.ts';
import { upgradeRequest, type UpgradeRequest } from '../ws-wire.ts';
import {
  afterUpgrade,
  badUpgrade,
  fragments,
  framesOf,
  hostileFrame,
  manySockets,
  oddFrame,
  upgrade,
  wsKey,
  type Upgraded,
} from './websocket.ts';

export const SIGNAL_CATEGORIES: CategoryDescriptions = {
  'joined-requests':
    'a page joining a fuzz room with a valid token (clinician, patient or family) and a valid seat, then up to 14 requests in the order a page sends them, each valid or bent: createTransport, connectTransport with bent DTLS parameters, produce with bent RTP parameters on its real transport, consume with bent RTP capabilities of its real producer, resumeConsumer, pause/resume/closeProducer, restartIce, admit, mute, chat (up to 5,000 characters), leave, endForAll',
  'unjoined-requests':
    "joins with bad tokens (expired, another room's, another secret's, a staff token, alg none, hostile claims, garbage) or bad seats, and requests before any join: unknown methods (__proto__, constructor, toString...), ids that are not integers, data of the wrong shape",
  'bad-messages':
    'JSON that is not a request, broken JSON, binary frames, messages over 256 KiB, 21+ bad requests, floods of 150 messages in one write, fragmented messages',
  'hostile-frame': 'one of the hostile frames of tests/support/raw-ws.ts on an accepted socket',
  'bad-upgrade':
    "upgrades to be refused (wrong path, bad version or key, wrong method, odd extensions) and bytes that are not HTTP on the SFU's port",
  'random-bytes': 'random bytes that are not WebSocket frames on an accepted socket',
  'too-many-sockets':
    'one busy client opening 24 signalling sockets at once (20 are allowed per client): the answer counted is 429 if any was refused',
};

/** A placeholder for an id the SFU gave earlier in the same input (a transport, a producer...). */
type Ref = { readonly $ref: string };
type Step =
  | {
      readonly kind: 'request';
      readonly id: number;
      readonly method: string;
      readonly data: unknown;
      readonly capture?: string;
    }
  | { readonly kind: 'frame'; readonly bytes: Buffer };

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  ((i * 37) & 0xff).toString(16).padStart(2, '0').toUpperCase(),
).join(':');
const dtls = () => ({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: FINGERPRINT }] });
const audioRtp = () => ({
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48_000,
      channels: 2,
      parameters: { minptime: 10, useinbandfec: 1 },
      rtcpFeedback: [],
    },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  encodings: [{ ssrc: 11_111_111 }],
  rtcp: { cname: 'fuzz', reducedSize: true },
  mid: '0',
});
const videoRtp = () => ({
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90_000,
      parameters: {},
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    },
  ],
  headerExtensions: [],
  encodings: [
    { ssrc: 22_222_222, maxBitrate: 500_000 },
    { ssrc: 22_222_223, scalabilityMode: 'S1T3' },
  ],
  rtcp: { cname: 'fuzz' },
});
const capabilities = () => ({
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2, preferredPayloadType: 100 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90_000, preferredPayloadType: 101, rtcpFeedback: [] },
  ],
  headerExtensions: [],
});

function maybeBent<T>(rng: Rng, value: T, p = 0.6): unknown {
  return rng.chance(p) ? mutate(rng, value as never) : value;
}

const ref = (name: string): Ref => ({ $ref: name });

function seat(rng: Rng): string {
  return rng.chance(0.93)
    ? rng.text(rng.int(22, 64), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
    : rng.pick(['', 'short', 'a'.repeat(65), 'has spaces in it and is long enough', '../../../../../../../../..']);
}

/** The requests of a page that has joined, in a page's order, each valid or bent. */
function joinedSteps(rng: Rng): Step[] {
  let id = 2;
  const steps: Step[] = [];
  const req = (method: string, data: unknown, capture?: string) =>
    steps.push({ kind: 'request', id: id++, method, data, ...(capture ? { capture } : {}) });
  const kind = rng.pick(['audio', 'video'] as const);
  const plan = [
    () => req('createTransport', maybeBent(rng, { direction: 'send' }, 0.1), 'transport:send'),
    () => req('createTransport', maybeBent(rng, { direction: 'recv' }, 0.1), 'transport:recv'),
    () => req('connectTransport', { transportId: ref('transport:send'), dtlsParameters: maybeBent(rng, dtls()) }),
    () =>
      req(
        'produce',
        {
          transportId: ref('transport:send'),
          kind,
          rtpParameters: maybeBent(rng, kind === 'audio' ? audioRtp() : videoRtp()),
          source: rng.chance(0.85)
            ? kind === 'audio'
              ? 'mic'
              : rng.pick(['camera', 'screen'])
            : rng.pick(['mic', 'camera', 'screen', 'speaker']),
        },
        'producer',
      ),
    () =>
      req(
        'consume',
        {
          transportId: ref('transport:recv'),
          producerId: ref('producer'),
          rtpCapabilities: maybeBent(rng, capabilities()),
        },
        'consumer',
      ),
    () => req('resumeConsumer', maybeBent(rng, { consumerId: ref('consumer') }, 0.2)),
    () =>
      req(
        rng.pick(['pauseProducer', 'resumeProducer', 'closeProducer']),
        maybeBent(rng, { producerId: ref('producer') }, 0.2),
      ),
    () => req('restartIce', maybeBent(rng, { transportId: ref('transport:' + rng.pick(['send', 'recv'])) }, 0.2)),
    () =>
      req(rng.pick(['admit', 'mute']), {
        participantId: rng.pick([ref('me'), `patient-${rng.text(12)}`, 'clinician-x', hostileValue(rng)]),
      }),
    () =>
      req(
        'chat',
        maybeBent(
          rng,
          {
            text: rng.pick([
              'bonjour',
              'x'.repeat(rng.pick([2000, 2001, 5000])),
              '\u0000',
              ' ',
              '<img src=x onerror=alert(1)>',
            ]),
          },
          0.3,
        ),
      ),
    () => req(rng.pick(['leave', 'endForAll']), maybeBent(rng, {}, 0.2)),
  ];
  // A page's order, with some steps skipped and the last ones rarer (leave and end stop the rest).
  for (let i = 0; i < plan.length; i++) if (rng.chance(i >= plan.length - 1 ? 0.15 : 0.75)) plan[i]!();
  return steps;
}

/** A bad request before any join: unknown methods, ids that are not integers, data of the wrong shape. */
function badRequest(rng: Rng): Buffer {
  const method = rng.pick([
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'then',
    'valueOf',
    '',
    'JOIN',
    'createTransport',
    'admit',
    'endForAll',
  ]);
  const id = rng.pick<unknown>([1, -1, 1.5, '1', null, 2 ** 53, undefined, {}]);
  const data = rng.pick<unknown>([{}, null, [], 'x', { direction: 'send' }, hostileValue(rng)]);
  return serialize(rng, { ...(id !== undefined ? { id } : {}), method, data } as never);
}

type TokenKind =
  'valid' | 'expired' | 'other-room' | 'other-secret' | 'staff' | 'alg-none' | 'hostile-claims' | 'garbage';

async function token(kind: TokenKind, roomId: string, role: string, w: World, rng: Rng): Promise<string> {
  const tokens = new CallTokens(w.callSecret);
  const grant = {
    roomId,
    role: role as 'clinician',
    displayName: 'Fuzz',
    patientId: rng.pick(w.patientIds),
    ttlSeconds: 600,
  };
  switch (kind) {
    case 'valid':
      return (await tokens.issueCall(grant)).token;
    case 'expired':
      return (await tokens.issueCall({ ...grant, ttlSeconds: -3600 })).token;
    case 'other-room':
      return (await tokens.issueCall({ ...grant, roomId: `${roomId}-other` })).token;
    case 'other-secret':
      return (await new CallTokens(CallTokens.randomSecret()).issueCall(grant)).token;
    case 'staff':
      // The right secret, another audience (the staff tokens Vigie used to sign before personal API tokens).
      return new SignJWT({ name: 'Dr Fuzz' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('vigie')
        .setAudience('vigie-staff')
        .setSubject('staff-1')
        .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
        .sign(new TextEncoder().encode(w.callSecret));
    case 'alg-none': {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'vigie', aud: 'vigie-call', room: roomId, role: 'clinician', sub: 'x', name: 'x', patient: 'p', exp: 9e9 })}.`;
    }
    case 'hostile-claims':
      return new SignJWT({
        room: rng.pick([roomId, '', 'x'.repeat(101), '__proto__']),
        role: rng.pick(['admin', 'clinician', '', 'CLINICIAN']),
        name: rng.pick(['x'.repeat(61), '', '\u202e', 'Dr']),
        patient: rng.pick(['', 'p', 'x'.repeat(101)]),
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('vigie')
        .setAudience(rng.pick(['vigie-call', 'vigie-staff', 'other']))
        .setSubject(rng.pick(['__proto__', 'constructor', 'x', 'y'.repeat(101)]))
        .setExpirationTime(Math.floor(Date.now() / 1000) + rng.pick([600, 10 * 365 * 24 * 3600]))
        .sign(new TextEncoder().encode(w.callSecret));
    case 'garbage':
      return rng.pick(['', 'x', 'a.b.c', 'e30.e30.', rng.text(rng.int(1, 4096))]);
  }
}

/** Replaces each {$ref} with the id the SFU gave (or leaves a made-up one, which the SFU must refuse). */
function resolve(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ids));
  if (value !== null && typeof value === 'object') {
    if ('$ref' in value && typeof value.$ref === 'string') return ids.get(value.$ref) ?? `unknown-${value.$ref}`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, ids)]));
  }
  return value;
}

const answerSchema = z.object({ id: z.unknown(), ok: z.unknown().optional(), data: z.unknown().optional() });

/** The answer to request `id`, once it arrived. */
function answerTo(u: Upgraded, id: number): { ok?: unknown; data?: unknown } | undefined {
  for (const f of framesOf(u)) {
    if (f.opcode !== 0x1) continue;
    try {
      const m = answerSchema.safeParse(JSON.parse(f.payload.toString()));
      if (m.success && m.data.id === id) return m.data;
    } catch {
      // not JSON: not an answer
    }
  }
  return undefined;
}

/** What an answer gave that later requests refer to. */
function captured(name: string, answer: { ok?: unknown; data?: unknown }): string | undefined {
  const data = z.record(z.string(), z.unknown()).safeParse(answer.data);
  if (answer.ok !== true || !data.success) return undefined;
  const v = data.data[name === 'me' ? 'participantId' : name === 'producer' ? 'producerId' : 'id'];
  return typeof v === 'string' ? v : undefined;
}

async function runSteps(u: Upgraded, steps: readonly Step[]): Promise<void> {
  const ids = new Map<string, string>();
  for (const step of steps) {
    if (u.conn.closed) return;
    if (step.kind === 'frame') {
      u.conn.write(step.bytes);
      continue;
    }
    const text = JSON.stringify({ id: step.id, method: step.method, data: resolve(step.data, ids) });
    u.conn.write(frame(text));
    // A page waits for each answer before the next request that needs it; so does this one.
    await u.conn.until(() => answerTo(u, step.id) !== undefined, 3000);
    const answer = answerTo(u, step.id);
    const got = step.capture && answer ? captured(step.capture, answer) : undefined;
    if (step.capture && got) ids.set(step.capture, got);
  }
}

export function signalInputFor(rng: Rng, w: World): Input {
  const category = rng.weighted<string>([
    [38, 'joined-requests'],
    [15, 'unjoined-requests'],
    [15, 'bad-messages'],
    [10, 'hostile-frame'],
    [14, 'bad-upgrade'],
    [8, 'random-bytes'],
    [3, 'too-many-sockets'],
  ]);
  const good: UpgradeRequest = { path: '/signal', host: `127.0.0.1:${w.ports.sfu}`, key: wsKey(rng) };
  // Many rooms: one that a fuzz clinician ended refuses every later join (consultation_ended).
  const roomId = `fz-${rng.int(0, 4999)}`;
  // Mostly clinicians: admitted at once, their requests reach mediasoup; the others wait and are refused.
  const role = rng.weighted<string>([
    [6, 'clinician'],
    [2, 'patient'],
    [2, 'family'],
  ]);
  const tokenKind: TokenKind =
    category === 'joined-requests'
      ? 'valid'
      : rng.pick(['valid', 'expired', 'other-room', 'other-secret', 'staff', 'alg-none', 'hostile-claims', 'garbage']);
  const joinSeat = category === 'joined-requests' ? rng.text(43, 'abcdefghijklmnopqrstuvwxyz0123456789') : seat(rng);
  let steps: Step[] = [];
  let request = good;
  let raw: Buffer | undefined;
  switch (category) {
    case 'joined-requests':
      steps = joinedSteps(rng);
      break;
    case 'unjoined-requests': {
      const n = rng.int(0, 6);
      for (let i = 0; i < n; i++) steps.push({ kind: 'frame', bytes: frame(badRequest(rng)) });
      break;
    }
    case 'bad-messages':
      steps = [
        {
          kind: 'frame',
          bytes: rng.pick<() => Buffer>([
            () => frame(serialize(rng, hostileValue(rng))),
            () => frame(Buffer.from(nested(rng))),
            () => frame(Buffer.from('{"id":1,"method":"join","data":'), { opcode: 0x2 }),
            () => frame(Buffer.alloc(256 * 1024 + 1, 0x20)),
            () => Buffer.concat(Array.from({ length: 25 }, () => frame(badRequest(rng)))),
            () =>
              Buffer.concat(
                Array.from({ length: 150 }, (_, i) =>
                  frame(JSON.stringify({ id: i, method: 'chat', data: { text: 'x' } })),
                ),
              ),
            () => fragments(badRequest(rng), rng.pick([2, 64, 65, 200]), 0x1),
            () => oddFrame(rng),
          ])(),
        },
      ];
      break;
    case 'hostile-frame':
      steps = [{ kind: 'frame', bytes: hostileFrame(rng).bytes() }];
      break;
    case 'random-bytes':
      steps = [{ kind: 'frame', bytes: rng.bytes(rng.pick([1, 2, 14, 200, 5000])) }];
      break;
    default:
      if (rng.chance(0.25))
        raw = Buffer.from(
          rng.pick([
            'HELLO\r\n\r\n',
            `GET /signal HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
            '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
            'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
          ]),
          'latin1',
        );
      else request = badUpgrade(rng, good);
  }
  if (category === 'too-many-sockets') {
    const keys = Array.from({ length: 24 }, () => wsKey(rng));
    return {
      listener: 'signal',
      category,
      from: busyAddress(rng),
      run: async (open, world) =>
        manySockets(await openMany(open, world.ports.sfu, 24, (i) => upgradeRequest({ ...good, key: keys[i]! }))),
    };
  }
  const joins = category === 'joined-requests' || (category === 'unjoined-requests' && rng.chance(0.7));
  return {
    listener: 'signal',
    category,
    from: sourceAddress(rng),
    async run(open, world) {
      const conn = await open(world.ports.sfu);
      if (raw) {
        conn.write(raw);
        conn.end();
        await conn.closing(1000);
        return { serverClosed: conn.closedByServer };
      }
      const u = await upgrade(conn, upgradeRequest(request));
      return afterUpgrade(u, async () => {
        const join: Step[] = joins
          ? [
              {
                kind: 'request',
                id: 1,
                method: 'join',
                data: { roomId, token: await token(tokenKind, roomId, role, world, rng), seat: joinSeat },
                capture: 'me',
              },
            ]
          : [];
        await runSteps(u, [...join, ...steps]);
      });
    },
  };
}
