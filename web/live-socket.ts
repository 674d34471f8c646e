/**
 * The live channel of the family page (WebSocket /api/live). The browser signs in with its session
 * cookie, from this site only, then subscribes to the patients it wants; each subscription is checked
 * against the person's care links, and vital signs are sent only with the patient's consent. After a
 * reconnection the page subscribes again and gets a fresh snapshot (catch-up), then the changes.
 *
 *   client -> { type: 'subscribe', patientId }
 *   server -> { type: 'snapshot', patientId, overview } | { type: 'error', patientId?, code, message }
 *          -> { type: 'vitals' | 'presence' | 'alert' | 'call', patientId, ... }
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { HttpError } from '../common/http.ts';
import type { Logger } from '../common/log.ts';
import type { Person } from '../common/people.ts';
import type { Auth } from './auth.ts';
import type { FamilyApi } from './family-api.ts';
import type { LiveEvent, LiveHub } from './live.ts';

const clientMessage = z.object({ type: z.literal('subscribe'), patientId: z.string().min(1).max(100) });
const MAX_SUBSCRIPTIONS = 20;
const SESSION_CHECK_MS = 60_000;

export function attachLiveSocket(server: Server, deps: { auth: Auth; api: FamilyApi; live: LiveHub; logger: Logger; sessionCheckMs?: number }): WebSocketServer {
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
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: text/plain\r\n\r\n${error instanceof Error ? error.message : ''}`);
    }
  });

  function serve(ws: WebSocket, person: Person): void {
    const personId = person.id;
    const subscriptions = new Map<string, () => void>();
    const send = (message: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    ws.on('message', (data) => {
      let parsed;
      try {
        parsed = clientMessage.safeParse(JSON.parse(data.toString()));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) return send({ type: 'error', code: 'bad_request', message: 'expected { "type": "subscribe", "patientId": "..." }' });
      const { patientId } = parsed.data;
      if (subscriptions.has(patientId)) return;
      let link;
      try {
        link = deps.api.linkOrThrow(person, patientId);
      } catch (error) {
        deps.logger.warn({ personId, patientId }, 'live subscription refused');
        return send({ type: 'error', patientId, code: 'forbidden', message: (error as Error).message });
      }
      if (subscriptions.size >= MAX_SUBSCRIPTIONS) return send({ type: 'error', patientId, code: 'too_many', message: `at most ${MAX_SUBSCRIPTIONS} patients per connection` });
      const forward = (event: LiveEvent) => {
        if (event.type === 'vitals' && !link.shareVitals) return;
        send(event.type === 'vitals' ? { ...event, samples: event.samples.map((s) => ({ ts: s.ts, hr: s.hr, spo2: s.spo2, temp: s.temp, sys: s.sys, dia: s.dia, rr: s.rr, steps: s.steps, battery: s.battery })) } : event);
      };
      subscriptions.set(patientId, deps.live.subscribe(patientId, forward));
      deps.api.overviewFor(person, patientId).then(
        (overview) => send({ type: 'snapshot', patientId, overview }),
        (error: unknown) => send({ type: 'error', patientId, code: 'unavailable', message: error instanceof Error ? error.message : 'try again' }),
      );
    });
    ws.on('close', () => {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
    });
  }
  return wss;
}
