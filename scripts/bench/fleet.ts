/**
 * Fleet and alert latency on the whole path, as `npm run demo` runs it (broker, ingest, web service,
 * InfluxDB: separate processes), with `watches` more simulated watches on the lean load generator,
 * each taking a reading a second and uploading them as real watches do (lib/load.ts WatchFleet):
 * - steady phase (`seconds`): batches every `batchSeconds`; connect rate, readings sent, acknowledged
 *   and stored per second (the ingest's own count of points written), readings held back by watches
 *   because the broker had not acknowledged, CPU and memory of every process (the load generator's
 *   own included), sampled over the run;
 * - alert latency: watches of a clinician's team publish falls at random moments; the time from the
 *   publish to the alert's arrival on that clinician's live channel (WebSocket, signed in), raised
 *   and timed by a process of their own (lib/fall-prober.ts); then the same with InfluxDB stopped:
 *   the alert path must not depend on the database;
 * - overload phase (`overloadSeconds`): every watch in live mode at once (a reading a second each,
 *   as a message), falls timed again; then back to batches until every held-back reading is sent;
 * - at the end, readings stored in InfluxDB against readings acknowledged, per phase (none may be
 *   missing).
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../common/free-port.ts';
import { startInfluxd } from '../../common/influxd.ts';
import { registryPath } from '../../common/paths.ts';
import { People } from '../../web/people.ts';
import { Registry } from '../../web/registry.ts';
import { createInflux } from '../../ingest/influx-client.ts';
import { LeanMqttConnection } from '../../simulators/lean-client.ts';
import { connectAll, WatchFleet, type Credentials } from './lib/load.ts';
import { stages, type StageSummary } from './lib/alert-stages.ts';
import { type ChartPoint } from './lib/chart.ts';
import { FallProber } from './lib/fall-prober.ts';
import { metricValue } from './lib/metrics-text.ts';
import { UsageSampler } from './lib/processes.ts';
import { RuntimeSampler, type RuntimeScrape, type RuntimeSummary } from './lib/runtime-sampler.ts';

/** The load generator's scheduling priority (nice) while it plays the fleet. */
export const GENERATOR_NICENESS = 10;

export interface FleetBenchOptions {
  readonly watches: number;
  readonly seconds: number;
  /** Seconds between a watch's uploads (0: every reading as a message, as before batching). */
  readonly batchSeconds: number;
  /** Seconds of the overload phase, every watch in live mode (0: none). */
  readonly overloadSeconds: number;
  readonly connectRate: number;
  /** Falls measured under load, again with InfluxDB stopped, and during the overload phase. */
  readonly alerts: number;
  readonly alertsWithoutDb: number;
  readonly alertsInOverload: number;
  /**
   * The longest InfluxDB stays stopped (s): its falls are spread over that time (0: one after the
   * other, about 40 s for 50). Past about a minute a full node's readings fill the ingest's queue.
   */
  readonly outageSeconds?: number;
  readonly status?: (line: string) => void;
}

