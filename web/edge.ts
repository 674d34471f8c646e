/**
 * The web service's edge on Fastify: limits, security headers, cookies, WebSockets, the one error
 * handler (common/http.ts), and two hooks that every route goes through: the Origin check (requests
 * that change something, and every WebSocket, must come from this site's own pages: with SameSite
 * cookies, that stops CSRF and cross-site WebSocket hijacking) and the session check (who is asking,
 * and whether the route lets them: `config.access`).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket, { type WebsocketPluginOptions } from '@fastify/websocket';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { VigieError, type ErrorCode } from '../common/errors.ts';
import { installEdge, refusalHeaders, refusalOf } from '../common/http.ts';
import { ConnectionsPerClient } from '../common/limits.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import { isStaff, type Person } from './people.ts';
import type { Auth } from './auth.ts';
import { isFhirUrl, outcomeAnswer } from './fhir/outcome.ts';
import type { SystemGrant } from './systems.ts';

/**
 * Who may call a route: anyone, a signed-in person, a member of the care team, another Vigie
 * service (`service`: the SFU's call, with its own credential that its handler checks), or (the FHIR
 * API) a member of the care team or an external system with an access token (web/fhir/reader.ts says
 * what each may read).
 */
export type RouteAccess = 'public' | 'person' | 'staff' | 'service' | 'fhir';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** A WebSocket route: the only kind an upgrade request may reach. */
    socket?: boolean;
    /** A route that changes nothing whatever the method (it refuses the unsafe ones itself): no Origin needed. */
    readOnly?: boolean;
    /**
     * A route that reads no cookie, whose caller proves who it is in the request itself (the OAuth
     * token endpoint, called by other servers): requests from any origin are judged by what they carry.
     */
    anyOrigin?: boolean;
  }
  interface FastifyRequest {
    /** The signed-in person (session cookie or API token), set by the session hook. */
    person: Person | null;
    /** On an `fhir` route: the external system its access token was issued to, and what it may read. */
    system: SystemGrant | null;
  }
}

export interface EdgeLimits {
  /** Requests per minute per client (default 600). */
  readonly requestsPerMinute?: number;
  /** Open TCP connections per client address, WebSockets included (default 256: staff behind one NAT share it). */
  readonly connectionsPerClient?: number;
  /** Open WebSockets per signed-in person, or per address for anyone else (default 16). */
  readonly socketsPerClient?: number;
  /** Largest request body (default 16 KiB). */
  readonly bodyBytes?: number;
  /** Behind a reverse proxy: whom to trust for the client's address (Fastify's trustProxy). */
  readonly trustProxy?: boolean | string;
}

export interface EdgeOptions {
  readonly logger: Logger;
  readonly auth: Auth;
  /** This site's origin as browsers see it. */
  readonly origin: () => string;
  /** Whether browsers reach it over https (HSTS). */
  readonly secure: boolean;
  /** Where the pages open the SFU's signalling WebSocket (allowed by the content security policy). */
  readonly sfuUrl: string;
  readonly limits?: EdgeLimits;
  readonly onRefusal?: (code: ErrorCode) => void;
  /** Called when a WebSocket is closed for what it sent (a bad frame, too big...), with ws's error code. */
  readonly onSocketError?: (code: string) => void;
}

/** The Fastify instance routes are declared on: handlers are typed by their zod schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export async function createEdge(o: EdgeOptions): Promise<App> {
  const logger: FastifyBaseLogger = o.logger.child({ component: 'http' });
  const warn = rateLimitedWarn(o.logger);
  const limits = o.limits ?? {};
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytes ?? 16 * 1024,
    trustProxy: limits.trustProxy ?? false,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 30_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // What Node's HTTP parser refuses before Fastify sees a request: the same shapes, counted and logged.
    clientErrorHandler: (error, socket) => refuseUnparsed(error, socket, o, warn),
    // A URL the router cannot even decode ("/%") is refused in the same shape as any other refusal
    // there: FHIR's OperationOutcome under /fhir/R4, Vigie's error body elsewhere.
    frameworkErrors: (error, request, reply) => {
      const refusal = refusalOf(error);
      o.onRefusal?.(refusal.code);
      const { headers, body } = refusalAnswer(request.url, refusal);
      reply.raw.writeHead(refusal.status, headers).end(body);
    },
  }).withTypeProvider<ZodTypeProvider>();
  installEdge(app, { logger: o.logger, ...(o.onRefusal ? { onRefusal: o.onRefusal } : {}) });
  app.decorateRequest('person', null);
  app.decorateRequest('system', null);
  limitConnections(app, limits.trustProxy ? undefined : (limits.connectionsPerClient ?? 256));

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        connectSrc: ["'self'", new URL(o.sfuUrl).origin.replace(/^http/, 'ws')],
        imgSrc: ["'self'", 'data:'],
        mediaSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Over plain http (a developer's machine, the tests) HSTS would pin nothing; over https it pins a year.
    strictTransportSecurity: o.secure ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyRateLimit, {
    max: limits.requestsPerMinute ?? 600,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new VigieError('rate_limited', 'too many requests; slow down', {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
  // `closeTimeout` exists in ws 8.23 but not yet in @types/ws 8.18.
  const socketOptions: NonNullable<WebsocketPluginOptions['options']> & { readonly closeTimeout: number } = {
    maxPayload: 128 * 1024,
    // Pages send each message in one frame; a message in more fragments than this is a flood (1008).
    maxFragments: 64,
    perMessageDeflate: false,
    // After our close frame, a peer that does not answer is cut off this much later (ws waits 30 s).
    closeTimeout: 2_000,
    // The MQTT relay speaks the `mqtt` subprotocol; the live channel none.
    handleProtocols: (protocols: Set<string>, request: { url?: string }) =>
      request.url === '/mqtt' && protocols.has('mqtt') ? 'mqtt' : false,
  };
  await app.register(fastifyWebsocket, {
    // A frame that breaks the protocol (RSV bits, an unmasked or oversized frame, bad UTF-8...) makes ws
    // send the matching close code and emit this: only that socket ends. An error of our own handler
    // ends its socket too. Neither reaches the process.
    errorHandler: (error: Error & { code?: string }, socket, request) => {
      const code = error.code ?? 'handler_error';
      o.onSocketError?.(code);
      warn(`ws:${code}:${request.ip}`, { code, client: request.ip, route: request.url }, 'WebSocket closed on error');
      if (!code.startsWith('WS_ERR_')) socket.terminate();
    },
    options: socketOptions,
  });
  const sockets = new ConnectionsPerClient(limits.socketsPerClient ?? 16);
  app.addHook('onRequest', async (request) => {
    checkOrigin(request, o.origin());
    checkSession(request, o.auth);
    checkSocket(request, sockets);
  });
  return app;
}

/**
 * Requests that change something, and WebSocket upgrades, must come from this site's pages. A request
 * carrying an Authorization header carries no ambient credential (a page of another site cannot set
 * it without a CORS preflight, which this site never grants), so it needs no Origin.
 */
