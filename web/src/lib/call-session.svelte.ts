/**
 * One person's side of a consultation: camera preview, signalling, mediasoup-client transports,
 * and recovery (ICE restart when the network blinks; a new socket and a full rejoin when it drops or
 * the media server restarts), all without reloading the page. Components only display its state.
 */
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { SvelteMap } from 'svelte/reactivity';
import { SignallingClient, SignallingError } from './signalling.ts';
import { tabSeat } from './seat.ts';
import { mediaProblem, type MediaProblem } from './media-errors.ts';
import { pageHandler, warmUp } from './rtc-probe.ts';
import { isMessageKey } from './i18n.ts';
import { quality, sampleOf, type Quality, type StatsSample } from './network-quality.ts';
import {
  CLOSE,
  type ChatMessage,
  type ErrorCode,
  type Method,
  type Participant,
  type RequestData,
  type ResponseData,
  type ProducerInfo,
  type Role,
  type Source,
  type TransportInfo,
} from '../../../sfu/protocol.ts';

export type Phase = 'preview' | 'joining' | 'waiting' | 'in-call' | 'reconnecting' | 'ended' | 'left' | 'error';

export interface RemoteStream {
  readonly producerId: string;
  readonly participantId: string;
  readonly kind: 'audio' | 'video';
  readonly source: Source;
  readonly paused: boolean;
  readonly track: MediaStreamTrack | undefined;
}

export interface CallConfig {
  readonly sfuUrl: string;
  readonly roomId: string;
  readonly token: string;
}

/** Refusals that another attempt will not change. */
const FATAL: readonly (ErrorCode | 'closed' | 'timeout')[] = [
  'token_invalid',
  'token_expired',
  'wrong_room',
  'consultation_ended',
  'room_full',
  'forbidden',
];
const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];
const STATS_MS = 2_000;

export class CallSession {
  phase = $state<Phase>('preview');
  problem = $state<MediaProblem | undefined>();
  role = $state<Role | undefined>();
  participantId = $state<string | undefined>();
  participants = $state<Participant[]>([]);
  readonly streams = new SvelteMap<string, RemoteStream>();
  local = $state<MediaStream | undefined>();
  micOn = $state(true);
  camOn = $state(true);
  sharing = $state(false);
  chat = $state<ChatMessage[]>([]);
  network = $state<Quality>('unknown');
  muteRequested = $state(false);
  /** Reconnections done without a page reload (shown to the clinician, read by tests). */
  reconnections = $state(0);
  /** The clinician left (hung up without ending the consultation): the others may wait or leave. */
  clinicianLeft = $state(false);
  /** Waiting, and no clinician is in the room to let this person in (yet, or any more). */
  clinicianAway = $state(false);

  readonly #config: CallConfig;
  /** This tab's seat: every join and rejoin of this page sends the same one. */
  readonly #seat = tabSeat();
  #signal: SignallingClient | undefined;
  #device: Device | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  readonly #producers = new Map<Source, types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  #routerCaps: types.RtpCapabilities | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #lastSample: StatsSample | undefined;
  #recovering = false;
  /** Producers announced before our receive transport existed; consumed as soon as it does. */
  #announced: ProducerInfo[] = [];
  readonly #consuming = new Set<string>();

  constructor(config: CallConfig) {
    this.#config = config;
  }

