/**
 * A loopback TCP relay that a test can cut: the network between a page and a server going away
 * (established connections reset, new ones refused) and coming back.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  readonly port: number;
  /** Resets every connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  // No Nagle on either hop, as on a direct connection (browsers and `ws` set TCP_NODELAY): with it,
  // a second small message sent right after a first (two requests at once) waited for the first's
  // delayed ACK, some 40 ms, which the pages' timings then counted.
  const server: Server = createServer({ noDelay: true }, (client) => {
    if (down) return void client.resetAndDestroy();
    const upstream = connect({ port: targetPort, host, noDelay: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : 0;
  return {
    port,
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
    },
    restore() {
      down = false;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
