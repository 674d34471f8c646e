/**
 * Everything that depends on the mediasoup version lives here (codecs, worker settings, transport
 * options), so a later mediasoup 3.x upgrade changes this file and not the rooms. With 3.12+,
 * `listenIps` becomes `listenInfos`; with 3.9+, the worker binary comes prebuilt.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

export type Worker = types.Worker;
export type Router = types.Router;
export type WebRtcTransport = types.WebRtcTransport;
export type Producer = types.Producer;
export type Consumer = types.Consumer;
export type RtpCapabilities = types.RtpCapabilities;

/** Opus for speech (stereo off, FEC on) and VP8 for video, the codecs every browser sends. */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1 } },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90_000, parameters: { 'x-google-start-bitrate': 600 } },
];

export interface MediaNetwork {
  /** Address the worker binds RTP to. */
  readonly listenIp: string;
  /** Address announced to browsers (a public IP behind NAT); none on loopback. */
  readonly announcedIp: string | undefined;
  readonly rtcMinPort: number;
  readonly rtcMaxPort: number;
}

export function createWorker(network: MediaNetwork): Promise<Worker> {
  return mediasoup.createWorker({
    logLevel: 'warn',
    logTags: ['ice', 'dtls', 'rtp', 'srtp', 'rtcp'],
    rtcMinPort: network.rtcMinPort,
    rtcMaxPort: network.rtcMaxPort,
  });
}

export function createRouter(worker: Worker): Promise<Router> {
  return worker.createRouter({ mediaCodecs: MEDIA_CODECS });
}

export function createWebRtcTransport(router: Router, network: MediaNetwork): Promise<WebRtcTransport> {
  return router.createWebRtcTransport({
    listenIps: [network.announcedIp ? { ip: network.listenIp, announcedIp: network.announcedIp } : { ip: network.listenIp }],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
    initialAvailableOutgoingBitrate: 1_000_000,
  });
}

export const mediasoupVersion: string = mediasoup.version;