  /** Opens the camera and microphone for the preview (and later the call). */
  async preview(): Promise<void> {
    this.problem = undefined;
    warmUp();
    try {
      this.local = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: { width: 640, height: 480, frameRate: 24 },
      });
    } catch (error) {
      this.problem = mediaProblem(error, window.isSecureContext);
    }
  }

  async join(): Promise<void> {
    if (this.phase === 'joining' || this.phase === 'in-call' || this.phase === 'waiting') return;
    this.problem = undefined;
    if (!this.local) await this.preview();
    this.phase = 'joining';
    try {
      await this.#connect();
    } catch (error) {
      this.#fail(error);
    }
  }

  async admit(participantId: string): Promise<void> {
    await this.#request('admit', { participantId });
  }

  async askToMute(participantId: string): Promise<void> {
    await this.#request('mute', { participantId });
  }

  async sendChat(text: string): Promise<void> {
    if (text.trim()) await this.#request('chat', { text });
  }

  async setMic(on: boolean): Promise<void> {
    this.micOn = on;
    await this.#setPaused('mic', !on);
  }

  async setCamera(on: boolean): Promise<void> {
    this.camOn = on;
    await this.#setPaused('camera', !on);
  }

  async toggleScreen(): Promise<void> {
    if (this.sharing) return this.#stopScreen();
    if (!this.#send) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      if (error instanceof Error && error.name === 'NotAllowedError') return; // the person cancelled
      this.problem = mediaProblem(error);
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.addEventListener('ended', () => void this.#stopScreen());
    this.#producers.set('screen', await this.#send.produce({ track, appData: { source: 'screen' } }));
    this.sharing = true;
  }

  async hangUp(): Promise<void> {
    await this.#request('leave', {}).catch(() => undefined);
    this.#teardown();
    this.#signal?.close();
    this.#signal = undefined;
    this.#stopLocal();
    this.phase = 'left';
  }

  async endForAll(): Promise<void> {
    await this.#request('endForAll', {});
    this.#teardown();
    this.#stopLocal();
    this.phase = 'ended';
  }

  /** Per received stream: what arrives and what is decoded (for the quality panel and the tests). */
  async receivedStats(): Promise<
    Array<{
      participantId: string;
      source: Source;
      kind: string;
      packetsReceived: number;
      framesDecoded: number;
      frameWidth: number;
      totalSamplesReceived: number;
    }>
  > {
    const out = [];
    for (const [producerId, consumer] of this.#consumers) {
      const stream = this.streams.get(producerId);
      if (!stream || consumer.closed) continue;
      const report = await consumer.getStats();
      // The DOM types an RTCStatsReport's entries as any; each is a plain record of numbers and strings.
      for (const s of report.values() as Iterable<Record<string, unknown>>) {
        if (s.type !== 'inbound-rtp') continue;
        out.push({
          participantId: stream.participantId,
          source: stream.source,
          kind: stream.kind,
          packetsReceived: Number(s.packetsReceived ?? 0),
          framesDecoded: Number(s.framesDecoded ?? 0),
          frameWidth: Number(s.frameWidth ?? 0),
          totalSamplesReceived: Number(s.totalSamplesReceived ?? 0),
        });
      }
    }
    return out;
  }

  async #connect(): Promise<void> {
    const signal = await SignallingClient.open(this.#config.sfuUrl);
    this.#signal = signal;
    this.#listen(signal);
    await this.#joinOn(signal);
  }

  async #joinOn(signal: SignallingClient): Promise<void> {
    performance.mark('vigie:join');
    const joined = await signal.request('join', {
      roomId: this.#config.roomId,
      token: this.#config.token,
      seat: this.#seat,
    });
    performance.mark('vigie:joined');
    this.role = joined.role;
    this.participantId = joined.participantId;
    this.participants = [...joined.participants];
    this.chat = [...joined.chat];
    this.#routerCaps = joined.routerRtpCapabilities; // from our SFU: mediasoup's own structure
    this.clinicianAway = !joined.clinicianPresent;
    if (joined.admitted) await this.#startMedia(joined.producers);
    else this.phase = 'waiting';
  }

  #listen(signal: SignallingClient): void {
    signal.on('participant', (p) => {
      const others = this.participants.filter((x) => x.participantId !== p.participantId);
      this.participants = [...others, p];
      if (p.role === 'clinician') this.clinicianLeft = false;
    });
    signal.on('participantLeft', ({ participantId }) => {
      const gone = this.participants.find((x) => x.participantId === participantId);
      this.participants = this.participants.filter((x) => x.participantId !== participantId);
      if (gone?.role === 'clinician' && !this.participants.some((x) => x.role === 'clinician')) {
        this.clinicianLeft = this.role !== 'clinician';
      }
      for (const [id, s] of this.streams) if (s.participantId === participantId) this.#dropStream(id);
    });
    signal.on('clinicianPresence', ({ present }) => (this.clinicianAway = !present));
    signal.on('admitted', ({ producers, participants }) => {
      this.participants = [...participants];
      void this.#startMedia(producers).catch((error: unknown) => this.#fail(error));
    });
    signal.on('newProducer', (p) => {
      if (!this.#recv) this.#announced.push(p);
      else void this.#consume([p], this.#recv.id);
    });
    signal.on('producerClosed', ({ producerId }) => this.#dropStream(producerId));
    signal.on('producerPaused', ({ producerId }) => this.#markPaused(producerId, true));
    signal.on('producerResumed', ({ producerId }) => this.#markPaused(producerId, false));
    signal.on('chat', (m) => (this.chat = [...this.chat, m]));
    signal.on('muteRequested', () => {
      this.muteRequested = true;
      void this.setMic(false);
    });
    signal.on('ended', () => {
      this.#teardown();
      this.#stopLocal();
      this.phase = 'ended';
    });
    signal.on('rejoin', () => void this.#recover(false));
    signal.onClose((code) => {
      if (signal !== this.#signal) return;
      if (code === CLOSE.ended) {
        this.#teardown();
        this.phase = 'ended';
      } else if (code === CLOSE.replaced) {
        this.#teardown();
        this.problem = { key: 'error.replaced' };
        this.phase = 'error';
      } else if (code === CLOSE.joinTimeout) {
        // The join did not reach the server in time (a frozen tab, a very slow link): say so, and
        // let the person try again rather than loop.
        this.#teardown();
        this.problem = { key: 'error.join_timeout' };
        this.phase = 'error';
      } else if (this.phase === 'in-call' || this.phase === 'waiting' || this.phase === 'joining') {
        void this.#recover(true);
      }
    });
  }

  async #startMedia(producers: readonly ProducerInfo[]): Promise<void> {
    const signal = this.#signal;
    if (!signal || !this.#routerCaps) return;
    const handlerFactory = pageHandler();
    const device = handlerFactory ? new Device({ handlerFactory }) : new Device();
    // The browser's capabilities (probed during the preview) and the server's transports do not
    // depend on each other: ask for both at once.
    const [, sendInfo, recvInfo] = await Promise.all([
      device.load({ routerRtpCapabilities: this.#routerCaps }),
      signal.request('createTransport', { direction: 'send' }),
      signal.request('createTransport', { direction: 'recv' }),
    ]);
    performance.mark('vigie:transports');
    if (signal !== this.#signal) return; // torn down (hung up, ended, reconnecting) meanwhile
    this.#device = device;
    // Seeing and hearing the others first: their streams are set up before our own sending side.
    // The consume requests leave before this page builds its receiving peer connection and draws
    // the call, so the SFU answers them meanwhile.
    const consumed = this.#consume([...producers, ...this.#announced.splice(0)], recvInfo.id);
    const recv = device.createRecvTransport(asTransportOptions(recvInfo));
    this.#recv = recv;
    recv.on('connectionstatechange', (state) => performance.mark(`vigie:recv:${state}`));
    this.#wire(signal, recv);
    this.phase = 'in-call';
    await consumed;
    if (signal !== this.#signal || recv !== this.#recv) return;
    const send = device.createSendTransport(asTransportOptions(sendInfo));
    this.#send = send;
    this.#wire(signal, send);
    send.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
      const source =
        appData.source === 'mic' || appData.source === 'camera' || appData.source === 'screen'
          ? appData.source
          : kind === 'audio'
            ? 'mic'
            : 'camera';
      signal
        .request('produce', { transportId: send.id, kind, rtpParameters: { ...rtpParameters }, source })
        .then(({ producerId }) => done({ id: producerId }), fail);
    });
    const audio = this.local?.getAudioTracks()[0];
    const video = this.local?.getVideoTracks()[0];
    if (video)
      this.#producers.set(
        'camera',
        await send.produce({
          track: video,
          stopTracks: false,
          encodings: SIMULCAST,
          codecOptions: { videoGoogleStartBitrate: 600 },
          appData: { source: 'camera' },
        }),
      );
    if (audio)
      this.#producers.set(
        'mic',
        await send.produce({
          track: audio,
          stopTracks: false,
          codecOptions: { opusFec: true, opusDtx: true },
          appData: { source: 'mic' },
        }),
      );
    if (!this.micOn) await this.#setPaused('mic', true);
    if (!this.camOn) await this.#setPaused('camera', true);
    performance.mark('vigie:producing');
    this.#statsTimer ??= setInterval(() => void this.#measure(), STATS_MS);
  }

  /** DTLS parameters go to the server when the transport first connects; a broken path is repaired. */
  #wire(signal: SignallingClient, transport: types.Transport): void {
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      signal
        .request('connectTransport', { transportId: transport.id, dtlsParameters: { ...dtlsParameters } })
        .then(() => done(), fail);
    });
    transport.on('connectionstatechange', (state) => this.#onTransportState(transport, state));
  }

  /**
   * Consumes the others' producers through the receiving transport `transportId`: every consume
   * request leaves at once, and each consumer is set up (the first one connects the transport) and
   * resumed as soon as its answer comes, which makes the SFU ask its sender for a keyframe. A
   * producer that cannot be consumed is skipped, with a warning.
   */
  async #consume(producers: readonly ProducerInfo[], transportId: string): Promise<void> {
    const signal = this.#signal;
    const device = this.#device;
    if (!signal || !device) return;
    const fresh = producers.filter((p) => !this.streams.has(p.producerId) && !this.#consuming.has(p.producerId));
    for (const p of fresh) this.#consuming.add(p.producerId);
    const rtpCapabilities = { ...device.recvRtpCapabilities };
    await Promise.all(
      fresh.map(async (p) => {
        try {
          const info = await signal.request('consume', { transportId, producerId: p.producerId, rtpCapabilities });
          performance.mark(`vigie:consume:${info.kind}`);
          const recv = this.#recv;
          if (signal !== this.#signal || !recv || recv.id !== transportId) return; // torn down meanwhile
          const consumer = await recv.consume({
            id: info.id,
            producerId: info.producerId,
            kind: info.kind,
            rtpParameters: info.rtpParameters as types.RtpParameters,
          });
          this.#consumers.set(p.producerId, consumer);
          this.streams.set(p.producerId, {
            producerId: p.producerId,
            participantId: info.participantId,
            kind: info.kind,
            source: info.source,
            paused: info.producerPaused,
            track: consumer.track,
          });
          await signal.request('resumeConsumer', { consumerId: info.id });
          performance.mark(`vigie:consuming:${info.kind}`);
        } catch (error) {
          console.warn('consume failed', error);
        } finally {
          this.#consuming.delete(p.producerId);
        }
      }),
    );
  }

  #dropStream(producerId: string): void {
    this.#consumers.get(producerId)?.close();
    this.#consumers.delete(producerId);
    this.streams.delete(producerId);
  }

  #markPaused(producerId: string, paused: boolean): void {
    const s = this.streams.get(producerId);
    if (s) this.streams.set(producerId, { ...s, paused });
  }

  async #setPaused(source: Source, paused: boolean): Promise<void> {
    const track = source === 'mic' ? this.local?.getAudioTracks()[0] : this.local?.getVideoTracks()[0];
    if (track && source !== 'screen') track.enabled = !paused;
    const producer = this.#producers.get(source);
    if (!producer || producer.closed) return;
    if (paused) producer.pause();
    else producer.resume();
    await this.#request(paused ? 'pauseProducer' : 'resumeProducer', { producerId: producer.id }).catch(
      () => undefined,
    );
  }

  async #stopScreen(): Promise<void> {
    const producer = this.#producers.get('screen');
    this.#producers.delete('screen');
    this.sharing = false;
    if (!producer) return;
    producer.track?.stop();
    producer.close();
    await this.#request('closeProducer', { producerId: producer.id }).catch(() => undefined);
  }

  /** ICE restart when the path breaks; a full recovery if that is not enough. */
  #onTransportState(transport: types.Transport, state: string): void {
    if (state !== 'failed' && state !== 'disconnected') return;
    const restart = async () => {
      if (transport.closed || transport.connectionState === 'connected') return;
      try {
        const { iceParameters } = await this.#request('restartIce', { transportId: transport.id });
        await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
      } catch {
        void this.#recover(true);
      }
    };
    // 'disconnected' often heals by itself within a second or two; 'failed' never does.
    if (state === 'failed') void restart();
    else setTimeout(() => void restart(), 2_000);
  }

  /** Lost the socket (newSocket) or the media server: tear down media and join again, with backoff. */
  async #recover(newSocket: boolean): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    this.phase = 'reconnecting';
    this.#teardown();
    for (let attempt = 0; ; attempt += 1) {
      try {
        if (newSocket || !this.#signal || this.#signal.closed) {
          this.#signal?.close();
          await this.#connect();
        } else {
          await this.#joinOn(this.#signal);
        }
        this.reconnections += 1;
        break;
      } catch (error) {
        if (error instanceof SignallingError && FATAL.includes(error.code)) {
          this.#fail(error);
          break;
        }
        newSocket = true;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
      }
    }
    this.#recovering = false;
  }

  async #measure(): Promise<void> {
    if (!this.#recv || this.#recv.closed) return;
    try {
      const reports = [await this.#recv.getStats()];
      if (this.#send && !this.#send.closed) reports.push(await this.#send.getStats());
      const sample = sampleOf(reports);
      this.network = quality(this.#lastSample, sample);
      this.#lastSample = sample;
    } catch {
      this.network = 'unknown';
    }
  }

  #request<M extends Method>(method: M, data: RequestData<M>): Promise<ResponseData[M]> {
    if (!this.#signal) return Promise.reject(new SignallingError('closed', 'not connected'));
    return this.#signal.request(method, data);
  }

  #teardown(): void {
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    this.#lastSample = undefined;
    this.#announced = [];
    this.network = 'unknown';
    for (const c of this.#consumers.values()) c.close();
    this.#consumers.clear();
    this.streams.clear();
    this.#producers.get('screen')?.track?.stop();
    this.#producers.clear();
    this.sharing = false;
    this.#send?.close();
    this.#recv?.close();
    this.#send = undefined;
    this.#recv = undefined;
  }

  #stopLocal(): void {
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.local = undefined;
  }

  #fail(error: unknown): void {
    // A request cut short by a close whose code already explained itself (replaced, join deadline).
    if (this.phase === 'error' && error instanceof SignallingError && error.code === 'closed') return;
    this.#teardown();
    if (error instanceof SignallingError) {
      const key = error.code === 'closed' || error.code === 'timeout' ? 'error.unreachable' : `error.${error.code}`;
      // A code this page does not know: the code itself, never the server's English message.
      this.problem = isMessageKey(key) ? { key } : { key: 'error.other', detail: error.code };
    } else {
      this.problem = { key: 'error.other', detail: error instanceof Error ? error.name : 'unknown' };
    }
    this.phase = 'error';
  }
}

function asTransportOptions(t: TransportInfo): types.TransportOptions {
  // From our SFU: mediasoup's own ICE/DTLS structures, passed through unchanged.
  return {
    id: t.id,
    iceParameters: t.iceParameters as types.IceParameters,
    iceCandidates: t.iceCandidates as types.IceCandidate[],
    dtlsParameters: t.dtlsParameters as types.DtlsParameters,
  };
}
