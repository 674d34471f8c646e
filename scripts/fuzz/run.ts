/**
 * The fuzz run: starts the suite, throws the inputs of a seed at its listeners in batches (a bounded
 * number of connections at a time), runs the legitimate clients after each batch, watches every
 * process, and returns what happened. Input n of a seed is a pure function of (seed, n), so any
 * stretch of a run can be replayed alone (`first`, `inputs`).
 */
import { RawConn } from './conn.ts';
import { CHECKS, LegitClients, type CheckName } from './checks.ts';
import { httpInputFor } from './inputs/http.ts';
import { liveInputFor } from './inputs/live.ts';
import { mqttTcpInputFor, mqttWsInputFor, relayInputFor } from './inputs/mqtt.ts';
import { signalInputFor } from './inputs/signal.ts';
import { LISTENERS, type Generator, type Input, type Listener, type Outcome } from './model.ts';
import { Rng } from './random.ts';
import { removeSuiteDir, startSuite, type Service, type Suite, type Watched } from './suite.ts';

export interface FuzzOptions {
  readonly seed: number;
  /** How many inputs. */
  readonly inputs: number;
  /** The number of the first input (to replay a stretch of a run). */
  readonly first?: number;
  readonly listeners?: readonly Listener[];
  /** Connections at a time. */
  readonly concurrency?: number;
  /** Inputs between two rounds of legitimate checks. */
  readonly batchSize?: number;
  readonly progress?: (line: string) => void;
  /** Keep the data folder (logs included) even when everything passed. */
  readonly keepData?: boolean;
}

export interface ListenerStats {
  inputs: number;
  byCategory: Record<string, { inputs: number; closedByServer: number }>;
  closedByServer: number;
  /** Inputs still unanswered at their hard deadline (the tool cut them). */
  cutAtDeadline: number;
  connectErrors: Record<string, number>;
  statuses: Record<string, number>;
  closeCodes: Record<string, number>;
  connacks: Record<string, number>;
}

export interface CheckStats {
  passed: number;
  failed: number;
  /** The first failures' reasons, with the round they happened in. */
  failures: string[];
}

export interface FuzzResult {
  readonly seed: number;
  readonly first: number;
  readonly requested: number;
  readonly sent: number;
  readonly listeners: readonly Listener[];
  readonly concurrency: number;
  readonly batchSize: number;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly stats: Record<Listener, ListenerStats>;
  readonly memoryBefore: Partial<Record<Watched, number>>;
  readonly memoryAfter: Partial<Record<Watched, number>>;
  /** Processes that ended while the inputs were thrown (none should). */
  readonly exits: Partial<Record<Watched, string>>;
  /** How each service ended when the run stopped it. */
  readonly exitCodes: Record<Service, string>;
  readonly rounds: number;
  readonly checks: Record<CheckName, CheckStats>;
  /** When a process ended: the inputs in flight then, and the last ones before (to replay). */
  readonly crash?: { readonly process: string; readonly inFlight: string[]; readonly recent: string[] };
  readonly toolErrors: string[];
  /** Answers that broke a listener's promise (Outcome.violation), the first ones, and how many in all. */
  readonly violations: { readonly count: number; readonly first: readonly string[] };
  readonly errorLogs: Record<Service, { count: number; messages: string[] }>;
  /** The data folder (logs), when kept. */
  readonly dataDir?: string;
  readonly ok: boolean;
}

const GENERATORS: Readonly<Record<Listener, Generator>> = {
  http: httpInputFor,
  live: liveInputFor,
  relay: relayInputFor,
  signal: signalInputFor,
  mqtt: mqttTcpInputFor,
  'mqtt-ws': mqttWsInputFor,
};

/** Shares of the inputs (the SFU and the relay take slower inputs: fewer of them would be seen otherwise). */
const WEIGHTS: Readonly<Record<Listener, number>> = {
  http: 26,
  live: 13,
  relay: 13,
  signal: 15,
  mqtt: 19,
  'mqtt-ws': 14,
};

