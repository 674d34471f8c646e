/**
 * How the Node process itself is doing, on every service's /metrics: how late its event loop runs
 * (percentiles and maximum since the previous scrape), its garbage-collection pauses by kind, and its
 * heap. A service whose event loop stalls delays everything it carries, alarms included: these say
 * which process stalls and whether the collector is why.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Gauge, Histogram, type Registry } from 'prom-client';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function gcKind(entry: PerformanceEntry): string {
  const detail: unknown = 'detail' in entry ? entry.detail : undefined;
  const kind = typeof detail === 'object' && detail !== null && 'kind' in detail ? detail.kind : undefined;
  return (typeof kind === 'number' ? GC_KINDS[kind] : undefined) ?? 'other';
}

/**
 * The calling thread's time on a core and time runnable but waiting for one (Linux schedstat, in
 * seconds), or undefined elsewhere. Tells a loop held up by its own work from one starved of a core.
 */
function schedstat(): { running: number; waiting: number } | undefined {
  try {
    const [running, waiting] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return running === undefined || waiting === undefined
      ? undefined
      : { running: running / 1e9, waiting: waiting / 1e9 };
  } catch {
    return undefined;
  }
}

/** Registers the runtime figures in `registry`; returns the function that stops measuring. */
export function collectRuntimeMetrics(registry: Registry): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  new Gauge({
    name: 'vigie_eventloop_delay_seconds',
    help: 'event-loop delay since the previous scrape, by statistic (p50, p99, max)',
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      this.set({ stat: 'p50' }, delay.percentile(50) / 1e9);
      this.set({ stat: 'p99' }, delay.percentile(99) / 1e9);
      this.set({ stat: 'max' }, delay.max / 1e9);
      delay.reset();
    },
  });

  const pauses = new Histogram({
    name: 'vigie_gc_pause_seconds',
    help: 'garbage-collection pauses of the main thread, by kind (major, minor, incremental, weakcb)',
    labelNames: ['kind'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const longest = new Map<string, number>();
  new Gauge({
    name: 'vigie_gc_pause_max_seconds',
    help: 'longest garbage-collection pause since the previous scrape, by kind',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, seconds] of longest) this.set({ kind }, seconds);
      longest.clear();
    },
  });
  // Every entry of the list: the observer hands over several collections at once when they come close.
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = gcKind(entry);
      const seconds = entry.duration / 1000;
      pauses.observe({ kind }, seconds);
      longest.set(kind, Math.max(longest.get(kind) ?? 0, seconds));
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  new Gauge({
    name: 'vigie_main_thread_seconds',
    help: "the main thread's time since it started, by state: running on a core, or runnable and waiting for one (Linux only)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const times = schedstat();
      if (!times) return;
      this.set({ state: 'running' }, times.running);
      this.set({ state: 'waiting' }, times.waiting);
    },
  });

  new Gauge({
    name: 'vigie_heap_used_bytes',
    help: 'V8 heap in use',
    registers: [registry],
    collect() {
      this.set(getHeapStatistics().used_heap_size);
    },
  });

  return () => {
    observer.disconnect();
    delay.disable();
  };
}
