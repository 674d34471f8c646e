/**
 * A consultation room: who is in it (admitted or waiting), their transports, producers and consumers,
 * on one mediasoup router. Admission and chat outlive the router, so a worker restart or a reconnection
 * does not send anyone back to the waiting room. Admission belongs to the seat (the browser tab) the
 * clinician let in: the same invitation opened elsewhere waits to be admitted again. Someone waiting
 * is told nothing about the room but whether a clinician is there to let them in, their own admission
 * and its end.
 */
import type { Logger } from '../common/log.ts';
import type { CallGrant } from './tokens.ts';
import {
  createRouter,
  createWebRtcTransport,
  type Consumer,
  type MediaNetwork,
  type Producer,
  type Router,
  type WebRtcTransport,
} from './media.ts';
import type { WorkerPool, WorkerSlot } from './worker-pool.ts';
import {
  CLOSE,
  type ChatMessage,
  type ConsumerInfo,
  type ErrorCode,
  type NotificationName,
  type Notifications,
  type Participant,
  type ProducerInfo,
  type RoomPresence,
  type ResponseData,
  type Source,
  type TransportInfo,
} from './protocol.ts';

export class CallError extends Error {
  override readonly name = 'CallError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How the room reaches a participant's page. */
export interface Link {
  notify<N extends NotificationName>(name: N, data: Notifications[N]): void;
  /** Closes the page's socket (replaced by a newer connection, or the consultation ended). */
  close(code: number, reason: string): void;
}

export interface RoomLimits {
  readonly maxParticipants: number;
}

interface Member {
  readonly grant: CallGrant;
  readonly link: Link;
  /** The tab this member joined from (see SEAT_PATTERN in protocol.ts). Never logged. */
  readonly seat: string;
  readonly transports: Map<string, WebRtcTransport>;
  readonly producers: Map<string, { producer: Producer; source: Source }>;
  readonly consumers: Map<string, Consumer>;
}

const CHAT_KEPT = 200;

/** Transports one participant may hold: a send and a receive one, with room for a renewal each. */
export const MAX_TRANSPORTS_PER_MEMBER = 4;

export class Room {
  readonly id: string;
  readonly patientId: string;
  readonly #pool: WorkerPool;
  readonly #network: MediaNetwork;
  readonly #limits: RoomLimits;
  readonly #log: Logger;
  readonly #members = new Map<string, Member>();
  /** Participant id -> the seat the clinician admitted (clinicians: the seat they joined from). */
  readonly #admittedSeats = new Map<string, string>();
  /** Told who is in the room after each change (sfu/presence-report.ts), with a growing `seq`. */
  readonly #onPresence: (presence: RoomPresence) => void;
  #presenceSeq = 0;
  readonly #chat: ChatMessage[] = [];
  #slot: WorkerSlot | undefined;
  #router: Promise<Router> | undefined;
  #ended = false;
  emptySince: number | undefined;

  constructor(
    id: string,
    patientId: string,
    pool: WorkerPool,
    network: MediaNetwork,
    limits: RoomLimits,
    log: Logger,
    onPresence: (presence: RoomPresence) => void = () => undefined,
  ) {
    this.#onPresence = onPresence;
    this.id = id;
    this.patientId = patientId;
    this.#pool = pool;
    this.#network = network;
    this.#limits = limits;
    this.#log = log.child({ room: id });
    this.emptySince = Date.now();
  }

  get ended(): boolean {
    return this.#ended;
  }

  get size(): number {
    return this.#members.size;
  }

  get slot(): WorkerSlot | undefined {
    return this.#slot;
  }

  isMember(participantId: string, link: Link): boolean {
    return this.#members.get(participantId)?.link === link;
  }

