/**
 * What the ingest part's share of raw says. Raw line protocol is the limit the share is measured
 * against, and on this machine `influxd`'s own rate swings from round to round, busy with its
 * compactions of what the rounds before wrote (docs/SCALING.md §7): in one run of 1 December its
 * rounds gave 40,358, 153,509 and 53,266 points/s, and the share came out at 1.23 with the ingest
 * no faster than in the runs that measured 0.6. A share over the target is conclusive only when
 * raw's median is at least half its best round; otherwise it is a shortfall, to be measured again.
 */
export interface IngestShare {
  readonly pointsPerSec: number;
  /** Raw's median round. */
  readonly rawPointsPerSec: number;
  readonly shareOfRaw: number;
  readonly runs: ReadonlyArray<{ readonly config: 'ingest' | 'raw'; readonly pointsPerSec: number }>;
}

/** Raw's rounds, slowest and fastest (points/s). */
export function rawRange(ingest: IngestShare): { readonly min: number; readonly max: number } {
  const raw = ingest.runs.filter((r) => r.config === 'raw').map((r) => r.pointsPerSec);
  return { min: Math.min(...raw), max: Math.max(...raw) };
}

/**
 * The shortfalls of the ingest part against `target` (a share of raw), in the report's words;
 * `leastPathShare`: the least device path's share of raw in the same run (least-path.ts), which no
 * device path exceeds, given beside a share under the target.
 */
export function ingestShortfalls(ingest: IngestShare, target: number, leastPathShare?: number): string[] {
  const percent = Math.round(ingest.shareOfRaw * 100);
  if (ingest.shareOfRaw < target)
    return [
      `ingest: ${ingest.pointsPerSec} points/s = ${percent} % of raw writes (${ingest.rawPointsPerSec}/s), target ≥ ${target * 100} %${
        leastPathShare === undefined
          ? ''
          : `; the least device path (no authentication, alert rules or roll-up) carried ${Math.round(leastPathShare * 100)} % of raw in the same run`
      }`,
    ];
  const { max } = rawRange(ingest);
  if (ingest.rawPointsPerSec < max / 2)
    return [
      `ingest: ${percent} % of raw writes, but raw's median round (${ingest.rawPointsPerSec}/s) is under half its best (${max}/s): influxd was busy with its own work, so the share does not show the target met; measure again`,
    ];
  return [];
}
