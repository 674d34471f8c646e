/**
 * The SFU benchmark's media source: real VP8 and Opus RTP, encoded by ffmpeg once, then replayed in a
 * loop to every producer. A live encode cost the generator 35-60 % of a core, which the SFU then lacked
 * at the top steps; a replay costs only the sends.
 *
 * - `recordRtp()`: ffmpeg encodes a few seconds (keyframe first, then every `gop` frames) as fast as it
 *   can into two loopback sockets; every packet is kept with its RTP timestamp. A gap in the sequence
 *   numbers (a datagram lost on the way in) fails the recording rather than loop a damaged stream.
 * - `RtpLoop`: replays the recording in real time (by RTP timestamp), with sequence numbers and
 *   timestamps carried on across loops so each stream looks continuous to the SFU. Every target gets
 *   the same stream, from its own phase, through its own connected socket: producers on different
 *   transports may share an SSRC (mediasoup matches SSRCs per transport), and a connected socket
 *   skips the address lookup Node's `send()` does per datagram otherwise.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

export const VIDEO_PT = 101;
export const AUDIO_PT = 100;
export const VIDEO_SSRC = 11_111_111;
export const AUDIO_SSRC = 22_222_222;

interface RecordedPacket {
  /** Offset from the stream's first packet, in ms (from the RTP timestamp). */
  readonly atMs: number;
  /** The packet as ffmpeg sent it; its sequence number and timestamp are rewritten per loop. */
  readonly bytes: Buffer;
  readonly timestamp: number;
}

export interface RecordedStream {
  readonly kind: 'video' | 'audio';
  readonly clockRate: number;
  readonly packets: readonly RecordedPacket[];
  /** One loop, in RTP ticks: from the first timestamp to one frame past the last. */
  readonly periodTicks: number;
}

/** RTP packets per second of a stream, over its loop. */
export function packetsPerSecond(stream: RecordedStream): number {
  return stream.packets.length / (stream.periodTicks / stream.clockRate);
}

export interface Recording {
  readonly video: RecordedStream;
  readonly audio: RecordedStream;
}

/** Encodes `seconds` of a test picture (640x480, 30 fps, VP8 600 kb/s) and a tone (Opus 32 kb/s). */
export async function recordRtp(seconds: number, gop = 60): Promise<Recording> {
  const video = await listen();
  const audio = await listen();
  const packets = { video: [] as Buffer[], audio: [] as Buffer[] };
  video.on('message', (m) => packets.video.push(m));
  audio.on('message', (m) => packets.audio.push(m));
  const ffmpeg = spawn(
    'ffmpeg',
    // prettier-ignore
    [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'lavfi', '-i', `testsrc=size=640x480:rate=30:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-map', '0:v', '-c:v', 'libvpx', '-b:v', '600k', '-deadline', 'realtime', '-cpu-used', '8', '-g', String(gop),
      '-ssrc', String(VIDEO_SSRC), '-payload_type', String(VIDEO_PT), '-f', 'rtp', `rtp://127.0.0.1:${video.address().port}?pkt_size=1200`,
      '-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-ac', '2',
      '-ssrc', String(AUDIO_SSRC), '-payload_type', String(AUDIO_PT), '-f', 'rtp', `rtp://127.0.0.1:${audio.address().port}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.once('exit', resolve);
    ffmpeg.once('error', (error) => reject(new Error(`cannot run ffmpeg (${error.message}); run: npm run setup`)));
  });
  const code = await exited;
  // The last datagrams may still be in the sockets' queues: let the event loop drain them.
  await new Promise((r) => setTimeout(r, 200));
  video.close();
  audio.close();
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} while encoding the test media`);
  return {
    video: toStream('video', 90_000, packets.video),
    audio: toStream('audio', 48_000, packets.audio),
  };
}

async function listen(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 * 2 ** 20 });
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