  /**
   * Adds (or, for the same participant, replaces) a member. Clinicians are admitted at once; the
   * others keep their admission only when they come back from the seat that was admitted.
   */
  async join(grant: CallGrant, link: Link, seat: string): Promise<ResponseData['join']> {
    if (this.#ended) throw new CallError('consultation_ended', 'this consultation has ended');
    if (!this.#members.has(grant.participantId) && this.#members.size >= this.#limits.maxParticipants) {
      throw new CallError('room_full', `this consultation already has ${this.#limits.maxParticipants} participants`);
    }
    const router = await this.#ensureRouter(this.#members.has(grant.participantId) ? 0 : 1);
    const previous = this.#members.get(grant.participantId);
    const clinicianWas = this.#clinicianPresent();
    const sawPrevious = previous ? [...this.#members.values()].filter((m) => this.#sees(m, previous)) : [];
    if (previous) {
      this.#removeMember(previous, false);
      if (previous.link !== link) previous.link.close(CLOSE.replaced, 'joined from another page');
    }
    if (grant.role === 'clinician') this.#admittedSeats.set(grant.participantId, seat);
    const member: Member = { grant, link, seat, transports: new Map(), producers: new Map(), consumers: new Map() };
    this.#members.set(grant.participantId, member);
    if (this.#slot) this.#slot.load += 1;
    this.emptySince = undefined;
    const admitted = this.#isAdmitted(member);
    // Back in the waiting room from another seat: those who may not see a waiting person lose sight of them.
    for (const m of sawPrevious)
      if (!this.#sees(m, member)) m.link.notify('participantLeft', { participantId: grant.participantId });
    this.#broadcast('participant', this.#describe(member), (m) => this.#sees(m, member));
    if (!clinicianWas && grant.role === 'clinician') this.#tellWaiting(true);
    this.#log.info({ participant: grant.participantId, role: grant.role, admitted }, 'joined');
    this.#reportPresence();
    return {
      participantId: grant.participantId,
      role: grant.role,
      roomId: this.id,
      admitted,
      clinicianPresent: this.#clinicianPresent(),
      routerRtpCapabilities: { ...router.rtpCapabilities },
      participants: this.#visibleTo(member),
      producers: admitted ? this.#producersFor(member) : [],
      chat: admitted ? [...this.#chat] : [],
    };
  }

  leave(participantId: string, link: Link): void {
    const member = this.#members.get(participantId);
    if (!member || member.link !== link) return;
    this.#removeMember(member, true);
    this.#log.info({ participant: participantId }, 'left');
    this.#reportPresence();
  }

  admit(by: CallGrant, participantId: string): void {
    this.#requireClinician(by);
    const member = this.#members.get(participantId);
    if (!member) throw new CallError('not_found', 'this participant is no longer waiting');
    if (this.#isAdmitted(member)) return;
    this.#admittedSeats.set(participantId, member.seat);
    member.link.notify('admitted', { producers: this.#producersFor(member), participants: this.#visibleTo(member) });
    for (const message of this.#chat) member.link.notify('chat', message);
    this.#broadcast('participant', this.#describe(member), (m) => this.#sees(m, member));
    this.#log.info({ participant: participantId, by: by.participantId }, 'admitted');
    this.#reportPresence();
  }

  requestMute(by: CallGrant, participantId: string): void {
    this.#requireClinician(by);
    const member = this.#members.get(participantId);
    if (!member) throw new CallError('not_found', 'no such participant');
    member.link.notify('muteRequested', {});
  }

  chat(from: CallGrant, text: string, now = Date.now()): void {
    const member = this.#admittedMember(from);
    const message: ChatMessage = {
      participantId: from.participantId,
      displayName: member.grant.displayName,
      text,
      at: now,
    };
    this.#chat.push(message);
    if (this.#chat.length > CHAT_KEPT) this.#chat.shift();
    this.#broadcast('chat', message, (m) => this.#isAdmitted(m));
  }

  endForAll(by: CallGrant): void {
    this.#requireClinician(by);
    this.#ended = true;
    for (const member of [...this.#members.values()]) {
      member.link.notify('ended', { reason: 'ended_by_clinician' });
      this.#removeMember(member, false);
      // The clinician's own socket stays open for the answer to this request.
      if (member.grant.participantId !== by.participantId) member.link.close(CLOSE.ended, 'consultation ended');
    }
    this.#releaseRouter();
    this.#log.info({ by: by.participantId }, 'ended for all');
    this.#reportPresence();
  }

  async createTransport(grant: CallGrant): Promise<TransportInfo> {
    const member = this.#admittedMember(grant);
    // A page needs one transport to send and one to receive; each holds a media port on the worker.
    if (member.transports.size >= MAX_TRANSPORTS_PER_MEMBER) {
      throw new CallError('bad_request', `at most ${MAX_TRANSPORTS_PER_MEMBER} transports per participant`);
    }
    const router = await this.#ensureRouter(0);
    const transport = await createWebRtcTransport(router, this.#network);
    member.transports.set(transport.id, transport);
    return {
      id: transport.id,
      iceParameters: { ...transport.iceParameters },
      iceCandidates: transport.iceCandidates.map((c) => ({ ...c })),
      dtlsParameters: { ...transport.dtlsParameters },
    };
  }

  async connectTransport(
    grant: CallGrant,
    transportId: string,
    dtlsParameters: Record<string, unknown>,
  ): Promise<void> {
    const transport = this.#transport(grant, transportId);
    await this.#media(() => transport.connect({ dtlsParameters: dtlsParameters as never }));
  }

  async restartIce(grant: CallGrant, transportId: string): Promise<{ iceParameters: Record<string, unknown> }> {
    const transport = this.#transport(grant, transportId);
    const iceParameters = await this.#media(() => transport.restartIce());
    return { iceParameters: { ...iceParameters } };
  }

  async produce(
    grant: CallGrant,
    transportId: string,
    kind: 'audio' | 'video',
    rtpParameters: Record<string, unknown>,
    source: Source,
  ): Promise<{ producerId: string }> {
    const member = this.#admittedMember(grant);
    const transport = this.#transport(grant, transportId);
    if ((source === 'mic') !== (kind === 'audio'))
      throw new CallError('bad_request', `a ${source} source cannot be ${kind}`);
    for (const p of member.producers.values()) {
      if (p.source === source) throw new CallError('bad_request', `already sending ${source}`);
    }
    const producer = await this.#media(() =>
      transport.produce({ kind, rtpParameters: rtpParameters as never, appData: { source } }),
    );
    member.producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => {
      member.producers.delete(producer.id);
      this.#broadcast('producerClosed', { producerId: producer.id }, (m) => this.#sees(m, member));
    });
    this.#broadcast('newProducer', this.#producerInfo(member, producer, source), (m) => this.#sees(m, member));
    return { producerId: producer.id };
  }

  closeProducer(grant: CallGrant, producerId: string): void {
    this.#producer(grant, producerId).close();
  }

  async setProducerPaused(grant: CallGrant, producerId: string, paused: boolean): Promise<void> {
    const member = this.#admittedMember(grant);
    const producer = this.#producer(grant, producerId);
    await this.#media(() => (paused ? producer.pause() : producer.resume()));
    this.#broadcast(paused ? 'producerPaused' : 'producerResumed', { producerId }, (m) => this.#sees(m, member));
  }

  async consume(
    grant: CallGrant,
    transportId: string,
    producerId: string,
    rtpCapabilities: Record<string, unknown>,
  ): Promise<ConsumerInfo> {
    const member = this.#admittedMember(grant);
    const transport = this.#transport(grant, transportId);
    const router = await this.#ensureRouter(0);
    const owner = [...this.#members.values()].find((m) => m.producers.has(producerId));
    const produced = owner?.producers.get(producerId);
    if (!owner || !produced || owner === member) throw new CallError('not_found', 'this stream is no longer available');
    if (!router.canConsume({ producerId, rtpCapabilities: rtpCapabilities }))
      throw new CallError('bad_request', 'this browser cannot receive this stream (no common codec)');
    const consumer = await this.#media(() =>
      transport.consume({ producerId, rtpCapabilities: rtpCapabilities, paused: true }),
    );
    member.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => member.consumers.delete(consumer.id));
    return {
      id: consumer.id,
      producerId,
      participantId: owner.grant.participantId,
      kind: consumer.kind,
      source: produced.source,
      rtpParameters: { ...consumer.rtpParameters },
      producerPaused: consumer.producerPaused,
    };
  }

  async resumeConsumer(grant: CallGrant, consumerId: string): Promise<void> {
    const member = this.#admittedMember(grant);
    const consumer = member.consumers.get(consumerId);
    if (!consumer) throw new CallError('not_found', 'no such consumer');
    await this.#media(() => consumer.resume());
  }

  /** The worker under this room died: media is gone; every page joins again and is re-admitted. */
  mediaLost(): void {
    this.#router = undefined;
    this.#slot = undefined;
    for (const member of [...this.#members.values()]) {
      this.#members.delete(member.grant.participantId);
      member.link.notify('rejoin', { reason: 'media_restarted' });
    }
    this.emptySince = Date.now();
    this.#log.warn('media server lost; participants asked to rejoin');
    this.#reportPresence();
  }

  /** Ends everything without notice (server shutdown). */
  close(): void {
    for (const member of [...this.#members.values()]) this.#removeMember(member, false);
    this.#releaseRouter();
  }

  async #ensureRouter(joining: number): Promise<Router> {
    if (this.#slot && !this.#pool.hasSpace(this.#slot, joining)) {
      throw new CallError('server_full', 'the media server is at capacity; try again in a few minutes');
    }
    if (!this.#router) {
      const slot = this.#pool.pick(joining);
      if (!slot) throw new CallError('server_full', 'every media server is at capacity; try again in a few minutes');
      this.#slot = slot;
      this.#router = createRouter(slot.worker).catch((error: unknown) => {
        this.#router = undefined;
        this.#slot = undefined;
        throw new CallError('media_error', `could not prepare the media server: ${String(error)}`);
      });
    }
    return this.#router;
  }

  #releaseRouter(): void {
    const router = this.#router;
    this.#router = undefined;
    this.#slot = undefined;
    void router?.then(
      (r) => r.close(),
      () => undefined,
    );
    this.emptySince = Date.now();
  }

  #removeMember(member: Member, announce: boolean): void {
    const clinicianWas = this.#clinicianPresent();
    this.#members.delete(member.grant.participantId);
    if (this.#slot) this.#slot.load = Math.max(0, this.#slot.load - 1);
    for (const t of member.transports.values()) t.close();
    member.transports.clear();
    if (announce) {
      this.#broadcast('participantLeft', { participantId: member.grant.participantId }, (m) => this.#sees(m, member));
      if (clinicianWas && !this.#clinicianPresent()) this.#tellWaiting(false);
    }
    if (this.#members.size === 0) this.#releaseRouter();
  }

  #reportPresence(): void {
    const participants = [...this.#members.values()].map((m) => ({
      participantId: m.grant.participantId,
      role: m.grant.role,
      admitted: this.#isAdmitted(m),
    }));
    try {
      this.#onPresence({ roomId: this.id, seq: (this.#presenceSeq += 1), participants });
    } catch (error) {
      this.#log.warn({ error: String(error) }, 'presence report failed');
    }
  }

  #clinicianPresent(): boolean {
    for (const m of this.#members.values()) if (m.grant.role === 'clinician') return true;
    return false;
  }

  #tellWaiting(present: boolean): void {
    this.#broadcast('clinicianPresence', { present }, (m) => !this.#isAdmitted(m));
  }

  #requireClinician(grant: CallGrant): void {
    if (grant.role !== 'clinician') throw new CallError('forbidden', 'only the clinician can do this');
    this.#admittedMember(grant);
  }

  #admittedMember(grant: CallGrant): Member {
    const member = this.#members.get(grant.participantId);
    if (!member) throw new CallError('not_joined', 'join the consultation first');
    if (!this.#isAdmitted(member)) throw new CallError('not_admitted', 'waiting for the clinician to let you in');
    return member;
  }

  #isAdmitted(member: Member): boolean {
    return this.#admittedSeats.get(member.grant.participantId) === member.seat;
  }

  /**
   * Whether `viewer` is told about `member` (who is there, their streams, their leaving): someone
   * waiting sees nobody; clinicians see everyone; the others see those admitted.
   */
  #sees(viewer: Member, member: Member): boolean {
    if (viewer === member || !this.#isAdmitted(viewer)) return false;
    return viewer.grant.role === 'clinician' || this.#isAdmitted(member);
  }

  #transport(grant: CallGrant, transportId: string): WebRtcTransport {
    const transport = this.#admittedMember(grant).transports.get(transportId);
    if (!transport) throw new CallError('not_found', 'no such transport');
    return transport;
  }

  #producer(grant: CallGrant, producerId: string): Producer {
    const p = this.#admittedMember(grant).producers.get(producerId);
    if (!p) throw new CallError('not_found', 'no such producer');
    return p.producer;
  }

  /** mediasoup rejects bad parameters by throwing; the page gets the reason, the room carries on. */
  async #media<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof CallError) throw error;
      throw new CallError('media_error', error instanceof Error ? error.message : String(error));
    }
  }

  #describe(member: Member): Participant {
    return {
      participantId: member.grant.participantId,
      role: member.grant.role,
      displayName: member.grant.displayName,
      admitted: this.#isAdmitted(member),
    };
  }

  #visibleTo(viewer: Member): Participant[] {
    return [...this.#members.values()].filter((m) => this.#sees(viewer, m)).map((m) => this.#describe(m));
  }

  #producersFor(viewer: Member): ProducerInfo[] {
    return [...this.#members.values()]
      .filter((m) => this.#sees(viewer, m))
      .flatMap((m) => [...m.producers.values()].map(({ producer, source }) => this.#producerInfo(m, producer, source)));
  }

  #producerInfo(member: Member, producer: Producer, source: Source): ProducerInfo {
    return {
      participantId: member.grant.participantId,
      producerId: producer.id,
      kind: producer.kind,
      source,
      paused: producer.paused,
    };
  }

  #broadcast<N extends NotificationName>(name: N, data: Notifications[N], to: (m: Member) => boolean): void {
    for (const member of this.#members.values()) if (to(member)) member.link.notify(name, data);
  }
}
