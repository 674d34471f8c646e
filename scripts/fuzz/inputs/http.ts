/**
 * Hostile HTTP for the web service: requests to its real routes (web/api/routes.ts) with fuzzed
 * parameters, query strings, JSON bodies, headers, cookies, origins and content types, with and
 * without a valid session; its pages and static files, path traversal included; and byte-level
 * abuse (bad request lines, lying lengths, oversized heads and bodies, truncation, random bytes).
 * One input is one connection carrying one request (`Connection: close`). The FHIR API's own routes
 * are thrown at by inputs/fhir.ts.
 */
import { nested } from '../json.ts';
import {
  busyAddress,
  sourceAddress,
  type CategoryDescriptions,
  type Input,
  type Outcome,
  type World,
} from '../model.ts';
import type { Rng } from '../random.ts';
import { statusOf } from '../ws-wire.ts';
import { FHIR_CATEGORY_DESCRIPTION, fhirInput } from './fhir.ts';
import { API_ROUTES, apiRequest, pageRequest, requestBytes } from './http-requests.ts';

export const HTTP_CATEGORIES: CategoryDescriptions = {
  'api-route':
    'a request to a real API route (every route of web/api/routes.ts, mostly with its own method) with fuzzed path parameters, query string and JSON body (a valid body bent: wrong types, out of range, missing and extra fields, __proto__ keys, broken JSON), content type, Origin, and a valid family or staff session, a personal API token, a forged one or none',
  fhir: FHIR_CATEGORY_DESCRIPTION,
  'page-static':
    'GET or HEAD of the pages, the built assets and the service worker, paths with traversal (../, %2e%2e, encoded slashes, NUL), dotfiles, odd Range and conditional headers',
  'hostile-headers':
    'a real route with hostile headers: 20 KB to 100 KB values, thousands of headers, duplicate or conflicting Content-Length, Transfer-Encoding with Content-Length (smuggling), bad chunked encoding, control characters, no Host or two, HTTP/1.0 and HTTP/2 prefaces, Expect: 100-continue',
  'body-size':
    'bodies over the 16 KiB limit (up to 1 MiB), declared lengths larger or smaller than what is sent, deeply nested JSON',
  'bad-request-line':
    'unknown or lower-case methods, no version, bad versions, control bytes and spaces in the target, 100 KB targets, absolute and asterisk forms',
  truncated: 'a valid request cut at a random byte, then either half-closed or left hanging',
  'random-bytes': 'random bytes (1 byte to 64 KiB) instead of HTTP',
  flood:
    'one busy client pipelining 100 to 700 requests on one connection (GET /api/config, wrong sign-ins), past the 600 requests a minute a client may make: the answer counted is the last one',
};
function hostileHeaders(rng: Rng, w: World): Buffer {
  const route = rng.pick(API_ROUTES);
  const target = route.url.replace(/:(\w+)/g, () => rng.pick(w.patientIds));
  const body = Buffer.from('{"email":"a@b.c","password":"x"}');
  return rng.pick<() => Buffer>([
    () => requestBytes(route.method, target, [['X-Big', 'a'.repeat(rng.pick([20_000, 70_000, 100_000]))]], undefined),
    () =>
      requestBytes(
        'GET',
        target,
        Array.from({ length: rng.pick([100, 2001, 5000]) }, (_, i) => [`X-H${i}`, 'v'] as [string, string]),
        undefined,
      ),
    () =>
      requestBytes(
        'POST',
        target,
        [
          ['Content-Length', '5'],
          ['Content-Length', String(body.length)],
          ['Origin', w.webOrigin],
        ],
        body,
        {
          length: false,
        },
      ),
    () =>
      requestBytes(
        'POST',
        target,
        [
          ['Transfer-Encoding', 'chunked'],
          ['Content-Length', '4'],
          ['Origin', w.webOrigin],
          ['Content-Type', 'application/json'],
        ],
        Buffer.from(
          `${body.length.toString(16)}\r\n${body.toString()}\r\n0\r\n\r\nGET /api/me HTTP/1.1\r\nHost: x\r\n\r\n`,
        ),
        { length: false },
      ),
    () =>
      requestBytes(
        'POST',
        target,
        [
          ['Transfer-Encoding', rng.pick(['chunked', 'chunked, identity', 'xchunked', ' chunked', 'CHUNKED'])],
          ['Origin', w.webOrigin],
          ['Content-Type', 'application/json'],
        ],
        Buffer.from(
          rng.pick([
            'zz\r\n{}\r\n0\r\n\r\n',
            'ffffffffffffffff\r\n{}',
            '2\r\n{}\r\n',
            '-1\r\n\r\n',
            '0\r\nX-Trailer: a\r\n\r\n',
          ]),
        ),
        { length: false },
      ),
    () =>
      requestBytes(
        'GET',
        target,
        [
          ['X-Ctl', 'a\u0000b\u0001c'],
          ['Bad Name', 'x'],
          [':authority', 'x'],
        ],
        undefined,
      ),
    () => requestBytes('GET', target, [], undefined, { host: '' }),
    () =>
      requestBytes(
        'GET',
        target,
        [
          ['Host', 'evil.example'],
          ['Host', '127.0.0.1'],
        ],
        undefined,
      ),
    () => requestBytes('GET', target, [], undefined, { version: 'HTTP/1.0' }),
    () => Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00', 'latin1'),
    () =>
      requestBytes(
        'GET',
        target,
        [
          ['Upgrade', 'h2c'],
          ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
        ],
        undefined,
      ),
    () =>
      requestBytes(
        'POST',
        target,
        [
          ['Expect', '100-continue'],
          ['Origin', w.webOrigin],
          ['Content-Type', 'application/json'],
        ],
        body,
      ),
    () =>
      requestBytes(
        'POST',
        target,
        [
          ['Expect', 'something-else'],
          ['Origin', w.webOrigin],
        ],
        body,
      ),
    () =>
      requestBytes(
        'GET',
        target,
        [['Cookie', Array.from({ length: 500 }, (_, i) => `c${i}=${i}`).join('; ')]],
        undefined,
      ),
    () =>
      requestBytes(
        'GET',
        target,
        [
          ['X-Forwarded-For', '1.2.3.4, 127.0.0.1'],
          ['Forwarded', 'for=1.2.3.4'],
        ],
        undefined,
      ),
  ])();
}

