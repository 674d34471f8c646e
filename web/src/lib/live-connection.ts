/**
 * The pages' end of the live channel (WebSocket /api/live, session cookie): subscribes on every
 * (re)connection, so that the server sends a fresh snapshot after a drop, and reconnects with
 * exponential backoff (0.5 s to 30 s) until closed.
 */
export interface LiveConnection {
  close(): void;
}

export function connectLive(
  patientId: string,
  handlers: { message: (data: unknown) => void; status: (connected: boolean) => void },
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
      const data = JSON.parse(String(event.data)) as { type?: string; events?: unknown[] };
      // Readings and presence come in batches (see web/live-socket.ts).
      if (data.type === 'batch' && Array.isArray(data.events)) data.events.forEach(handlers.message);
      else handlers.message(data);
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
