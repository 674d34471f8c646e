/**
 * The SFU's signalling edge against hostile input, on the real SFU with a real mediasoup worker: every
 * hostile frame from a stranger, every bad upgrade and every malformed HTTP request closes that one
 * connection with a reason (a close code or an HTTP 4xx), is counted and logged, and the clinician and
 * the patient already in a consultation stay in it and keep being answered. Without an 'error'
 * listener on the socket, the first of these frames would end the process (here: the test run).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { HOSTILE_FRAMES, frame, rawHttp as rawHttpTo, rawUpgrade } from './support/raw-ws.ts';
import { join, startTestSfu, type TestSfu } from './support/sfu.ts';
import { SIGNAL_PATH } from '../sfu/server.ts';
import type { SignallingClient } from '../web/src/lib/signalling.ts';

let sfu: TestSfu;
let doctor: SignallingClient;
let patient: SignallingClient;
/** The patient's media transport, made once: each check asks the worker about it again. */
let transportId: string;
const logLine = z.record(z.string(), z.unknown());
const logLines: Array<z.infer<typeof logLine>> = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(logLine.parse(JSON.parse(line)));
      done();
    },
  });
  sfu = await startTestSfu({ logger: pino({ level: 'warn' }, sink) });
  doctor = await sfu.open();
  patient = await sfu.open();
  await join(doctor, 'r', await sfu.invite('r', 'clinician', { participantId: 'dr' }));
  await join(patient, 'r', await sfu.invite('r', 'patient', { participantId: 'pt' }));
  await doctor.request('admit', { participantId: 'pt' });
  transportId = (await patient.request('createTransport', { direction: 'recv' })).id;
});
afterAll(async () => {
  await sfu?.stop();
});

/** The consultation in progress is untouched: both still joined, both still answered. */
async function consultationGoesOn(): Promise<void> {
  await expect(doctor.request('chat', { text: 'still here' })).resolves.toEqual({});
  // A request that goes to the mediasoup worker and back (a page has few transports: see the SFU's limits).
  await expect(patient.request('restartIce', { transportId })).resolves.toHaveProperty('iceParameters');
  expect([doctor.closed, patient.closed, sfu.server.rooms.get('r')?.size]).toEqual([false, false, 2]);
}

/** Sends raw bytes to the SFU's HTTP port; resolves with everything it answered, once it hung up. */
const rawHttp = (text: string) => rawHttpTo(sfu.server.port, text);

const UPGRADE_HEADERS = [
  'Host: 127.0.0.1',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
];

describe('signalling under hostile input', () => {
  it.each(HOSTILE_FRAMES)('$name: closes that connection with a code, counts it, serves the call', async (hostile) => {
    const before = await sfu.refusals();
    const stranger = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
    expect(stranger.status).toBe(101);
    stranger.send(hostile.bytes());
    const closed = await stranger.closed;
    expect(closed.code).toBeOneOf([1002, 1007, 1008, 1009]);
    expect(await sfu.refusals()).toBe(before + 1);
    await consultationGoesOn();
  });

  it('logs hostile frames at most once a minute per reason, with a connection id and no address', async () => {
    const rsv1 = () => logLines.filter((l) => l.reason === 'bad_frame_unexpected_rsv_1');
    const counted = await sfu.refusals('bad_frame_unexpected_rsv_1');
    for (let i = 0; i < 3; i++) {
      const stranger = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
      stranger.send(frame('{}', { rsv: 4 }));
      await stranger.closed;
    }
    expect(await sfu.refusals('bad_frame_unexpected_rsv_1')).toBe(counted + 3);
    expect(rsv1()).toHaveLength(1);
    const line = rsv1()[0]!;
    expect(line).toMatchObject({ level: 40, msg: 'signalling connection refused', conn: expect.any(Number) });
    expect(JSON.stringify(line)).not.toContain('127.0.0.1');
  });

  it('answers an upgrade on an unknown path with 404 and the right path', async () => {
    const before = await sfu.refusals('unknown_path');
    const stranger = await rawUpgrade(sfu.server.port, { path: '/admin' });
    expect(stranger.status).toBe(404);
    expect(stranger.head).toContain(`signalling is at ${SIGNAL_PATH}`);
    await stranger.closed;
    expect(await sfu.refusals('unknown_path')).toBe(before + 1);
    await consultationGoesOn();
  });

  it.each([
    ['an invalid Sec-WebSocket-Version', { headers: { 'Sec-WebSocket-Version': '99' } }, 'Sec-WebSocket-Version'],
    ['a malformed subprotocol list', { protocol: 'a b,,' }, 'Sec-WebSocket-Protocol'],
  ])('answers an upgrade with %s with 400 and the reason', async (_, options, reason) => {
    const before = await sfu.refusals('bad_upgrade');
    const stranger = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH, ...options });
    expect(stranger.status).toBe(400);
    expect(stranger.head).toContain(reason);
    await stranger.closed;
    expect(await sfu.refusals('bad_upgrade')).toBe(before + 1);
    await consultationGoesOn();
  });

  it('answers an upgrade that is not a GET with 405', async () => {
    const answer = await rawHttp(
      [`POST ${SIGNAL_PATH} HTTP/1.1`, ...UPGRADE_HEADERS, 'Content-Length: 0', '', ''].join('\r\n'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toContain('Invalid HTTP method');
    await consultationGoesOn();
  });

  it.each([
    ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400],
    ['a header over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an upgrade with a bad header line', `GET ${SIGNAL_PATH} HTTP/1.1\r\nHost x\r\n\r\n`, 400],
  ])('answers %s with HTTP %i and closes only that connection', async (_, text, status) => {
    const before = await sfu.refusals('bad_http_request');
    const answer = await rawHttp(text);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(await sfu.refusals('bad_http_request')).toBe(before + 1);
    await consultationGoesOn();
  });

  it('still answers plain HTTP on the same port', async () => {
    const base = `http://127.0.0.1:${sfu.server.port}`;
    await expect(fetch(`${base}/healthz`).then((r) => r.text())).resolves.toBe('ok\n');
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/vigie_sfu_connections_refused_total\{reason="bad_frame_unexpected_rsv_1"\} [1-9]/);
  });
});
