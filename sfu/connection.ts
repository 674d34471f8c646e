/**
 * One page's signalling socket: validates every request against the shared protocol, dispatches it
 * to the room, answers with data or a precise error. A socket that does not join in time, sends
 * faster than its rate or keeps sending garbage is closed with a code and a reason; everyone else
 * carries on.
 */
import type { WebSocket } from 'ws';
import type { TokenBucket } from '../common/limits.ts';
import type { Logger } from '../common/log.ts';
import type { Refusal } from './edge.ts';
import { CallError, type Link, type Room } from './room.ts';
import type { CallGrant } from './tokens.ts';
import {
  CLOSE,
  requestEnvelope,
  requestSchemas,
  type ErrorCode,
  type Method,
  type NotificationName,
  type Notifications,
  type RequestData,
  type ResponseData,
} from './protocol.ts';

/** What a connection needs from the server. */
export interface Lobby {
  /** Checks the token and finds (or opens) its room. */
  admit(token: string, roomId: string): Promise<{ grant: CallGrant; room: Room }>;
  countError(method: string, code: ErrorCode): void;
  /** Counts and logs a socket closed for cause. */
  refused(reason: Refusal, ids: { readonly conn: number; readonly participant?: string }): void;
}

export interface ConnectionOptions {
  /** Names this socket in logs. */
  readonly conn: number;
  readonly joinTimeoutMs: number;
  /** This socket's own message budget. */
  readonly bucket: TokenBucket;
}

const MAX_BAD_REQUESTS = 20;

export class Connection implements Link {
  readonly #ws: WebSocket;
  readonly #lobby: Lobby;
  readonly #log: Logger;
  readonly #o: ConnectionOptions;
  #grant: CallGrant | undefined;
  #room: Room | undefined;
  #badRequests = 0;
  /** Until the first successful join. */
  #deadline: NodeJS.Timeout | undefined;
  /** Closed for cause: whatever else arrives is ignored. */
  #shut = false;
  /** Requests run one after the other, in the order the page sent them. */
  #queue: Promise<void> = Promise.resolve();

