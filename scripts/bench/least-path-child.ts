/**
 * The least device path into InfluxDB, for `npm run bench:least-path` (least-path.ts): stock aedes
 * (no authentication, ACL, durable session or publish pacing) receives the watches' uploads; each is
 * parsed and checked once (`parseVitals`), its readings become line protocol (`vitalsLine`), a turn's
 * uploads are appended once to an `AppendLog` before their PUBACKs, and a writer sends the log's
 * records to InfluxDB as the ingest does (up to 40,000 points a request, four in flight, in order).
 * No alert rules, minute roll-up, live values, duplicate check or alarm lane: every Vigie path does
 * this and more. Not a product: a bound.
 *
 * argv: port, folder for the log, stats file; INFLUX_URL, INFLUX_USERNAME, INFLUX_PASSWORD, INFLUX_CA
 * (a certificate file) as for the ingest. Writes {written, taken, queued} to the stats file every
 * 250 ms.
 */
import { Aedes } from 'aedes';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseVitals } from '../../devices/protocol.ts';
import { parseDeviceTopic } from '../../devices/topics.ts';
import { AppendLog } from '../../ingest/append-log.ts';
import { ensureDatabase } from '../../ingest/database.ts';
import { createInflux, createLineWriter } from '../../ingest/influx-client.ts';
import { seriesKey, vitalsLine } from '../../ingest/line-protocol.ts';
import { RETENTION } from '../../ingest/schema.ts';
import { CATCH_UP_BATCHES, REQUESTS_IN_FLIGHT } from '../../ingest/writer.ts';
import { QUEUE_POINTS } from './lib/sustained-round.ts';

const [port, logDir, statsPath] = process.argv.slice(2) as [string, string, string];
const url = process.env.INFLUX_URL!;
const access = {
  username: process.env.INFLUX_USERNAME!,
  password: process.env.INFLUX_PASSWORD!,
  ca: readFileSync(process.env.INFLUX_CA!, 'utf8'),
};
await ensureDatabase(createInflux(url, access));
const influx = createLineWriter(url, access);
const log = new AppendLog(logDir, { removedUpTo: 0 });

/** The ingest's batch (INGEST_BATCH_SIZE, its default), and its requests while its queue is behind. */
const BATCH = 5_000;
const PER_REQUEST = CATCH_UP_BATCHES * BATCH;
const NEWLINE = Buffer.from('\n');

interface Group {
  readonly id: number;
  readonly n: number;
  readonly lines: Buffer;
}
/** Appended, not yet written; the first `sent` are in requests. */
const queue: Group[] = [];
let queued = 0;
let sent = 0;
let inFlight = 0;
let written = 0;
let taken = 0;
let nextId = 1;
/** Appended groups waiting for room, with their PUBACKs. */
const held: Array<{ group: Group; acks: Array<() => void> }> = [];
let turn: { lines: string[]; acks: Array<() => void> } | undefined;
const keys = new Map<string, string>();

function endOfTurn(): void {
  const { lines, acks } = turn!;
  turn = undefined;
  const group = { id: nextId++, n: lines.length, lines: Buffer.from(lines.join('\n')) };
  log.append(group.id, group.n, group.lines);
  if (held.length > 0 || queued + group.n > QUEUE_POINTS) held.push({ group, acks });
  else admit(group, acks);
}

function admit(group: Group, acks: Array<() => void>): void {
  queue.push(group);
  queued += group.n;
  taken += group.n;
  for (const ack of acks) ack();
  send();
}

function send(): void {
  while (inFlight < REQUESTS_IN_FLIGHT && sent < queue.length) {
    const groups: Group[] = [];
    let n = 0;
    for (let i = sent; i < queue.length && n < PER_REQUEST; i += 1) {
      groups.push(queue[i]!);
      n += queue[i]!.n;
    }
    sent += groups.length;
    inFlight += 1;
    const body = Buffer.concat(groups.flatMap((g, i) => (i === 0 ? [g.lines] : [NEWLINE, g.lines])));
    influx.write(body, { retentionPolicy: RETENTION.raw.name }).then(
      () => done(groups),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
}

/** Requests are answered in any order; a group leaves the queue once it and every group before it is written. */
const answered = new Set<Group>();
function done(groups: readonly Group[]): void {
  inFlight -= 1;
  for (const g of groups) answered.add(g);
  while (queue.length > 0 && answered.delete(queue[0]!)) {
    const g = queue.shift()!;
    sent -= 1;
    queued -= g.n;
    written += g.n;
    log.removeUpTo(g.id);
  }
  while (held.length > 0 && queued + held[0]!.group.n <= QUEUE_POINTS) {
    const { group, acks } = held.shift()!;
    admit(group, acks);
  }
  send();
}

/** Whole or not at all (the reader never sees a file being written). */
const writeStats = () => {
  writeFileSync(`${statsPath}.new`, JSON.stringify({ written, taken, queued }));
  renameSync(`${statsPath}.new`, statsPath);
};
writeStats(); // before it says it listens
setInterval(writeStats, 250).unref();
const aedes = await Aedes.createBroker();
aedes.authorizePublish = (_client, packet, callback) => {
  const topic = parseDeviceTopic(packet.topic);
  if (topic?.channel !== 'vitals') return callback(new Error('not a vitals topic'));
  const parsed = parseVitals(packet.payload as Buffer, { now: Date.now() });
  if (!parsed.ok) return callback(new Error(parsed.error.reason));
  let key = keys.get(topic.deviceId);
  if (key === undefined)
    keys.set(topic.deviceId, (key = seriesKey('vitals', { device: topic.deviceId, patient: `p-${topic.deviceId}` })));
  if (turn === undefined) {
    turn = { lines: [], acks: [] };
    setImmediate(endOfTurn);
  }
  for (const s of parsed.value.samples) turn.lines.push(vitalsLine(key, s, parsed.value.backfill));
  turn.acks.push(() => callback(null));
};
const server = createServer(aedes.handle);
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`least path listening on ${port}\n`));
process.once('SIGTERM', () => {
  log.close();
  process.exit(0);
});
