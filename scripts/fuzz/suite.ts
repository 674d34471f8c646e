/**
 * The running suite the fuzz tool attacks, started as `npm run demo` starts it (scripts/demo.ts):
 * a project-managed InfluxDB (https, credentials), then the broker, the ingest, the SFU and the web
 * service as child processes of their own, on free loopback ports, with one data folder. Before they
 * start, the registry holds the people and watches of two sides: the legitimate clients (a senior
 * with three watches, her daughter, her doctor's care team), whose secrets the attacker never gets,
 * and the attacker's own (seniors, watches, a relative and a nurse with sessions and API tokens).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pidusage from 'pidusage';
import { freePort } from '../../common/free-port.ts';
import { startInfluxd, type Influxd } from '../../common/influxd.ts';
import { registryPath } from '../../common/paths.ts';
import { People, type Person } from '../../web/people.ts';
import { Registry, type Provisioned } from '../../web/registry.ts';
import { generateVapidKeys } from '../../ingest/notify/push.ts';
import { CallTokens } from '../../sfu/tokens.ts';
import { startService, type Running } from '../bench/lib/processes.ts';
import type { KnownDevice, World } from './model.ts';

/** The services whose exits and memory the report gives (influxd is watched too). */
export const SERVICES = ['broker', 'ingest', 'sfu', 'web'] as const;
export type Service = (typeof SERVICES)[number];
export type Watched = Service | 'influxd' | 'mediasoup workers';

export const LEGIT_PASSWORD = 'legitimate relative 2026';
const FUZZ_PASSWORD = 'fuzz account 2026';
const SESSION_TTL_MS = 24 * 3600_000;

/** What the legitimate clients hold. */
export interface Legit {
  readonly patientId: string;
  /** Her watch (TCP), a second device (the broker's WebSocket) and a gateway (the web relay). */
  readonly watch: Provisioned;
  readonly wsDevice: Provisioned;
  readonly relayDevice: Provisioned;
  readonly relative: { readonly email: string; readonly password: string };
}

export interface Suite {
  readonly dir: string;
  readonly world: World;
  readonly legit: Legit;
  readonly callSecret: string;
  readonly services: Readonly<Record<Service, Running>>;
  readonly influxd: Influxd;
  /** Makes fresh sessions and API tokens for the attacker's accounts (a sign-out by fuzz ends one). */
  refreshSessions(): void;
  /** Which processes have ended (none should, until stop). */
  exits(): Partial<Record<Watched, string>>;
  /** Resident memory in MiB of each process (the SFU's mediasoup workers summed). */
  memory(): Promise<Partial<Record<Watched, number>>>;
  /** Lines logged at level error or fatal, by process: count and the first distinct messages. */
  errorLogs(): Record<Service, { count: number; messages: string[] }>;
  /** Stops everything (web, SFU, ingest, broker, influxd); the exit code of each. */
  stop(): Promise<Record<Service, string>>;
}

function describeExit(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  return e.signal ? `signal ${e.signal}` : `code ${String(e.code)}`;
}

