/**
 * `npm run bench [-- --parts fleet,broker,ingest --watches 20000 --seconds 600 ...]`: the
 * platform's figures on this machine, measured on the whole path with simulated watches; printed,
 * and saved under docs/benchmarks/ as latest.json, latest.md and latest-fleet.png (a chart of the
 * fleet run). Machines are noisy: compared configurations run interleaved in one run, and medians
 * and ratios are reported. Not a test: a target that is not reached is printed as a shortfall.
 *
 * Parts (all by default):
 *   fleet    `--watches` watches taking a reading a second and uploading every `--batch-seconds` (QoS 1)
 *            for `--seconds`: connect rate, readings stored per second, held back, lost, CPU and
 *            memory per process; alert latency under that load and with InfluxDB stopped (for at
 *            least `--outage-seconds`, its falls spread over it); then an overload phase of
 *            `--overload-seconds`, every watch in live mode
 *   broker   Vigie's broker against stock aedes and Mosquitto under the same client load
 *   ingest   points/s into InfluxDB through the ingest against raw line-protocol writes
 *   least-path  the same for the least device path (least-path.ts): the most any path reaches here
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MultiBar, Presets } from 'cli-progress';
import { benchBrokers, type BrokerBenchResult } from './broker.ts';
import { benchFleet, GENERATOR_NICENESS, type AlertStages, type FleetBenchResult } from './fleet.ts';
import { INFLUXD_NICENESS } from '../../common/influxd.ts';
import { benchIngest, type IngestBenchResult } from './ingest.ts';
import { benchLeastPath, type LeastPathResult } from './least-path.ts';
import { ingestShortfalls, rawRange } from './lib/ingest-verdict.ts';
import { percentile } from './lib/alert-stages.ts';
import { renderChart } from './lib/chart.ts';
import type { RuntimeSummary } from './lib/runtime-sampler.ts';

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'fleet,broker,ingest,least-path' },
    watches: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '600' },
    'batch-seconds': { type: 'string', default: '10' },
    'overload-seconds': { type: 'string', default: '120' },
    'alerts-in-overload': { type: 'string', default: '100' },
    'connect-rate': { type: 'string', default: '500' },
    alerts: { type: 'string', default: '200' },
    'alerts-without-db': { type: 'string', default: '50' },
    'outage-seconds': { type: 'string', default: '0' },
    publishers: { type: 'string', default: '100' },
    window: { type: 'string', default: '10' },
    'round-seconds': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'samples-per-message': { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '5000' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../docs/benchmarks') },
  },
});
const PARTS = ['fleet', 'broker', 'ingest', 'least-path'];
/** How the fleet's process table names a process, with its scheduling priority where it gives way. */
const PROCESS_LABELS: Record<string, string> = {
  bench: `load generator (this benchmark, at nice ${GENERATOR_NICENESS})`,
  influxd: `influxd (at nice ${INFLUXD_NICENESS})`,
};
const parts = new Set(args.parts.split(','));
const unknownParts = [...parts].filter((p) => !PARTS.includes(p));
if (unknownParts.length > 0)
  throw new Error(`unknown --parts ${unknownParts.join(', ')}: the parts are ${PARTS.join(', ')}`);
const TARGET = {
  fleetBrokerRssMiB: 1536,
  alertP99Ms: 250,
  overloadAlertP99Ms: 1000,
  ingestShareOfRaw: 0.8,
  brokerToAedes: 1.0,
  minWatches: 19_000,
};

