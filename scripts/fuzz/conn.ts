/**
 * One hostile connection: a raw TCP socket from a chosen loopback address that writes exactly the
 * bytes it is given, keeps what the server answers, and notices when the server hangs up. Every
 * wait is bounded and the socket is always destroyed at the end, so an input can never hang the tool,
 * whatever the server does (answers, hangs up, or says nothing at all).
 */
import { connect, type Socket } from 'node:net';

export class RawConn {
  readonly #socket: Socket;
  #received: Buffer = Buffer.alloc(0);
  #closed = false;
  /** True once the server ended or reset the connection (not us). */
  closedByServer = false;
  /** The socket error, if any (ECONNRESET, EPIPE...). */
  error: string | undefined;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    // A half-close from the server is its way of hanging up too: we answer by closing.
    socket.on('end', () => {
      this.closedByServer = true;
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error.code ?? error.message;
      if (!this.#closed) this.closedByServer = true;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  /** Connects from `localAddress`; rejects with the error code (ECONNREFUSED...) if it cannot in time. */
  static open(port: number, localAddress: string, timeoutMs: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('ETIMEDOUT'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawConn(socket));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(error.code ?? error.message));
      });
    });
  }

  get received(): Buffer {
    return this.#received;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes unless the connection is gone; a write to a socket the server reset is not an error here. */
  write(bytes: Buffer | string): void {
    if (!this.#closed && !this.#socket.destroyed && this.#socket.writable) this.#socket.write(bytes);
  }

  /** Half-closes our side (the server sees the end of the request). */
  end(): void {
    if (!this.#closed && this.#socket.writable) this.#socket.end();
  }

  /**
   * Waits until `done(received)` holds, the connection closes, or `ms` pass, whichever comes first;
   * resolves whether `done` held.
   */
  until(done: (received: Buffer) => boolean, ms: number): Promise<boolean> {
    if (done(this.#received)) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = () => {
        if (done(this.#received)) finish(true);
        else if (this.#closed) finish(false);
      };
      const timer = setTimeout(() => finish(false), ms);
      const finish = (held: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(held);
      };
      this.#waiters.add(check);
    });
  }

  /** Waits for the server to hang up, at most `ms`. */
  async closing(ms: number): Promise<void> {
    await this.until(() => false, ms);
  }

  /** Waits until nothing more arrives for `quietMs` (or the connection closes), at most `ms` in all. */
  async quiet(quietMs: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const before = this.#received.length;
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return;
      await this.until((r) => r.length !== before, Math.min(quietMs, left));
      if (this.#received.length === before) return;
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
