/**
 * Ingest throughput into InfluxDB against the physical limit: points/s written by the ingest (watches
 * publish batches of readings through the broker; the ingest validates, queues durably and writes
 * batches) against raw line-protocol HTTP writes of the same points, in the same batch size, to the
 * same influxd. Interleaved rounds; medians and the ratio are reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../common/free-port.ts';
import { startInfluxd } from '../../common/influxd.ts';
import { registryPath } from '../../common/paths.ts';
import { Registry } from '../../web/registry.ts';
import type { Credentials } from './lib/load.ts';
import { measureUploadCost, type UploadCost } from './upload-cost.ts';
import { percentile } from './lib/alert-stages.ts';
import { metricValue } from './lib/metrics-text.ts';
import { RawWrites } from './lib/raw-writes.ts';
import { startService, type Running } from './lib/processes.ts';
import { QUEUE_POINTS, sustainedRound, type PathCounts } from './lib/sustained-round.ts';

export interface IngestBenchOptions {
  readonly publishers: number;
  readonly samplesPerMessage: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly batchSize: number;
  /** The share of raw the target asks for (the CPU budget per point is worked out for it). */
  readonly targetShare: number;
  readonly progress?: (done: number, total: number, label: string) => void;
}
export interface IngestBenchResult {
  readonly pointsPerSec: number;
  readonly rawPointsPerSec: number;
  readonly shareOfRaw: number;
  readonly runs: Array<{
    config: 'ingest' | 'raw';
    round: number;
    /** Points written to InfluxDB per second. */
    pointsPerSec: number;
    /** Points taken in (stored in the subscriber's queue) per second: more than written while its queue fills. */
    takenInPerSec?: number;
    /** Seconds from the load's start until the ingest's queue was 90 % full (the round started 2 s later). */
    fillSeconds?: number;
    cpu: Record<string, number>;
  }>;
  /**
   * CPU time each process spent per point through the ingest (µs, medians of the rounds; 1 % of a
   * core at 1,000 points/s is 10 µs a point), and what the target leaves: on this machine's cores, at
   * `targetShare` of the raw rate, the broker and the ingest together may spend `brokerAndIngestBudget`
   * once influxd and the load generator have had theirs.
   */
  readonly cpuPerPoint: {
    readonly micros: Record<string, number>;
    readonly targetShare: number;
    readonly cores: number;
    readonly brokerAndIngestBudget: number;
  };
  readonly load: { publishers: number; samplesPerMessage: number; seconds: number; rounds: number; batchSize: number };
  /** The work per upload no design of the device path leaves out, measured after the rounds (upload-cost.ts). */
  readonly leastWork: UploadCost;
}

const median = (xs: readonly number[]) => percentile(xs, 50) ?? Number.NaN;

