/**
 * The web service's edge against hostile input, on the real service (with the broker and ingest
 * behind it): every hostile frame on the live channel and on the /mqtt relay, every bad upgrade,
 * malformed HTTP, floods and too many connections close that one connection with a reason (a close
 * code or an HTTP 4xx), are counted, and a relative already following her senior keeps receiving the
 * alerts and the pages keep being served. Without an 'error' listener on every socket, the first of
 * these frames would end the process (here: the test run).
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { eventually } from './support/mqtt.ts';
import { HOSTILE_FRAMES, frame, rawHttp as rawHttpTo, rawUpgrade, type RawUpgradeOptions } from './support/raw-ws.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const port = () => Number(new URL(s.webUrl).port);

/** A relative following her senior on the live channel, and a way to check she still is. */
async function follower() {
  const senior = await s.senior('Jeanne');
  const claire = await s.family(senior.device.patientId, { name: 'Claire', email: 'claire@famille.test' });
  const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, {
    headers: { cookie: claire.cookie, origin: s.webUrl },
  });
  const alerts: string[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string; alert?: { kind: string } };
    if (m.type === 'alert' && m.alert) alerts.push(m.alert.kind);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'subscribe', patientId: senior.device.patientId }));
  let seq = 0;
  return {
    cookie: claire.cookie,
    /** An SOS reaches her page, and the pages are still served. */
    async stillServed() {
      seq += 1;
      const before = alerts.length;
      await senior.publish('events', { ts: Date.now(), seq, type: seq % 2 ? 'sos' : 'im_ok' });
      if (seq % 2) await eventually(() => expect(alerts.length).toBeGreaterThan(before));
      expect((await fetch(`${s.webUrl}/family/`)).status).toBe(200);
      expect(ws.readyState).toBe(WebSocket.OPEN);
    },
    close: () => ws.close(),
  };
}

/** How many refusals of this code the web service counted. */
async function refused(code: string): Promise<number> {
  const metric = await s.web.metrics.getSingleMetric('vigie_web_refused_total')?.get();
  return metric?.values.filter((v) => v.labels.code === code).reduce((n, v) => n + v.value, 0) ?? 0;
}