function bodySize(rng: Rng, w: World): Buffer {
  const target = rng.pick([
    '/api/session',
    '/api/console/tokens',
    `/api/patients/${rng.pick(w.patientIds)}/invitations`,
  ]);
  const size = rng.pick([16 * 1024, 16 * 1024 + 1, 64 * 1024, 1024 * 1024]);
  const big = Buffer.alloc(size, rng.pick(['{', 'a', ' ', '[']));
  const headers: Array<[string, string]> = [
    ['Origin', w.webOrigin],
    ['Content-Type', 'application/json'],
  ];
  return rng.pick<() => Buffer>([
    () => requestBytes('POST', target, headers, big),
    () =>
      requestBytes('POST', target, [...headers, ['Content-Length', String(size)]], Buffer.from('{}'), {
        length: false,
      }),
    () =>
      requestBytes('POST', target, [...headers, ['Content-Length', '1']], Buffer.from('{"email":"x"}'), {
        length: false,
      }),
    () =>
      requestBytes(
        'POST',
        target,
        [...headers, ['Content-Length', rng.pick(['-1', 'abc', '1e3', '99999999999999999999', ' 2'])]],
        Buffer.from('{}'),
        { length: false },
      ),
    () => requestBytes('POST', target, headers, Buffer.from(nested(rng))),
  ])();
}