// Without a terminal (a log file, CI) the bars are printed every 10 s instead of redrawn.
const bars = new MultiBar(
  {
    format: '{part} {bar} {percentage}% | {status}',
    hideCursor: true,
    clearOnComplete: false,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  },
  Presets.shades_classic,
);
const round = (x: number | null | undefined, d = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d;

/** A progress bar for a part that reports (done, total, what it is doing). */
function partBar(part: string): (done: number, total: number, label: string) => void {
  const bar = bars.create(1, 0, { part, status: 'starting' });
  return (done, total, label) => {
    bar.setTotal(total);
    bar.update(done, { part, status: label });
  };
}
const loadOptions = {
  publishers: Number(args.publishers),
  window: Number(args.window),
  seconds: Number(args['round-seconds']),
  rounds: Number(args.rounds),
};

let fleet: FleetBenchResult | undefined;
let broker: BrokerBenchResult | undefined;
let ingest: IngestBenchResult | undefined;
let leastPath: LeastPathResult | undefined;
const failed: Record<string, string> = {};
/** Runs a part; a part that fails is reported with its error, and the others still run. */
async function part(name: string, run: () => Promise<void>): Promise<void> {
  if (!parts.has(name)) return;
  try {
    await run();
  } catch (error) {
    failed[name] = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
  await writeReport(); // after every part: a later failure loses nothing measured
}

try {
  await part('broker', async () => {
    broker = await benchBrokers({ ...loadOptions, progress: partBar('broker') });
  });
  await part('ingest', async () => {
    ingest = await benchIngest({
      ...loadOptions,
      publishers: 20,
      samplesPerMessage: Number(args['samples-per-message']),
      batchSize: Number(args['batch-size']),
      targetShare: TARGET.ingestShareOfRaw,
      progress: partBar('ingest'),
    });
  });
  await part('least-path', async () => {
    leastPath = await benchLeastPath({
      rounds: loadOptions.rounds,
      seconds: loadOptions.seconds,
      progress: partBar('least-path'),
    });
  });
  await part('fleet', async () => {
    const seconds = Number(args.seconds);
    const bar = bars.create(seconds, 0, { part: 'fleet ', status: 'starting' });
    const t0 = Date.now();
    fleet = await benchFleet({
      watches: Number(args.watches),
      seconds,
      batchSeconds: Number(args['batch-seconds']),
      overloadSeconds: Number(args['overload-seconds']),
      connectRate: Number(args['connect-rate']),
      alerts: Number(args.alerts),
      alertsWithoutDb: Number(args['alerts-without-db']),
      outageSeconds: Number(args['outage-seconds']),
      alertsInOverload: Number(args['alerts-in-overload']),
      status: (status) =>
        bar.update(Math.min(seconds, Math.round((Date.now() - t0) / 1000)), { part: 'fleet ', status }),
    });
    bar.update(seconds, { part: 'fleet ', status: 'done' });
  });
} finally {
  bars.stop();
}
const final = await writeReport();
process.stdout.write(`\n${final.md}\n`);
for (const s of final.shortfalls) process.stdout.write(`shortfall: ${s}\n`);

async function writeReport(): Promise<{ md: string; shortfalls: string[] }> {
  const relay = relayMicros(broker);
  const result = {
    date: new Date().toISOString(),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? null,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
    },
    fleet: {
      watches: fleet?.watches ?? null,
      seconds: fleet?.seconds ?? null,
      batchSeconds: fleet?.batchSeconds ?? null,
      sent: fleet?.sent ?? null,
      stored: fleet?.stored ?? null,
      lost: fleet?.lost ?? null,
      acknowledged: fleet?.acked ?? null,
      deferred: fleet?.deferred ?? null,
      heldBack: fleet?.heldBack ?? null,
      readingsStoredPerSec: fleet?.readingsStoredPerSec ?? null,
      /** Readings acknowledged per second (the key's name is from when a message was a reading). */
      msgsPerSec: fleet?.msgsPerSec ?? null,
      connectPerSec: fleet?.connect.perSecond ?? null,
      connectFailures: fleet?.connect.failures ?? null,
      brokerRssMiB: fleet?.processes.broker?.rssPeakMiB ?? null,
      processes: fleet?.processes ?? null,
      /** Event-loop delay, collector pauses and heap of each service over the steady phase. */
      runtime: fleet?.runtime ?? null,
      runtimeSeries: fleet?.runtimeSeries ?? null,
      /** Each steady-phase fall: seconds into the phase, latency in ms. */
      alertTimes: fleet?.alertTimes ?? null,
      ingestGroups: fleet?.ingestGroups ?? null,
      pids: fleet?.pids ?? null,
    },
    alert: {
      p50Ms: fleet?.alert.p50Ms ?? null,
      p99Ms: fleet?.alert.p99Ms ?? null,
      p999Ms: fleet?.alert.p999Ms ?? null,
      count: fleet?.alert.count ?? null,
      missed: fleet?.alert.missed ?? null,
      stagesMs: fleet?.alertStages ?? null,
    },
    alertWithoutDb: {
      p50Ms: fleet?.alertWithoutDb.p50Ms ?? null,
      p99Ms: fleet?.alertWithoutDb.p99Ms ?? null,
      p999Ms: fleet?.alertWithoutDb.p999Ms ?? null,
      count: fleet?.alertWithoutDb.count ?? null,
      missed: fleet?.alertWithoutDb.missed ?? null,
      stagesMs: fleet?.alertWithoutDbStages ?? null,
      times: fleet?.alertWithoutDbTimes ?? null,
    },
    /** How long InfluxDB was stopped, and what waited meanwhile (FleetBenchResult.outage). */
    outage: fleet?.outage ?? null,
    overload: {
      seconds: fleet?.overload?.seconds ?? null,
      alertP99Ms: fleet?.overload?.alert.p99Ms ?? null,
      alertP50Ms: fleet?.overload?.alert.p50Ms ?? null,
      alertCount: fleet?.overload?.alert.count ?? null,
      alertMissed: fleet?.overload?.alert.missed ?? null,
      lost: fleet?.overload?.lost ?? null,
      heldBack: fleet?.overload?.heldBack ?? null,
      sampled: fleet?.overload?.sampled ?? null,
      messagesPerSec: fleet?.overload?.messagesPerSec ?? null,
      acknowledged: fleet?.overload?.acked ?? null,
      stored: fleet?.overload?.stored ?? null,
      drainSeconds: fleet?.overload?.drainSeconds ?? null,
      /** Per stage of a fall, p50/p99/max ms: publish → PUBACK → alert on the broker → clinician's socket. */
      alertStagesMs: fleet?.overload?.alertStages ?? null,
      /** The services' runtime figures over the phase, and the load generator's event-loop delay. */
      runtime: fleet?.overload?.runtime ?? null,
      benchLoop: fleet?.overload?.benchLoop ?? null,
      proberLoop: fleet?.overload?.proberLoop ?? null,
      brokerAlarmStore: fleet?.overload?.brokerAlarmStore ?? null,
    },
    ingest: {
      pointsPerSec: ingest?.pointsPerSec ?? null,
      rawPointsPerSec: ingest?.rawPointsPerSec ?? null,
      shareOfRaw: ingest?.shareOfRaw ?? null,
      load: ingest?.load ?? null,
      runs: ingest?.runs ?? null,
      cpuPerPoint: ingest?.cpuPerPoint ?? null,
      /** µs per upload: the work no design of the path leaves out, and the broker's relay at its best (broker part). */
      leastWork: ingest ? { ...ingest.leastWork, relay } : null,
      /** The least device path in rounds of its own against raw (least-path.ts): the most any path reaches here. */
      leastPath: leastPath ?? null,
    },
    broker: {
      msgsPerSec: broker?.median.vigie ?? null,
      aedesMsgsPerSec: broker?.median.aedes ?? null,
      mosquittoMsgsPerSec: broker?.median.mosquitto ?? null,
      nagleMsgsPerSec: broker?.median['vigie-nagle'] ?? null,
      ratios: broker?.ratios ?? null,
      load: broker?.load ?? null,
      runs: broker?.runs ?? null,
    },
    /** Kept, empty, until the multi-broker benchmark (docs/SCALING.md §12, step 2) fills it. */
    scaleOut: null,
    targets: TARGET,
  };

  const shortfalls: string[] = [];
  if (fleet) {
    if (fleet.watches < fleet.requestedWatches)
      shortfalls.push(
        `fleet: ${fleet.watches} watches instead of ${fleet.requestedWatches} (open files limited to ${fleet.openFilesLimit} per process)`,
      );
    if (fleet.watches < TARGET.minWatches)
      shortfalls.push(`fleet: ${fleet.watches} watches, target ≥ ${TARGET.minWatches}`);
    if (fleet.lost > 0) shortfalls.push(`fleet: ${fleet.lost} acknowledged readings not in InfluxDB (target 0)`);
    if (fleet.heldBack > 0) shortfalls.push(`fleet: ${fleet.heldBack} readings held back by watches (target 0)`);
    if ((fleet.processes.broker?.rssPeakMiB ?? 0) > TARGET.fleetBrokerRssMiB)
      shortfalls.push(
        `fleet: broker memory ${fleet.processes.broker?.rssPeakMiB} MiB > ${TARGET.fleetBrokerRssMiB} MiB`,
      );
    if (fleet.readingsStoredPerSec < fleet.watches * 0.99)
      shortfalls.push(
        `fleet: ${fleet.readingsStoredPerSec} readings stored per second for ${fleet.watches} watches taking one a second`,
      );
    if ((fleet.alert.p99Ms ?? Infinity) > TARGET.alertP99Ms)
      shortfalls.push(`alert latency p99 ${fleet.alert.p99Ms ?? 'n/a'} ms > ${TARGET.alertP99Ms} ms`);
    if ((fleet.alertWithoutDb.p99Ms ?? Infinity) > TARGET.alertP99Ms)
      shortfalls.push(
        `alert latency without InfluxDB p99 ${fleet.alertWithoutDb.p99Ms ?? 'n/a'} ms > ${TARGET.alertP99Ms} ms`,
      );
    const ov = fleet.overload;
    if (!ov) shortfalls.push('overload phase not run');
    else {
      if ((ov.alert.p99Ms ?? Infinity) > TARGET.overloadAlertP99Ms)
        shortfalls.push(`overload: alert latency p99 ${ov.alert.p99Ms ?? 'n/a'} ms > ${TARGET.overloadAlertP99Ms} ms`);
      if (ov.lost > 0) shortfalls.push(`overload: ${ov.lost} acknowledged readings not in InfluxDB (target 0)`);
    }
  }

  if (broker && (broker.ratios.vigieToAedes ?? 0) < TARGET.brokerToAedes)
    shortfalls.push(`broker: Vigie = ${broker.ratios.vigieToAedes} × stock aedes, target ≥ ${TARGET.brokerToAedes}`);
  if (ingest) shortfalls.push(...ingestShortfalls(ingest, TARGET.ingestShareOfRaw, leastPath?.share));

  const cell = (x: number | string | null | undefined) => (x === null || x === undefined ? 'not measured' : String(x));
  /** The slowest of the falls with InfluxDB stopped ([seconds after the stop, ms]), and when. */
  const slowest = (times: ReadonlyArray<readonly [number, number]>) => {
    const worst = times.reduce<readonly [number, number] | undefined>((w, t) => (!w || t[1] > w[1] ? t : w), undefined);
    return worst ? `${worst[1]} ms, ${worst[0]} s after the stop` : 'none';
  };
  const stageCells = (st: AlertStages) =>
    `${cell(st.acked.p50)} / ${cell(st.acked.p99)} · ${cell(st.onBroker.p50)} / ${cell(st.onBroker.p99)} · ${cell(st.inSocket.p50)} / ${cell(st.inSocket.p99)} ms`;
  const md = `# Benchmarks (${result.date.slice(0, 10)})

Machine: ${result.machine.cores} cores (${result.machine.cpu}), ${result.machine.memoryGiB} GiB; every process (and the load generator) on it. Command: \`npm run bench -- --parts ${[...parts].join(',')}${parts.has('fleet') ? ` --watches ${args.watches} --seconds ${args.seconds} --batch-seconds ${args['batch-seconds']} --overload-seconds ${args['overload-seconds']}` : ''}\`.

## Fleet and alert latency
${
  fleet
    ? `${fleet.watches < fleet.requestedWatches ? `**${fleet.watches} watches, not the ${fleet.requestedWatches} asked for: this machine limits open files to ${fleet.openFilesLimit} per process (hard limit, not raisable without CAP_SYS_RESOURCE), and every watch is a socket in the broker and in the load generator.** ` : ''}${fleet.watches} watches, each taking a reading a second and uploading ${fleet.batchSeconds > 0 ? `them every ${fleet.batchSeconds} s as one QoS 1 message` : 'each as a QoS 1 message'} (at most 2 unacknowledged; more is held back and sent with the next upload), for ${fleet.seconds} s, through the broker, the ingest and the web service as \`npm run demo\` runs them.

| figure | value | target |
| --- | --- | --- |
| connections per second (ramp) | ${fleet.connect.perSecond} (${fleet.connect.seconds} s for all; failures retried: ${JSON.stringify(fleet.connect.failures)}) | |
| readings stored per second (the ingest's points written to InfluxDB, steady phase) | ${fleet.readingsStoredPerSec} | ${fleet.watches} |
| waiting at the end of the steady phase: points in the ingest's queue · messages in the broker's sessions (an upload is one) | ${fleet.waitingAtSteadyEnd?.ingestQueue ?? 'n/a'} · ${fleet.waitingAtSteadyEnd?.brokerQueued ?? 'n/a'} | |
| readings acknowledged per second | ${fleet.msgsPerSec} | |
| readings taken before the overload (steady, then InfluxDB stopped): taken / sent / acknowledged / stored in InfluxDB / lost | ${fleet.sampled} / ${fleet.sent} / ${fleet.acked} / ${fleet.stored} / ${fleet.lost} | lost = 0 |
| of those, held back by watches (earlier messages unacknowledged) | ${fleet.heldBack} | 0 |
| broker memory (peak RSS) | ${fleet.processes.broker?.rssPeakMiB ?? 'n/a'} MiB | ≤ ${TARGET.fleetBrokerRssMiB} MiB |
| fall → clinician's live channel, p50 / p99 / p99.9 (${fleet.alert.count} falls${fleet.alert.missed ? `, ${fleet.alert.missed} not seen in 30 s` : ''}) | ${cell(fleet.alert.p50Ms)} / ${cell(fleet.alert.p99Ms)} / ${cell(fleet.alert.p999Ms)} ms | p99 ≤ ${TARGET.alertP99Ms} ms |
| of which, p50 / p99: publish → PUBACK (broker stored it) · → alert change on the broker (ingest) · → clinician's socket (web) | ${stageCells(fleet.alertStages)} | |
| the same, InfluxDB stopped (${fleet.alertWithoutDb.count} falls${fleet.alertWithoutDb.missed ? `, ${fleet.alertWithoutDb.missed} not seen in 30 s` : ''}) | ${cell(fleet.alertWithoutDb.p50Ms)} / ${cell(fleet.alertWithoutDb.p99Ms)} / ${cell(fleet.alertWithoutDb.p999Ms)} ms | p99 ≤ ${TARGET.alertP99Ms} ms |
| of which, p50 / p99 (the slowest: ${slowest(fleet.alertWithoutDbTimes)}) | ${stageCells(fleet.alertWithoutDbStages)} | |
| InfluxDB stopped for ${fleet.outage.seconds} s: the most points in the ingest's queue · messages in the broker's sessions · connections cut as not reading | ${fleet.outage.ingestQueueMax ?? 'n/a'} · ${fleet.outage.brokerQueuedMax ?? 'n/a'} · ${fleet.outage.connectionsCut ?? 'n/a'} | |
${
  fleet.overload
    ? `
**Overload**: then every watch in live mode at once for ${fleet.overload.seconds} s (each reading sent as it is taken, ${fleet.watches} readings/s; a watch with two messages unacknowledged holds its readings back and sends them together later), then back to batches.

| figure | value | target |
| --- | --- | --- |
| fall → clinician's live channel, p50 / p99 (${fleet.overload.alert.count} falls${fleet.overload.alert.missed ? `, ${fleet.overload.alert.missed} not seen in 30 s` : ''}) | ${cell(fleet.overload.alert.p50Ms)} / ${cell(fleet.overload.alert.p99Ms)} ms | p99 ≤ ${TARGET.overloadAlertP99Ms} ms |
| of which, p50 / p99: publish → PUBACK (broker stored it) · → alert change on the broker (ingest) · → clinician's socket (web) | ${stageCells(fleet.overload.alertStages)} | |
| messages the watches published per second (a reading each, or the readings held back together) | ${fleet.overload.messagesPerSec} | |
| readings taken during it / held back by the watches | ${fleet.overload.sampled} / ${fleet.overload.heldBack} | held back, not dropped |
| readings acknowledged / stored / lost (taken from the overload on, to the end) | ${fleet.overload.acked} / ${fleet.overload.stored} / ${fleet.overload.lost} | lost = 0 |
| back to batches: until the watches had sent what they held | ${fleet.overload.drainSeconds} s | |
`
    : ''
}
| process | mean CPU (% of one core) | peak RSS (MiB) |
| --- | --- | --- |
${Object.entries(fleet.processes)
  .map(([name, u]) => `| ${PROCESS_LABELS[name] ?? name} | ${u.cpuMeanPercent} | ${u.rssPeakMiB} |`)
  .join('\n')}

Over the steady phase (each service's /metrics every 5 s):

${runtimeTable(fleet.runtime)}

While InfluxDB was stopped (${fleet.outage.seconds} s):

${runtimeTable(fleet.outage.runtime)}
${
  fleet.overload
    ? `
Over the overload phase:

${runtimeTable(fleet.overload.runtime)}

Event-loop delay of the load generator (one process for every watch): p99 ${fleet.overload.benchLoop.p99Ms} ms, longest ${fleet.overload.benchLoop.maxMs} ms; of the fall prober, which raises and times the falls in a process of its own (scripts/bench/lib/fall-prober.ts): p99 ${fleet.overload.proberLoop.p99Ms} ms, longest ${fleet.overload.proberLoop.maxMs} ms. The broker's falls, from their check to stored for every subscriber (cumulative, by upper bound in s): ${Object.entries(
        fleet.overload.brokerAlarmStore,
      )
        .map(([le, n]) => `≤ ${le}: ${n}`)
        .join(', ')}.
