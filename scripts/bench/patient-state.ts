/**
 * `npm run bench:state -- [patients] [seconds]`: what the state kept for every
 * patient of a node costs as a watch's readings come in: the NEWS2 window (the ingest's alert rule
 * and the web service's list) and the recent readings (the web service's family page). Each patient
 * gets a reading a second (pulse and SpO2; temperature every 30 s, breathing rate every 60 s, as the
 * simulated watches send them), all patients in the same second, as a node's watches started
 * together. Prints the CPU time of all of it, the costliest second (when every patient's state
 * grows at once), the garbage collector's time and major collections, and the memory kept.
 * No target: it shows what a change to that state does (docs/SCALING.md §3).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { gcKind } from '../../common/runtime-metrics.ts';
import { News2Window } from '../../ingest/rules/news2-window.ts';
import { RecentReadings } from '../../web/recent-readings.ts';

const patients = Number(process.argv[2] ?? 19_375);
const seconds = Number(process.argv[3] ?? 330);
if (!(Number.isInteger(patients) && patients > 0 && Number.isInteger(seconds) && seconds > 0))
  throw new TypeError('usage: patient-state.ts [patients] [seconds]');

let gcMs = 0;
let gcMaxMs = 0;
let majors = 0;
const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcMaxMs = Math.max(gcMaxMs, entry.duration);
    if (gcKind(entry) === 'major') majors += 1;
  }
});
gc.observe({ entryTypes: ['gc'] });

const windows = Array.from({ length: patients }, () => new News2Window());
const recent = Array.from({ length: patients }, () => new RecentReadings(720));
const T0 = Date.UTC(2026, 10, 30);
let worstMs = 0;
let worstAt = 0;
const started = performance.now();
for (let sec = 0; sec < seconds; sec += 1) {
  const secondStarted = performance.now();
  for (let p = 0; p < patients; p += 1) {
    const ts = T0 + sec * 1000 + (p % 1000);
    const sample: { ts: number; hr: number; spo2: number; temp?: number; rr?: number } = {
      ts,
      hr: 60 + ((p + sec) % 30),
      spo2: 94 + ((p * 7 + sec) % 5),
    };
    if (sec % 30 === p % 30) sample.temp = 36.5 + (p % 5) / 10;
    if (sec % 60 === p % 60) sample.rr = 12 + (p % 6);
    windows[p]!.add(sample);
    recent[p]!.add({ ts, seq: sec, hr: sample.hr, spo2: sample.spo2 });
  }
  const took = performance.now() - secondStarted;
  if (took > worstMs) [worstMs, worstAt] = [took, sec];
}
const totalMs = performance.now() - started;
await new Promise((resolve) => setTimeout(resolve, 100)); // the last collections' entries
gc.disconnect();
const memory = process.memoryUsage();
// Read after measuring, so that nothing measured was collected first.
const held = recent.reduce((n, r) => n + r.length, 0) + windows.filter((w) => w.newest() > T0).length;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
process.stdout.write(
  `${patients} patients, ${seconds} s of readings at 1 Hz: ${Math.round(totalMs)} ms of CPU in all; ` +
    `costliest second ${Math.round(worstMs)} ms (second ${worstAt}); ` +
    `garbage collector ${Math.round(gcMs)} ms, longest pause ${Math.round(gcMaxMs)} ms, ${majors} major collections; ` +
    `RSS ${mib(memory.rss)} MiB, of which typed arrays ${mib(memory.arrayBuffers)} MiB (${held} readings and windows held)\n`,
);