function badRequestLine(rng: Rng): Buffer {
  return Buffer.from(
    rng.pick([
      'HELLO\r\n\r\n',
      'get / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /\r\n\r\n',
      'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
      'GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / a HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      'GET http://evil.example/api/config HTTP/1.1\r\nHost: x\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
      'TRACE / HTTP/1.1\r\nHost: x\r\n\r\n',
      'BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n',
      '\r\n\r\n\r\n',
      'GET / HTTP/1.1\nHost: x\n\n',
      'GET / HTTP/1.1\rHost: x\r\r',
      ' GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\n Host: x\r\n\r\n',
      'GET /api/config?%%%% HTTP/1.1\r\nHost: x\r\n\r\n',
      `${rng.text(rng.int(1, 40), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')} / HTTP/1.1\r\nHost: x\r\n\r\n`,
    ]),
    'latin1',
  );
}

/** Runs an HTTP input: writes the bytes, optionally half-closes, waits for the answer or the end. */
function httpInput(rng: Rng, category: string, bytes: Buffer, halfClose: boolean, waitMs: number): Input {
  return {
    listener: 'http',
    category,
    from: sourceAddress(rng),
    async run(open, w): Promise<Outcome> {
      const conn = await open(w.ports.web);
      conn.write(bytes);
      if (halfClose) conn.end();
      await conn.closing(waitMs);
      const status = statusOf(conn.received);
      return { serverClosed: conn.closedByServer, ...(status !== undefined ? { status } : {}) };
    },
  };
}

/** Many requests on one keep-alive connection, from a busy client. */
function flood(rng: Rng, w: World): Input {
  const n = rng.pick([100, 300, 700]);
  const one = (i: number) =>
    rng.chance(0.9)
      ? `GET /api/config HTTP/1.1\r\nHost: x\r\n${i === n - 1 ? 'Connection: close\r\n' : ''}\r\n`
      : `POST /api/session HTTP/1.1\r\nHost: x\r\nOrigin: ${w.webOrigin}\r\nContent-Type: application/json\r\nContent-Length: 37\r\n${i === n - 1 ? 'Connection: close\r\n' : ''}\r\n{"email":"x@y.z","password":"guess!"}`;
  const bytes = Buffer.from(Array.from({ length: n }, (_, i) => one(i)).join(''), 'latin1');
  return {
    listener: 'http',
    category: 'flood',
    from: busyAddress(rng),
    async run(open, world): Promise<Outcome> {
      const conn = await open(world.ports.web);
      conn.write(bytes);
      await conn.closing(5000);
      const statuses = [...conn.received.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3}) /g)];
      const last = statuses.at(-1)?.[1];
      return { serverClosed: conn.closedByServer, ...(last ? { status: Number(last) } : {}) };
    },
  };
}

export function httpInputFor(rng: Rng, w: World): Input {
  const category = rng.weighted<string>([
    [40, 'api-route'],
    [16, 'fhir'],
    [14, 'page-static'],
    [12, 'hostile-headers'],
    [8, 'body-size'],
    [10, 'bad-request-line'],
    [8, 'truncated'],
    [8, 'random-bytes'],
    [3, 'flood'],
  ]);
  switch (category) {
    case 'flood':
      return flood(rng, w);
    case 'api-route':
      return httpInput(rng, category, apiRequest(rng, w), false, 3000);
    case 'fhir':
      return fhirInput(rng, w);
    case 'page-static':
      return httpInput(rng, category, pageRequest(rng, w), false, 3000);
    case 'hostile-headers':
      return httpInput(rng, category, hostileHeaders(rng, w), rng.chance(0.5), 1500);
    case 'body-size':
      return httpInput(rng, category, bodySize(rng, w), rng.chance(0.5), 1500);
    case 'bad-request-line':
      return httpInput(rng, category, badRequestLine(rng), rng.chance(0.5), 1500);
    case 'truncated': {
      const whole = rng.chance(0.5) ? apiRequest(rng, w) : pageRequest(rng, w);
      return httpInput(
        rng,
        category,
        whole.subarray(0, rng.int(1, Math.max(1, whole.length - 1))),
        rng.chance(0.6),
        800,
      );
    }
    default:
      return httpInput(
        rng,
        'random-bytes',
        rng.bytes(rng.pick([1, 2, 16, 100, 1000, 8192, 65_536])),
        rng.chance(0.5),
        800,
      );
  }
}