`
    : ''
}
![fleet run](latest-fleet.png)`
    : 'Not measured in this run.'
}

## Broker throughput
${
  broker
    ? `${broker.load.publishers} publishers keeping ${broker.load.window} QoS 1 messages in flight each, one persistent QoS 1 subscriber; ${broker.load.rounds} interleaved rounds of ${broker.load.seconds} s per configuration; messages/s received by the subscriber (median).

| broker | messages/s | ratio to Vigie |
| --- | --- | --- |
| Vigie (authentication, ACL, validation, durable sessions, TCP_NODELAY) | ${broker.median.vigie} | 1 |
| Vigie with Nagle's algorithm (no TCP_NODELAY) | ${broker.median['vigie-nagle']} | ${broker.ratios.nagleToNoDelay} |
| stock aedes (in-memory, no authentication) | ${broker.median.aedes} | Vigie = ${broker.ratios.vigieToAedes} × aedes |
| Mosquitto ${'2.0'} (Debian, no persistence) | ${broker.median.mosquitto} | Vigie = ${broker.ratios.vigieToMosquitto} × Mosquitto |

Every run: ${broker.runs.map((r) => (r.failure ? `${r.config} #${r.round}: **stopped answering** (${r.failure}); restarted for the next rounds` : `${r.config} #${r.round}: ${r.msgsPerSec}/s (${r.cpuPercent} % CPU, ${r.rssMiB} MiB)`)).join('; ')}.`
    : 'Not measured in this run.'
}

