/**
 * Fleet and alert latency on the whole path, as `npm run demo` runs it (broker, ingest, web service,
 * InfluxDB: separate processes), with `watches` more simulated watches on the lean load generator,
 * each sending one QoS 1 reading a second:
 * - connect rate, messages/s sent and acknowledged, CPU and memory of every process (the load
 *   generator's own included), sampled over the run;
 * - at the end, readings stored in InfluxDB against readings acknowledged (none may be missing);
 * - alert latency: watches of a clinician's team publish falls at random moments; the time from the
 *   publish to the alert's arrival on that clinician's live channel (WebSocket, signed in);
 * - the same with InfluxDB stopped: the alert path must not depend on the database.
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../../common/free-port.ts';
import { startInfluxd } from '../../common/influxd.ts';
import { registryPath } from '../../common/paths.ts';
import { People } from '../../web/people.ts';
import { Registry } from '../../web/registry.ts';
import { deviceTopic } from '../../devices/topics.ts';
import { createInflux } from '../../ingest/influx-client.ts';
import { LeanMqttConnection } from '../../simulators/lean-client.ts';
import { connectAll, PacedFleet, type Credentials } from './lib/load.ts';
import { UsageSampler } from './lib/processes.ts';

export interface FleetBenchOptions {
  readonly watches: number;
  readonly seconds: number;
  readonly connectRate: number;
  /** Falls measured under load, and again with InfluxDB stopped. */
  readonly alerts: number;
  readonly alertsWithoutDb: number;
  readonly status?: (line: string) => void;
}

