/**
 * The SFU benchmark's load generator in its own process, so its CPU is read apart from the SFU's and
 * from the benchmark's own control traffic, and its pacing does not stall while the benchmark polls
 * thousands of mediasoup counters. The parent asks it to add targets and to report its counters.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { packetsPerSecond, recordRtp, RtpLoop } from './rtp-loop.ts';

const Request = z.discriminatedUnion('type', [
  z.object({ type: z.literal('add'), id: z.number(), port: z.number().int().min(1).max(65_535) }),
  z.object({ type: z.literal('counters'), id: z.number() }),
]);
const Reply = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    videoPackets: z.number(),
    audioPackets: z.number(),
    packetsPerSec: z.number(),
  }),
  z.object({ type: z.literal('failed'), error: z.string() }),
  z.object({ type: z.literal('done'), id: z.number(), sent: z.number(), sendErrors: z.number() }),
]);
type Reply = z.infer<typeof Reply>;

export interface GeneratorCounters {
  /** RTP datagrams sent so far, over every target. */
  readonly sent: number;
  readonly sendErrors: number;
  /** CPU time (user + system) of the generator process so far. */
  readonly cpuMs: number;
}

export class RtpGenerator {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: Extract<Reply, { type: 'done' }>) => void>();
  #nextId = 0;
  readonly description: string;
  /** RTP packets per second one target gets (video and audio). */
  readonly packetsPerSecPerTarget: number;

  private constructor(child: ChildProcess, description: string, packetsPerSecPerTarget: number) {
    this.#child = child;
    this.description = description;
    this.packetsPerSecPerTarget = packetsPerSecPerTarget;
    child.on('message', (raw) => {
      const reply = Reply.safeParse(raw);
      if (!reply.success || reply.data.type !== 'done') return;
      this.#pending.get(reply.data.id)?.(reply.data);
      this.#pending.delete(reply.data.id);
    });
  }

  /**
   * Starts the process; it records `seconds` of media with ffmpeg, then waits for targets, whose
   * phases it spreads over `spreadMs` (see RtpLoop).
   */
  static async start(seconds: number, spreadMs: number): Promise<RtpGenerator> {
    const child = fork(import.meta.filename, ['--child', String(seconds), String(spreadMs)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [raw] = (await once(child, 'message')) as [unknown];
    const reply = Reply.safeParse(raw);
    if (!reply.success || reply.data.type !== 'ready') {
      child.kill();
      throw new Error(
        `the RTP generator did not start: ${reply.success && reply.data.type === 'failed' ? reply.data.error : 'no answer'}`,
      );
    }
    const { videoPackets, audioPackets, packetsPerSec } = reply.data;
    return new RtpGenerator(
      child,
      `${seconds} s of VP8 (${videoPackets} packets) and Opus (${audioPackets} packets) encoded once by ffmpeg, replayed in a loop to each participant from its own phase (spread over ${spreadMs.toFixed(0)} ms)`,
      packetsPerSec,
    );
  }

  addTarget(port: number): Promise<void> {
    return this.#ask({ type: 'add', port }).then(() => undefined);
  }

  async counters(): Promise<GeneratorCounters> {
    const cpuMs = processCpuMs(this.#child.pid ?? 0);
    const { sent, sendErrors } = await this.#ask({ type: 'counters' });
    return { sent, sendErrors, cpuMs };
  }

  close(): void {
    this.#child.kill();
  }

  #ask(request: { type: 'add'; port: number } | { type: 'counters' }): Promise<Extract<Reply, { type: 'done' }>> {
    const id = (this.#nextId += 1);
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.send({ ...request, id });
    });
  }
}

/** CPU time (user + system) of a process so far, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function child(seconds: number, spreadMs: number): Promise<void> {
  const send = (reply: Reply) => process.send?.(reply);
  let loop: RtpLoop;
  try {
    const recording = await recordRtp(seconds);
    loop = new RtpLoop(recording, { spreadMs });
    send({
      type: 'ready',
      videoPackets: recording.video.packets.length,
      audioPackets: recording.audio.packets.length,
      packetsPerSec: packetsPerSecond(recording.video) + packetsPerSecond(recording.audio),
    });
  } catch (error) {
    send({ type: 'failed', error: String(error) });
    process.exit(1);
  }
  process.on('message', (raw) => {
    const request = Request.safeParse(raw);
    if (!request.success) return;
    const { id } = request.data;
    const done = () => send({ type: 'done', id, sent: loop.packetsSent, sendErrors: loop.sendErrors });
    if (request.data.type === 'add') void loop.addTarget(request.data.port).then(done);
    else done();
  });
  process.on('disconnect', () => {
    loop.close();
    process.exit(0);
  });
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]), Number(process.argv[4]));
