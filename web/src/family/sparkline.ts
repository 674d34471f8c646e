/** The pulse of the last hour as a glance (the console has the charts): a line, and its range in words. */
export interface Sparkline {
  /** SVG polyline points in a 300×60 box, 40 to 150 /min from bottom to top. */
  readonly points: string;
  readonly min: number;
  readonly max: number;
}

export const SPARK_WIDTH = 300;
export const SPARK_HEIGHT = 60;
const LOW = 40;
const HIGH = 150;

export function pulseSparkline(samples: ReadonlyArray<{ ts: number; hr?: number | undefined }>): Sparkline | undefined {
  const points = samples.flatMap((s) => (s.hr === undefined ? [] : [{ ts: s.ts, hr: s.hr }]));
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || points.length < 2) return undefined;
  const span = Math.max(1, last.ts - first.ts);
  const y = (hr: number) => SPARK_HEIGHT - ((Math.min(HIGH, Math.max(LOW, hr)) - LOW) / (HIGH - LOW)) * SPARK_HEIGHT;
  return {
    points: points
      .map((p) => `${(((p.ts - first.ts) / span) * SPARK_WIDTH).toFixed(1)},${y(p.hr).toFixed(1)}`)
      .join(' '),
    min: Math.round(Math.min(...points.map((p) => p.hr))),
    max: Math.round(Math.max(...points.map((p) => p.hr))),
  };
}
