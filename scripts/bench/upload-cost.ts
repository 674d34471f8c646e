/**
 * `npm run bench:upload -- [latest.json]`: what the work no design of the device path can leave out
 * costs, per upload of 10 readings (the watches' batch, the ingest part's load): parsing and
 * checking it once (`parseVitals`, as the broker and the ingest do), and its line protocol
 * (`vitalsLine` for each reading, joined, as the ingest builds a group's points). Measured here, in
 * one thread, several rounds, medians.
 *
 * With a full run's figures (docs/benchmarks/latest.json by default), it sets them beside what that
 * run's ingest target leaves the broker and the ingest per upload (`ingest.cpuPerPoint`), and beside
 * what the same run's broker part measured Vigie's broker to spend relaying one message at its best
 * (100 publishers, small messages: its CPU over its messages/s). docs/SCALING.md §7 reads them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseVitals } from '../../devices/protocol.ts';
import { seriesKey, vitalsLine } from '../../ingest/line-protocol.ts';
import { batchPayload } from './ingest.ts';
import { vitalsPayload } from './lib/load.ts';

const READINGS = 10;
const UPLOADS = 20_000;
const ROUNDS = 7;
const file = process.argv[2] ?? 'docs/benchmarks/latest.json';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const micros = (from: bigint, count: number) => Number(process.hrtime.bigint() - from) / 1000 / count;

const uploads = Array.from({ length: UPLOADS }, (_, i) => batchPayload(i + 1, READINGS));
/** The broker part's messages: one reading each. */
const singles = Array.from({ length: UPLOADS }, (_, i) => vitalsPayload(i + 1));
const key = seriesKey('vitals', { device: 'bench-device-00001', patient: 'bench-patient-00001' });
const parse: number[] = [];
const parseOne: number[] = [];
const json: number[] = [];
const lines: number[] = [];
let kept = 0; // what each round made is used, so that none of it is optimised away
for (let round = 0; round < ROUNDS; round += 1) {
  const now = Date.now();
  const parsed = [];
  let t = process.hrtime.bigint();
  for (const upload of uploads) {
    const r = parseVitals(upload, { now });
    if (!r.ok) throw new Error(`the bench's upload was refused: ${r.error.reason}`);
    parsed.push(r.value);
  }
  parse.push(micros(t, UPLOADS));
  t = process.hrtime.bigint();
  for (const single of singles) kept += parseVitals(single, { now }).ok ? 1 : 0;
  parseOne.push(micros(t, UPLOADS));
  t = process.hrtime.bigint();
  for (const upload of uploads) kept += (JSON.parse(upload.toString()) as { samples: unknown[] }).samples.length;
  json.push(micros(t, UPLOADS));
  t = process.hrtime.bigint();
  for (const { samples, backfill } of parsed)
    kept += samples.map((s) => vitalsLine(key, s, backfill)).join('\n').length;
  lines.push(micros(t, UPLOADS));
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const cost = {
  parse: round2(median(parse)),
  parseOne: round2(median(parseOne)),
  jsonParse: round2(median(json)),
  lines: round2(median(lines)),
};
console.log(`per upload of ${READINGS} readings (${UPLOADS} uploads, median of ${ROUNDS} rounds):`);
console.log(`  parsed and checked once (parseVitals): ${cost.parse} µs (JSON.parse alone ${cost.jsonParse} µs)`);
console.log(`  line protocol (vitalsLine, joined):   ${cost.lines} µs`);
console.log(`  (a message of one reading, as in the broker part, parsed and checked: ${cost.parseOne} µs)`);
if (kept === 0) throw new Error('nothing was made');

interface Latest {
  date?: string;
  ingest?: {
    rawPointsPerSec: number;
    shareOfRaw: number;
    load: { samplesPerMessage: number };
    cpuPerPoint: { micros: Record<string, number>; targetShare: number; brokerAndIngestBudget: number };
  } | null;
  broker?: { runs: Array<{ config: string; msgsPerSec: number | null; cpuPercent: number | null }> } | null;
}
if (!existsSync(file)) {
  console.log(`(no ${file}: run npm run bench for the budget these go against)`);
} else {
  const latest = JSON.parse(readFileSync(file, 'utf8')) as Latest;
  const ingest = latest.ingest;
  const relays = (latest.broker?.runs ?? [])
    .filter((r) => r.config === 'vigie' && r.msgsPerSec && r.cpuPercent)
    .map((r) => (r.cpuPercent! * 10_000) / r.msgsPerSec!);
  if (!ingest || relays.length === 0) console.log(`(${file} has no ingest or broker part)`);
  else {
    const per = ingest.load.samplesPerMessage;
    const budget = round2(ingest.cpuPerPoint.brokerAndIngestBudget * per);
    const spent = round2(((ingest.cpuPerPoint.micros.broker ?? 0) + (ingest.cpuPerPoint.micros.ingest ?? 0)) * per);
    const relay = round2(median(relays));
    // The relay already parsed and checked its message of one reading.
    const least = round2(relay - cost.parseOne + cost.parse + cost.lines);
    console.log(`\nthe run of ${latest.date ?? '?'} (${file}), per upload of ${per} readings:`);
    console.log(
      `  what ${ingest.cpuPerPoint.targetShare} of raw (${ingest.rawPointsPerSec} points/s) leaves the broker and the ingest: ${budget} µs; they spent ${spent} (share ${ingest.shareOfRaw})`,
    );
    console.log(`  Vigie's broker relaying one message at its best (broker part): ${relay} µs`);
    console.log(
      `  that relay, with one parse and check of the upload instead of its reading's, and the line protocol: ${least} µs, ${least <= budget ? 'within' : 'over'} the budget, before any durable copy, alert rule, minute roll-up or write`,
    );
  }
}
