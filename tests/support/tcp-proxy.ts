/**
 * A loopback TCP relay that a test can cut: the network between a page and a server going away
 * (established connections reset, new ones refused) and coming back; or hold: a client that stops
 * reading some of its connections (the server's writes pile up) while the others flow.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  readonly port: number;
  /** Connections relayed since the last `cut` (those it refused not counted). */
  readonly opened: number;
  /** Resets every connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /**
   * Stops relaying what the server sends on the connections whose bytes from the client so far
   * match (what the client said: an MQTT CONNECT, its SUBSCRIBEs), until `release`.
   */
  hold(match: (fromClient: Buffer) => boolean): void;
  release(): void;
  /**
   * On connections opened from now on (false: no more), nothing the server sends is relayed: the
   * client's request goes through and its answer never comes (a server stuck on a long request).
   * `afterClientBytes`: the server's bytes are relayed until the client has sent more than that (a
   * TLS handshake goes through, the answer to a large request does not).
   */
  stall(on: boolean, afterClientBytes?: number): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  /** Each connection: the server's side, the client's, and what the client has sent (small, in tests). */
  const pairs = new Set<{ upstream: Socket; client: Socket; said: Buffer[] }>();
  const held = new Set<Socket>();
  let down = false;
  let stalling = false;
  let stallAfter = 0;
  let opened = 0;
  // No Nagle on either hop, as on a direct connection (browsers and `ws` set TCP_NODELAY): with it,
  // a second small message sent right after a first (two requests at once) waited for the first's
  // delayed ACK, some 40 ms, which the pages' timings then counted.
  const server: Server = createServer({ noDelay: true }, (client) => {
    if (down) return void client.resetAndDestroy();
    opened += 1;
    const upstream = connect({ port: targetPort, host, noDelay: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    const pair = { upstream, client, said: [] as Buffer[] };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => pair.said.push(chunk));
    client.on('close', () => pairs.delete(pair));
    if (stalling) {
      const after = stallAfter;
      let fromClient = 0;
      client.on('data', (chunk: Buffer) => (fromClient += chunk.length));
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (fromClient <= after) client.write(chunk);
      });
    } else client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : 0;
  return {
    port,
    get opened() {
      return opened;
    },
    cut() {
      down = true;
      opened = 0;
      for (const s of open) s.resetAndDestroy();
    },
    restore() {
      down = false;
    },
    hold(match) {
      for (const { upstream, client, said } of pairs) {
        if (!match(Buffer.concat(said))) continue;
        upstream.unpipe(client);
        upstream.pause();
        held.add(upstream);
      }
    },
    release() {
      for (const upstream of held) {
        const pair = [...pairs].find((p) => p.upstream === upstream);
        if (pair) upstream.pipe(pair.client);
      }
      held.clear();
    },
    stall(on, afterClientBytes = 0) {
      stalling = on;
      stallAfter = afterClientBytes;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
