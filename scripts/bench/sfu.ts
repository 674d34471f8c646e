/**
 * `npm run bench:sfu [-- --max 200 --step 25 --hold 10 --joins 10 --workers N]`: how many 1:1 video consultations
 * the SFU carries on this machine, and how fast a page sees the other side's first frame.
 *
 * 1. Forwarding: ffmpeg encodes one VP8 video (640x480, 30 fps, 600 kb/s) and one Opus stream as RTP;
 *    a relay copies them (new SSRC per copy) into PlainTransports, two participants per consultation,
 *    each producing audio and video and consuming the other's. Consultations are added in steps on
 *    the SFU's worker pool (one worker per core); at each step the workers' CPU (getResourceUsage),
 *    the packets forwarded and the relay's own CPU are measured.
 * 2. Join to first frame: real headless Chromium pages on the real SFU and web service; a patient is in
 *    the call, a clinician page presses "join", and the time to the first rendered frame of the
 *    patient's video is measured, several times.
 * Prints the figures and writes docs/benchmarks/sfu-latest.{json,md}. Not a test: it never fails on
 * a slow machine; it prints the shortfall against the targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { createLogger } from '../../common/log.ts';
import {
  createPlainTransport,
  createRouter,
  packetCount,
  workerCpuMs,
  mediasoupVersion,
  type Consumer,
  type PlainTransport,
  type Producer,
  type Router,
} from '../../sfu/media.ts';
import { WorkerPool, type WorkerSlot } from '../../sfu/worker-pool.ts';
import { measureJoinToFirstFrame } from './first-frame.ts';

const { values: args } = parseArgs({
  options: {
    max: { type: 'string', default: '200' },
    step: { type: 'string', default: '25' },
    hold: { type: 'string', default: '10' },
    joins: { type: 'string', default: '10' },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../docs/benchmarks') },
  },
});
const MAX = Number(args.max);
const STEP = Number(args.step);
const HOLD_S = Number(args.hold);
const JOINS = Number(args.joins);
const WORKERS = Number(args.workers);
const TARGET = { consultations: 100, cpuPercent: 80, firstFrameMs: 1_000 };
const VIDEO_PT = 101;
const AUDIO_PT = 100;

const log = createLogger('bench', 'warn');

interface Participant {
  /** Receives the relay's RTP (comedia: it learns the relay's address from the first packet). */
  readonly sending: PlainTransport;
  /** Sends what this participant consumes to a closed port: the kernel discards it. */
  readonly receiving: PlainTransport;
  readonly producers: readonly Producer[];
}
interface Consultation {
  readonly slot: WorkerSlot;
  readonly router: Router;
  readonly a: Participant;
  readonly b: Participant;
  readonly consumers: readonly Consumer[];
}
interface StepResult {
  consultations: number;
  producers: number;
  consumers: number;
  /** Sum over workers, in % of one core. */
  workerCpuPercent: number;
  /** Of the whole machine (all cores), including the load generator. */
  machineCpuPercent: number;
  relayCpuPercent: number;
  ffmpegCpuPercent: number;
  /** RTP the relay sent, the SFU's producers received, and its consumers sent, per second. */
  packetsSentPerSec: number;
  packetsInPerSec: number;
  packetsForwardedPerSec: number;
  forwardedRatio: number;
}