## Ingest throughput
${
  ingest
    ? `Watches publish batches of ${ingest.load.samplesPerMessage} readings (20 publishers, 4 messages in flight each) through the broker; the ingest validates, queues on disk and writes batches of ${ingest.load.batchSize} points. A round starts once the ingest's queue (a million points, its default) is 90 % full, so it measures the sustained rate: readings taken in only as fast as they are written. Raw: the same points as line protocol, batches of ${ingest.load.batchSize}, two HTTP writers, to the same influxd. ${ingest.load.rounds} interleaved rounds of ${ingest.load.seconds} s; medians.

| path | points/s | |
| --- | --- | --- |
| through the ingest | ${ingest.pointsPerSec} | ${Math.round(ingest.shareOfRaw * 100)} % of raw (target ≥ ${TARGET.ingestShareOfRaw * 100} %) |
| raw line protocol | ${ingest.rawPointsPerSec} | the limit here (its rounds ${rawRange(ingest).min} to ${rawRange(ingest).max}) |

Every run: ${ingest.runs
        .map(
          (r) =>
            `${r.config} #${r.round}: ${r.pointsPerSec}/s${r.takenInPerSec !== undefined ? `, taken in ${r.takenInPerSec}/s, queue full after ${r.fillSeconds} s` : ''} (CPU ${Object.entries(
              r.cpu,
            )
              .map(([k, v]) => `${k} ${v} %`)
              .join(', ')})`,
        )
        .join('; ')}.

CPU time per point through the ingest (medians of the rounds): ${Object.entries(ingest.cpuPerPoint.micros)
        .map(([k, v]) => `${k} ${v} µs`)
        .join(
          ', ',
        )}. At ${Math.round(ingest.cpuPerPoint.targetShare * 100)} % of the raw rate, ${ingest.cpuPerPoint.cores} cores leave the broker and the ingest together **${ingest.cpuPerPoint.brokerAndIngestBudget} µs a point**, once influxd and the load generator have had theirs at the cost measured here; they spend ${spentPerPoint(ingest)} µs.

${leastWorkText(ingest, relay)}`
    : 'Not measured in this run.'
}

