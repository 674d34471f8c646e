/**
 * The pages' end of the live channel (WebSocket /api/live, session cookie): subscribes on every
 * (re)connection, so that the server sends a fresh snapshot after a drop, and reconnects with
 * exponential backoff (0.5 s to 30 s) until closed. Every message is parsed with the channel's schema
 * (web/api/live.ts); one that does not fit is dropped.
 */
import { liveServerMessageSchema, type LiveMessage } from '../../api/live.ts';

export interface LiveConnection {
  close(): void;
}

export function connectLive(
  patientId: string,
  handlers: { message: (message: LiveMessage) => void; status: (connected: boolean) => void },
): LiveConnection {
  let retry = 0;
  let closed = false;
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    const url = new URL('/api/live', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const s = new WebSocket(url);
    socket = s;
    s.addEventListener('open', () => {
      retry = 0;
      handlers.status(true);
      s.send(JSON.stringify({ type: 'subscribe', patientId }));
    });
    s.addEventListener('message', (event) => {
      let json: unknown;
      try {
        json = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const parsed = liveServerMessageSchema.safeParse(json);
      if (!parsed.success) return;
      const m = parsed.data;
      // Readings and presence come in batches (see web/live-socket.ts).
      if (m.type === 'batch') m.events.forEach(handlers.message);
      else handlers.message(m);
    });
    s.addEventListener('close', () => {
      handlers.status(false);
      if (closed) return;
      retry += 1;
      timer = setTimeout(open, Math.min(30_000, 500 * 2 ** Math.min(retry, 6)));
    });
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