function toStream(kind: 'video' | 'audio', clockRate: number, raw: readonly Buffer[]): RecordedStream {
  // Only RTP (version 2, our payload type): ffmpeg also sends RTCP sender reports on the same port.
  const pt = kind === 'video' ? VIDEO_PT : AUDIO_PT;
  const rtp = raw.filter((b) => b.length > 12 && b[0]! >> 6 === 2 && (b[1]! & 0x7f) === pt);
  if (rtp.length < 2) throw new Error(`ffmpeg sent no ${kind} RTP`);
  for (let i = 1; i < rtp.length; i += 1) {
    const expected = (rtp[i - 1]!.readUInt16BE(2) + 1) & 0xffff;
    if (rtp[i]!.readUInt16BE(2) !== expected) throw new Error(`${kind} RTP recording lost a packet; run again`);
  }
  const first = rtp[0]!.readUInt32BE(4);
  const timestamps = rtp.map((b) => (b.readUInt32BE(4) - first) >>> 0);
  const distinct = [...new Set(timestamps)];
  const steps = distinct.slice(1).map((t, i) => t - distinct[i]!);
  const frameTicks = steps.sort((a, b) => a - b)[Math.floor(steps.length / 2)] ?? 0;
  return {
    kind,
    clockRate,
    packets: rtp.map((bytes, i) => ({ atMs: (timestamps[i]! * 1000) / clockRate, bytes, timestamp: timestamps[i]! })),
    periodTicks: distinct.at(-1)! + frameTicks,
  };
}

interface Cursor {
  readonly stream: RecordedStream;
  /** Next packet of the recording, and how many times the recording was played through. */
  next: number;
  loop: number;
  seq: number;
}

interface Target {
  readonly socket: Socket;
  /** This participant's phase: when its recording started, so participants do not send in step. */
  readonly startedAt: number;
  readonly cursors: readonly Cursor[];
}

/**
 * Replays a recording to every target, in real time, until closed. Each target starts at its own
 * moment, spread over `spreadMs`, as independent browsers would: were every target sent the same
 * packet at once, the SFU would find hundreds of datagrams per wake-up and look cheaper than it is.
 */
export class RtpLoop {
  readonly #recording: Recording;
  readonly #spreadMs: number;
  readonly #targets: Target[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;
  #errors = 0;

  constructor(recording: Recording, options: { tickMs?: number; spreadMs?: number } = {}) {
    this.#recording = recording;
    this.#spreadMs = options.spreadMs ?? 1_000 / 30;
    this.#timer = setInterval(() => this.#tick(), options.tickMs ?? 1);
  }

  /** RTP packets sent so far, summed over targets. */
  get packetsSent(): number {
    return this.#sent;
  }

  /** Sends that failed (the kernel refused a datagram): should stay 0, or the load is not what it says. */
  get sendErrors(): number {
    return this.#errors;
  }

  /** Starts sending to a PlainTransport listening on `port` (comedia: it learns our address from the first packet). */
  async addTarget(port: number): Promise<void> {
    const socket = createSocket({ type: 'udp4', sendBufferSize: 2 ** 20 });
    socket.on('error', () => (this.#errors += 1));
    // RTCP comes back (receiver reports, keyframe requests); a listener keeps Node from buffering it.
    socket.on('message', () => undefined);
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // A golden-ratio sequence spreads the phases evenly whatever the number of targets.
    const phase = ((this.#targets.length * 0.618_034) % 1) * this.#spreadMs;
    this.#targets.push({
      socket,
      startedAt: performance.now() + phase,
      cursors: [this.#recording.video, this.#recording.audio].map((stream) => ({
        stream,
        next: 0,
        loop: 0,
        seq: stream.packets[0]!.bytes.readUInt16BE(2),
      })),
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#targets) t.socket.close();
    this.#targets.length = 0;
  }

  #tick(): void {
    const now = performance.now();
    for (const target of this.#targets) {
      const elapsed = now - target.startedAt;
      for (const c of target.cursors) {
        const periodMs = (c.stream.periodTicks * 1000) / c.stream.clockRate;
        for (;;) {
          const packet = c.stream.packets[c.next]!;
          if (c.loop * periodMs + packet.atMs > elapsed) break;
          // A copy per datagram: send() may still hold it after this tick.
          const bytes = Buffer.from(packet.bytes);
          const first = c.stream.packets[0]!.bytes.readUInt32BE(4);
          bytes.writeUInt16BE(c.seq, 2);
          bytes.writeUInt32BE((first + c.loop * c.stream.periodTicks + packet.timestamp) >>> 0, 4);
          c.seq = (c.seq + 1) & 0xffff;
          target.socket.send(bytes);
          this.#sent += 1;
          c.next += 1;
          if (c.next === c.stream.packets.length) {
            c.next = 0;
            c.loop += 1;
          }
        }
      }
    }
  }
}