${leastPathText(leastPath)}

## Scale-out
Not measured: the Redis cluster mode was removed (docs/SCALING.md §11). The multi-broker benchmark comes back with step 2 of docs/SCALING.md §12.

## Parts that failed
${
  Object.keys(failed).length
    ? Object.entries(failed)
        .map(([k, v]) => `- ${k}: ${v}`)
        .join('\n')
    : 'None.'
}

## Shortfalls
${shortfalls.length ? shortfalls.map((s) => `- ${s}`).join('\n') : 'None.'}
`;

  mkdirSync(args.out, { recursive: true });
  writeFileSync(
    join(args.out, 'latest.json'),
    `${JSON.stringify({ ...result, failed, fleetSeries: fleet?.series ?? null }, null, 2)}\n`,
  );
  writeFileSync(join(args.out, 'latest.md'), md);
  if (fleet) await renderChart(join(args.out, 'latest-fleet.png'), fleet.series);
  return { md, shortfalls };
}

/** The services' runtime figures (RuntimeSampler) as a table of latest.md. */
function runtimeTable(runtime: Record<string, RuntimeSummary>): string {
  return `| process | event-loop delay: worst p99 of a 5 s interval / longest (ms) | collector: longest pause (ms) / total (s, % of the time) / major collections | peak heap in use (MiB) | main thread: on a core / waiting for one (% of the time; most waited in 5 s, ms) |