export interface FleetBenchResult {
  readonly watches: number;
  readonly requestedWatches: number;
  readonly openFilesLimit: number;
  readonly seconds: number;
  readonly connect: { readonly perSecond: number; readonly seconds: number; readonly failures: Record<string, number> };
  readonly batchSeconds: number;
  /** Readings taken by the watches before the overload phase (steady, then InfluxDB stopped); sent, acknowledged, stored: of those. */
  readonly sampled: number;
  readonly sent: number;
  /** Readings whose upload a watch put off because its earlier messages were unacknowledged (before the overload). */
  readonly heldBack: number;
  /** Kept for the earlier reports' key: the same as heldBack. */
  readonly deferred: number;
  readonly acked: number;
  readonly stored: number;
  readonly lost: number;
  /** Readings acknowledged per second in the steady phase. */
  readonly msgsPerSec: number;
  /** Points the ingest wrote to InfluxDB per second over the steady phase (its first tenth left out). */
  readonly readingsStoredPerSec: number;
  /**
   * At the end of the steady phase (the last sample): points on disk in the ingest's queue, and
   * messages in the broker's sessions (an upload of ten readings is one); null if not read.
   */
  readonly waitingAtSteadyEnd: { readonly ingestQueue: number | null; readonly brokerQueued: number | null };
  readonly overload: {
    readonly seconds: number;
    /** Readings taken during it, held back by the watches, acknowledged, stored, lost. */
    readonly sampled: number;
    /** Messages the watches published per second over the phase (19,150 watches live: at most 19,150). */
    readonly messagesPerSec: number;
    readonly heldBack: number;
    readonly acked: number;
    readonly stored: number;
    readonly lost: number;
    /** Seconds after the phase until every watch had sent what it held back. */
    readonly drainSeconds: number;
    readonly alert: Latency;
    readonly alertStages: AlertStages;
    /** The services' event loops, collectors and waits for a core over the phase (as `runtime`). */
    readonly runtime: Record<string, RuntimeSummary>;
    /** Falls and SOS the broker stored during the phase, by how long it took (its histogram's upper bounds in s: count). */
    readonly brokerAlarmStore: Record<string, number>;
    /** The load generator's event loop over the phase (this process): p99 and max delay (ms). */
    readonly benchLoop: { readonly p99Ms: number; readonly maxMs: number };
    /** The fall prober's (lib/fall-prober.ts), which times the falls. */
    readonly proberLoop: { readonly p99Ms: number; readonly maxMs: number };
  } | null;
  readonly processes: Record<string, { cpuMeanPercent: number; rssPeakMiB: number }>;
  /** Event-loop delay, collector pauses and heap of the broker, the ingest and the web service over the steady phase. */
  readonly runtime: Record<string, RuntimeSummary>;
  readonly runtimeSeries: Record<string, RuntimeScrape[]>;
  /** The steady phase's falls: seconds into the phase when each was published, and its latency (ms). */
  readonly alertTimes: Array<readonly [number, number]>;
  /** How many messages the ingest stored and acknowledged together over the run: groups by upper bound (its histogram). */
  readonly ingestGroups: Record<string, number>;
  /** The services' process ids (to match their CPU profiles, BENCH_PROFILE_DIR). */
  readonly pids: Record<string, number>;
  /**
   * Every 5 s: readings acknowledged to the watches and written to InfluxDB per second; points
   * queued on disk in the ingest and messages queued in the broker's sessions (an upload is one),
   * null where a service did not answer; each process's CPU and memory.
   */
  readonly series: ChartPoint[];
  readonly alert: Latency;
  readonly alertStages: AlertStages;
  readonly alertWithoutDb: Latency;
  readonly alertWithoutDbStages: AlertStages;
  /** Each fall with InfluxDB stopped: seconds after the stop when it was published, and its latency (ms). */
  readonly alertWithoutDbTimes: Array<readonly [number, number]>;
  /**
   * While InfluxDB was stopped: for how long (s); the most points in the ingest's queue and messages
   * in the broker's sessions (5 s samples); connections the broker closed as not reading (aedes'
   * drain timeout: the ingest, its queue full, reads nothing).
   */
  readonly outage: {
    readonly seconds: number;
    readonly ingestQueueMax: number | null;
    readonly brokerQueuedMax: number | null;
    readonly connectionsCut: number | null;
    /** The services' event loops, collectors and waits for a core while InfluxDB was stopped (as `runtime`). */
    readonly runtime: Record<string, RuntimeSummary>;
  };
}
/**
 * Where a fall's time went, per stage (each fall seen by the clinician counts in every stage it was
 * timed through): the watch's publish → its PUBACK (the broker stored the fall for its subscribers)
 * → the alert change on the broker (the ingest stored the fall and published it; a subscriber of
 * the alerts topic with a service account, as the web service is) → the alert on the clinician's
 * live channel (the web service).
 */
export type AlertStages = Record<'acked' | 'onBroker' | 'inSocket', StageSummary>;
export interface Latency {
  readonly count: number;
  readonly missed: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number | null;
}

const ROOT = resolve(import.meta.dirname, '../..');
const MISSED_MS = 30_000;
/** Waiting for the ingest to store what was acknowledged stops when nothing more is stored for this long. */
const STALL_MS = 120_000;

export function latency(xs: readonly number[], missed: number): Latency {
  const s = [...xs].sort((a, b) => a - b);
  const p = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : null);
  return { count: s.length, missed, p50Ms: p(0.5), p99Ms: p(0.99), p999Ms: p(0.999), maxMs: s.at(-1) ?? null };
}

