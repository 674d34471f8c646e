/**
 * What the work no design of the device path leaves out costs, per upload of `readings` readings (the
 * watches' batch, the ingest part's load): parsing and checking it once (`parseVitals`, as the broker
 * and the ingest each do), and its line protocol (`vitalsLine` for each reading, joined, as the
 * ingest builds a group's points). In one thread, several rounds, medians.
 *
 * The ingest part of `npm run bench` measures it after its rounds, on the same machine in the same
 * hour as the budget it is set against (`ingest.leastWork` in latest.json; docs/SCALING.md §7).
 * `npm run bench:upload -- [readings]` measures it alone.
 */
import { pathToFileURL } from 'node:url';
import { parseVitals } from '../../devices/protocol.ts';
import { seriesKey, vitalsLine } from '../../ingest/line-protocol.ts';
import { percentile } from './lib/alert-stages.ts';
import { batchPayload, vitalsPayload } from './lib/load.ts';

/** µs per upload (medians of the rounds). */
export interface UploadCost {
  readonly readings: number;
  /** Parsed and checked once (`parseVitals`). */
  readonly parse: number;
  /** Of which `JSON.parse` alone. */
  readonly jsonParse: number;
  /** A message of one reading (the broker part's) parsed and checked. */
  readonly parseOne: number;
  /** Its readings' line protocol, joined. */
  readonly lines: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
/** The median round (of the lower two for an even count), rounded to 0.01 µs. */
const median = (xs: readonly number[]) => round2(percentile(xs, 50)!);

export function measureUploadCost(readings = 10, uploads = 20_000, rounds = 7): UploadCost {
  const batches = Array.from({ length: uploads }, (_, i) => batchPayload(i + 1, readings));
  const singles = Array.from({ length: uploads }, (_, i) => vitalsPayload(i + 1));
  const key = seriesKey('vitals', { device: 'bench-device-00001', patient: 'bench-patient-00001' });
  const parse: number[] = [];
  const parseOne: number[] = [];
  const json: number[] = [];
  const lines: number[] = [];
  const micros = (from: bigint) => Number(process.hrtime.bigint() - from) / 1000 / uploads;
  let kept = 0; // what each round makes is used, so that none of it is optimised away
  for (let round = 0; round < rounds; round += 1) {
    const now = Date.now();
    const parsed = [];
    let t = process.hrtime.bigint();
    for (const upload of batches) {
      const r = parseVitals(upload, { now });
      if (!r.ok) throw new Error(`the bench's upload was refused: ${r.error.reason}`);
      parsed.push(r.value);
    }
    parse.push(micros(t));
    t = process.hrtime.bigint();
    for (const single of singles) kept += parseVitals(single, { now }).ok ? 1 : 0;
    parseOne.push(micros(t));
    t = process.hrtime.bigint();
    for (const upload of batches) kept += (JSON.parse(upload.toString()) as { samples: unknown[] }).samples.length;
    json.push(micros(t));
    t = process.hrtime.bigint();
    for (const { samples, backfill } of parsed)
      kept += samples.map((s) => vitalsLine(key, s, backfill)).join('\n').length;
    lines.push(micros(t));
  }
  if (kept === 0) throw new Error('nothing was made');
  return {
    readings,
    parse: median(parse),
    jsonParse: median(json),
    parseOne: median(parseOne),
    lines: median(lines),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const readings = Number(process.argv[2] ?? 10);
  if (!(Number.isInteger(readings) && readings > 0)) throw new TypeError('usage: upload-cost.ts [readings]');
  const c = measureUploadCost(readings);
  console.log(`per upload of ${c.readings} readings (median of the rounds):`);
  console.log(`  parsed and checked once (parseVitals): ${c.parse} µs (JSON.parse alone ${c.jsonParse} µs)`);
  console.log(`  line protocol (vitalsLine, joined):   ${c.lines} µs`);
  console.log(`  a message of one reading (the broker part's), parsed and checked: ${c.parseOne} µs`);
}