| --- | --- | --- | --- | --- |
${Object.entries(runtime)
  .map(
    ([name, r]) =>
      `| ${name} | ${r.loopP99MaxMs} / ${r.loopMaxMs} | ${r.gcPauseMaxMs} / ${r.gcPauseSeconds} s (${r.gcPausePercent} %) / ${r.majorGcs} | ${r.heapUsedPeakMiB} | ${r.mainRunningPercent} / ${r.mainWaitingPercent} (${r.mainWaitingMaxMs}) |`,
  )
  .join('\n')}`;
}

/** CPU µs Vigie's broker spent per message in the broker part (median of its rounds): its relay at its best. */
function relayMicros(broker: BrokerBenchResult | undefined): number | null {
  const mid = percentile(
    (broker?.runs ?? [])
      .filter((r) => r.config === 'vigie' && Number.isFinite(r.cpuPercent) && r.msgsPerSec > 0)
      .map((r) => (r.cpuPercent * 10_000) / r.msgsPerSec),
    50,
  );
  return mid === null ? null : Math.round(mid * 100) / 100;
}

/** The least device path's paragraph of the ingest section (docs/SCALING.md §7). */
function leastPathText(r: LeastPathResult | undefined): string {
  if (!r) return 'The least device path was not measured in this run (`--parts least-path`).';
  const range = (config: LeastPathResult['runs'][number]['config']) => {
    const xs = r.runs.filter((x) => x.config === config).map((x) => x.pointsPerSec);
    return `${Math.min(...xs)} to ${Math.max(...xs)}`;
  };
  return `The least device path (\`npm run bench:least-path\`): stock aedes receiving the same uploads, one parse and check of each, its line protocol, one append per turn before the PUBACKs, the ingest's writes; no authentication, alert rules, roll-up, duplicate check or live values. In rounds of its own, the same load, interleaved with raw writes into its own influxd: **${r.pointsPerSec} points/s, ${Math.round(r.share * 100)} % of raw** (${r.rawPointsPerSec}/s; its rounds ${range('least path')}, raw's ${range('raw')}). Every device path does this work and more on the same cores, so no path carries a larger share here.`;
}

