/**
 * The live channel of the family page and the console (WebSocket /api/live). The browser is signed in
 * (session cookie, checked with the Origin by web/edge.ts's hooks before the upgrade), then subscribes
 * to the patients it wants; each subscription is checked against the person's access, and vital signs,
 * alert details included, reach only those the patient consents to share them with (common/redact.ts).
 * After a reconnection the page subscribes again and gets a fresh snapshot (catch-up), then changes.
 *
 *   client -> { type: 'subscribe', patientId }      (the care team: patientId '*' for all of their team's)
 *   server -> { type: 'snapshot', patientId, overview } | { type: 'subscribed', patientIds } | { type: 'error', patientId?, code }
 *          -> { type: 'alert' | 'call' | 'invitees' | 'mode', patientId, ... }  (at once; invitees, mode: the care team only)
 *          -> { type: 'batch', events: [{ type: 'vitals' | 'presence', patientId, ... }] }
 * Readings and presence are sent in batches every 250 ms: a console following a thousand patients gets
 * four messages a second instead of a thousand; alerts and calls never wait. A socket that sends too
 * much, too fast or too big is closed with a reason; a session that ends closes its sockets.
 * A subscription to one patient by someone who may see their readings (the console's patient page,
 * the call page, the family page) is a viewer of live mode (web/live-mode.ts) until the socket closes;
 * the console's '*' (its list) is not, or every patient of a team would be live all day.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { VigieError } from '../common/errors.ts';
import { TokenBucket } from '../common/limits.ts';
import { rateLimitedWarn } from '../common/log.ts';
import { isStaff, type Person } from './people.ts';
import { alertFor } from '../common/redact.ts';
import {
  clientMessageSchema,
  LIVE_CLOSE,
  liveSample,
  type LiveServerMessage,
  type PresenceEvent,
  type VitalsEvent,
} from './api/live.ts';
import type { ConsoleRow, FamilyOverview } from './api/schemas.ts';
import { isInvited } from './calls.ts';
import type { WebContext } from './context.ts';
import { personOf, type App } from './edge.ts';
import { namesOf, requireAccess, staffAccess, type Access } from './access.ts';
import type { LiveEvent } from './live.ts';
import { noteRead } from './record-reads.ts';

const MAX_SUBSCRIPTIONS = 20;
/** Subscribes a member of the care team to all of their team's patients. */
const ALL = '*';
const SESSION_CHECK_MS = 60_000;
const BATCH_MS = 250;
const MAX_MESSAGE_BYTES = 4096;
/** A page subscribes once per patient, again after a reconnection: a few messages, rarely more. */
const MESSAGES_PER_SECOND = 10;
const MESSAGE_BURST = 40;

export interface LiveSocketOptions {
  /** What a subscriber gets first (and again after a reconnection): the family overview, or the console's row. */
  readonly snapshot: (person: Person, access: Access) => Promise<FamilyOverview | ConsoleRow>;
  readonly sessionCheckMs?: number;
  readonly onClose?: (reason: string) => void;
}

export function liveSocketRoute(app: App, c: WebContext, o: LiveSocketOptions): void {
  app.get('/api/live', { websocket: true, config: { access: 'person', socket: true } }, (ws, request) => {
    serve(ws, request, personOf(request), c, o);
  });
}