/** An input's hard deadline: every wait inside is bounded; this is the net under them. */
const INPUT_DEADLINE_MS = 15_000;

export function inputAt(seed: number, n: number, listeners: readonly Listener[], suite: Pick<Suite, 'world'>): Input {
  const listener = new Rng(seed, 0, n).weighted(listeners.map((l) => [WEIGHTS[l], l] as const));
  return GENERATORS[listener](new Rng(seed, LISTENERS.indexOf(listener) + 1, n), suite.world);
}

function emptyStats(): ListenerStats {
  return {
    inputs: 0,
    byCategory: {},
    closedByServer: 0,
    cutAtDeadline: 0,
    connectErrors: {},
    statuses: {},
    closeCodes: {},
    connacks: {},
  };
}

const bump = (counts: Record<string, number>, key: string | number) =>
  (counts[String(key)] = (counts[String(key)] ?? 0) + 1);

class Deadline extends Error {
  override readonly name = 'Deadline';
}

async function throwOne(input: Input, suite: Suite): Promise<Outcome | 'deadline'> {
  const conns: RawConn[] = [];
  const open = async (port: number) => {
    const conn = await RawConn.open(port, input.from, 5000);
    conns.push(conn);
    return conn;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      input.run(open, suite.world),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Deadline()), INPUT_DEADLINE_MS);
      }),
    ]);
  } catch (error) {
    if (error instanceof Deadline) return 'deadline';
    const message = error instanceof Error ? error.message : String(error);
    if (/^E[A-Z]+$/.test(message)) return { serverClosed: false, connectError: message };
    throw error;
  } finally {
    clearTimeout(timer);
    for (const c of conns) c.destroy();
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const listeners = o.listeners ?? LISTENERS;
  const first = o.first ?? 0;
  const concurrency = o.concurrency ?? 48;
  const batchSize = o.batchSize ?? Math.max(500, Math.min(5000, Math.ceil(o.inputs / 10)));
  const say = o.progress ?? (() => undefined);
  const startedAt = new Date();
  const t0 = Date.now();
  const stats = Object.fromEntries(
    LISTENERS.filter((l) => listeners.includes(l)).map((l) => [l, emptyStats()]),
  ) as Record<Listener, ListenerStats>;
  const checks = Object.fromEntries(
    CHECKS.map((c): [CheckName, CheckStats] => [c, { passed: 0, failed: 0, failures: [] }]),
  ) as Record<CheckName, CheckStats>;
  const toolErrors: string[] = [];
  const violations = { count: 0, first: [] as string[] };
  say(`starting the suite (InfluxDB, broker, ingest, SFU, web)...`);
  const suite = await startSuite();
  const legit = new LegitClients(suite);
  let rounds = 0;
  const checkRound = async (label: string) => {
    rounds += 1;
    const results = await legit.run();
    const failed: string[] = [];
    for (const name of CHECKS) {
      const r = results[name];
      if (r.ok) checks[name].passed += 1;
      else {
        checks[name].failed += 1;
        failed.push(name);
        if (checks[name].failures.length < 5) checks[name].failures.push(`${label}: ${r.reason}`);
      }
    }
    return failed;
  };
  let exits: Partial<Record<Watched, string>>;
  let crash: FuzzResult['crash'];
  let sent = 0;
  let memoryBefore: Partial<Record<Watched, number>>;
  let memoryAfter: Partial<Record<Watched, number>>;
  let exitCodes: Record<Service, string>;
  let errorLogs: FuzzResult['errorLogs'];
  try {
    const initial = await checkRound('before any input');
    say(`legitimate clients before any input: ${initial.length ? `FAILED ${initial.join(', ')}` : 'all served'}`);
    memoryBefore = await suite.memory();
    const inFlight = new Map<number, Input>();
    const recent: string[] = [];
    const describe = (n: number, input: Input) => `#${n} ${input.listener} ${input.category} from ${input.from}`;
    for (let start = first; start < first + o.inputs && !crash; start += batchSize) {
      const end = Math.min(first + o.inputs, start + batchSize);
      suite.refreshSessions();
      let next = start;
      const watch = setInterval(() => {
        const now = suite.exits();
        const [ended] = Object.keys(now);
        if (ended && !crash)
          crash = {
            process: `${ended} (${String(now[ended as Watched])})`,
            inFlight: [...inFlight].map(([n, i]) => describe(n, i)),
            recent: recent.slice(-64),
          };
      }, 500);
      const worker = async () => {
        while (next < end && !crash) {
          const n = next++;
          let input: Input;
          try {
            input = inputAt(o.seed, n, listeners, suite);
          } catch (error) {
            if (toolErrors.length < 20)
              toolErrors.push(
                `#${n}: generating it: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
              );
            continue;
          }
          inFlight.set(n, input);
          let outcome: Outcome | 'deadline';
          try {
            outcome = await throwOne(input, suite);
          } catch (error) {
            if (toolErrors.length < 20)
              toolErrors.push(
                `${describe(n, input)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
              );
            continue;
          } finally {
            inFlight.delete(n);
          }
          recent.push(describe(n, input));
          if (recent.length > 256) recent.splice(0, recent.length - 64);
          sent += 1;
          const s = stats[input.listener];
          s.inputs += 1;
          const cat = (s.byCategory[input.category] ??= { inputs: 0, closedByServer: 0 });
          cat.inputs += 1;
          if (outcome === 'deadline') {
            s.cutAtDeadline += 1;
            continue;
          }
          if (outcome.serverClosed) {
            s.closedByServer += 1;
            cat.closedByServer += 1;
          }
          if (outcome.connectError) bump(s.connectErrors, outcome.connectError);
          if (outcome.status !== undefined) bump(s.statuses, outcome.status);
          if (outcome.closeCode !== undefined) bump(s.closeCodes, outcome.closeCode);
          if (outcome.connack !== undefined) bump(s.connacks, outcome.connack);
          if (outcome.violation !== undefined) {
            violations.count += 1;
            if (violations.first.length < 20) violations.first.push(`#${n}: ${outcome.violation}`);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      clearInterval(watch);
      exits = suite.exits();
      if (Object.keys(exits).length && !crash)
        crash = { process: Object.keys(exits).join(', '), inFlight: [], recent: recent.slice(-64) };
      const failed = await checkRound(`after input #${end - 1}`);
      say(
        `${end - first}/${o.inputs} inputs, ${Math.round((Date.now() - t0) / 1000)} s: legitimate clients ${failed.length ? `FAILED ${failed.join(', ')}` : 'all served'}${crash ? `; ${crash.process} ended` : ''}`,
      );
    }
    exits = suite.exits();
    memoryAfter = await suite.memory();
  } finally {
    errorLogs = suite.errorLogs();
    exitCodes = await suite.stop();
  }
  const failedChecks = CHECKS.some((c) => checks[c].failed > 0);
  const ok =
    !failedChecks &&
    Object.keys(exits).length === 0 &&
    !crash &&
    toolErrors.length === 0 &&
    violations.count === 0 &&
    Object.values(exitCodes).every((c) => c === 'code 0');
  const keep = o.keepData || !ok;
  if (!keep) removeSuiteDir(suite.dir);
  return {
    seed: o.seed,
    first,
    requested: o.inputs,
    sent,
    listeners,
    concurrency,
    batchSize,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - t0) / 1000),
    stats,
    memoryBefore,
    memoryAfter,
    exits,
    exitCodes,
    rounds,
    checks,
    ...(crash ? { crash } : {}),
    toolErrors,
    violations,
    errorLogs,
    ...(keep ? { dataDir: suite.dir } : {}),
    ok,
  };
}