/** CPU µs the broker and the ingest spent together per point through the ingest. */
function spentPerPoint(ingest: IngestBenchResult): number {
  return Math.round(((ingest.cpuPerPoint.micros.broker ?? 0) + (ingest.cpuPerPoint.micros.ingest ?? 0)) * 100) / 100;
}

/** The least work per upload beside what the target leaves the broker and the ingest (docs/SCALING.md §7). */
function leastWorkText(ingest: IngestBenchResult, relay: number | null): string {
  const w = ingest.leastWork;
  const perUpload = (micros: number) => Math.round(micros * w.readings * 100) / 100;
  const budget = perUpload(ingest.cpuPerPoint.brokerAndIngestBudget);
  const spent = perUpload(spentPerPoint(ingest));
  const head = `Per upload of ${w.readings} readings, the target leaves the broker and the ingest **${budget} µs**; they spend ${spent}. The work no design of the path leaves out, measured after the rounds: parsing and checking the upload once ${w.parse} µs (\`JSON.parse\` alone ${w.jsonParse}), its line protocol ${w.lines} µs.`;
  if (relay === null) return `${head} (The broker part did not run: Vigie's broker's relay of a message is not known.)`;
  const least = Math.round((relay - w.parseOne + w.parse + w.lines) * 100) / 100;
  return `${head} Vigie's broker relays a message at its best in ${relay} µs (broker part, its CPU over its messages/s; it parses one reading, ${w.parseOne} µs): the relay, the upload parsed and checked once and its line protocol come to **${least} µs**, ${least <= budget ? 'within' : 'over'} the budget, before the durable copy, the alert rules, the minute roll-up and the write.`;
}
