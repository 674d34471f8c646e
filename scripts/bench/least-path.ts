/**
 * `npm run bench:least-path -- [rounds]`: what the least device path carries into InfluxDB on this
 * machine, as a share of raw line protocol into the same influxd, measured as the ingest part of
 * `npm run bench` measures Vigie's (same load, same batches, same sustained rounds interleaved with
 * raw ones).
 *
 * The path (least-path-child.ts) is stock aedes receiving the uploads, one parse and check of each,
 * its line protocol, one durable append per turn before the PUBACKs, and the ingest's writes: no
 * authentication, alert rules, minute roll-up, live values or duplicate check. Whatever Vigie's
 * device path does, it does at least this, on the same two cores as influxd, so this share bounds
 * Vigie's ingest ÷ raw from above here (issue 17; docs/SCALING.md §7).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startInfluxd } from '../../common/influxd.ts';
import { percentile } from './lib/alert-stages.ts';
import { startLeastPath } from './lib/processes.ts';
import { RawWrites } from './lib/raw-writes.ts';
import { sustainedRound, type PathCounts } from './lib/sustained-round.ts';

/** As the ingest part of `npm run bench` (scripts/bench/index.ts, scripts/bench/ingest.ts). */
const PUBLISHERS = 20;
const READINGS = 10;
const BATCH = 5_000;

export interface LeastPathRound {
  readonly config: 'least path' | 'raw';
  readonly round: number;
  readonly pointsPerSec: number;
  readonly cpu: Record<string, number>;
}

export interface LeastPathResult {
  readonly pointsPerSec: number;
  readonly rawPointsPerSec: number;
  readonly share: number;
  readonly runs: readonly LeastPathRound[];
}

export interface LeastPathOptions {
  readonly rounds: number;
  /** Of each round (the ingest part's `--round-seconds`). */
  readonly seconds: number;
  /** Each round's figures, as a line. */
  readonly log?: (line: string) => void;
  readonly progress?: (done: number, total: number, label: string) => void;
}

export async function benchLeastPath(o: LeastPathOptions): Promise<LeastPathResult> {
  const { rounds, seconds } = o;
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'vigie-bench-least-path-'));
  const influxd = await startInfluxd({ dir: join(dir, 'influxdb') });
  try {
    const path = await startLeastPath(dir, influxd.env);
    try {
      const stats = () => JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as PathCounts;
      const watches = Array.from({ length: PUBLISHERS }, (_, i) => ({
        deviceId: `bench-device-${String(i + 1).padStart(5, '0')}`,
        secret: 'least-path-has-no-authentication',
        patientId: `bench-patient-${String(i + 1).padStart(5, '0')}`,
      }));
      const raw = new RawWrites(influxd, watches, BATCH);
      await raw.prepare();
      const runs: LeastPathRound[] = [];
      for (let round = 1; round <= rounds; round += 1) {
        o.progress?.(runs.length, 2 * rounds, `least path, round ${round}`);
        const r = await sustainedRound({
          port: path.port,
          watches,
          firstUpload: round * 1_000_000,
          samplesPerMessage: READINGS,
          seconds,
          pids: { path: path.pid, influxd: influxd.pid! },
          counts: stats,
        });
        runs.push({ config: 'least path', round, pointsPerSec: r.pointsPerSec, cpu: r.cpu });
        log(describe(runs.at(-1)!));
        o.progress?.(runs.length, 2 * rounds, `raw, round ${round}`);
        runs.push({ config: 'raw', round, ...(await raw.round(seconds)) });
        log(describe(runs.at(-1)!));
      }
      const median = (config: LeastPathRound['config']) =>
        percentile(
          runs.filter((r) => r.config === config).map((r) => r.pointsPerSec),
          50,
        )!;
      const pointsPerSec = median('least path');
      const rawPointsPerSec = median('raw');
      o.progress?.(2 * rounds, 2 * rounds, 'done');
      return { pointsPerSec, rawPointsPerSec, share: Math.round((pointsPerSec / rawPointsPerSec) * 100) / 100, runs };
    } finally {
      await path.stop();
    }
  } finally {
    await influxd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(r: LeastPathRound): string {
  const cpu = Object.entries(r.cpu)
    .map(([k, v]) => `${k} ${v} %`)
    .join(', ');
  return `${r.config} #${r.round}: ${r.pointsPerSec} points/s (CPU ${cpu})`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 3);
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new TypeError('usage: least-path.ts [rounds]');
  const r = await benchLeastPath({ rounds, seconds: 10, log: console.log });
  console.log(
    `least path ${r.pointsPerSec} points/s ÷ raw ${r.rawPointsPerSec} points/s = ${r.share} (medians of ${rounds} rounds)`,
  );
}
