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
export type PlainTransport = types.PlainTransport;

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
    listenIps: [
      network.announcedIp ? { ip: network.listenIp, announcedIp: network.announcedIp } : { ip: network.listenIp },
    ],
    enableUdp: true,
    enableTcp: true,
    preferUdp: true,
    initialAvailableOutgoingBitrate: 1_000_000,
  });
}

/** Plain RTP (no ICE/DTLS) for RTP from tools such as ffmpeg or GStreamer (benchmarks, recorders). */
export function createPlainTransport(router: Router, ip: string, comedia: boolean): Promise<PlainTransport> {
  return router.createPlainTransport({ listenIp: { ip }, rtcpMux: true, comedia });
}

/**
 * RTP packets a producer received, or a consumer sent, so far (mediasoup's own counters). A consumer's
 * stats also carry its producer's inbound stream, hence the filter on the direction.
 */
export async function packetCount(entity: Producer | Consumer): Promise<number> {
  const stats: Array<{ type: string; packetCount: number }> = await entity.getStats();
  const direction = 'producerId' in entity ? 'outbound-rtp' : 'inbound-rtp';
  return stats.filter((s) => s.type === direction).reduce((sum, s) => sum + s.packetCount, 0);
}

/** CPU time (user + system) the worker has used so far, in milliseconds. */
export async function workerCpuMs(worker: Worker): Promise<number> {
  const usage = await worker.getResourceUsage();
  return usage.ru_utime + usage.ru_stime;
}

export const mediasoupVersion: string = mediasoup.version;
