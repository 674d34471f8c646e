/**
 * `npm run bench:sfu [-- --max 250 --step 25 --hold 10 --joins 30 --workers N --media 10 --spread 33]`: how many 1:1 video consultations
 * the SFU carries on this machine, and how fast a page sees the other side's first frame.
 *
 * 1. Forwarding: ffmpeg encodes a few seconds of VP8 video (640x480, 30 fps, 600 kb/s) and Opus once;
 *    a generator process replays that RTP in a loop into PlainTransports (lib/rtp-loop.ts), two
 *    participants per consultation, each producing audio and video and consuming the other's.
 *    Consultations are added in steps on the SFU's worker pool (one worker per core); at each step the
 *    workers' CPU (getResourceUsage), the packets received and forwarded, and the generator's own CPU
 *    are measured.
 * 2. Join to first frame: real headless Chromium pages on the real SFU and web service; a patient is in
 *    the call, a clinician page presses "join", and the time to the first rendered frame of the
 *    patient's video is measured, several times.
 * Prints the figures and writes docs/benchmarks/sfu-latest.{json,md}. Not a test: it never fails on
 * a slow machine; it prints the shortfall against the targets.
 */
import { createSocket } from 'node:dgram';
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
import { RtpGenerator, type GeneratorCounters } from './lib/rtp-generator.ts';
import { AUDIO_PT, AUDIO_SSRC, VIDEO_PT, VIDEO_SSRC } from './lib/rtp-loop.ts';

const { values: args } = parseArgs({
  options: {
    max: { type: 'string', default: '250' },
    step: { type: 'string', default: '25' },
    hold: { type: 'string', default: '10' },
    joins: { type: 'string', default: '30' },
    /** Seconds of media encoded once and looped. */
    media: { type: 'string', default: '10' },
    /** Participants' phases spread over this many ms (0: all send each packet at the same moment). */
    spread: { type: 'string', default: '33' },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../docs/benchmarks') },
  },
});
const MAX = Number(args.max);
const STEP = Number(args.step);
const HOLD_S = Number(args.hold);
const JOINS = Number(args.joins);
const WORKERS = Number(args.workers);
const MEDIA_S = Number(args.media);
const SPREAD_MS = Number(args.spread);
const TARGET = { consultations: 250, cpuPercent: 80, firstFrameMs: 400 };

const log = createLogger('bench', 'warn');

interface Participant {
  /** Receives the generator's RTP (comedia: it learns the generator's address from the first packet). */
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
  /** Of the whole machine: what neither the SFU, the generator nor the benchmark used (other processes, softirq). */
  otherCpuPercent: number;
  /** The load generator's process, in % of one core (apart from the SFU's). */
  generatorCpuPercent: number;
  /** This benchmark's own process (creating consultations, reading counters), in % of one core. */
  benchCpuPercent: number;
  /** RTP the generator should have sent per second (the recording's rate times the producing participants). */
  packetsDuePerSec: number;
  /** RTP the generator sent, the SFU's producers received, and its consumers sent, per second. */
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
  const generator = await RtpGenerator.start(MEDIA_S, SPREAD_MS);
  process.stdout.write(`Media: ${generator.description}\n`);
  const consultations: Consultation[] = [];
  const steps: StepResult[] = [];
  let saturated = false;

  const addConsultation = async () => {
    const slot = pool.pick(2)!;
    slot.load += 2;
    const router = await createRouter(slot.worker);
    const participant = async (): Promise<Participant> => {
      const sending = await createPlainTransport(router, '127.0.0.1', true);
      const receiving = await createPlainTransport(router, '127.0.0.1', false);
      await receiving.connect({ ip: '127.0.0.1', port: discardPort });
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
          encodings: [{ ssrc: VIDEO_SSRC }],
        },
      });
      const audio = await sending.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48_000, channels: 2 }],
          encodings: [{ ssrc: AUDIO_SSRC }],
        },
      });
      await generator.addTarget(sending.tuple.localPort);
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
  for (let target = STEP; target <= MAX; target += STEP) {
    while (consultations.length < target) await addConsultation();
    await new Promise((r) => setTimeout(r, 2_000)); // keyframes reach the new consumers
    // Past a step where the SFU forwards less than it receives, or the generator cannot send what
    // it should, more would measure queues, not the SFU. Other people's processes on a shared
    // machine can cause that for a while: such a step is measured again, twice at most.
    const keptUp = (s: StepResult) => s.forwardedRatio >= 0.95 && s.packetsSentPerSec >= 0.95 * s.packetsDuePerSec;
    let step = await measure(pool, generator, consultations, HOLD_S);
    for (let retry = 0; retry < 2 && !keptUp(step); retry += 1) {
      process.stderr.write(
        `${consultations.length} consultations: measured again (forwarded/in ${step.forwardedRatio.toFixed(3)}, generator sent ${((100 * step.packetsSentPerSec) / step.packetsDuePerSec).toFixed(0)} % of its due, other processes ${step.otherCpuPercent.toFixed(0)} % of the machine)\n`,
      );
      step = await measure(pool, generator, consultations, HOLD_S);
    }
    steps.push(step);
    bar.update(consultations.length, { cpu: step.workerCpuPercent.toFixed(0), ratio: step.forwardedRatio.toFixed(3) });
    if (!process.stderr.isTTY)
      process.stderr.write(
        `${consultations.length} consultations: workers ${step.workerCpuPercent.toFixed(0)} % of a core, generator ${step.generatorCpuPercent.toFixed(0)} %, machine ${step.machineCpuPercent.toFixed(0)} %, forwarded/in ${step.forwardedRatio.toFixed(3)}\n`,
      );
    if (!keptUp(step)) {
      saturated = true;
      break;
    }
  }
  bar.stop();
  generator.close();
  pool.close();

  process.stdout.write('\nJoin to first frame in Chromium (real pages, real SFU, loopback)\n');
  const firstFrames = JOINS > 0 ? await measureJoinToFirstFrame(JOINS) : [];
  report(steps, firstFrames, saturated, generator.description);
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

