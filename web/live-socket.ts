/**
 * The live channel of the family page (WebSocket /api/live). The browser signs in with its session
 * cookie, from this site only, then subscribes to the patients it wants; each subscription is checked
 * against the person's care links, and vital signs are sent only with the patient's consent. After a
 * reconnection the page subscribes again and gets a fresh snapshot (catch-up), then the changes.
 *
 *   client -> { type: 'subscribe', patientId }      (the care team: patientId '*' for all of their team's)
 *   server -> { type: 'snapshot', patientId, overview } | { type: 'subscribed', patientIds } | { type: 'error', patientId?, code, message }
 *          -> { type: 'alert' | 'call', patientId, ... }                  (at once)
 *          -> { type: 'batch', events: [{ type: 'vitals' | 'presence', patientId, ... }] }
 * Readings and presence are sent in batches every 250 ms: a console following a thousand patients
 * gets four messages a second instead of a thousand; alerts and calls never wait.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { HttpError } from '../common/http.ts';
import type { Logger } from '../common/log.ts';
import { isStaff, type People, type Person } from '../common/people.ts';
import { namesOf, requireAccess, type Access } from './access.ts';
import type { Auth } from './auth.ts';
import type { LiveEvent, LiveHub } from './live.ts';
import { liveSample } from './family-protocol.ts';

const clientMessage = z.object({ type: z.literal('subscribe'), patientId: z.string().min(1).max(100) });
const MAX_SUBSCRIPTIONS = 20;
/** Subscribes a member of the care team to all of their team's patients. */
const ALL = '*';
const SESSION_CHECK_MS = 60_000;
const BATCH_MS = 250;

export interface LiveSocketDeps {
  readonly auth: Auth;
  readonly people: People;
  readonly live: LiveHub;
  /** What a subscriber gets first (and again after a reconnection): the family overview, or the console's row. */
  readonly snapshot: (person: Person, access: Access) => Promise<unknown>;
  readonly logger: Logger;
  readonly sessionCheckMs?: number;
}

export function attachLiveSocket(server: Server, deps: LiveSocketDeps): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/live') return; // another socket's business
    try {
      deps.auth.sameOrigin(req);
      const person = deps.auth.require(req);
      wss.handleUpgrade(req, socket, head, (ws) => {
        serve(ws, person);
        // A session ended elsewhere (signed out, expired) ends its sockets too, within a minute.
        const check = setInterval(() => {
          if (!deps.auth.stillValid(req)) ws.close(4401, 'session ended');
        }, deps.sessionCheckMs ?? SESSION_CHECK_MS);
        ws.on('close', () => clearInterval(check));
      });
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: text/plain\r\n\r\n${error instanceof Error ? error.message : ''}`,
      );
    }
  });

  function serve(ws: WebSocket, person: Person): void {
    const personId = person.id;
    const subscriptions = new Map<string, () => void>();
    const send = (message: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    let batch: unknown[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    const sendSoon = (event: unknown) => {
      batch.push(event);
      flush ??= setTimeout(() => {
        flush = undefined;
        const events = batch;
        batch = [];
        send({ type: 'batch', events });
      }, BATCH_MS);
    };
    ws.on('message', (data) => {
      let parsed;
      try {
        parsed = clientMessage.safeParse(JSON.parse(data.toString()));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success)
        return send({
          type: 'error',
          code: 'bad_request',
          message: 'expected { "type": "subscribe", "patientId": "..." }',
        });
      const { patientId } = parsed.data;
      if (patientId === ALL) {
        // The console: every patient of the person's care team; the page then loads the list (catch-up).
        const ids = isStaff(person.role) ? deps.people.teamPatients(person) : [];
        for (const id of ids)
          if (!subscriptions.has(id)) subscriptions.set(id, deps.live.subscribe(id, forwarder(true)));
        return send({ type: 'subscribed', patientIds: ids });
      }
      if (subscriptions.has(patientId)) return;
      let access;
      try {
        access = requireAccess(deps.people, person, patientId);
      } catch (error) {
        deps.logger.warn({ personId, patientId }, 'live subscription refused');
        return send({ type: 'error', patientId, code: 'forbidden', message: (error as Error).message });
      }
      if (subscriptions.size >= MAX_SUBSCRIPTIONS && access.kind === 'family')
        return send({
          type: 'error',
          patientId,
          code: 'too_many',
          message: `at most ${MAX_SUBSCRIPTIONS} patients per connection`,
        });
      subscriptions.set(patientId, deps.live.subscribe(patientId, forwarder(access.vitals)));
      deps.snapshot(person, access).then(
        (overview) => send({ type: 'snapshot', patientId, overview }),
        (error: unknown) =>
          send({
            type: 'error',
            patientId,
            code: 'unavailable',
            message: error instanceof Error ? error.message : 'try again',
          }),
      );
    });
    /** What this person receives of a patient's events (vital signs only with consent). */
    function forwarder(vitals: boolean) {
      return (event: LiveEvent) => {
        if (event.type === 'vitals' && !vitals) return;
        if (event.type === 'alert') return send({ ...event, names: namesOf(deps.people, [event.alert]) });
        if (event.type === 'vitals') return sendSoon({ ...event, samples: event.samples.map(liveSample) });
        if (event.type === 'presence') return sendSoon(event);
        send(event);
      };
    }
    ws.on('close', () => {
      clearTimeout(flush);
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
    });
  }
  return wss;
}
