/**
 * The processes a benchmark runs, each on free loopback ports and stopped afterwards: Vigie's own
 * services (as `npm run demo` starts them), stock aedes, Mosquitto (Debian package), and CPU / memory
 * sampling of any of them (pidusage).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import pidusage from 'pidusage';
import { freePort } from '../../../common/free-port.ts';
import { nodeFlags } from '../../node-flags.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface Running {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** Last lines of its output, for an error message. */
  tail(): string;
  /** How it ended (undefined while it runs): an exit the caller did not ask for is a crash. */
  exit(): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  stop(): Promise<void>;
}

/** Resolves once something accepts TCP connections on the loopback port. */
async function listening(port: number, timeoutMs = 30_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on port ${port} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function supervisedHandle(name: string, child: ChildProcess, port: number): Running {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  return {
    name,
    pid: child.pid!,
    port,
    tail: () => '',
    exit: () => exit,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Watches `child` until it is ready: a line of its output `ready` accepts, or the promise `ready`
 * resolving. Not ready within `timeoutMs`: killed.
 */
function supervise(
  name: string,
  child: ChildProcess,
  port: number,
  ready: ((line: string) => boolean) | Promise<void>,
  timeoutMs = 60_000,
): Promise<Running> {
  let lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 40) lines = lines.slice(-40);
  };
  const running: Running = { ...supervisedHandle(name, child, port), tail: () => lines.join('\n') };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // nobody holds a handle to stop it: it would outlive the caller
      reject(new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${running.tail()}`));
    }, timeoutMs);
    const isReady = () => {
      clearTimeout(timer);
      resolvePromise(running);
    };
    if (typeof ready !== 'function') ready.then(isReady, reject);
    const onLine = (line: string) => {
      keep(line);
      if (typeof ready === 'function' && ready(line)) isReady();
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}):\n${running.tail()}`));
    });
  });
}

/**
 * BENCH_PROFILE_DIR: each Node process the bench starts (Vigie's services, stock aedes) writes CPU
 * profiles under <dir>/<name> when it stops, one per thread (the main one is the largest; open it in
 * Chrome DevTools, or sum it with scripts/bench/profile-summary.ts).
 */
const profileDir = (): string | undefined => process.env.BENCH_PROFILE_DIR;

/**
 * A Vigie service (`broker/main.ts`, `ingest/main.ts`, `web/main.ts`) with its data folder and env,
 * and the Node.js flags `npm run demo` gives it (scripts/node-flags.ts).
 */
export async function startService(
  name: string,
  entry: string,
  env: Record<string, string>,
  readyMsg: string,
  /** Also write everything it prints to this file (to read a crash's stack afterwards). */
  logFile?: string,
): Promise<Running> {
  const service = entry.split('/')[0] ?? '';
  const child = spawn(
    process.execPath,
    [...nodeFlags(service, profileDir(), name), '--import', 'tsx', join(ROOT, entry)],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (logFile) {
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  }
  return supervise(name, child, Number(env.MQTT_PORT ?? env.WEB_PORT ?? 0), (line) =>
    line.includes(`"msg":"${readyMsg}"`),
  );
}

/**
 * Stock aedes: default in-memory persistence, no authentication, default sockets; Node.js started
 * with the same flags as Vigie's broker, so that the two brokers are compared, not their heaps.
 */
export function startStockAedes(): Promise<Running> {
  return startBenchServer({
    name: 'aedes',
    flagsOf: 'broker',
    script: 'stock-aedes.ts',
    ready: 'stock aedes listening',
  });
}

/**
 * The least device path (scripts/bench/least-path-child.ts), its log and its stats file in `dir`,
 * given the ingest's InfluxDB variables; Node.js started with the ingest's flags.
 */
export function startLeastPath(dir: string, influxEnv: Record<string, string>): Promise<Running> {
  return startBenchServer({
    name: 'least path',
    flagsOf: 'ingest',
    script: 'least-path-child.ts',
    args: [join(dir, 'log'), join(dir, 'stats.json')],
    env: influxEnv,
    ready: 'least path listening',
  });
}

/** A server of scripts/bench/ on a free port (its first argument), ready once it prints a line starting with `ready`. */
async function startBenchServer(o: {
  name: string;
  /** The service whose Node.js flags it is started with. */
  flagsOf: string;
  script: string;
  args?: readonly string[];
  env?: Record<string, string>;
  ready: string;
}): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags(o.flagsOf, profileDir(), o.name.replaceAll(' ', '-')),
      '--import',
      'tsx',
      join(ROOT, 'scripts/bench', o.script),
      String(port),
      ...(o.args ?? []),
    ],
    { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return supervise(o.name, child, port, (line) => line.startsWith(o.ready));
}

/**
 * Mosquitto from Debian, anonymous, no persistence, with no cap on in-flight QoS 1 messages per
 * client (its default of 20 would measure the window, not the broker).
 */