/**
 * Busy and total CPU time of the machine so far (/proc/stat, in clock ticks). Counts softirq and
 * steal, which os.cpus() leaves out: with this much UDP on loopback, softirq is a real share.
 */
function machineCpuMs(): { busy: number; total: number } {
  // cpu  user nice system idle iowait irq softirq steal ...
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

interface Snapshot {
  /** Middle of the time it took to read the counters (they answer slowly when the workers are busy). */
  readonly at: number;
  readonly workerMs: number;
  readonly machine: { busy: number; total: number };
  readonly generator: GeneratorCounters;
  readonly benchMs: number;
  readonly received: number;
  readonly forwarded: number;
}

async function snapshot(
  pool: WorkerPool,
  generator: RtpGenerator,
  producers: readonly Producer[],
  consumers: readonly Consumer[],
): Promise<Snapshot> {
  const start = performance.now();
  const machine = machineCpuMs();
  const self = process.cpuUsage();
  const [cpu, counters, received, forwarded] = await Promise.all([
    Promise.all(pool.slots.map((s) => workerCpuMs(s.worker))),
    generator.counters(),
    sumPackets(producers),
    sumPackets(consumers),
  ]);
  return {
    at: (start + performance.now()) / 2,
    workerMs: cpu.reduce((a, b) => a + b, 0),
    machine,
    generator: counters,
    benchMs: (self.user + self.system) / 1000,
    received,
    forwarded,
  };
}

async function measure(
  pool: WorkerPool,
  generator: RtpGenerator,
  consultations: readonly Consultation[],
  holdS: number,
): Promise<StepResult> {
  const producers = consultations.flatMap((c) => [...c.a.producers, ...c.b.producers]);
  const consumers = consultations.flatMap((c) => c.consumers);
  const a = await snapshot(pool, generator, producers, consumers);
  await new Promise((r) => setTimeout(r, holdS * 1000));
  const b = await snapshot(pool, generator, producers, consumers);
  const ms = b.at - a.at;
  const perSec = (x: number) => (x * 1000) / ms;
  const cores = availableParallelism();
  const workerCpuPercent = ((b.workerMs - a.workerMs) / ms) * 100;
  const generatorCpuPercent = ((b.generator.cpuMs - a.generator.cpuMs) / ms) * 100;
  const benchCpuPercent = ((b.benchMs - a.benchMs) / ms) * 100;
  const machineCpuPercent = ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100;
  if (b.generator.sendErrors > a.generator.sendErrors)
    process.stderr.write(`the generator failed ${b.generator.sendErrors - a.generator.sendErrors} sends\n`);
  return {
    consultations: consultations.length,
    producers: producers.length,
    consumers: consumers.length,
    workerCpuPercent,
    machineCpuPercent,
    otherCpuPercent: Math.max(
      0,
      machineCpuPercent - (workerCpuPercent + generatorCpuPercent + benchCpuPercent) / cores,
    ),
    generatorCpuPercent,
    benchCpuPercent,
    packetsDuePerSec: consultations.length * 2 * generator.packetsPerSecPerTarget,
    packetsSentPerSec: perSec(b.generator.sent - a.generator.sent),
    packetsInPerSec: perSec(b.received - a.received),
    packetsForwardedPerSec: perSec(b.forwarded - a.forwarded),
    // Each producer is consumed once (1:1), so every packet received should be sent once.
    forwardedRatio: b.received > a.received ? (b.forwarded - a.forwarded) / (b.received - a.received) : 0,
  };
}

function report(steps: StepResult[], firstFrames: number[], saturated: boolean, media: string): void {
  const cores = availableParallelism();
  const rows = steps.map(
    (s) =>
      `| ${s.consultations} | ${s.consumers} | ${s.workerCpuPercent.toFixed(1)} | ${(s.workerCpuPercent / cores).toFixed(1)} | ${s.generatorCpuPercent.toFixed(1)} | ${(s.generatorCpuPercent / cores).toFixed(1)} | ${s.benchCpuPercent.toFixed(1)} | ${s.otherCpuPercent.toFixed(1)} | ${s.machineCpuPercent.toFixed(1)} | ${Math.round(s.packetsSentPerSec)} | ${Math.round(s.packetsInPerSec)} | ${Math.round(s.packetsForwardedPerSec)} | ${s.forwardedRatio.toFixed(3)} |`,
  );
  // Only steps where the SFU kept up (it forwarded what it received), so the cost is not underestimated.
  const perStream = steps
    .filter((s) => s.consumers > 0 && s.forwardedRatio >= 0.95)
    .map((s) => s.workerCpuPercent / s.consumers);
  const cpuPerStream = perStream.length ? median(perStream) : null;
  const atTarget = steps.find((s) => s.consultations === TARGET.consultations);
  // Capacity: consultations the workers carry under 80 % of the machine's cores, from the per-stream cost.
  const capacity = cpuPerStream ? Math.floor((TARGET.cpuPercent * cores) / (cpuPerStream * 4)) : null;
  const sorted = [...firstFrames].sort((a, b) => a - b);
  const ff = {
    medianMs: sorted.length ? median(sorted) : null,
    p95Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]! : null,
    samples: sorted,
  };
  const sfuShare = atTarget ? atTarget.workerCpuPercent / cores : 0;
  const last = steps.at(-1);
  const verdicts = [
    atTarget
      ? `${TARGET.consultations} consultations (${atTarget.consumers} consumers): SFU workers use ${sfuShare.toFixed(1)} % of the machine (target < ${TARGET.cpuPercent} %), the load generator ${(atTarget.generatorCpuPercent / cores).toFixed(1)} % apart: ${sfuShare < TARGET.cpuPercent ? 'met' : `SHORT by ${(sfuShare - TARGET.cpuPercent).toFixed(1)} points`}`
      : saturated
        ? `${TARGET.consultations} consultations were not reached: stopped at ${last ? `${last.consultations}, where the SFU forwarded ${last.forwardedRatio.toFixed(3)} of what it received and the generator sent ${((100 * last.packetsSentPerSec) / last.packetsDuePerSec).toFixed(0)} % of its due (machine ${last.machineCpuPercent.toFixed(0)} %, other processes ${last.otherCpuPercent.toFixed(0)} %)` : 'the first step'}`
        : `${TARGET.consultations} consultations were not measured (run with --max ${TARGET.consultations} or more)`,
    atTarget
      ? `${TARGET.consultations} consultations: the SFU forwarded ${atTarget.forwardedRatio.toFixed(3)} of what it received (target ≥ 0.99): ${atTarget.forwardedRatio >= 0.99 ? 'met' : 'SHORT'}`
      : `${TARGET.consultations} consultations: forwarding not measured`,
    ff.medianMs !== null
      ? `first frame: median ${ff.medianMs.toFixed(0)} ms, p95 ${ff.p95Ms!.toFixed(0)} ms (target ≤ ${TARGET.firstFrameMs} ms): ${ff.p95Ms! <= TARGET.firstFrameMs ? 'met' : `SHORT by ${(ff.p95Ms! - TARGET.firstFrameMs).toFixed(0)} ms at p95`}`
      : 'first frame: not measured',
  ];
  const md = [
    '# SFU benchmark',
    '',
    `${new Date().toISOString()} · mediasoup ${mediasoupVersion} · ${WORKERS} worker(s) · ${cores} cores (${cpus()[0]?.model ?? '?'}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · \`npm run bench:sfu\``,
    '',
    "Each 1:1 consultation: two participants, each producing VP8 video (640x480, 30 fps, 600 kb/s) and Opus audio over PlainTransports, each consuming the other's (4 producers, 4 consumers).",
    `Media: ${media}. The load generator is one process on the same machine; its CPU is shown apart, and so are the benchmark's own (creating consultations, reading mediasoup's counters) and what everything else on the machine used.`,
    '',
    '| consultations | consumers | SFU workers, % of a core | SFU workers, % of machine | generator, % of a core | generator, % of machine | benchmark, % of a core | everything else, % of machine | machine CPU % (all) | RTP sent by generator/s | received by SFU/s | forwarded by SFU/s | forwarded / received |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
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
    `${JSON.stringify({ date: new Date().toISOString(), machine: { cores, cpu: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30 }, mediasoup: mediasoupVersion, workers: WORKERS, media, steps, cpuPerStreamPercent: cpuPerStream, capacityConsultations: capacity, firstFrame: ff, targets: TARGET }, null, 2)}\n`,
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
