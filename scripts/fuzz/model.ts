/**
 * What the fuzz tool throws and what it learns: the listeners, one input (a connection, or one
 * request on one), what the server did with it, and what the attacker knows of the suite.
 */
import type { RawConn } from './conn.ts';
import type { Rng } from './random.ts';

export const LISTENERS = ['http', 'live', 'relay', 'signal', 'mqtt', 'mqtt-ws'] as const;
export type Listener = (typeof LISTENERS)[number];

export const LISTENER_TITLES: Readonly<Record<Listener, string>> = {
  http: 'web HTTP (API routes, pages, static files)',
  live: 'web WebSocket /api/live',
  relay: 'web MQTT relay /mqtt',
  signal: 'SFU signalling WebSocket /signal',
  mqtt: 'broker MQTT over TCP',
  'mqtt-ws': 'broker MQTT over WebSocket',
};

/** What the server did with one input. */
export interface Outcome {
  /** It ended the connection before we gave up waiting. */
  serverClosed: boolean;
  /** The connection could not be opened (ECONNREFUSED...): the listener was not there. */
  connectError?: string;
  /** HTTP status (for a WebSocket: of the upgrade). */
  status?: number;
  /** WebSocket close code the server sent. */
  closeCode?: number;
  /** MQTT CONNACK return code. */
  connack?: number;
  /** An answer that breaks what the listener promises (e.g. the FHIR API's OperationOutcomes), said how. */
  violation?: string;
}

/** A patient and watch whose secret the attacker holds (a stolen or own watch). */
export interface KnownDevice {
  readonly deviceId: string;
  readonly secret: string;
  readonly patientId: string;
}

/**
 * What the fuzz tool knows when it attacks: its own accounts, watches and sessions (valid, so that
 * hostile contents reach past authentication), and the ids of other people's watches, patients and
 * e-mails (which a stranger may learn), never their secrets.
 */
export interface World {
  readonly ports: { readonly web: number; readonly sfu: number; readonly mqtt: number; readonly mqttWs: number };
  /** The web service's origin (what its pages send as Origin). */
  readonly webOrigin: string;
  /** Signs call invitations (the attacker holds valid call links for the rooms it fuzzes). */
  readonly callSecret: string;
  readonly devices: readonly KnownDevice[];
  /** Other watches' ids (the legitimate clients'), whose secrets the attacker does not have. */
  readonly foreignDeviceIds: readonly string[];
  /** Every patient id: the attacker's own and others'. */
  readonly patientIds: readonly string[];
  /** Every account's e-mail: the attacker's own and others'. */
  readonly emails: readonly string[];
  /** Valid session cookies (`vigie_session=...`) of the attacker's accounts, refreshed between batches. */
  readonly sessions: () => { readonly family: readonly string[]; readonly staff: readonly string[] };
  /** Valid personal API tokens of the attacker's staff account. */
  readonly apiTokens: () => readonly string[];
  /** The built pages' asset paths (/assets/...), as any visitor sees them. */
  readonly assets: readonly string[];
}

/** One hostile input, generated from its own random stream before anything is sent. */
export interface Input {
  readonly listener: Listener;
  /** Which kind of input it is (the report counts them by category). */
  readonly category: string;
  /** The loopback address it comes from (never the legitimate clients' 127.0.0.1). */
  readonly from: string;
  /** Sends it and reports what the server did; the caller destroys the connection afterwards. */
  run(open: (port: number) => Promise<RawConn>, world: World): Promise<Outcome>;
}

export type Generator = (rng: Rng, world: World) => Input;

/**
 * The address an input comes from: most from a wide pool, so that per-client limits (requests per
 * minute, sockets per client) let most inputs reach the code behind them; some from a few busy
 * addresses, which the floods (inputs/*.ts) push past those limits. Legitimate clients use
 * 127.0.0.1 only.
 */
export function sourceAddress(rng: Rng): string {
  if (rng.chance(0.1)) return busyAddress(rng);
  const n = rng.int(0, 4095);
  return `127.77.${n >> 6}.${(n & 63) + 1}`;
}

/** One of the few busy clients (floods come from them, so their limits are reached). */
export function busyAddress(rng: Rng): string {
  return `127.66.0.${rng.int(1, 4)}`;
}

/**
 * Opens `n` connections at once from one address and sends each the same upgrade; what came back:
 * the statuses, and whether the server closed them all.
 */
export async function openMany(
  open: (port: number) => Promise<RawConn>,
  port: number,
  n: number,
  request: (i: number) => Buffer,
): Promise<RawConn[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => open(port)));
  conns.forEach((c, i) => c.write(request(i)));
  return conns;
}

/** Descriptions of each category, for the report: what a reader should know was thrown. */
export type CategoryDescriptions = Readonly<Record<string, string>>;
