/**
 * Hostile requests to the FHIR R4 API (/fhir/R4, web/fhir/routes.ts), which web/api/routes.ts does not
 * list: reads and searches of every resource type with hostile ids and query strings (unknown and
 * repeated parameters, broken dates, counts and cursors, references to other patients, huge values,
 * prototype keys), its metadata, paths it does not serve, and writes (which it refuses), with a staff
 * session, an API token, a forged credential or none.
 *
 * Every answer must be FHIR's: a 2xx to a read, else a 4xx whose body is an OperationOutcome in
 * application/fhir+json; never a 5xx. A breach is the input's `violation`.
 */
import { hostileValue } from '../json.ts';
import { sourceAddress, type Input, type Outcome, type World } from '../model.ts';
import type { Rng } from '../random.ts';
import { statusOf } from '../ws-wire.ts';
import { capabilityStatement } from '../../../web/fhir/capability.ts';
import { credentials, percentEncoded, requestBytes } from './http-requests.ts';

export const FHIR_CATEGORY_DESCRIPTION =
  'a request to the FHIR R4 API (/fhir/R4): read and search of every resource type with hostile ids and query strings (unknown, repeated and prototype parameters, broken dates, counts and cursors, other patients), the metadata, paths it does not serve, and writes, with a staff session, an API token, a forged credential or none; every answer must be a 2xx to a read or a 4xx OperationOutcome in application/fhir+json, never a 5xx';

/** Every type the API serves, as its CapabilityStatement lists them. */
const TYPES = capabilityStatement('', '', '').rest.flatMap((r) => r.resource.map((x) => x.type));
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function hostileText(rng: Rng): string {
  const v = hostileValue(rng);
  return percentEncoded(typeof v === 'string' ? v : JSON.stringify(v));
}

function id(rng: Rng, w: World): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(w.patientIds)],
    [2, () => String(rng.int(0, 2 ** 31))],
    [1, () => `${rng.pick(w.patientIds)}.hr.${rng.int(0, 2 ** 31)}000000`],
    [1, () => rng.pick(['r-000000000000.v1', 'r-000000000000.v0', 'a-000000000000', 'c-1', `w-${rng.text(8)}`])],
    [1, () => hostileText(rng)],
    [
      1,
      () =>
        rng.pick([
          '..%2f..%2fetc%2fpasswd',
          '%00',
          '%',
          '%zz',
          'a'.repeat(65),
          '1'.repeat(30),
          '__proto__',
          'constructor',
          '-1',
          '1e3',
          '.',
          '..',
        ]),
    ],
  ])();
}

function value(rng: Rng, w: World): string {
  return rng.pick<() => string>([
    () => rng.pick(w.patientIds),
    () => `Patient/${rng.pick(w.patientIds)}`,
    () => `Practitioner/${rng.pick(w.patientIds)}`,
    () =>
      rng.pick([
        'ge2026-01-01',
        'lt2026-01-01T00:00:00Z',
        'ap2026-01-01',
        '2026-13-45',
        'gt9999-99-99',
        'ge2026-01-01T25:61:00+99:99',
        'le-271821-04-20',
        `ge${'9'.repeat(40)}`,
        '2026',
      ]),
    () => rng.pick(['0', '-1', '1', '50', '500', '501', '1e3', 'abc', '9'.repeat(30), '1.5']),
    () => rng.pick(['1.1', 'abc', `${'9'.repeat(20)}.9`, '1.a-b', `${'9'.repeat(16)}.1`, '0.0']),
    () => rng.pick(['http://loinc.org|8867-4', '|8867-4', 'x|y', ',,,', 'urn:oid:1.2.250.1.213.1.4.8|1']),
    () => rng.pick(['json', 'xml', 'application/fhir+json', 'text/html']),
    () => hostileText(rng),
    () => rng.text(rng.size(2000)),
    () => '',
  ])();
}

function query(rng: Rng, w: World): string {
  if (rng.chance(0.15)) return '';
  const parts: string[] = [];
  for (let i = rng.int(1, 6); i > 0; i--) {
    const key = rng.pick([
      'patient',
      'patient',
      'date',
      'sent',
      '_count',
      '_cursor',
      'code',
      '_id',
      'identifier',
      '_format',
      '__proto__',
      '__proto__[x]',
      'constructor[prototype][x]',
      'patient[]',
      '_include',
      '_elements',
      rng.text(rng.int(1, 20)),
    ]);
    parts.push(`${key}=${value(rng, w)}`);
  }
  return `?${parts.join(rng.pick(['&', '&&', ';']))}`;
}

