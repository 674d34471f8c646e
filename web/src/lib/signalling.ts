/**
 * The page's end of the call signalling protocol (sfu/protocol.ts): typed requests with responses,
 * typed notifications. One instance per socket; the call session opens a new one after a drop.
 */
import type {
  ErrorCode,
  Method,
  NotificationEnvelope,
  NotificationName,
  Notifications,
  RequestData,
  ResponseData,
  ResponseEnvelope,
} from '../../../sfu/protocol.ts';

export class SignallingError extends Error {
  override readonly name = 'SignallingError';
  constructor(
    readonly code: ErrorCode | 'closed' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

type Handler<N extends NotificationName> = (data: Notifications[N]) => void;

/** The parts of the WebSocket API used here (the browser's, or `ws` in Node tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    listener: (event: { data?: unknown; code?: number; reason?: string }) => void,
  ): void;
}

const REQUEST_TIMEOUT_MS = 15_000;

export class SignallingClient {
  readonly #socket: SocketLike;
  readonly #pending = new Map<
    number,
    { resolve: (data: unknown) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }
  >();
  readonly #handlers = new Map<NotificationName, Set<(data: never) => void>>();
  readonly #closeHandlers = new Set<(code: number, reason: string) => void>();
  #nextId = 1;
  #closed = false;

  private constructor(socket: SocketLike) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => this.#onMessage(event.data));
    socket.addEventListener('close', (event) => this.#onClose(event.code ?? 1006, event.reason ?? ''));
  }

  /** Opens the socket; rejects if it cannot. */
  static open(url: string, create: (url: string) => SocketLike = (u) => new WebSocket(u)): Promise<SignallingClient> {
    const socket = create(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new SignallingClient(socket)));
      socket.addEventListener('error', () =>
        reject(new SignallingError('closed', `cannot reach the call server at ${url}`)),
      );
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  request<M extends Method>(method: M, data: RequestData<M>): Promise<ResponseData[M]> {
    if (this.#closed)
      return Promise.reject(new SignallingError('closed', 'the connection to the call server is closed'));
    const id = this.#nextId++;
    return new Promise<ResponseData[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignallingError('timeout', `${method}: no answer from the call server`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, data }));
    });
  }

  on<N extends NotificationName>(name: N, handler: Handler<N>): () => void {
    let set = this.#handlers.get(name);
    if (!set) this.#handlers.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.#closeHandlers.add(handler);
  }

  close(): void {
    this.#socket.close(1000, 'bye');
  }

  #onMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let message: ResponseEnvelope | NotificationEnvelope;
    try {
      message = JSON.parse(raw) as ResponseEnvelope | NotificationEnvelope; // from our own SFU
    } catch {
      return;
    }
    if ('notification' in message) {
      for (const handler of this.#handlers.get(message.notification) ?? []) {
        try {
          handler(message.data as never);
        } catch (error) {
          console.error(`notification ${message.notification} handler failed`, error);
        }
      }
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.data);
    else pending.reject(new SignallingError(message.error.code, message.error.message));
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new SignallingError('closed', 'the connection to the call server was lost'));
    }
    this.#pending.clear();
    for (const handler of this.#closeHandlers) handler(code, reason);
  }
}