/** Children of a process (Linux /proc): the SFU's mediasoup workers. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startSuite(options: { dir?: string } = {}): Promise<Suite> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'vigie-fuzz-')));
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const influxd = await startInfluxd({ dir: join(dir, 'influxdb') });

  const registry = Registry.open(registryPath(dir));
  const people = People.open(registryPath(dir));
  const ingestSecret = await registry.setService('svc:ingest', 'ingest');
  const webSecret = await registry.setService('svc:web', 'web');
  const suffix = randomBytes(4).toString('hex');

  // The legitimate side.
  const watch = await registry.provisionPatient('Jeanne (legitimate)');
  const wsDevice = await registry.addDevice(watch.patientId, `legit-ws-${suffix}`);
  const relayDevice = await registry.addDevice(watch.patientId, `legit-gw-${suffix}`, 'gateway');
  const relativeEmail = `claire-${suffix}@legit.test`;
  const claire = await people.createPerson({
    role: 'family',
    name: 'Claire',
    email: relativeEmail,
    password: LEGIT_PASSWORD,
  });
  people.link(claire.id, watch.patientId, { relation: 'fille', shareVitals: true });
  const doctor = await people.createPerson({
    role: 'clinician',
    name: 'Dr Legit',
    email: `dr-${suffix}@legit.test`,
    password: LEGIT_PASSWORD,
  });
  people.addToTeam(people.team('Équipe légitime'), { people: [doctor.id], patients: [watch.patientId] });

  // The attacker's side: its own seniors and watches, a relative and a nurse of its own.
  const devices: KnownDevice[] = [];
  for (let i = 0; i < 6; i++) devices.push(await registry.provisionPatient(`Fuzz senior ${i}`));
  const fuzzFamily = await people.createPerson({
    role: 'family',
    name: 'Fuzz relative',
    email: `fuzz-family-${suffix}@fuzz.test`,
    password: FUZZ_PASSWORD,
  });
  for (const d of devices.slice(0, 3)) people.link(fuzzFamily.id, d.patientId, { relation: 'fils', shareVitals: true });
  const fuzzPatient = await people.createPerson({
    role: 'patient',
    name: 'Fuzz senior',
    email: `fuzz-self-${suffix}@fuzz.test`,
    password: FUZZ_PASSWORD,
  });
  people.link(fuzzPatient.id, devices[3]!.patientId, { relation: 'self', shareVitals: true, self: true });
  const fuzzNurse = await people.createPerson({
    role: 'nurse',
    name: 'Fuzz nurse',
    email: `fuzz-nurse-${suffix}@fuzz.test`,
    password: FUZZ_PASSWORD,
  });
  people.addToTeam(people.team('Équipe fuzz'), { people: [fuzzNurse.id], patients: devices.map((d) => d.patientId) });
  registry.close();

  let sessions: { family: string[]; staff: string[] } = { family: [], staff: [] };
  let apiTokens: string[] = [];
  const cookieOf = (p: Person) => `vigie_session=${people.createSession(p.id, SESSION_TTL_MS).token}`;
  const refreshSessions = () => {
    // Many of each: a fuzzed sign-out ends one of them, and the others carry on until the next batch.
    sessions = {
      family: Array.from({ length: 16 }, (_, i) => cookieOf(i % 4 === 3 ? fuzzPatient : fuzzFamily)),
      staff: Array.from({ length: 16 }, () => cookieOf(fuzzNurse)),
    };
    apiTokens = [people.createApiToken(fuzzNurse.id, 'fuzz', SESSION_TTL_MS).token];
  };
  refreshSessions();

  const ports = {
    mqtt: await freePort(),
    ws: await freePort(),
    brokerMetrics: await freePort(),
    ingestMetrics: await freePort(),
    ingestApi: await freePort(),
    sfu: await freePort(),
    web: await freePort(),
    webMetrics: await freePort(),
  };
  const serviceToken = randomBytes(32).toString('base64url');
  const callSecret = CallTokens.randomSecret();
  const vapid = generateVapidKeys();
  const webUrl = `http://127.0.0.1:${ports.web}`;
  const mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
  // Info, as the demo logs: warnings and errors are what the report looks for, the rest helps a reader of a crash.
  const common = { VIGIE_DATA_DIR: dir, LOG_LEVEL: 'info' };
  const log = (name: string) => join(logs, `${name}.log`);
  const started: Running[] = [];
  const start = async (name: Service, entry: string, env: Record<string, string>, ready: string) => {
    const running = await startService(name, entry, { ...common, ...env }, ready, log(name));
    started.push(running);
    return running;
  };
  let services: Record<Service, Running>;
  try {
    const broker = await start(
      'broker',
      'broker/main.ts',
      {
        MQTT_PORT: String(ports.mqtt),
        MQTT_WS_PORT: String(ports.ws),
        BROKER_METRICS_PORT: String(ports.brokerMetrics),
      },
      'broker listening',
    );
    const ingest = await start(
      'ingest',
      'ingest/main.ts',
      {
        MQTT_URL: mqttUrl,
        INGEST_MQTT_SECRET: ingestSecret,
        ...influxd.env,
        INGEST_METRICS_PORT: String(ports.ingestMetrics),
        INGEST_API_PORT: String(ports.ingestApi),
        VIGIE_SERVICE_TOKEN: serviceToken,
        WEB_PUBLIC_URL: webUrl,
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
      },
      'connected to broker',
    );
    const sfu = await start(
      'sfu',
      'sfu/main.ts',
      { SFU_PORT: String(ports.sfu), VIGIE_CALL_SECRET: callSecret },
      'sfu listening',
    );
    const web = await start(
      'web',
      'web/main.ts',
      {
        WEB_PORT: String(ports.web),
        WEB_METRICS_PORT: String(ports.webMetrics),
        SFU_PUBLIC_URL: `ws://127.0.0.1:${ports.sfu}/signal`,
        VIGIE_CALL_SECRET: callSecret,
        VIGIE_SERVICE_TOKEN: serviceToken,
        INGEST_API_URL: `http://127.0.0.1:${ports.ingestApi}`,
        ...influxd.env,
        MQTT_URL: mqttUrl,
        MQTT_WS_URL: `ws://127.0.0.1:${ports.ws}`,
        WEB_MQTT_SECRET: webSecret,
        VAPID_PUBLIC_KEY: vapid.publicKey,
      },
      'web listening',
    );
    services = { broker, ingest, sfu, web };
  } catch (error) {
    for (const s of started.reverse()) await s.stop();
    await influxd.stop();
    people.close();
    throw error;
  }

  const assetsDir = join(import.meta.dirname, '..', '..', 'web', 'dist', 'assets');
  const world: World = {
    ports: { web: ports.web, sfu: ports.sfu, mqtt: ports.mqtt, mqttWs: ports.ws },
    webOrigin: webUrl,
    callSecret,
    devices,
    foreignDeviceIds: [watch.deviceId, wsDevice.deviceId, relayDevice.deviceId],
    patientIds: [watch.patientId, ...devices.map((d) => d.patientId), 'p-000000000000'],
    emails: [relativeEmail, doctor.email!, fuzzFamily.email!, fuzzNurse.email!, 'nobody@nowhere.test'],
    sessions: () => sessions,
    apiTokens: () => apiTokens,
    assets: readdirSync(assetsDir).map((f) => `/assets/${f}`),
  };
  const initialWorkers = childrenOf(services.sfu.pid);
  // If this process dies (a bug of the tool, Ctrl-C), the suite must not outlive it.
  const orphanGuard = () => {
    for (const s of Object.values(services)) if (!s.exit()) process.kill(s.pid, 'SIGKILL');
    if (alive(influxd.pid)) process.kill(influxd.pid!, 'SIGKILL');
  };
  process.once('exit', orphanGuard);

  return {
    dir,
    world,
    legit: {
      patientId: watch.patientId,
      watch,
      wsDevice,
      relayDevice,
      relative: { email: relativeEmail, password: LEGIT_PASSWORD },
    },
    callSecret,
    services,
    influxd,
    refreshSessions,
    exits() {
      const out: Partial<Record<Watched, string>> = {};
      for (const name of SERVICES) {
        const e = services[name].exit();
        if (e) out[name] = describeExit(e);
      }
      if (!alive(influxd.pid)) out.influxd = 'not running';
      const workers = childrenOf(services.sfu.pid);
      const gone = initialWorkers.filter((pid) => !workers.includes(pid));
      if (gone.length)
        out['mediasoup workers'] =
          `${gone.length} of ${initialWorkers.length} initial workers gone (pids ${gone.join(', ')})`;
      return out;
    },
    async memory() {
      const pids: Record<string, number> = Object.fromEntries(SERVICES.map((n) => [n, services[n].pid]));
      if (influxd.pid) pids.influxd = influxd.pid;
      const workers = childrenOf(services.sfu.pid);
      const stats: Record<string, pidusage.Status> = await pidusage([...Object.values(pids), ...workers]).catch(
        () => ({}),
      );
      const mib = (pid: number) => {
        const s = stats[String(pid)];
        return s ? s.memory / 2 ** 20 : undefined;
      };
      const out: Partial<Record<Watched, number>> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const m = mib(pid);
        if (m !== undefined) out[name as Watched] = m;
      }
      const w = workers.map(mib).filter((m): m is number => m !== undefined);
      if (w.length) out['mediasoup workers'] = w.reduce((a, b) => a + b, 0);
      return out;
    },
    errorLogs() {
      const out = {} as Record<Service, { count: number; messages: string[] }>;
      for (const name of SERVICES) {
        let count = 0;
        const messages = new Set<string>();
        let text = '';
        try {
          text = readFileSync(log(name), 'utf8');
        } catch {
          // no log yet
        }
        for (const line of text.split('\n')) {
          if (!/"level":(50|60)/.test(line) && !/^\s*(Error|TypeError|RangeError|at |node:)/.test(line)) continue;
          count += 1;
          const msg = /"msg":"([^"]{0,160})/.exec(line)?.[1] ?? line.slice(0, 160);
          if (messages.size < 8) messages.add(msg);
        }
        out[name] = { count, messages: [...messages] };
      }
      return out;
    },
    async stop() {
      const codes = {} as Record<Service, string>;
      for (const name of [...SERVICES].reverse()) {
        await services[name].stop();
        const e = services[name].exit();
        codes[name] = e ? describeExit(e) : 'still running';
      }
      pidusage.clear();
      await influxd.stop();
      process.removeListener('exit', orphanGuard);
      people.close();
      return codes;
    },
  };
}

/** Removes the suite's data folder (its logs included). */
export function removeSuiteDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