describe('the live channel and the MQTT relay', () => {
  it('close a socket that sends any hostile frame, with a reason, and keep serving everyone else', async () => {
    const claire = await follower();
    await claire.stillServed();
    const targets: RawUpgradeOptions[] = [
      { path: '/api/live', headers: { cookie: claire.cookie, origin: s.webUrl } },
      { path: '/mqtt', headers: { origin: s.webUrl }, protocol: 'mqtt' },
    ];
    for (const target of targets) {
      for (const hostile of HOSTILE_FRAMES) {
        const socket = await rawUpgrade(port(), target);
        expect(socket.status, `${target.path} ${hostile.name}`).toBe(101);
        socket.send(hostile.bytes());
        const closed = await socket.closed;
        // ws answers a protocol error with its close code (1002, 1007, 1008, 1009), then hangs up.
        expect([1002, 1007, 1008, 1009, 4008, 4009], `${target.path} ${hostile.name}: ${closed.reason}`).toContain(
          closed.code,
        );
      }
      await claire.stillServed();
    }
    expect(await refused('WS_ERR_UNEXPECTED_RSV_1')).toBeGreaterThanOrEqual(2);
    claire.close();
  });

  it('refuse upgrades that are not theirs: unknown path, another site, no session, too many sockets', async () => {
    const claire = await follower();
    const answer = async (path: string, headers: Record<string, string>) => await rawUpgrade(port(), { path, headers });
    expect((await answer('/nowhere', { origin: s.webUrl })).status).toBe(400); // the static files' path: no socket
    expect((await answer('/api/me', { origin: s.webUrl, cookie: claire.cookie })).status).toBe(400); // not a socket
    expect((await answer('/api/live', { origin: 'https://evil.example', cookie: claire.cookie })).status).toBe(403);
    expect((await answer('/api/live', { origin: s.webUrl })).status).toBe(401);
    expect((await answer('/api/live', { origin: s.webUrl, cookie: 'vigie_session=forged' })).status).toBe(401);
    // A person may hold 16 sockets (Claire's page holds one), wherever they connect from; the next is
    // refused, and someone else signed in from the same address is not.
    const upgrade = (cookie: string) =>
      rawUpgrade(port(), { path: '/api/live', headers: { origin: s.webUrl, cookie }, localAddress: '127.0.0.2' });
    const held = [];
    for (let i = 0; i < 15; i += 1) held.push(await upgrade(claire.cookie));
    expect(held.map((h) => h.status)).toEqual(Array(15).fill(101));
    const over = await upgrade(claire.cookie);
    expect(over.status).toBe(429);
    const marc = await s.family((await s.senior('Marcel')).device.patientId, {
      name: 'Marc',
      email: 'marc@famille.test',
    });
    const other = await upgrade(marc.cookie);
    expect(other.status).toBe(101);
    other.destroy();
    expect(over.head).toContain('too_many_connections');
    await claire.stillServed();
    for (const h of held) h.destroy();
    claire.close();
  });

  it('close a flooding socket and only that one', async () => {
    const claire = await follower();
    const flood = await rawUpgrade(port(), { path: '/api/live', headers: { origin: s.webUrl, cookie: claire.cookie } });
    const subscribe = JSON.stringify({ type: 'subscribe', patientId: 'p-whatever' });
    flood.send(Buffer.concat(Array.from({ length: 200 }, () => frame(subscribe))));
    expect(await flood.closed).toEqual({ code: 4008, reason: 'too many messages' });
    const relay = await rawUpgrade(port(), { path: '/mqtt', headers: { origin: s.webUrl }, protocol: 'mqtt' });
    // In one write, so that they arrive before the broker does.
    relay.send(Buffer.concat(Array.from({ length: 400 }, () => frame(Buffer.from([0xc0, 0x00]), { opcode: 0x2 }))));
    expect(await relay.closed).toEqual({ code: 4008, reason: 'too many frames before the broker answered' });
    await claire.stillServed();
    claire.close();
  });
});

describe('the HTTP edge', () => {
  /** Sends raw bytes to the web port (then half-closes); resolves with what it answered, once it hung up. */
  const rawHttp = (bytes: string) => rawHttpTo(port(), bytes, { end: true });

  it('answers malformed HTTP with a 4xx on that connection only', async () => {
    const claire = await follower();
    for (const [name, bytes, status] of [
      ['garbage', 'HELLO\r\n\r\n', 400],
      ['a bad request line', 'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['headers too large', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['a lying content-length', 'POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
      [
        'a body over the limit',
        `POST /api/session HTTP/1.1\r\nHost: x\r\nOrigin: ${s.webUrl}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${'{'.repeat(100_000)}`,
        413,
      ],
    ] as const) {
      const answer = await rawHttp(bytes);
      expect(answer, name).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    }
    // A URL the router cannot decode gets the same refusal shape as everything else.
    expect(await rawHttp('GET /% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 [\s\S]*"code":"invalid_request"/,
    );
    // So does what the HTTP parser refuses before any route: Vigie's error body, counted, and under
    // /fhir/R4 an OperationOutcome (a fuzz run found Fastify's own JSON there).
    const tooLong = await refused('headers_too_large');
    const notHttp = await refused('invalid_request');
    expect(await rawHttp(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431 [\s\S]*content-type: application\/json[\s\S]*\r\n\r\n\{"error":\{"code":"headers_too_large"/,
    );
    const fhir = await rawHttp(`POST /fhir/R4/Appointment/${'%61'.repeat(7_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(fhir).toMatch(/^HTTP\/1\.1 431 [\s\S]*content-type: application\/fhir\+json/);
    expect(JSON.parse(fhir.slice(fhir.indexOf('\r\n\r\n') + 4))).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [{ details: { coding: [{ code: 'headers_too_large' }] } }],
    });
    expect(await rawHttp('HELLO\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [\s\S]*"code":"invalid_request"/);
    expect(await refused('headers_too_large')).toBe(tooLong + 2);
    expect(await refused('invalid_request')).toBeGreaterThan(notHttp);
    await claire.stillServed();
    claire.close();
  });
});