export async function startMosquitto(dir: string): Promise<Running> {
  const binary = '/usr/sbin/mosquitto';
  if (!existsSync(binary)) throw new Error(`${binary} not found: run npm run setup (Debian package mosquitto)`);
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_dest stdout',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Its log is block-buffered on a pipe: ready is when the port answers. (Ready was once a line that
  // never came, raced against the port: the port won, and a minute later the readiness timeout
  // killed the Mosquitto in use, the broker benchmark's round 2 lost it "with no output".)
  return supervise('mosquitto', child, port, listening(port));
}

export interface Usage {
  /** Share of one core over the interval (100 = one full core). */
  readonly cpuPercent: number;
  readonly rssMiB: number;
}

/**
 * CPU and resident memory of processes (and this one) sampled every `everyMs`: the mean CPU and the
 * peak memory of each over the sampling, and a series for charts.
 */
export class UsageSampler {
  readonly series: Array<{ t: number; usage: Record<string, Usage>; counters: Record<string, number> }> = [];
  readonly #pids: Map<string, number>;
  readonly #timer: NodeJS.Timeout;
  readonly #start = Date.now();
  #lastSelf = process.cpuUsage();
  #lastAt = Date.now();

  readonly #counters: () => Record<string, number> | Promise<Record<string, number>>;

  /**
   * `counters`: figures read at each sample (e.g. messages acknowledged so far, a service's metrics),
   * for rates and levels over time; read while the processes' usage is.
   */
  constructor(
    pids: Record<string, number>,
    everyMs = 2000,
    counters: () => Record<string, number> | Promise<Record<string, number>> = () => ({}),
  ) {
    this.#pids = new Map(Object.entries(pids));
    this.#counters = counters;
    this.#timer = setInterval(() => void this.#sample(), everyMs);
  }

  /** Samples a process under that name from now on (one restarted with a new pid). */
  track(name: string, pid: number): void {
    this.#pids.set(name, pid);
  }

  async #sample(): Promise<void> {
    const now = Date.now();
    const usage: Record<string, Usage> = {};
    const pids = [...this.#pids.values()];
    const empty: Record<number, pidusage.Status> = {};
    const counting = Promise.resolve(this.#counters()).catch(() => ({})); // read while the usage is
    const stats = pids.length ? await pidusage(pids).catch(() => empty) : empty;
    const counters = await counting;
    for (const [name, pid] of this.#pids) {
      const s = stats[pid];
      if (s) usage[name] = { cpuPercent: s.cpu, rssMiB: s.memory / 2 ** 20 };
    }
    const self = process.cpuUsage(this.#lastSelf);
    usage.bench = {
      cpuPercent: ((self.user + self.system) / 1000 / Math.max(1, now - this.#lastAt)) * 100,
      rssMiB: process.memoryUsage.rss() / 2 ** 20,
    };
    this.#lastSelf = process.cpuUsage();
    this.#lastAt = now;
    this.series.push({ t: (now - this.#start) / 1000, usage, counters });
  }

  stop(): Record<string, { cpuMeanPercent: number; rssPeakMiB: number }> {
    clearInterval(this.#timer);
    pidusage.clear();
    const out: Record<string, { cpuMeanPercent: number; rssPeakMiB: number }> = {};
    for (const name of new Set(this.series.flatMap((s) => Object.keys(s.usage)))) {
      const xs = this.series.map((s) => s.usage[name]).filter((u): u is Usage => u !== undefined);
      out[name] = {
        cpuMeanPercent: Math.round(xs.reduce((a, u) => a + u.cpuPercent, 0) / Math.max(1, xs.length)),
        rssPeakMiB: Math.round(Math.max(0, ...xs.map((u) => u.rssMiB))),
      };
    }
    return out;
  }
}

/** The processes under `root` (this machine's `ps`), named by what they run, for CPU sampling. */
export function processesUnder(root: number): Record<string, number> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const named: Record<string, number> = {};
  const walk = (pid: number) => {
    for (const child of rows.filter((r) => r.ppid === pid)) {
      const service = /(\w+)\/(?:main|cli)\.ts/.exec(child.args)?.[1];
      const chromiumType = /--type=([\w-]+)/.exec(child.args)?.[1];
      let name = service ?? (child.args.includes('influxd') ? 'influxd' : undefined);
      if (!name && child.args.includes('chromium')) name = chromiumType ? `chromium ${chromiumType}` : 'chromium';
      if (name) named[name in named ? `${name} ${child.pid}` : name] = child.pid;
      walk(child.pid);
    }
  };
  walk(root);
  return named;
}

/** The whole machine's busy share of its cores over a phase (100 = every core busy). */
export function machineBusy(): () => number {
  const total = () =>
    cpus().reduce(
      (a, c) => ({ idle: a.idle + c.times.idle, all: a.all + Object.values(c.times).reduce((x, y) => x + y, 0) }),
      { idle: 0, all: 0 },
    );
  const start = total();
  return () => {
    const end = total();
    return Math.round(100 * (1 - (end.idle - start.idle) / Math.max(1, end.all - start.all)));
  };
}
