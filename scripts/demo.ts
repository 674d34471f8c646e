/**
 * `npm run demo`: runs the whole suite on this machine: InfluxDB (project-managed unless INFLUX_URL is
 * set), the broker, the ingest, the SFU, the web pages and a cohort of simulated watches; prints what
 * runs where (with a clinician link to start a teleconsultation) and a live status line; Ctrl-C stops
 * everything cleanly, in reverse order.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { freePort } from '../common/free-port.ts';
import { startInfluxd, type Influxd } from '../common/influxd.ts';
import { Registry } from '../common/registry.ts';
import { createInflux } from '../ingest/influx-client.ts';
import { DATABASE } from '../ingest/schema.ts';
import { CallTokens } from '../sfu/tokens.ts';
import { readCohort } from '../common/cohort.ts';

const config = readConfig(
  z.object({
    INFLUX_URL: z.url().optional(),
    INFLUX_PORT: env.port(8086),
    MQTT_PORT: env.port(1883),
    MQTT_WS_PORT: env.port(8083),
    BROKER_METRICS_PORT: env.port(9101),
    INGEST_METRICS_PORT: env.port(9102),
    SFU_PORT: env.port(4443),
    WEB_PORT: env.port(8080),
    VIGIE_CALL_SECRET: z.string().min(32).optional(),
    DEMO_WATCHES: env.int(50, 1),
    DEMO_RATE: z.coerce.number().positive().default(1),
    DEMO_SEED: env.int(1),
  }),
);

const dir = dataDir();
const logDir = join(dir, 'logs');
mkdirSync(logDir, { recursive: true });
const children: Array<{ name: string; child: ChildProcess; output: Promise<unknown> }> = [];
let influxd: Influxd | undefined;
let stopping = false;

/** The preferred port if it is free, else any free one (printed, so nobody has to guess). */
async function port(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => freePort().then(resolve));
    s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(preferred)));
  });
}

function start(name: string, entry: string, args: string[], extraEnv: Record<string, string>, readyMessage?: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, VIGIE_DATA_DIR: dir, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  child.stderr?.pipe(log);
  const lines = createInterface({ input: child.stdout! });
  children.push({ name, child, output: once(lines, 'close') });
  return new Promise((resolve, reject) => {
    if (!readyMessage) resolve();
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (readyMessage && line.includes(`"msg":"${readyMessage}"`)) resolve();
      if (line.includes('"level":50') || line.includes('"level":60')) process.stdout.write(`\n[${name}] ${line}\n`);
      // Plain lines (the simulators' summary) are meant for the person at the terminal.
      else if (stopping && !line.startsWith('{')) process.stdout.write(`[${name}] ${line}\n`);
    });
    child.once('exit', (code, signal) => {
      if (!stopping) {
        process.stdout.write(`\n${name} exited (${signal ?? code}); see ${join(logDir, `${name}.log`)}\n`);
        reject(new Error(`${name} exited`));
        void shutdown(1);
      }
    });
  });
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write('\nstopping: ');
    for (const { name, child, output } of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        await output;
        clearTimeout(timer);
      }
      process.stdout.write(`${name} `);
    }
    if (influxd) {
      await influxd.stop();
      process.stdout.write('influxd ');
    }
    process.stdout.write('\nstopped.\n');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const ports = {
  mqtt: await port(config.MQTT_PORT),
  ws: await port(config.MQTT_WS_PORT),
  brokerMetrics: await port(config.BROKER_METRICS_PORT),
  ingestMetrics: await port(config.INGEST_METRICS_PORT),
  sfu: await port(config.SFU_PORT),
  web: await port(config.WEB_PORT),
};
let influxUrl = config.INFLUX_URL;
if (!influxUrl) {
  influxd = await startInfluxd({ dir: join(dir, 'influxdb'), httpPort: await port(config.INFLUX_PORT) });
  influxUrl = influxd.url;
}

const registry = Registry.open(registryPath(dir));
const ingestSecret = await registry.setService('svc:ingest', 'ingest');
registry.close();
const cohort = join(dir, 'cohort.json');
const mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;

