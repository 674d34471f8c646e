/**
 * Requests to the web service's real routes, as its pages and scripts send them, then bent: every
 * route of web/api/routes.ts with fuzzed path parameters, query strings, JSON bodies (a valid body,
 * mutated), credentials (valid family and staff sessions, API tokens, forged ones), Origins and
 * content types; and its pages and static files, with traversal and odd headers.
 */
import { ROUTES, SET_ROUTES } from '../../../web/api/routes.ts';
import { hostileValue, mutate, nested, serialize } from '../json.ts';
import type { World } from '../model.ts';
import type { Rng } from '../random.ts';

type Route = { readonly method: string; readonly url: string; readonly body?: unknown };
export const API_ROUTES: readonly Route[] = [...Object.values(ROUTES), ...Object.values(SET_ROUTES)];
const PAGES = ['/', '/console', '/console/', '/family', '/family/', '/call/c-1234', '/sw.js', '/index.html'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** A valid body for each route that takes one (what the pages send). */
function bodyFor(url: string, method: string, rng: Rng, w: World): unknown {
  const patientId = rng.pick(w.patientIds);
  const email = rng.pick(w.emails);
  const token = rng.text(43, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
  switch (`${method} ${url}`) {
    case 'POST /api/session':
      return { email, password: rng.pick(['demo-famille-2026', 'correct horse battery', 'password', rng.text(12)]) };
    case 'POST /api/invitations/lookup':
    case 'POST /api/invitations/claim':
      return { token };
    case 'POST /api/invitations/accept':
      return { token, password: rng.text(rng.int(1, 20)) };
    case 'POST /api/push-subscriptions':
      return {
        endpoint: rng.pick([
          'https://push.example.com/send/abc',
          'https://127.0.0.1/x',
          'https://[::1]/x',
          'https://10.0.0.1/x',
          'http://push.example.com/x',
          'https://localhost./x',
          'https://0x7f000001/x',
        ]),
        keys: { p256dh: rng.text(87), auth: rng.text(22) },
      };
    case 'POST /api/patients/:patientId/invitations':
      return {
        name: 'Paul',
        email,
        relation: 'fils',
        shareVitals: rng.chance(0.5),
        role: rng.pick(['family', 'patient']),
      };
    case 'POST /api/patients/:patientId/gateways':
      return { label: 'tablette' };
    case 'POST /api/alerts/:alertId/actions':
      return {
        action: rng.pick<unknown>([
          { action: 'acknowledge' },
          { action: 'accept' },
          { action: 'arrived' },
          { action: 'resolve', note: 'vu' },
          { action: 'snooze', minutes: 10 },
          { action: 'assign', assignee: null },
        ]),
      };
    case 'POST /api/console/patients/:patientId/notes':
      return { text: 'appelé la famille' };
    case 'POST /api/console/tokens':
      return { label: 'script', days: 1 };
    case 'POST /api/consultations':
      return { patientId, inviteFamily: rng.chance(0.5) };
    case 'PUT /api/patients/:patientId/escalation':
      return { steps: [{ personId: rng.text(12), delayMinutes: 5 }], arrivalTimeoutMinutes: 30 };
    case 'PUT /api/patients/:patientId/rules':
      return { thresholds: { 'spo2-low': { limit: 90, enabled: true } }, spo2Scale: 1, onOxygen: false };
    default:
      return rng.chance(0.3) ? { patientId } : undefined;
  }
}

/** Every byte of the UTF-8 text as %XX (encodeURIComponent throws on a lone surrogate). */
export function percentEncoded(text: string): string {
  return [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function param(rng: Rng, name: string, w: World): string {
  return rng.weighted<() => string>([
    [6, () => (name === 'alertId' ? String(rng.int(1, 50)) : rng.pick(w.patientIds))],
    [1, () => String(rng.int(-5, 2 ** 31))],
    [
      1,
      () => {
        const v = hostileValue(rng);
        return percentEncoded(typeof v === 'string' ? v : JSON.stringify(v));
      },
    ],
    [
      1,
      () => rng.pick(['..%2f..%2fetc%2fpasswd', '%00', '%', '%zz', 'a'.repeat(201), '*', '__proto__', '1e3', '0x10']),
    ],
  ])();
}

function query(rng: Rng): string {
  if (rng.chance(0.6)) return '';
  const pairs = rng.int(1, 6);
  const parts: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const key = rng.pick([
      'range',
      'points',
      'since',
      'patients',
      '__proto__[x]',
      'a[b][c]',
      'x',
      rng.text(rng.int(1, 30)),
    ]);
    const value = rng.pick([
      '1h',
      '24h',
      '7d',
      '30d',
      '1y',
      '10',
      '9',
      '100000',
      '100001',
      '-1',
      '1e9',
      '',
      '%ff',
      rng.text(rng.size(2000)),
    ]);
    parts.push(`${key}=${value}`);
  }
  return `?${parts.join(rng.pick(['&', '&&', ';']))}`;
}

/** Who the request claims to be. */
export function credentials(rng: Rng, w: World): Array<[string, string]> {
  const sessions = w.sessions();
  return rng.weighted<() => Array<[string, string]>>([
    [3, () => []],
    [3, () => (sessions.family.length ? [['Cookie', rng.pick(sessions.family)]] : [])],
    [3, () => (sessions.staff.length ? [['Cookie', rng.pick(sessions.staff)]] : [])],
    [2, () => (w.apiTokens().length ? [['Authorization', `Bearer ${rng.pick(w.apiTokens())}`]] : [])],
    [
      2,
      () => [
        [
          'Cookie',
          rng.pick([
            'vigie_session=forged',
            `vigie_session=${rng.text(43)}`,
            'vigie_session=',
            `vigie_session=${'a'.repeat(5000)}`,
            'vigie_session=a; vigie_session=b',
            '=; ;;; =x',
            `vigie_device=${rng.text(32)}`,
          ]),
        ],
      ],
    ],
    [
      1,
      () => [
        [
          'Authorization',
          rng.pick([
            'Bearer ',
            'Bearer vigie_',
            `Bearer vigie_${rng.text(60)}`,
            'Basic YWRtaW46YWRtaW4=',
            'Bearer null',
            rng.text(50),
          ]),
        ],
      ],
    ],
  ])();
}

function origin(rng: Rng, w: World): Array<[string, string]> {
  return rng.weighted<() => Array<[string, string]>>([
    [6, () => [['Origin', w.webOrigin]]],
    [2, () => []],
    [
      1,
      () => [
        [
          'Origin',
          rng.pick([
            'https://evil.example',
            'null',
            `${w.webOrigin}.evil.example`,
            w.webOrigin.toUpperCase(),
            `${w.webOrigin}/`,
          ]),
        ],
      ],
    ],
  ])();
}

function contentType(rng: Rng): Array<[string, string]> {
  return rng.weighted<() => Array<[string, string]>>([
    [8, () => [['Content-Type', 'application/json']]],
    [1, () => []],
    [
      2,
      () => [
        [
          'Content-Type',
          rng.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'application/json; charset=latin1',
            'APPLICATION/JSON',
            'application/vnd.api+json',
            'application/json, text/plain',
            ';;;',
            'application/json; charset="',
          ]),
        ],
      ],
    ],
  ])();
}

/** An HTTP/1.1 request as bytes (Content-Length computed unless `headers` say otherwise). */
export function requestBytes(
  method: string,
  target: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer | undefined,
  o: { host?: string; version?: string; length?: boolean } = {},
): Buffer {
  const lines = [`${method} ${target} ${o.version ?? 'HTTP/1.1'}`];
  if (o.host !== '') lines.push(`Host: ${o.host ?? '127.0.0.1'}`);
  lines.push('Connection: close');
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  if (body && o.length !== false) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

export function apiRequest(rng: Rng, w: World): Buffer {
  const route = rng.pick(API_ROUTES);
  const method = rng.chance(0.9) ? route.method : rng.pick(METHODS);
  let path = route.url.replace(/:(\w+)/g, (_m, name: string) => param(rng, name, w));
  if (rng.chance(0.1))
    path = rng.pick([`${path}/`, `/${path}`, path.toUpperCase(), `${path}/..`, `${path};x=1`, `${path}%20`]);
  const template = bodyFor(route.url, route.method, rng, w);
  const hasBody = method !== 'GET' && method !== 'HEAD' && (template !== undefined || rng.chance(0.2));
  const body = hasBody
    ? rng.weighted<() => Buffer>([
        [3, () => serialize(rng, (template ?? {}) as never)],
        [8, () => serialize(rng, mutate(rng, (template ?? {}) as never))],
        [1, () => serialize(rng, hostileValue(rng))],
        [1, () => Buffer.from(nested(rng))],
      ])()
    : undefined;
  const headers = [...credentials(rng, w), ...origin(rng, w), ...(body ? contentType(rng) : [])];
  if (rng.chance(0.1))
    headers.push(['Accept', rng.pick(['*/*', 'text/html', 'application/xml', '', 'x'.repeat(3000)])]);
  return requestBytes(method, `${path}${query(rng)}`, headers, body);
}

export function pageRequest(rng: Rng, w: World): Buffer {
  const path = rng.weighted<() => string>([
    [4, () => rng.pick(PAGES)],
    [3, () => (w.assets.length ? rng.pick(w.assets) : '/assets/x.js')],
    [
      3,
      () =>
        rng.pick([
          '/../../../../etc/passwd',
          '/assets/../../package.json',
          '/assets/..%2f..%2fpackage.json',
          '/%2e%2e/%2e%2e/etc/passwd',
          '/assets/%2e%2e%2f%2e%2e%2fweb%2fmain.ts',
          '/.env',
          '/.git/config',
          '/assets/.hidden',
          '//etc/passwd',
          '/assets/x%00.js',
          '/\\..\\..\\windows\\win.ini',
          `/assets/${'a'.repeat(rng.pick([255, 256, 4096]))}`,
          '/call/',
          `/call/${rng.text(300)}`,
          '/console/../family',
          '/%',
          '/favicon.ico',
        ]),
    ],
  ])();
  const headers: Array<[string, string]> = [];
  if (rng.chance(0.2))
    headers.push([
      'Range',
      rng.pick(['bytes=0-0', 'bytes=-1', 'bytes=999999-', 'bytes=5-1', 'bytes=0-1,2-3,4-5', 'bytes=x']),
    ]);
  if (rng.chance(0.1)) headers.push(['If-None-Match', rng.pick(['*', '"x"', 'W/"', ''])]);
  if (rng.chance(0.1))
    headers.push(['If-Modified-Since', rng.pick(['yesterday', 'Thu, 01 Jan 1970 00:00:00 GMT', ''])]);
  if (rng.chance(0.1)) headers.push(['Accept-Encoding', rng.pick(['gzip, br, zstd', '*;q=0', 'x'.repeat(1000)])]);
  return requestBytes(rng.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS']), path, headers, undefined);
}
