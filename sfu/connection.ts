/**
 * One page's signalling socket: validates every request against the shared protocol, dispatches it
 * to the room, answers with data or a precise error. A page that keeps sending garbage is cut off;
 * everyone else carries on.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../common/log.ts';
import { CallError, type Link, type Room } from './room.ts';
import type { CallGrant } from './tokens.ts';
import { CLOSE, requestEnvelope, requestSchemas, type ErrorCode, type Method, type NotificationName, type Notifications, type RequestData, type ResponseData } from './protocol.ts';

/** What a connection needs from the server. */
export interface Lobby {
  /** Checks the token and finds (or opens) its room. */
  admit(token: string, roomId: string): Promise<{ grant: CallGrant; room: Room }>;
  countError(method: string, code: ErrorCode): void;
}

const MAX_BAD_REQUESTS = 20;

export class Connection implements Link {
  readonly #ws: WebSocket;
  readonly #lobby: Lobby;
  readonly #log: Logger;
  #grant: CallGrant | undefined;
  #room: Room | undefined;
  #badRequests = 0;
  /** Requests run one after the other, in the order the page sent them. */
  #queue: Promise<void> = Promise.resolve();

  constructor(ws: WebSocket, lobby: Lobby, log: Logger) {
    this.#ws = ws;
    this.#lobby = lobby;
    this.#log = log;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : data.toString();
      this.#queue = this.#queue.then(() => this.#onMessage(text));
    });
    ws.on('close', () => {
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

  async #onMessage(text: string | undefined): Promise<void> {
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const envelope = requestEnvelope.safeParse(json);
    if (!envelope.success) return this.#refuse(undefined, '?', 'bad_request', 'expected a JSON request {id, method, data}');
    const { id, method, data } = envelope.data;
    if (!Object.hasOwn(requestSchemas, method)) return this.#refuse(id, method, 'bad_request', `unknown method "${method}"`);
    const m = method as Method; // checked just above
    const parsed = requestSchemas[m].safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#refuse(id, m, 'bad_request', `${m}: ${issue?.path.join('.') || 'data'}: ${issue?.message ?? 'invalid'}`);
    }
    try {
      const result = await this.#handle(m, parsed.data);
      this.#send({ id, ok: true, data: result });
    } catch (error) {
      if (error instanceof CallError) return this.#refuse(id, m, error.code, error.message);
      this.#log.error({ method: m, err: String(error) }, 'request failed');
      this.#refuse(id, m, 'media_error', 'the media server could not do this; please try again');
    }
  }

  async #handle(method: Method, data: unknown): Promise<ResponseData[Method]> {
    if (method === 'join') return this.#join(data as RequestData<'join'>);
    const grant = this.#grant;
    const room = this.#room;
    if (!grant || !room || !room.isMember(grant.participantId, this)) throw new CallError('not_joined', 'join the consultation first');
    switch (method) {
      case 'createTransport':
        return room.createTransport(grant);
      case 'connectTransport': {
        const d = data as RequestData<'connectTransport'>;
        await room.connectTransport(grant, d.transportId, d.dtlsParameters);
        return {};
      }
      case 'restartIce':
        return room.restartIce(grant, (data as RequestData<'restartIce'>).transportId);
      case 'produce': {
        const d = data as RequestData<'produce'>;
        return room.produce(grant, d.transportId, d.kind, d.rtpParameters, d.source);
      }
      case 'closeProducer':
        room.closeProducer(grant, (data as RequestData<'closeProducer'>).producerId);
        return {};
      case 'pauseProducer':
      case 'resumeProducer':
        await room.setProducerPaused(grant, (data as RequestData<'pauseProducer'>).producerId, method === 'pauseProducer');
        return {};
      case 'consume': {
        const d = data as RequestData<'consume'>;
        return room.consume(grant, d.transportId, d.producerId, d.rtpCapabilities);
      }
      case 'resumeConsumer':
        await room.resumeConsumer(grant, (data as RequestData<'resumeConsumer'>).consumerId);
        return {};
      case 'admit':
        room.admit(grant, (data as RequestData<'admit'>).participantId);
        return {};
      case 'mute':
        room.requestMute(grant, (data as RequestData<'mute'>).participantId);
        return {};
      case 'chat':
        room.chat(grant, (data as RequestData<'chat'>).text);
        return {};
      case 'leave':
        await this.#leave();
        return {};
      case 'endForAll':
        room.endForAll(grant);
        this.#room = undefined;
        return {};
      default:
        return assertNever(method);
    }
  }

  async #join(data: RequestData<'join'>): Promise<ResponseData['join']> {
    const { grant, room } = await this.#lobby.admit(data.token, data.roomId);
    if (this.#room && this.#grant && (this.#room !== room || this.#grant.participantId !== grant.participantId)) await this.#leave();
    const response = await room.join(grant, this, data.displayName);
    this.#grant = grant;
    this.#room = room;
    return response;
  }

  async #leave(): Promise<void> {
    if (this.#room && this.#grant) this.#room.leave(this.#grant.participantId, this);
    this.#room = undefined;
  }

  #refuse(id: number | undefined, method: string, code: ErrorCode, message: string): void {
    this.#lobby.countError(method, code);
    if (code === 'bad_request' && ++this.#badRequests > MAX_BAD_REQUESTS) {
      this.#log.warn({ participant: this.#grant?.participantId }, 'too many bad requests; closing the socket');
      this.#ws.close(CLOSE.policy, 'too many bad requests');
      return;
    }
    if (id === undefined) this.#send({ notification: 'error', data: { code, message } });
    else this.#send({ id, ok: false, error: { code, message } });
  }

  #send(message: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled method ${String(value)}`);
}