await start('broker', 'broker/main.ts', [], {
  MQTT_PORT: String(ports.mqtt),
  MQTT_WS_PORT: String(ports.ws),
  BROKER_METRICS_PORT: String(ports.brokerMetrics),
}, 'broker listening');
await start('ingest', 'ingest/main.ts', [], {
  MQTT_URL: mqttUrl,
  INGEST_MQTT_SECRET: ingestSecret,
  INFLUX_URL: influxUrl,
  INGEST_METRICS_PORT: String(ports.ingestMetrics),
}, 'connected to broker');

// The call secret is kept in the data folder so invitation links survive a restart of the demo.
const secretFile = join(dir, 'call-secret');
if (!config.VIGIE_CALL_SECRET && !existsSync(secretFile)) writeFileSync(secretFile, CallTokens.randomSecret(), { mode: 0o600 });
const callSecret = config.VIGIE_CALL_SECRET ?? readFileSync(secretFile, 'utf8').trim();
const built = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
if (built.status !== 0) {
  process.stdout.write('could not build the web pages (see above)\n');
  await shutdown(1);
}
const sfuUrl = `ws://127.0.0.1:${ports.sfu}/signal`;
await start('sfu', 'sfu/main.ts', [], { SFU_PORT: String(ports.sfu), VIGIE_CALL_SECRET: callSecret }, 'sfu listening');
await start('web', 'web/main.ts', [], { WEB_PORT: String(ports.web), SFU_PUBLIC_URL: sfuUrl, VIGIE_CALL_SECRET: callSecret }, 'web listening');
const webUrl = `http://127.0.0.1:${ports.web}`;
const staffLink = `${webUrl}/#staff=${await new CallTokens(callSecret).issueStaff('demo-clinician', 'Dr Démo', 12 * 3600)}`;

const influxPort = new URL(influxUrl).port || '8086';
process.stdout.write(`
Vigie is running (data in ${dir}, logs in ${logDir})

  InfluxDB          ${influxUrl}   database "${DATABASE}"${influxd ? ' (project-managed)' : ''}
  MQTT broker       ${mqttUrl}   WebSocket ws://127.0.0.1:${ports.ws}
  broker metrics    http://127.0.0.1:${ports.brokerMetrics}/metrics
  ingest metrics    http://127.0.0.1:${ports.ingestMetrics}/metrics
  simulated watches ${config.DEMO_WATCHES} at ${config.DEMO_RATE}/s (cohort ${cohort})
  SFU signalling    ${sfuUrl}   metrics http://127.0.0.1:${ports.sfu}/metrics
  web               ${webUrl}

  Teleconsultation: open this clinician link (demo only, valid 12 h), enter a patient id from the
  cohort, and send the patient and family links to other browsers or tabs:
    ${staffLink}

  Query:  influx -port ${influxPort} -database ${DATABASE} -execute 'SELECT * FROM vitals ORDER BY time DESC LIMIT 5'
  Press Ctrl-C to stop everything.

`);

await start('simulators', 'simulators/cli.ts', [
  '--watches', String(config.DEMO_WATCHES),
  '--rate', String(config.DEMO_RATE),
  '--seed', String(config.DEMO_SEED),
  '--scenario', 'normal',
  '--broker', mqttUrl,
  '--cohort', cohort,
], {});
for (let i = 0; i < 240; i += 1) {
  const example = (await readCohort(cohort))?.watches[0];
  if (example) {
    process.stdout.write(`  Example patient id for a teleconsultation: ${example.patientId}\n\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 500));
}

const influx = createInflux(influxUrl);
setInterval(() => {
  influx
    .query<{ n: number }>('SELECT count("seq") AS n FROM "raw"."vitals" WHERE time > now() - 10s')
    .then((rows) => {
      const n = rows[0]?.n ?? 0;
      process.stdout.write(`\r${new Date().toLocaleTimeString()}  vitals stored in the last 10 s: ${n} (${(n / 10).toFixed(0)}/s)   `);
    }, () => process.stdout.write('\rwaiting for InfluxDB...                                   '));
}, 5_000).unref();