/**
 * Open files allowed to one process (soft limit). Every watch is a socket in the broker and in the
 * load generator, so neither can hold more watches than this, less what they need besides.
 */
export function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}
/** Descriptors a broker needs besides its watches: the ingest, the web service, files, listeners. */
const FD_HEADROOM = 500;

export async function benchFleet(o: FleetBenchOptions): Promise<FleetBenchResult> {
  const say = o.status ?? (() => undefined);
  const fdLimit = openFilesLimit();
  const requestedWatches = o.watches;
  const raisersNeeded = o.alerts + o.alertsWithoutDb + o.alertsInOverload;
  if (o.watches + raisersNeeded + FD_HEADROOM > fdLimit) {
    const fit = fdLimit - FD_HEADROOM - raisersNeeded;
    o = { ...o, watches: fit };
    say(`open files are limited to ${fdLimit} per process here: ${fit} watches instead`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigie-bench-fleet-'));
  const influxd = await startInfluxd({ dir: join(dir, 'influxdb') });
  const ports = {
    MQTT_PORT: await freePort(),
    MQTT_WS_PORT: await freePort(),
    BROKER_METRICS_PORT: await freePort(),
    INGEST_METRICS_PORT: await freePort(),
    INGEST_API_PORT: await freePort(),
    DEMO_SMTP_PORT: await freePort(),
    SFU_PORT: await freePort(),
    WEB_PORT: await freePort(),
    WEB_METRICS_PORT: await freePort(),
  };
  const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      VIGIE_DATA_DIR: dir,
      ...influxd.env,
      DEMO_WATCHES: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  demo.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  demo.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const connections: LeanMqttConnection[] = [];
  let prober: FallProber | undefined;
  try {
    say('starting the suite');
    const signIn = /Console: \S+ {3}sign in as (\S+) \/ (\S+) \(demo only\)/;
    const until = Date.now() + 300_000;
    while (!signIn.test(out)) {
      if (demo.exitCode !== null) throw new Error(`the demo stopped:\n${out.slice(-3000)}`);
      if (Date.now() > until) throw new Error(`the demo did not start in 5 min:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const [, email, password] = signIn.exec(out)!;
    const pids = Object.fromEntries(
      execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(demo.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .flatMap(([pid, ...args]) => {
          const entry = args.find((a) => a.endsWith('main.ts'));
          return entry ? [[entry.split('/')[0]!, Number(pid)]] : [];
        }),
    ) as Record<string, number>;
    pids.influxd = influxd.pid!;

    // Watches: the fleet, and the ones that raise falls (in the clinician's team).
    const registry = Registry.open(registryPath(dir));
    const watches: Credentials[] = [];
    const raisers: Array<Credentials & { patientId: string }> = [];
    const total = o.watches + raisersNeeded;
    for (let i = 0; i < total; i += 64) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(64, total - i) }, (_, k) => registry.provisionPatient(`Charge ${i + k + 1}`)),
      );
      for (const p of batch) {
        if (watches.length < o.watches) watches.push({ deviceId: p.deviceId, secret: p.secret });
        else raisers.push({ deviceId: p.deviceId, secret: p.secret, patientId: p.patientId });
      }
      say(`provisioning watches ${Math.min(total, i + 64)}/${total}`);
    }
    const observer = { username: 'svc:bench-fleet', password: await registry.setService('svc:bench-fleet', 'web') };
    registry.close();
    const people = People.open(registryPath(dir));
    people.addToTeam(people.team('Équipe démo'), { patients: raisers.map((r) => r.patientId) });
    people.close();

    // The clinician's live channel.
    const webUrl = `http://127.0.0.1:${ports.WEB_PORT}`;
    const session = await fetch(`${webUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: webUrl },
      body: JSON.stringify({ email, password }),
    });
    if (!session.ok) throw new Error(`sign-in refused: ${session.status} ${await session.text()}`);
    // The sign-in sets the session cookie and a device cookie (sign-in throttling): send them all.
    const cookie = session.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const target = { host: '127.0.0.1', port: ports.MQTT_PORT };
    say(`connecting ${o.watches} watches`);
    // The watches that raise falls first (each must be connected as itself), then the fleet.
    const fallProber = await FallProber.start({
      target,
      raisers,
      connectRate: o.connectRate,
      observer,
      webUrl,
      cookie,
      missedMs: MISSED_MS,
    });
    prober = fallProber;
    // The load generator stands for the watches, which are not on the server: it gives way to the
    // suite's services when the two cores are short, as influxd does (INFLUXD_NICENESS). The fall
    // prober, a process of its own started before this, keeps its priority.
    setPriority(GENERATOR_NICENESS);
    const started = await connectAll(target, watches, {
      rate: o.connectRate,
      deadlineMs: Math.max(120_000, (3000 * watches.length) / o.connectRate),
      onProgress: (n) => n % 500 === 0 && say(`connected ${n}/${watches.length}`),
    });
    connections.push(...started.connections);
    // A fleet watch that never connected is left out (counted in the ramp's failures).
    const fleetConnections = started.connections;
    const connectedIds = new Set(started.connections.map((c) => c.clientId));
    const fleetWatches = watches.filter((w) => connectedIds.has(w.deviceId));

    const fleet = new WatchFleet(fleetConnections, fleetWatches, { batchMs: Math.max(1, o.batchSeconds) * 1000 });
    if (o.batchSeconds === 0) fleet.setLive(true);
    const metricsOf = (port: number) => `http://127.0.0.1:${port}/metrics`;
    // Where readings wait, over time: acknowledged to the watches, queued in the broker for the
    // services, queued on disk in the ingest, written to InfluxDB.
    const samplerStart = Date.now();
    const sampler = new UsageSampler(pids, 5000, async () => {
      const acked = fleet.acked;
      const [ingest, broker] = await Promise.all(
        [ports.INGEST_METRICS_PORT, ports.BROKER_METRICS_PORT].map((port) =>
          fetch(metricsOf(port), { signal: AbortSignal.timeout(2000) })
            .then((r) => r.text())
            .catch(() => ''),
        ),
      );
      const figures: Record<string, number | undefined> = {
        acked,
        stored: metricValue(ingest!, 'vigie_ingest_points_written_total'),
        ingestQueue: metricValue(ingest!, 'vigie_ingest_queue_depth'),
        brokerQueued: metricValue(broker!, 'vigie_broker_messages_queued'),
      };
      return Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as Record<string, number>;
    });
    const runtimeUrls = {
      broker: metricsOf(ports.BROKER_METRICS_PORT),
      ingest: metricsOf(ports.INGEST_METRICS_PORT),
      web: metricsOf(ports.WEB_METRICS_PORT),
    };
    const runtimeSampler = new RuntimeSampler(runtimeUrls);
    /** Connections the broker closed for the network (a peer that stops reading: aedes' drain timeout). */
    const connectionsCut = async () => {
      const text = await fetch(runtimeUrls.broker, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .catch(() => '');
      if (!text) return undefined;
      const lines = text.matchAll(/^vigie_broker_connections_dropped_total\{[^}]*reason="network"[^}]*\} (\S+)$/gm);
      return [...lines].reduce((n, m) => n + Number(m[1]), 0);
    };
    const ingestMetrics = `http://127.0.0.1:${ports.INGEST_METRICS_PORT}/metrics`;
    const pointsWritten = async () => {
      const points = metricValue(await (await fetch(ingestMetrics)).text(), 'vigie_ingest_points_written_total');
      if (points === undefined) throw new Error('the ingest does not report vigie_ingest_points_written_total');
      return points;
    };
    const t0 = Date.now();
    /** Stage times of the falls seen, per phase (see AlertStages). */
    const stageTimes = () => ({ acked: [] as number[], onBroker: [] as number[], inSocket: [] as number[] });
    const alertTimes: Array<readonly [number, number]> = [];
    const probe = async (i: number, times?: ReturnType<typeof stageTimes>): Promise<number | undefined> => {
      const { ms, stages: timed } = await fallProber.probe(i);
      if (times && timed) {
        times.acked.push(timed.acked);
        times.onBroker.push(timed.onBroker);
        times.inSocket.push(timed.inSocket);
      }
      return ms;
    };
    /**
     * Falls at random moments spread over a phase (after a tenth of it, so the load is steady), each
     * timed on its own: a slow one does not delay the next or stretch the phase.
     */
    const fallsDuring = (first: number, count: number, seconds: number, label: string) => {
      const times: number[] = [];
      const stageMs = stageTimes();
      let missed = 0;
      let fired = 0;
      const done = Promise.all(
        Array.from({ length: count }, (_, k) =>
          new Promise<void>((r) => setTimeout(r, seconds * 100 + Math.random() * seconds * 900)).then(async () => {
            fired += 1;
            const at = (Date.now() - t0) / 1000;
            const ms = await probe(first + k, stageMs);
            if (ms === undefined) missed += 1;
            else times.push(ms);
            if (label === 'steady') alertTimes.push([Math.round(at), ms ?? MISSED_MS]);
          }),
        ),
      );
      return {
        done: done.then(() => ({ latency: latency(times, missed), stages: stages(stageMs) })),
        line: () => `${label} falls ${fired}/${count}, seen ${times.length}, missed ${missed}`,
      };
    };
    const runFor = async (seconds: number, line: () => string) => {
      const start = Date.now();
      while (Date.now() < start + seconds * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        say(
          `${Math.round((Date.now() - start) / 1000)}/${seconds} s | taken ${fleet.sampled} sent ${fleet.sent} acked ${fleet.acked} held back ${fleet.heldBack} | ${line()}`,
        );
      }
    };

    // Steady phase: batches.
    const steady = fallsDuring(0, o.alerts, o.seconds, 'steady');
    let warm: { at: number; points: number } | undefined;
    setTimeout(
      () => void pointsWritten().then((points) => (warm = { at: Date.now(), points })),
      o.seconds * 100,
    ).unref();
    await runFor(o.seconds, steady.line);
    const steadyEnd = { at: Date.now(), points: await pointsWritten() };
    const ingestGroups = await histogram(ingestMetrics, 'vigie_ingest_group_messages');
    const runtime = runtimeSampler.stop();
    const { latency: alert, stages: alertStages } = await steady.done; // the last ones have at most 30 s to arrive
    say(`steady falls: ${JSON.stringify(alert)} stages ${JSON.stringify(alertStages)}`);
    const seconds = (steadyEnd.at - t0) / 1000;
    const readingsStoredPerSec = warm
      ? Math.round((steadyEnd.points - warm.points) / ((steadyEnd.at - warm.at) / 1000))
      : 0;
    const steadyAcked = fleet.acked;
    const lastSample = sampler.series.at(-1)?.counters;
    const waitingAtSteadyEnd = {
      ingestQueue: lastSample?.ingestQueue ?? null,
      brokerQueued: lastSample?.brokerQueued ?? null,
    };

    // The alert path without the database: InfluxDB stopped, the fleet still sending.
    say('stopping InfluxDB');
    const cutBefore = await connectionsCut();
    // From before the stop: a fall slowed at the moment the ingest finds InfluxDB gone (833 ms once, on
    // 1 December) shows whether a service's event loop was held then, or waiting.
    const outageRuntime = new RuntimeSampler(runtimeUrls);
    await influxd.stop();
    const stopped = Date.now();
    const outageMs = (o.outageSeconds ?? 0) * 1000;
    const withoutDb: number[] = [];
    const withoutDbStages = stageTimes();
    const withoutDbTimes: Array<readonly [number, number]> = [];
    let missedWithoutDb = 0;
    for (let i = 0; i < o.alertsWithoutDb; i += 1) {
      const at = Math.round((Date.now() - stopped) / 100) / 10;
      const ms = await probe(o.alerts + i, withoutDbStages);
      withoutDbTimes.push([at, ms ?? MISSED_MS]);
      if (ms === undefined) missedWithoutDb += 1;
      else withoutDb.push(ms);
      say(`InfluxDB stopped | falls ${i + 1}/${o.alertsWithoutDb}, last ${ms ?? '>30000'} ms`);
      // Spread over the outage, if one is asked: the next fall in its share of what is left.
      const left = stopped + outageMs - Date.now();
      const gap = left > 0 ? left / (o.alertsWithoutDb - i) : 300 + Math.random() * 700;
      await new Promise((r) => setTimeout(r, gap));
    }
    const outageRuntimeSummary = outageRuntime.stop();
    await influxd.start();
    const restarted = Date.now();
    sampler.track('influxd', influxd.pid!);
    const cutAfter = await connectionsCut();
    const during = sampler.series.filter(
      (x) => x.t >= (stopped - samplerStart) / 1000 && x.t <= (restarted - samplerStart) / 1000 + 5,
    );
    const maxOf = (k: string) => {
      const xs = during.map((x) => x.counters[k]).filter((v): v is number => v !== undefined);
      return xs.length > 0 ? Math.max(...xs) : null;
    };
    const outage = {
      seconds: Math.round((restarted - stopped) / 100) / 10,
      ingestQueueMax: maxOf('ingestQueue'),
      brokerQueuedMax: maxOf('brokerQueued'),
      connectionsCut: cutBefore === undefined || cutAfter === undefined ? null : cutAfter - cutBefore,
      runtime: outageRuntimeSummary,
    };
    say(`InfluxDB back after ${outage.seconds} s: ${JSON.stringify({ ...outage, runtime: undefined })}`);

    // Overload: every watch in live mode at once, then back to batches until nothing is held back.
    let overload: FleetBenchResult['overload'] = null;
    // Readings taken from here on belong to the overload phase (counted apart to the end).
    const split = Date.now();
    fleet.split = split;
    const steadyHeldBack = fleet.heldBack;
    if (o.overloadSeconds > 0) {
      say('overload: every watch in live mode');
      const before = { sampled: fleet.sampled, heldBack: fleet.heldBack, messages: fleet.messages };
      fleet.setLive(true);
      const overloadRuntime = new RuntimeSampler(runtimeUrls);
      const alarmStoreBefore = await histogram(runtimeUrls.broker, 'vigie_broker_alarm_store_seconds');
      const benchLoop = monitorEventLoopDelay({ resolution: 10 });
      benchLoop.enable();
      await fallProber.loopDelay(); // from here on
      const falls = fallsDuring(o.alerts + o.alertsWithoutDb, o.alertsInOverload, o.overloadSeconds, 'overload');
      await runFor(o.overloadSeconds, falls.line);
      const runtimeDuring = overloadRuntime.stop();
      const alarmStoreAfter = await histogram(runtimeUrls.broker, 'vigie_broker_alarm_store_seconds');
      benchLoop.disable();
      const proberLoop = await fallProber.loopDelay();
      const { latency: overloadAlert, stages: overloadStages } = await falls.done;
      say(`overload falls: ${JSON.stringify(overloadAlert)} stages ${JSON.stringify(overloadStages)}`);
      say(`overload runtime: ${JSON.stringify(runtimeDuring)}`);
      fleet.setLive(false);
      const end = Date.now();
      const messagesDuring = fleet.messages - before.messages;
      const sampledDuring = fleet.sampled - before.sampled;
      const heldBack = fleet.heldBack - before.heldBack;
      // Back to batches: each watch sends what it held back, a batch at a time.
      const until = Date.now() + 15 * 60_000;
      while (fleet.unsent > fleet.connections.length * (o.batchSeconds + 2) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 2000));
        say(`overload over: ${fleet.unsent} readings still held by the watches`);
      }
      overload = {
        seconds: Math.round((end - split) / 1000),
        sampled: sampledDuring,
        messagesPerSec: Math.round(messagesDuring / ((end - split) / 1000)),
        heldBack,
        acked: 0,
        stored: 0,
        lost: 0,
        drainSeconds: Math.round((Date.now() - end) / 1000),
        alert: overloadAlert,
        alertStages: overloadStages,
        runtime: runtimeDuring,
        brokerAlarmStore: Object.fromEntries(
          Object.entries(alarmStoreAfter).map(([le, n]) => [le, n - (alarmStoreBefore[le] ?? 0)]),
        ),
        benchLoop: {
          p99Ms: Math.round(benchLoop.percentile(99) / 1e5) / 10,
          maxMs: Math.round(benchLoop.max / 1e5) / 10,
        },
        proberLoop,
      };
    }
    // Every watch sends what it holds, then stops taking readings.
    const drainUntil = Date.now() + 5 * 60_000;
    while (fleet.sent > fleet.acked && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 1000));
    fleet.stop();
    const processes = sampler.stop();

    // Everything acknowledged must reach InfluxDB once the ingest has caught up.
    const influx = createInflux(influxd.url, influxd.access);
    const demoDevices = new Set(fleetWatches.map((w) => w.deviceId));
    const countStored = async (from: number, to: number) => {
      const rows = await influx.query<{ count: number; device: string }>(
        `SELECT count("seq") AS count FROM vitals WHERE time >= ${from * 1e6} AND time < ${to * 1e6} GROUP BY device`,
      );
      return rows
        .groups()
        .reduce((n, g) => n + (demoDevices.has(g.tags.device!) ? Number(g.rows[0]?.count ?? 0) : 0), 0);
    };
    const firstReading = t0 - 60_000;
    let stored = { steady: 0, overload: 0 };
    let counted = false;
    const ackedSteady = fleet.ackedBefore;
    const ackedOverload = fleet.ackedAfter;
    // Up to 10 minutes, unless nothing more is stored for STALL_MS (the ingest is stuck: reported as lost).
    let progress = { stored: -1, at: Date.now() };
    for (let waited = 0; waited < 600 && Date.now() - progress.at < STALL_MS; waited += 5) {
      stored = await Promise.all([countStored(firstReading, split), countStored(split, Date.now() + 60_000)]).then(
        ([a, b]) => ((counted = true), { steady: a, overload: b }),
        () => stored,
      );
      say(
        `waiting for the ingest to catch up: stored ${stored.steady + stored.overload} of ${ackedSteady + ackedOverload} acknowledged`,
      );
      if (stored.steady >= ackedSteady && stored.overload >= ackedOverload) break;
      if (stored.steady + stored.overload > progress.stored)
        progress = { stored: stored.steady + stored.overload, at: Date.now() };
      await new Promise((r) => setTimeout(r, 5000));
    }
    // Never "lost" for a count that was never made.
    if (!counted)
      throw new Error('could not count the stored readings: InfluxDB did not answer for 5 minutes after its restart');
    if (overload)
      overload = {
        ...overload,
        acked: ackedOverload,
        stored: stored.overload,
        lost: Math.max(0, ackedOverload - stored.overload),
      };
    const series = sampler.series.map((s, i) => {
      const before = sampler.series[i - 1];
      const rate = (key: string) => {
        const [now, then] = [s.counters[key], before?.counters[key]];
        return now === undefined || then === undefined ? null : Math.round((now - then) / (s.t - before!.t));
      };
      return {
        t: s.t,
        ackedPerSec: rate('acked') ?? 0,
        storedPerSec: rate('stored'),
        ingestQueue: s.counters.ingestQueue ?? null,
        brokerQueued: s.counters.brokerQueued ?? null,
        usage: s.usage,
      };
    });
    return {
      watches: o.watches,
      requestedWatches,
      openFilesLimit: fdLimit,
      seconds: Math.round(seconds),
      batchSeconds: o.batchSeconds,
      connect: { perSecond: started.ramp.perSecond, seconds: started.ramp.seconds, failures: started.ramp.failures },
      sampled: fleet.sampledBefore,
      sent: fleet.sentBefore,
      heldBack: steadyHeldBack,
      deferred: steadyHeldBack,
      acked: ackedSteady,
      stored: stored.steady,
      lost: Math.max(0, ackedSteady - stored.steady),
      msgsPerSec: Math.round(steadyAcked / seconds),
      readingsStoredPerSec,
      waitingAtSteadyEnd,
      overload,
      processes,
      runtime,
      runtimeSeries: runtimeSampler.series,
      alertTimes: alertTimes.sort((a, b) => a[0] - b[0]),
      ingestGroups,
      pids,
      series,
      alert,
      alertStages,
      alertWithoutDb: latency(withoutDb, missedWithoutDb),
      alertWithoutDbStages: stages(withoutDbStages),
      alertWithoutDbTimes: withoutDbTimes,
      outage,
    };
  } finally {
    try {
      setPriority(0); // needs CAP_SYS_NICE; without it the rest of this process (the chart) stays behind
    } catch {
      // not permitted: nothing measured comes after the fleet
    }
    prober?.close();
    for (const c of connections) c.end(true);
    if (demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGINT');
      await once(demo, 'exit');
    }
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A histogram's cumulative bucket counts on a /metrics page, by upper bound. */
async function histogram(url: string, name: string): Promise<Record<string, number>> {
  const text = await (await fetch(url)).text();
  return Object.fromEntries(
    [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => [m[1]!, Number(m[2])]),
  );
}
