/**
 * The Node.js flags each service is started with, by `npm run demo` and by the benchmarks (which
 * measure the services as they run). The README (Configuration) tells operators to start them so.
 */
import { join } from 'node:path';

/**
 * V8's young generation for the services that take in every device message: semi-spaces of 64 MiB
 * instead of 16 (Node's advice: measure 16 to 128 under the real load). A group of a thousand uploads
 * lives across several turns of the event loop while it is stored and its alert rules run, so a small
 * young generation promotes it to the old one, which is then collected more often.
 *
 * Measured with npm run bench (30 November), steady phase of the fleet. Ingest: 300 s runs, three with
 * 16 against one with 64, collector 6 to 6.8 % of the time and 33 or 34 major collections against
 * 3.3 % and 14; full runs (600 s), 5.8 % and 62 against 3.1 % and 23. Broker: 1.9 to 2.2 % against
 * 1.1 % (300 s), 2.1 against 1.2 % (600 s). The longest pause did not reliably shorten (ingest 37 to
 * 111 ms with 16; 9.4 ms in the 300 s run with 64, 115 ms in the full run). In the overload (every
 * watch live), the ingest's collector 7.1 to 16.1 % against 5.3 to 5.8 %. It costs memory: the
 * ingest's heap in use 514 to 549 MiB at most (287 to 311), the broker's RSS 650 to 724 MiB (584 to
 * 624). The web service's collector did not change (1.1 to 1.5 % of the time) and its longest pause
 * grew (128 and 210 ms against 46 to 159): it keeps V8's default.
 *
 * The ingest part of npm run bench started the ingest without it until 1 December; given it, in a
 * profile there, the ingest's collector went from 20.3 to 8.0 % of its busy time, and its CPU from
 * 8.12 to 6.54 µs a point.
 */
const YOUNG_GENERATION = ['--max-semi-space-size=64'];
/** By service: the folder of its entry point (`broker`, `ingest`, `web`, `sfu`). */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  broker: YOUNG_GENERATION,
  ingest: YOUNG_GENERATION,
};

/**
 * The flags to start `service` with and, given `profileDir` (BENCH_PROFILE_DIR), a CPU profile of
 * each of its threads, written when it stops under `<profileDir>/<profileAs>`.
 */
export function nodeFlags(service: string, profileDir: string | undefined, profileAs = service): string[] {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, profileAs)}`] : [];
  return [...profile, ...(NODE_FLAGS[service] ?? [])];
}