export interface FleetBenchResult {
  readonly watches: number;
  readonly requestedWatches: number;
  readonly openFilesLimit: number;
  readonly seconds: number;
  readonly connect: { readonly perSecond: number; readonly seconds: number; readonly failures: Record<string, number> };
  readonly sent: number;
  /** Readings a watch held back because 20 of its messages were still unacknowledged. */
  readonly deferred: number;
  readonly acked: number;
  readonly stored: number;
  readonly lost: number;
  readonly msgsPerSec: number;
  readonly processes: Record<string, { cpuMeanPercent: number; rssPeakMiB: number }>;
  readonly series: Array<{
    t: number;
    ackedPerSec: number;
    usage: Record<string, { cpuPercent: number; rssMiB: number }>;
  }>;
  readonly alert: Latency;
  readonly alertWithoutDb: Latency;
}
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
  if (o.watches + o.alerts + o.alertsWithoutDb + FD_HEADROOM > fdLimit) {
    const fit = fdLimit - FD_HEADROOM - o.alerts - o.alertsWithoutDb;
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
  let live: WebSocket | undefined;
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
    const total = o.watches + o.alerts + o.alertsWithoutDb;
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
    // Every cookie the sign-in set (the session's is not the first: the trusted-device one comes before it).
    const cookie = session.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const arrived = new Map<string, number>();
    live = new WebSocket(`${webUrl.replace('http', 'ws')}/api/live`, { headers: { cookie, origin: webUrl } });
    await once(live, 'open');
    live.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; patientId?: string; alert?: { kind: string } };
      if (m.type === 'alert' && m.alert?.kind === 'fall' && m.patientId && !arrived.has(m.patientId))
        arrived.set(m.patientId, Date.now());
    });
    live.send(JSON.stringify({ type: 'subscribe', patientId: '*' }));

    const target = { host: '127.0.0.1', port: ports.MQTT_PORT };
    say(`connecting ${o.watches} watches`);
    // The watches that raise falls first (each must be connected as itself), then the fleet.
    const probes = await connectAll(target, raisers, { rate: o.connectRate });
    if (probes.connections.length < raisers.length)
      throw new Error(
        `only ${probes.connections.length} of ${raisers.length} alert watches connected: ${JSON.stringify(probes.ramp.failures)}`,
      );
    const raiserConnections = probes.connections;
    connections.push(...raiserConnections);
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

    const fleet = new PacedFleet(fleetConnections, fleetWatches, 1000);
    const sampler = new UsageSampler(pids, 5000, () => ({ acked: fleet.acked }));
    const t0 = Date.now();
    const probe = async (i: number): Promise<number | undefined> => {
      const r = raisers[i]!;
      const c = raiserConnections[i]!;
      const sent = Date.now();
      c.publish(
        deviceTopic(r.deviceId, 'events'),
        JSON.stringify({ ts: sent, seq: 1, type: 'fall', confidence: 0.9 }),
        1,
      );
      while (Date.now() - sent < MISSED_MS) {
        const at = arrived.get(r.patientId);
        if (at !== undefined) return at - sent;
        await new Promise((res) => setTimeout(res, 5));
      }
      return undefined;
    };
    // Falls at random moments spread over the run (after a tenth of it, so the load is steady), each
    // timed on its own: a slow one does not delay the next or stretch the run.
    const underLoad: number[] = [];
    let missed = 0;
    let fired = 0;
    const window = o.seconds * 900;
    const timedFalls: Array<Promise<void>> = [];
    for (let i = 0; i < o.alerts; i += 1) {
      const at = o.seconds * 100 + Math.random() * window;
      timedFalls.push(
        new Promise<void>((r) => setTimeout(r, at)).then(async () => {
          fired += 1;
          const ms = await probe(i);
          if (ms === undefined) missed += 1;
          else underLoad.push(ms);
        }),
      );
    }
    while (Date.now() < t0 + o.seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      say(
        `${Math.round((Date.now() - t0) / 1000)}/${o.seconds} s | sent ${fleet.sent} acked ${fleet.acked} deferred ${fleet.deferred} | falls ${fired}/${o.alerts}, seen ${underLoad.length}, missed ${missed}`,
      );
    }
    await Promise.all(timedFalls); // the last ones have at most 30 s to arrive
    const seconds = (Date.now() - t0) / 1000;
    const msgsPerSec = Math.round(fleet.acked / seconds);

    // The alert path without the database: InfluxDB stopped, the fleet still sending.
    say('stopping InfluxDB');
    await influxd.stop();
    const withoutDb: number[] = [];
    let missedWithoutDb = 0;
    for (let i = 0; i < o.alertsWithoutDb; i += 1) {
      const ms = await probe(o.alerts + i);
      if (ms === undefined) missedWithoutDb += 1;
      else withoutDb.push(ms);
      say(`InfluxDB stopped | falls ${i + 1}/${o.alertsWithoutDb}, last ${ms ?? '>30000'} ms`);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    }
    await influxd.start();
    fleet.stop();
    const processes = sampler.stop();
    const acked = fleet.acked;
    const sent = fleet.sent;

    // Everything acknowledged must reach InfluxDB once the ingest has caught up.
    const influx = createInflux(influxd.url, influxd.access);
    const demoDevices = new Set(fleetWatches.map((w) => w.deviceId));
    const countStored = async () => {
      const rows = await influx.query<{ count: number; device: string }>(
        `SELECT count("seq") AS count FROM vitals WHERE time >= ${(t0 - 60_000) * 1e6} GROUP BY device`,
      );
      return rows
        .groups()
        .reduce((n, g) => n + (demoDevices.has(g.tags.device!) ? Number(g.rows[0]?.count ?? 0) : 0), 0);
    };
    let stored = 0;
    let counted = false;
    for (let waited = 0; waited < 300; waited += 5) {
      stored = await countStored().then(
        (n) => ((counted = true), n),
        () => stored,
      );
      say(`waiting for the ingest to catch up: stored ${stored} of ${acked} acknowledged`);
      if (stored >= acked) break;
      await new Promise((r) => setTimeout(r, 5000));
    }
    // Never "lost" for a count that was never made.
    if (!counted)
      throw new Error('could not count the stored readings: InfluxDB did not answer for 5 minutes after its restart');
    const series = sampler.series.map((s, i) => {
      const before = sampler.series[i - 1];
      return {
        t: s.t,
        ackedPerSec: before
          ? Math.round(((s.counters.acked ?? 0) - (before.counters.acked ?? 0)) / (s.t - before.t))
          : 0,
        usage: s.usage,
      };
    });
    return {
      watches: o.watches,
      requestedWatches,
      openFilesLimit: fdLimit,
      seconds: Math.round(seconds),
      connect: { perSecond: started.ramp.perSecond, seconds: started.ramp.seconds, failures: started.ramp.failures },
      sent,
      deferred: fleet.deferred,
      acked,
      stored,
      lost: Math.max(0, acked - stored),
      msgsPerSec,
      processes,
      series,
      alert: latency(underLoad, missed),
      alertWithoutDb: latency(withoutDb, missedWithoutDb),
    };
  } finally {
    live?.close();
    for (const c of connections) c.end(true);
    if (demo.exitCode === null && demo.signalCode === null) {
      demo.kill('SIGINT');
      await once(demo, 'exit');
    }
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