  constructor(ws: WebSocket, lobby: Lobby, log: Logger, options: ConnectionOptions) {
    this.#ws = ws;
    this.#lobby = lobby;
    this.#log = log.child({ conn: options.conn });
    this.#o = options;
    this.#deadline = setTimeout(
      () => this.#closeForCause(CLOSE.joinTimeout, 'join_timeout', `no join within ${options.joinTimeoutMs} ms`),
      options.joinTimeoutMs,
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!this.#spend()) return;
      const text = isBinary ? undefined : data.toString();
      this.#queue = this.#queue.then(() => this.#onMessage(text));
    });
    // Pings and pongs cost the sender too: a ping flood would otherwise be answered for free.
    ws.on('ping', () => this.#spend());
    ws.on('pong', () => this.#spend());
    ws.on('close', () => {
      clearTimeout(this.#deadline);
      this.#queue = this.#queue.then(() => this.#leave());
    });
  }

  notify<N extends NotificationName>(name: N, data: Notifications[N]): void {
    if (name === 'rejoin') this.#room = undefined; // the room forgot this page; it must join again
    this.#send({ notification: name, data });
  }

  close(code: number, reason: string): void {
    this.#room = undefined;
    this.#ws.close(code, reason);
  }

  /** Takes one message from this socket's budget; a socket over its rate is closed. */
  #spend(): boolean {
    if (this.#shut) return false;
    if (this.#o.bucket.take()) return true;
    this.#closeForCause(CLOSE.policy, 'rate_limited', 'too many messages, too fast');
    return false;
  }

  #closeForCause(code: number, reason: Refusal, text: string): void {
    if (this.#shut) return;
    this.#shut = true;
    clearTimeout(this.#deadline);
    this.#lobby.refused(reason, {
      conn: this.#o.conn,
      ...(this.#grant ? { participant: this.#grant.participantId } : {}),
    });
    this.#ws.close(code, text);
  }

  async #onMessage(text: string | undefined): Promise<void> {
    if (this.#shut) return;
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const envelope = requestEnvelope.safeParse(json);
    if (!envelope.success)
      return this.#refuse(undefined, '?', 'bad_request', 'expected a JSON request {id, method, data}');
    const { id, method, data } = envelope.data;
    if (!Object.hasOwn(requestSchemas, method))
      return this.#refuse(id, method, 'bad_request', `unknown method "${method}"`);
    const m = method as Method; // checked just above
    const parsed = requestSchemas[m].safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#refuse(
        id,
        m,
        'bad_request',
        `${m}: ${issue?.path.join('.') || 'data'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    try {
      // The data was validated by the schema of this very method (TypeScript cannot correlate the two).
      const handler = this.#handlers[m] as (data: unknown) => Promise<unknown>;
      this.#send({ id, ok: true, data: await handler(parsed.data) });
    } catch (error) {
      if (error instanceof CallError) return this.#refuse(id, m, error.code, error.message);
      this.#log.error({ method: m, err: String(error) }, 'request failed');
      this.#refuse(id, m, 'media_error', 'the media server could not do this; please try again');
    }
  }

  /** The room and grant of a page that has joined; every method but `join` needs them. */
  #joined(): { grant: CallGrant; room: Room } {
    const grant = this.#grant;
    const room = this.#room;
    if (!grant || !room || !room.isMember(grant.participantId, this))
      throw new CallError('not_joined', 'join the consultation first');
    return { grant, room };
  }

  /** One handler per method, typed by the protocol. */
  readonly #handlers: { [M in Method]: (data: RequestData<M>) => Promise<ResponseData[M]> } = {
    join: (d) => this.#join(d),
    createTransport: async () => {
      const { grant, room } = this.#joined();
      return room.createTransport(grant);
    },
    connectTransport: async (d) => {
      const { grant, room } = this.#joined();
      await room.connectTransport(grant, d.transportId, d.dtlsParameters);
      return {};
    },
    restartIce: async (d) => {
      const { grant, room } = this.#joined();
      return room.restartIce(grant, d.transportId);
    },
    produce: async (d) => {
      const { grant, room } = this.#joined();
      return room.produce(grant, d.transportId, d.kind, d.rtpParameters, d.source);
    },
    closeProducer: async (d) => {
      const { grant, room } = this.#joined();
      room.closeProducer(grant, d.producerId);
      return {};
    },
    pauseProducer: async (d) => {
      const { grant, room } = this.#joined();
      await room.setProducerPaused(grant, d.producerId, true);
      return {};
    },
    resumeProducer: async (d) => {
      const { grant, room } = this.#joined();
      await room.setProducerPaused(grant, d.producerId, false);
      return {};
    },
    consume: async (d) => {
      const { grant, room } = this.#joined();
      return room.consume(grant, d.transportId, d.producerId, d.rtpCapabilities);
    },
    resumeConsumer: async (d) => {
      const { grant, room } = this.#joined();
      await room.resumeConsumer(grant, d.consumerId);
      return {};
    },
    admit: async (d) => {
      const { grant, room } = this.#joined();
      room.admit(grant, d.participantId);
      return {};
    },
    mute: async (d) => {
      const { grant, room } = this.#joined();
      room.requestMute(grant, d.participantId);
      return {};
    },
    chat: async (d) => {
      const { grant, room } = this.#joined();
      room.chat(grant, d.text);
      return {};
    },
    leave: async () => {
      this.#joined();
      await this.#leave();
      return {};
    },
    endForAll: async () => {
      const { grant, room } = this.#joined();
      room.endForAll(grant);
      this.#room = undefined;
      return {};
    },
  };

  async #join(data: RequestData<'join'>): Promise<ResponseData['join']> {
    const { grant, room } = await this.#lobby.admit(data.token, data.roomId);
    if (this.#room && this.#grant && (this.#room !== room || this.#grant.participantId !== grant.participantId))
      await this.#leave();
    const response = await room.join(grant, this, data.seat);
    this.#grant = grant;
    this.#room = room;
    clearTimeout(this.#deadline);
    return response;
  }

  async #leave(): Promise<void> {
    if (this.#room && this.#grant) this.#room.leave(this.#grant.participantId, this);
    this.#room = undefined;
  }

  #refuse(id: number | undefined, method: string, code: ErrorCode, message: string): void {
    this.#lobby.countError(method, code);
    if (code === 'bad_request' && ++this.#badRequests > MAX_BAD_REQUESTS)
      return this.#closeForCause(CLOSE.policy, 'too_many_bad_requests', 'too many bad requests');
    if (id === undefined) this.#send({ notification: 'error', data: { code, message } });
    else this.#send({ id, ok: false, error: { code, message } });
  }

  #send(message: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }
}