function checkOrigin(request: FastifyRequest, origin: string): void {
  const safe = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
  if (safe && !request.ws) return;
  if (!request.ws && (request.headers.authorization !== undefined || request.routeOptions.config.readOnly)) return;
  if (!request.ws && request.routeOptions.config.anyOrigin) return;
  if (request.headers.origin !== origin) throw new VigieError('cross_site', 'cross-site request refused');
}

/**
 * An upgrade reaches only a WebSocket route, and each client holds a bounded number of sockets: a
 * signed-in person counts as one client wherever they are (a care organisation's staff may share
 * one address behind its NAT), anyone else by their address.
 */
function checkSocket(request: FastifyRequest, sockets: ConnectionsPerClient): void {
  if (!request.ws) return;
  if (!request.routeOptions.config.socket) {
    throw request.is404
      ? new VigieError('not_found', 'no WebSocket at this path')
      : new VigieError('not_a_websocket', 'no WebSocket here');
  }
  const client = request.person ? `person:${request.person.id}` : `address:${request.ip}`;
  if (!sockets.open(client)) {
    throw new VigieError('too_many_connections', 'too many open connections from this client', {
      retryAfterSeconds: 10,
    });
  }
  request.raw.socket.once('close', () => sockets.close(client));
}

/** Who is asking, and whether the route lets them. */
function checkSession(request: FastifyRequest, auth: Auth): void {
  const access = request.routeOptions.config.access ?? 'public';
  // Its Authorization header is not a person's API token: the route checks it.
  if (access === 'service') {
    request.person = null;
    return;
  }
  const person = auth.personOf(request) ?? null;
  request.person = person;
  if (access === 'public') return;
  if (access === 'fhir' && !person) request.system = auth.systemOf(request) ?? null;
  if (request.system) return;
  if (!person) throw new VigieError('sign_in_required', 'sign in first (or your session has expired)');
  if ((access === 'staff' || access === 'fhir') && !isStaff(person.role))
    throw new VigieError('staff_only', 'this is for the care team');
}

/** Each client address holds at most `max` open TCP connections; more are closed at once. */
function limitConnections(app: FastifyInstance, max: number | undefined): void {
  if (max === undefined) return;
  const open = new ConnectionsPerClient(max);
  app.server.on('connection', (socket) => {
    const client = socket.remoteAddress ?? '?';
    if (!open.open(client)) return void socket.destroy();
    socket.once('close', () => open.close(client));
  });
}

/** The person a route's hook let in (a route with access 'person' or 'staff' always has one). */
export function personOf(request: FastifyRequest): Person {
  if (!request.person) throw new VigieError('sign_in_required', 'sign in first');
  return request.person;
}

/** A refusal answered outside a route: FHIR's OperationOutcome under /fhir/R4, Vigie's error body elsewhere. */
function refusalAnswer(url: string, refusal: VigieError): { headers: Record<string, string>; body: string } {
  return isFhirUrl(url)
    ? outcomeAnswer(refusal)
    : { headers: refusalHeaders(refusal), body: JSON.stringify(refusal.toBody()) };
}

/**
 * A request Node's HTTP parser refused (a request line and headers over 16 KiB, bytes that are not
 * HTTP, a request too slow to arrive): answered, as Fastify's default handler does, then the
 * connection closed; but in the shape of the API the request was for (an OperationOutcome under
 * /fhir/R4, when the request line is in the bytes the parser stopped at), counted and logged.
 */
function refuseUnparsed(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
  o: EdgeOptions,
  warn: ReturnType<typeof rateLimitedWarn>,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new VigieError('headers_too_large', 'the request line and headers exceed 16 KiB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new VigieError('request_timeout', 'the request did not arrive in time')
        : new VigieError('invalid_request', `not a valid HTTP request (${error.code ?? 'parse error'})`);
  o.onRefusal?.(refusal.code);
  const address = socket.remoteAddress ?? 'unknown';
  warn(`unparsed:${refusal.code}:${address}`, { code: error.code, client: address }, 'HTTP request refused unparsed');
  // As Node's own handler: an answer only on a connection that has sent none (not into another's body).
  if (!socket.writable || socket.bytesWritten > 0) return void socket.destroy();
  const start = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.subarray(0, 512).toString('latin1') : '';
  const url = /^[A-Z]+ (\S+)/.exec(start)?.[1] ?? '';
  const { headers, body } = refusalAnswer(url, refusal);
  const head = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n${head}\r\n${body}`);
  socket.destroySoon();
}