async function main(): Promise<void> {
  process.stdout.write(
    `Vigie SFU benchmark: mediasoup ${mediasoupVersion}, ${WORKERS} worker(s), ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
  );
  const pool = await WorkerPool.create({
    count: WORKERS,
    network: { listenIp: '127.0.0.1', announcedIp: undefined, rtcMinPort: 40_000, rtcMaxPort: 49_999 },
    maxParticipantsPerWorker: 100_000,
    logger: log,
  });
  const discardPort = await closedUdpPort();
  const relay = await startRelay();
  const ffmpeg = startFfmpeg(relay.videoPort, relay.audioPort);
  const consultations: Consultation[] = [];
  const steps: StepResult[] = [];
  let saturated = false;
  let ssrc = 10_000;

  const addConsultation = async () => {
    const slot = pool.pick(2)!;
    slot.load += 2;
    const router = await createRouter(slot.worker);
    const participant = async (): Promise<Participant> => {
      const sending = await createPlainTransport(router, '127.0.0.1', true);
      const receiving = await createPlainTransport(router, '127.0.0.1', false);
      await receiving.connect({ ip: '127.0.0.1', port: discardPort });
      const videoSsrc = ssrc++;
      const audioSsrc = ssrc++;
      const video = await sending.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [
            {
              mimeType: 'video/VP8',
              payloadType: VIDEO_PT,
              clockRate: 90_000,
              rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
            },
          ],
          encodings: [{ ssrc: videoSsrc }],
        },
      });
      const audio = await sending.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48_000, channels: 2 }],
          encodings: [{ ssrc: audioSsrc }],
        },
      });
      relay.targets.push({ port: sending.tuple.localPort, videoSsrc, audioSsrc });
      return { sending, receiving, producers: [video, audio] };
    };
    const a = await participant();
    const b = await participant();
    // Each side consumes the other's audio and video.
    const consumers: Consumer[] = [];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const producer of from.producers)
        consumers.push(
          await to.receiving.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities }),
        );
    }
    consultations.push({ slot, router, a, b, consumers });
  };

  const bar = new SingleBar(
    {
      format: 'forwarding {bar} {value}/{total} consultations | workers {cpu}% of a core | forwarded {ratio}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(MAX, 0, { cpu: 0, ratio: '-' });
  await new Promise((r) => setTimeout(r, 2_000)); // ffmpeg warms up
  for (let target = STEP; target <= MAX; target += STEP) {
    while (consultations.length < target) await addConsultation();
    await new Promise((r) => setTimeout(r, 2_000)); // keyframes reach the new consumers
    const step = await measure(pool, relay, ffmpeg, consultations, HOLD_S);
    steps.push(step);
    bar.update(consultations.length, { cpu: step.workerCpuPercent.toFixed(0), ratio: step.forwardedRatio.toFixed(3) });
    if (!process.stderr.isTTY)
      process.stderr.write(
        `${consultations.length} consultations: workers ${step.workerCpuPercent.toFixed(0)} % of a core, forwarded/in ${step.forwardedRatio.toFixed(3)}\n`,
      );
    if (step.machineCpuPercent > 97) {
      saturated = true; // more would measure the queue, not the SFU
      break;
    }
  }
  bar.stop();
  ffmpeg.kill('SIGINT');
  relay.close();
  pool.close();

  process.stdout.write('\nJoin to first frame in Chromium (real pages, real SFU, loopback)\n');
  const firstFrames = await measureJoinToFirstFrame(JOINS);
  report(steps, firstFrames, saturated);
}

interface Relay {
  readonly videoPort: number;
  readonly audioPort: number;
  readonly targets: Array<{ port: number; videoSsrc: number; audioSsrc: number }>;
  packetsSent(): number;
  cpuMs(): number;
  close(): void;
}

/** Copies each RTP packet from ffmpeg to every producer, rewriting the SSRC (bytes 8-11). */
async function startRelay(): Promise<Relay> {
  const targets: Relay['targets'] = [];
  const out = createSocket('udp4');
  let packetsSent = 0;
  const listen = async (kind: 'video' | 'audio'): Promise<Socket> => {
    const s = createSocket('udp4');
    s.on('message', (packet) => {
      for (const t of targets) {
        const copy = Buffer.from(packet); // send() is asynchronous: each copy keeps its own SSRC
        copy.writeUInt32BE(kind === 'video' ? t.videoSsrc : t.audioSsrc, 8);
        out.send(copy, t.port, '127.0.0.1');
        packetsSent += 1;
      }
    });
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    return s;
  };
  const video = await listen('video');
  const audio = await listen('audio');
  return {
    videoPort: video.address().port,
    audioPort: audio.address().port,
    targets,
    packetsSent: () => packetsSent,
    cpuMs: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
    close: () => {
      video.close();
      audio.close();
      out.close();
    },
  };
}

/** A loopback UDP port nobody listens on. */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  s.close();
  return port;
}

async function sumPackets(entities: Iterable<Producer | Consumer>): Promise<number> {
  const counts = await Promise.all([...entities].map((e) => packetCount(e).catch(() => 0)));
  return counts.reduce((a, b) => a + b, 0);
}

function startFfmpeg(videoPort: number, audioPort: number): ChildProcess {
  const child = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x480:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-map',
      '0:v',
      '-c:v',
      'libvpx',
      '-b:v',
      '600k',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-g',
      '60',
      '-ssrc',
      '11111111',
      '-payload_type',
      String(VIDEO_PT),
      '-f',
      'rtp',
      `rtp://127.0.0.1:${videoPort}?pkt_size=1200`,
      '-map',
      '1:a',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      '-ac',
      '2',
      '-ssrc',
      '22222222',
      '-payload_type',
      String(AUDIO_PT),
      '-f',
      'rtp',
      `rtp://127.0.0.1:${audioPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  child.on('error', (error) => {
    process.stderr.write(`cannot run ffmpeg (${error.message}); run: npm run setup\n`);
    process.exit(1);
  });
  return child;
}

function processCpuMs(pid: number): number {
  try {
    // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second here).
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

interface Snapshot {
  /** Middle of the time it took to read the counters (they answer slowly when the workers are busy). */
  readonly at: number;
  readonly workerMs: number;
  readonly machine: { busy: number; total: number };
  readonly relayMs: number;
  readonly ffmpegMs: number;
  readonly relaySent: number;
  readonly received: number;
  readonly forwarded: number;
}

async function snapshot(
  pool: WorkerPool,
  relay: Relay,
  ffmpeg: ChildProcess,
  producers: readonly Producer[],
  consumers: readonly Consumer[],
): Promise<Snapshot> {
  const start = performance.now();
  const machine = machineCpuMs();
  const relayMs = relay.cpuMs();
  const ffmpegMs = processCpuMs(ffmpeg.pid ?? 0);
  const relaySent = relay.packetsSent();
  const [cpu, received, forwarded] = await Promise.all([
    Promise.all(pool.slots.map((s) => workerCpuMs(s.worker))),
    sumPackets(producers),
    sumPackets(consumers),
  ]);
  return {
    at: (start + performance.now()) / 2,
    workerMs: cpu.reduce((a, b) => a + b, 0),
    machine,
    relayMs,
    ffmpegMs,
    relaySent,
    received,
    forwarded,
  };
}

async function measure(
  pool: WorkerPool,
  relay: Relay,
  ffmpeg: ChildProcess,
  consultations: readonly Consultation[],
  holdS: number,
): Promise<StepResult> {
  const producers = consultations.flatMap((c) => [...c.a.producers, ...c.b.producers]);
  const consumers = consultations.flatMap((c) => c.consumers);
  const a = await snapshot(pool, relay, ffmpeg, producers, consumers);
  await new Promise((r) => setTimeout(r, holdS * 1000));
  const b = await snapshot(pool, relay, ffmpeg, producers, consumers);
  const ms = b.at - a.at;
  const perSec = (x: number) => (x * 1000) / ms;
  return {
    consultations: consultations.length,
    producers: producers.length,
    consumers: consumers.length,
    workerCpuPercent: ((b.workerMs - a.workerMs) / ms) * 100,
    machineCpuPercent: ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100,
    relayCpuPercent: ((b.relayMs - a.relayMs) / ms) * 100,
    ffmpegCpuPercent: ((b.ffmpegMs - a.ffmpegMs) / ms) * 100,
    packetsSentPerSec: perSec(b.relaySent - a.relaySent),
    packetsInPerSec: perSec(b.received - a.received),
    packetsForwardedPerSec: perSec(b.forwarded - a.forwarded),
    // Each producer is consumed once (1:1), so every packet received should be sent once.
    forwardedRatio: b.received > a.received ? (b.forwarded - a.forwarded) / (b.received - a.received) : 0,
  };
}

function report(steps: StepResult[], firstFrames: number[], saturated: boolean): void {
  const cores = availableParallelism();
  const rows = steps.map(
    (s) =>
      `| ${s.consultations} | ${s.consumers} | ${s.workerCpuPercent.toFixed(1)} | ${(s.workerCpuPercent / cores).toFixed(1)} | ${s.machineCpuPercent.toFixed(1)} | ${s.relayCpuPercent.toFixed(1)} | ${s.ffmpegCpuPercent.toFixed(1)} | ${Math.round(s.packetsSentPerSec)} | ${Math.round(s.packetsInPerSec)} | ${Math.round(s.packetsForwardedPerSec)} | ${s.forwardedRatio.toFixed(3)} |`,
  );
  // Only steps where the SFU kept up (it forwarded what it received), so the cost is not underestimated.
  const perStream = steps
    .filter((s) => s.consumers > 0 && s.forwardedRatio >= 0.95)
    .map((s) => s.workerCpuPercent / s.consumers);
  const cpuPerStream = perStream.length ? median(perStream) : null;
  const at100 = steps.find((s) => s.consultations === TARGET.consultations);
  // Capacity: consultations the workers carry under 80 % of the machine's cores, from the per-stream cost.
  const capacity = cpuPerStream ? Math.floor((TARGET.cpuPercent * cores) / (cpuPerStream * 4)) : null;
  const sorted = [...firstFrames].sort((a, b) => a - b);
  const ff = {
    medianMs: sorted.length ? median(sorted) : null,
    p95Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]! : null,
    samples: sorted,
  };
  const verdicts = [
    at100
      ? `100 consultations: SFU workers use ${(at100.workerCpuPercent / cores).toFixed(1)} % of the machine (target < ${TARGET.cpuPercent} %): ${at100.workerCpuPercent / cores < TARGET.cpuPercent ? 'met' : `SHORT by ${(at100.workerCpuPercent / cores - TARGET.cpuPercent).toFixed(1)} points`}`
      : saturated
        ? `100 consultations were not reached: the machine saturated at ${steps.at(-1)?.consultations ?? 0} (load generator included)`
        : `100 consultations were not measured (run with --max 100 or more)`,
    ff.medianMs !== null
      ? `first frame: median ${ff.medianMs.toFixed(0)} ms, p95 ${ff.p95Ms!.toFixed(0)} ms (target ≤ ${TARGET.firstFrameMs} ms): ${ff.p95Ms! <= TARGET.firstFrameMs ? 'met' : `SHORT by ${(ff.p95Ms! - TARGET.firstFrameMs).toFixed(0)} ms at p95`}`
      : 'first frame: not measured',
  ];
  const md = [
    '# SFU benchmark',
    '',
    `${new Date().toISOString()} · mediasoup ${mediasoupVersion} · ${WORKERS} worker(s) · ${cores} cores (${cpus()[0]?.model ?? '?'}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · \`npm run bench:sfu\``,
    '',
    "Each 1:1 consultation: two participants, each producing VP8 video (640x480, 30 fps, 600 kb/s) and Opus audio over PlainTransports, each consuming the other's (4 producers, 4 consumers). The load generator (ffmpeg and the RTP relay) runs on the same machine and its CPU is shown apart.",
    '',
    '| consultations | consumers | SFU workers, % of a core | SFU workers, % of machine | machine CPU % (all) | relay % of a core | ffmpeg % of a core | RTP sent by relay/s | received by SFU/s | forwarded by SFU/s | forwarded / received |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `CPU per forwarded stream (median): ${cpuPerStream?.toFixed(3) ?? '-'} % of a core. Estimated capacity under ${TARGET.cpuPercent} % of this machine: ${capacity ?? '-'} consultations.`,
    '',
    `Join to first frame (Chromium, loopback, ${sorted.length} joins): median ${ff.medianMs?.toFixed(0) ?? '-'} ms, p95 ${ff.p95Ms?.toFixed(0) ?? '-'} ms; samples ${sorted.map((x) => x.toFixed(0)).join(', ')} ms.`,
    '',
    ...verdicts.map((v) => `- ${v}`),
    '',
  ].join('\n');
  process.stdout.write(`\n${md}\n`);
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'sfu-latest.md'), md);
  writeFileSync(
    join(args.out, 'sfu-latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine: { cores, cpu: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30 }, mediasoup: mediasoupVersion, workers: WORKERS, steps, cpuPerStreamPercent: cpuPerStream, capacityConsultations: capacity, firstFrame: ff, targets: TARGET }, null, 2)}\n`,
  );
  process.stdout.write(`written: ${join(args.out, 'sfu-latest.md')} and sfu-latest.json\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

await main();
process.exit(0);
