/** Figures read from a service's /metrics (Prometheus text format). */

/** The first sample of a metric (whatever its labels, if any); undefined if it is not there. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