export async function benchIngest(o: IngestBenchOptions): Promise<IngestBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-bench-ingest-'));
  const running: Running[] = [];
  const influxd = await startInfluxd({ dir: join(dir, 'influxdb') });
  try {
    const registry = Registry.open(registryPath(dir));
    const watches: Array<Credentials & { patientId: string }> = [];
    for (let i = 0; i < o.publishers; i += 1) {
      const p = await registry.provisionPatient(`Ingest ${i + 1}`);
      watches.push({ deviceId: p.deviceId, secret: p.secret, patientId: p.patientId });
    }
    const ingestSecret = await registry.setService('svc:ingest', 'ingest');
    registry.close();
    const env = {
      VIGIE_DATA_DIR: dir,
      LOG_LEVEL: 'info',
      MQTT_PORT: String(await freePort()),
      MQTT_WS_PORT: String(await freePort()),
      BROKER_METRICS_PORT: String(await freePort()),
      // The ingest bench's publishers send as fast as they are acknowledged, far beyond a watch's pace.
      MQTT_PUBLISH_RATE: '0',
    };
    const broker = await startService('broker', 'broker/main.ts', env, 'broker listening');
    running.push(broker);
    const metricsPort = await freePort();
    const ingest = await startService(
      'ingest',
      'ingest/main.ts',
      {
        ...env,
        MQTT_URL: `mqtt://127.0.0.1:${env.MQTT_PORT}`,
        INGEST_MQTT_SECRET: ingestSecret,
        ...influxd.env,
        INGEST_BATCH_SIZE: String(o.batchSize),
        INGEST_BUFFER_MAX_POINTS: String(QUEUE_POINTS),
        INGEST_METRICS_PORT: String(metricsPort),
        INGEST_API_PORT: String(await freePort()),
        VIGIE_SERVICE_TOKEN: randomBytes(32).toString('base64url'),
      },
      'connected to broker',
    );
    running.push(ingest);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const raw = new RawWrites(influxd, watches, o.batchSize);
    await raw.prepare();

    const runs: IngestBenchResult['runs'] = [];
    const total = o.rounds * 2;
    /** Readings in through the broker, points written to InfluxDB by the ingest. */
    const counts = async (): Promise<PathCounts> => {
      const text = await (await fetch(metricsUrl)).text();
      return {
        written: metricValue(text, 'vigie_ingest_points_written_total') ?? 0,
        taken: metricValue(text, 'vigie_ingest_points_queued_total') ?? 0,
        queued: metricValue(text, 'vigie_ingest_queue_depth') ?? 0,
      };
    };
    const through = async (round: number, firstUpload: number) => {
      o.progress?.(runs.length, total, `ingest, round ${round}`);
      const r = await sustainedRound({
        port: Number(env.MQTT_PORT),
        watches,
        firstUpload,
        samplesPerMessage: o.samplesPerMessage,
        seconds: o.seconds,
        pids: { ingest: ingest.pid, broker: broker.pid, influxd: influxd.pid! },
        counts,
      });
      runs.push({ config: 'ingest', round, ...r });
    };
    for (let round = 1; round <= o.rounds; round += 1) {
      await through(round, round * 1_000_000);
      o.progress?.(runs.length, total, `raw, round ${round}`);
      runs.push({ config: 'raw', round, ...(await raw.round(o.seconds)) });
    }
    o.progress?.(total, total, 'done');
    const leastWork = measureUploadCost(o.samplesPerMessage);
    const medianOf = (config: 'ingest' | 'raw') =>
      median(runs.filter((r) => r.config === config).map((r) => r.pointsPerSec));
    const pointsPerSec = medianOf('ingest');
    const rawPointsPerSec = medianOf('raw');
    /** CPU time per point of each process (µs, medians of the rounds; 1 % of a core at 1,000 points/s is 10 µs). */
    const of = runs.filter((r) => r.config === 'ingest');
    const micros = Object.fromEntries(
      Object.keys(of[0]?.cpu ?? {}).map((k) => [
        k,
        Math.round(median(of.map((r) => ((r.cpu[k] ?? 0) * 10_000) / r.pointsPerSec)) * 100) / 100,
      ]),
    );
    const cores = availableParallelism();
    const perPointAtTarget = (cores * 1e6) / (o.targetShare * rawPointsPerSec);
    return {
      pointsPerSec,
      rawPointsPerSec,
      shareOfRaw: Math.round((pointsPerSec / rawPointsPerSec) * 100) / 100,
      runs,
      cpuPerPoint: {
        micros,
        targetShare: o.targetShare,
        cores,
        brokerAndIngestBudget: Math.round((perPointAtTarget - (micros.influxd ?? 0) - (micros.bench ?? 0)) * 100) / 100,
      },
      load: {
        publishers: o.publishers,
        samplesPerMessage: o.samplesPerMessage,
        seconds: o.seconds,
        rounds: o.rounds,
        batchSize: o.batchSize,
      },
      leastWork,
    };
  } finally {
    await Promise.all(running.reverse().map((r) => r.stop()));
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
