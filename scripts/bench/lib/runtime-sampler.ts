/**
 * The services' own runtime figures (common/runtime-metrics.ts on their /metrics), read every few
 * seconds over a phase: how late each event loop ran, how long the collector paused it, how much heap
 * it held. Which process stalls, and whether the collector is why.
 */

/** One scrape of one service. */
export interface RuntimeScrape {
  /** Seconds since the sampler started. */
  readonly t: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly gcMaxMs: number;
  /** Collector pauses in total since the service started, and of those the major ones. */
  readonly gcSeconds: number;
  readonly majorGcs: number;
  readonly heapUsedMiB: number;
  /** The main thread's time on a core, and runnable but waiting for one, since it started (s; 0: not reported). */
  readonly runningSeconds: number;
  readonly waitingSeconds: number;
}

/** A service's figures over the sampling. */
export interface RuntimeSummary {
  /** The worst p99 of event-loop delay over any scrape interval, and the longest delay seen. */
  readonly loopP99MaxMs: number;
  readonly loopMaxMs: number;
  /** Longest collector pause, pauses' total (and as a share of the time sampled), major collections. */
  readonly gcPauseMaxMs: number;
  readonly gcPauseSeconds: number;
  readonly gcPausePercent: number;
  readonly majorGcs: number;
  readonly heapUsedPeakMiB: number;
  /** The main thread's share of the time on a core, and waiting for one (a starved loop waits). */
  readonly mainRunningPercent: number;
  readonly mainWaitingPercent: number;
  /** The most it waited for a core in any one interval between scrapes (ms). */
  readonly mainWaitingMaxMs: number;
}

function value(text: string, name: string, labels = ''): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    const n = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(n)) out.push(n);
  }
  return out;
}

/** The runtime figures in one /metrics text (undefined: the service does not report them). */
export function parseRuntime(text: string, t: number): RuntimeScrape | undefined {
  const heap = value(text, 'vigie_heap_used_bytes')[0];
  if (heap === undefined) return undefined;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    t,
    loopP99Ms: (value(text, 'vigie_eventloop_delay_seconds', 'stat="p99"')[0] ?? 0) * 1000,
    loopMaxMs: (value(text, 'vigie_eventloop_delay_seconds', 'stat="max"')[0] ?? 0) * 1000,
    gcMaxMs: Math.max(0, ...value(text, 'vigie_gc_pause_max_seconds')) * 1000,
    gcSeconds: sum(value(text, 'vigie_gc_pause_seconds_sum')),
    majorGcs: sum(value(text, 'vigie_gc_pause_seconds_count', 'kind="major"')),
    heapUsedMiB: heap / 2 ** 20,
    runningSeconds: value(text, 'vigie_main_thread_seconds', 'state="running"')[0] ?? 0,
    waitingSeconds: value(text, 'vigie_main_thread_seconds', 'state="waiting"')[0] ?? 0,
  };
}

export class RuntimeSampler {
  readonly series: Record<string, RuntimeScrape[]> = {};
  readonly #urls: Record<string, string>;
  readonly #timer: NodeJS.Timeout;
  readonly #start = Date.now();

  /** `urls`: each service's /metrics address, by name. */
  constructor(urls: Record<string, string>, everyMs = 5000) {
    this.#urls = urls;
    for (const name of Object.keys(urls)) this.series[name] = [];
    // A first scrape resets each service's windows, so the first interval is this sampler's own.
    void this.#sample(false);
    this.#timer = setInterval(() => void this.#sample(true), everyMs).unref();
  }

  async #sample(keep: boolean): Promise<void> {
    const t = (Date.now() - this.#start) / 1000;
    await Promise.all(
      Object.entries(this.#urls).map(async ([name, url]) => {
        const text = await fetch(url, { signal: AbortSignal.timeout(4000) }).then(
          (r) => r.text(),
          () => '',
        );
        const scrape = parseRuntime(text, t);
        if (scrape && keep) this.series[name]!.push(scrape);
      }),
    );
  }

  stop(): Record<string, RuntimeSummary> {
    clearInterval(this.#timer);
    const out: Record<string, RuntimeSummary> = {};
    for (const [name, xs] of Object.entries(this.series)) {
      const first = xs[0];
      const last = xs.at(-1);
      if (!first || !last) continue;
      const gcPauseSeconds = last.gcSeconds - first.gcSeconds;
      const round = (x: number) => Math.round(x * 10) / 10;
      const span = Math.max(1, last.t - first.t);
      const waits = xs.slice(1).map((x, i) => x.waitingSeconds - xs[i]!.waitingSeconds);
      out[name] = {
        loopP99MaxMs: round(Math.max(...xs.map((x) => x.loopP99Ms))),
        loopMaxMs: round(Math.max(...xs.map((x) => x.loopMaxMs))),
        gcPauseMaxMs: round(Math.max(...xs.map((x) => x.gcMaxMs))),
        gcPauseSeconds: round(gcPauseSeconds),
        gcPausePercent: round((100 * gcPauseSeconds) / span),
        majorGcs: last.majorGcs - first.majorGcs,
        heapUsedPeakMiB: Math.round(Math.max(...xs.map((x) => x.heapUsedMiB))),
        mainRunningPercent: round((100 * (last.runningSeconds - first.runningSeconds)) / span),
        mainWaitingPercent: round((100 * (last.waitingSeconds - first.waitingSeconds)) / span),
        mainWaitingMaxMs: Math.round(1000 * Math.max(0, ...waits)),
      };
    }
    return out;
  }
}