function serve(ws: WebSocket, request: FastifyRequest, person: Person, c: WebContext, o: LiveSocketOptions): void {
  const log = c.logger.child({ component: 'live', personId: person.id });
  const warn = rateLimitedWarn(log);
  const subscriptions = new Map<string, () => void>();
  const rate = new TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST);
  const send = (message: LiveServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  let closing = false;
  const close = (code: number, reason: string) => {
    if (closing) return;
    closing = true;
    o.onClose?.(reason);
    log.warn({ code, reason }, 'live socket closed');
    ws.close(code, reason);
  };
  let batch: Array<VitalsEvent | PresenceEvent> = [];
  let flush: ReturnType<typeof setTimeout> | undefined;
  const sendSoon = (event: (typeof batch)[number]) => {
    batch.push(event);
    flush ??= setTimeout(() => {
      flush = undefined;
      const events = batch;
      batch = [];
      send({ type: 'batch', events });
    }, BATCH_MS);
  };
  /** What this person receives of a patient's events: vital signs, alert details included, only with consent. */
  const forwarder = (viewer: Access) => (event: LiveEvent) => {
    switch (event.type) {
      case 'vitals':
        if (viewer.vitals) sendSoon({ ...event, samples: event.samples.map(liveSample) });
        return;
      case 'presence':
        return sendSoon(event);
      case 'alert':
        return send({ ...event, alert: alertFor(event.alert, viewer), names: namesOf(c.people, [event.alert]) });
      case 'call':
        if (viewer.kind === 'staff' || isInvited(event, viewer.link)) {
          const { patientId, roomId, startedAt, expiresAt, caller } = event;
          send({ type: 'call', patientId, roomId, startedAt, expiresAt, caller });
        }
        return;
      case 'invitees':
      case 'mode':
        if (viewer.kind === 'staff') send(event);
        return;
    }
  };
  const subscribe = (patientId: string) => {
    if (patientId === ALL) {
      // The console: every patient of the person's care team; the page then loads the list (catch-up).
      const ids = isStaff(person.role) ? c.people.teamPatients(person) : [];
      for (const id of ids)
        if (!subscriptions.has(id)) subscriptions.set(id, c.live.subscribe(id, forwarder(staffAccess(person, id))));
      return send({ type: 'subscribed', patientIds: ids });
    }
    if (subscriptions.has(patientId)) return;
    let access: Access;
    try {
      access = requireAccess(c.people, person, patientId);
    } catch (error) {
      warn(`refused:${patientId}`, { patientId }, 'live subscription refused');
      return send({ type: 'error', patientId, code: error instanceof VigieError ? error.code : 'patient_forbidden' });
    }
    if (subscriptions.size >= MAX_SUBSCRIPTIONS && access.kind === 'family') {
      return send({ type: 'error', patientId, code: 'rate_limited' });
    }
    const unsubscribe = c.live.subscribe(patientId, forwarder(access));
    // Live mode streams readings: a viewer who may not see them gains nothing from it.
    const leave = access.vitals ? c.liveMode.watch(patientId) : undefined;
    subscriptions.set(patientId, () => {
      unsubscribe();
      leave?.();
    });
    // One patient's live feed is a read of their record; the console's '*' (its list) is not.
    noteRead(c.reads, request, person, patientId, 'live');
    o.snapshot(person, access).then(
      (overview) => send({ type: 'snapshot', patientId, overview }),
      (error: unknown) =>
        send({ type: 'error', patientId, code: error instanceof VigieError ? error.code : 'alerts_unavailable' }),
    );
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (closing) return;
    if (!rate.take()) return close(LIVE_CLOSE.policy, 'too many messages');
    if (isBinary || data.length > MAX_MESSAGE_BYTES) return close(LIVE_CLOSE.tooBig, 'messages are small JSON texts');
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) return send({ type: 'error', code: 'invalid_request' });
    subscribe(parsed.data.patientId);
  });
  // A session ended elsewhere (signed out, expired) ends its sockets too, within a minute.
  const check = setInterval(() => {
    if (!c.auth.stillValid(request)) close(LIVE_CLOSE.sessionEnded, 'session ended');
  }, o.sessionCheckMs ?? SESSION_CHECK_MS);
  // Disabled, or given another role: closed at once (the page reconnects, if it still may, with its new rights).
  const offChanged = c.auth.onAccountChanged(person.id, () => close(LIVE_CLOSE.accountChanged, 'account changed'));
  ws.on('close', () => {
    offChanged();
    clearInterval(check);
    clearTimeout(flush);
    for (const off of subscriptions.values()) off();
    subscriptions.clear();
  });
}