function target(rng: Rng, w: World): string {
  const type = rng.pick(TYPES);
  return rng.weighted<() => string>([
    [5, () => `/fhir/R4/${type}${query(rng, w)}`],
    [4, () => `/fhir/R4/${type}/${id(rng, w)}${rng.chance(0.2) ? query(rng, w) : ''}`],
    [1, () => `/fhir/R4/metadata${rng.chance(0.5) ? query(rng, w) : ''}`],
    [
      1,
      () =>
        rng.pick([
          '/fhir/R4',
          '/fhir/R4/',
          `/fhir/R4/${type}/_search`,
          `/fhir/R4/${type}/${id(rng, w)}/_history/1`,
          '/fhir/R4/$export',
          `/fhir/R4/Patient/${rng.pick(w.patientIds)}/$everything`,
          `/fhir/R4/${type.toLowerCase()}`,
          '/fhir/R4/Basic/1',
          `/fhir/R4//${type}`,
          `/fhir/R4/${type}/`,
        ]),
    ],
  ])();
}

export function fhirRequest(rng: Rng, w: World): { method: string; bytes: Buffer } {
  const method = rng.chance(0.8) ? 'GET' : rng.chance(0.1) ? 'HEAD' : rng.pick(WRITES);
  const headers: Array<[string, string]> = [
    ...credentials(rng, w),
    ['Accept', rng.pick(['application/fhir+json', 'application/json', '*/*', 'application/fhir+xml'])],
  ];
  const body =
    method === 'POST' || method === 'PUT' || method === 'PATCH' ? Buffer.from('{"resourceType":"Patient"}') : undefined;
  if (body) headers.push(['Content-Type', rng.pick(['application/fhir+json', 'application/json', 'text/plain'])]);
  return { method, bytes: requestBytes(method, target(rng, w), headers, body) };
}

/** A chunked body's bytes (RFC 9112 §7.1), or null when the chunks are broken. */
function unchunked(body: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) return null;
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** What is wrong with an answer of the FHIR API, if anything. */
export function fhirViolation(method: string, received: Buffer): string | undefined {
  const status = statusOf(received);
  if (status === undefined || status === 0) return undefined;
  if (status >= 500) return `answered ${status}`;
  const split = received.indexOf('\r\n\r\n');
  const head = received.subarray(0, split < 0 ? received.length : split).toString('latin1');
  const type = /\r\ncontent-type: *([^\r\n]*)/i.exec(head)?.[1] ?? '';
  if (!type.startsWith('application/fhir+json')) return `answered ${status} in ${type || 'no content type'}`;
  if (status < 300) return method === 'GET' || method === 'HEAD' ? undefined : `answered ${status} to ${method}`;
  if (method === 'HEAD') return undefined;
  const raw = received.subarray(split + 4);
  const bytes = /\r\ntransfer-encoding: *chunked/i.test(head) ? unchunked(raw) : raw;
  let body: unknown;
  try {
    body = JSON.parse(bytes?.toString('utf8') ?? '');
  } catch {
    return `answered ${status} with a body that is not JSON`;
  }
  const outcome = typeof body === 'object' && body !== null && 'resourceType' in body ? body.resourceType : undefined;
  return outcome === 'OperationOutcome' ? undefined : `answered ${status} with ${String(outcome)}`;
}

export function fhirInput(rng: Rng, w: World): Input {
  const { method, bytes } = fhirRequest(rng, w);
  return {
    listener: 'http',
    category: 'fhir',
    from: sourceAddress(rng),
    async run(open, world): Promise<Outcome> {
      const conn = await open(world.ports.web);
      conn.write(bytes);
      await conn.closing(3000);
      const status = statusOf(conn.received);
      const violation = conn.closed ? fhirViolation(method, conn.received) : undefined;
      return {
        serverClosed: conn.closedByServer,
        ...(status !== undefined ? { status } : {}),
        ...(violation
          ? { violation: `${method} ${bytes.toString('latin1').split(' ')[1]?.slice(0, 200)}: ${violation}` }
          : {}),
      };
    },
  };
}
