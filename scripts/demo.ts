/**
 * `npm run demo`: runs the whole suite on this machine: InfluxDB (project-managed unless INFLUX_URL is
 * set), the broker, the ingest, the SFU, the web pages and a cohort of simulated watches; prints what
 * runs where (with a clinician link to start a teleconsultation) and a live status line; Ctrl-C stops
 * everything cleanly, in reverse order.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { env, readConfig } from '../common/config.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { freePort } from '../common/free-port.ts';
import { startInfluxd, type Influxd } from '../common/influxd.ts';
import { Registry } from '../web/registry.ts';
import { People } from '../web/people.ts';
import { randomBytes } from 'node:crypto';
import { generateVapidKeys } from '../ingest/notify/push.ts';
import { startDemoMailbox, type DemoMailbox } from './demo-mailbox.ts';
import { nodeFlags } from './node-flags.ts';
import {
  checkInfluxEnv,
  influxAccess,
  influxEnv,
  influxUrlForLogs,
  type InfluxAccess,
} from '../ingest/influx-client.ts';
import { narrowIfExists, privateDir, writePrivateFile } from '../common/private-files.ts';
import { DATABASE } from '../ingest/schema.ts';
import { CallTokens } from '../sfu/tokens.ts';
import { readCohort } from '../common/cohort.ts';
import { pagesAreFresh } from './pages-fresh.ts';

const config = readConfig(
  z
    .object({
      // Unset: the demo runs its own InfluxDB, with credentials and a certificate of its own.
      INFLUX_URL: z.url().optional(),
      INFLUX_USERNAME: influxEnv.INFLUX_USERNAME,
      INFLUX_PASSWORD: influxEnv.INFLUX_PASSWORD,
      INFLUX_CA: influxEnv.INFLUX_CA,
      INFLUX_PORT: env.port(8086),
      MQTT_PORT: env.port(1883),
      MQTT_WS_PORT: env.port(8083),
      BROKER_METRICS_PORT: env.port(9101),
      INGEST_METRICS_PORT: env.port(9102),
      INGEST_API_PORT: env.port(9103),
      DEMO_SMTP_PORT: env.port(2525),
      SFU_PORT: env.port(4443),
      WEB_PORT: env.port(8080),
      WEB_METRICS_PORT: env.port(9104),
      VIGIE_CALL_SECRET: z.string().min(32).optional(),
      DEMO_WATCHES: env.int(50, 1),
      DEMO_RATE: z.coerce.number().positive().default(1),
      DEMO_SEED: env.int(1),
      // The fleet benchmark's: each service writes a CPU profile under <dir>/<name> when it stops.
      BENCH_PROFILE_DIR: z.string().min(1).optional(),
    })
    .superRefine((c, ctx) => {
      if (c.INFLUX_URL !== undefined) checkInfluxEnv({ ...c, INFLUX_URL: c.INFLUX_URL }, ctx);
      else if (c.INFLUX_USERNAME !== undefined || c.INFLUX_PASSWORD !== undefined || c.INFLUX_CA !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['INFLUX_URL'],
          message:
            "INFLUX_USERNAME, INFLUX_PASSWORD and INFLUX_CA need INFLUX_URL (the demo's own InfluxDB makes its own)",
        });
      }
    }),
);

const dir = dataDir();
const logDir = join(dir, 'logs');
privateDir(dir);
privateDir(logDir);
const children: Array<{ name: string; child: ChildProcess; output: Promise<unknown> }> = [];
let influxd: Influxd | undefined;
let mailbox: DemoMailbox | undefined; // eslint-disable-line prefer-const -- assigned after the ports are chosen, read by shutdown
let stopping = false;

/** The preferred port if it is free, else any free one (printed, so nobody has to guess). */
async function port(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => void freePort().then(resolve));
    s.listen(preferred, '127.0.0.1', () => s.close(() => resolve(preferred)));
  });
}

function start(
  name: string,
  entry: string,
  args: string[],
  extraEnv: Record<string, string>,
  readyMessage?: string,
): Promise<void> {
  const child = spawn(
    process.execPath,
    [...nodeFlags(name, config.BENCH_PROFILE_DIR), '--import', 'tsx', entry, ...args],
    {
      env: { ...process.env, VIGIE_DATA_DIR: dir, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  child.stderr?.pipe(log);
  const lines = createInterface({ input: child.stdout });
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

/** A secret kept in the data folder (created on first use, readable by this user only). */
function persisted(name: string, create: () => string): string {
  const file = join(dir, name);
  if (existsSync(file)) narrowIfExists(file);
  else writePrivateFile(file, create());
  return readFileSync(file, 'utf8').trim();
}

/**
 * Demo accounts (demo mode only): a daughter who follows the first senior, sees her vitals and is
 * called first, then an on-call nurse five minutes later.
 */
async function demoFamily(patientId: string): Promise<{ email: string; password: string; chain: string }> {
  // A number of the range French regulation keeps for fiction (01 99 00 xx xx): the family page's
  // "call her" link on a fall, and "votre mère".
  const registry = Registry.open(registryPath(dir));
  registry.setPatientContact(patientId, { phone: '01 99 00 12 34', sex: 'female' });
  registry.close();
  const people = People.open(registryPath(dir));
  try {
    const password = 'demo-famille-2026';
    const ensure = async (email: string, name: string, role: 'family' | 'nurse') =>
      people.personByEmail(email) ?? (await people.createPerson({ role, name, email, password }));
    const daughter = await ensure('famille@vigie.demo', 'Claire (démo)', 'family');
    const nurse = await ensure('infirmiere@vigie.demo', 'Infirmière de garde (démo)', 'nurse');
    people.link(daughter.id, patientId, { relation: 'daughter', shareVitals: true });
    people.link(nurse.id, patientId, { relation: 'caregiver', shareVitals: true });
    people.setChain(
      patientId,
      [
        { personId: daughter.id, delayMs: 0 },
        { personId: nurse.id, delayMs: 5 * 60_000 },
      ],
      30 * 60_000,
    );
    return {
      email: daughter.email!,
      password,
      chain: 'Claire at once, then the on-call nurse after 5 min; arrival expected within 30 min',
    };
  } finally {
    people.close();
  }
}

/** Demo only: a clinician whose care team follows every senior of the cohort, and an admin-free setup. */
async function demoCareTeam(patientIds: readonly string[]): Promise<{ email: string; password: string }> {
  const people = People.open(registryPath(dir));
  try {
    const password = 'demo-soignant-2026';
    const email = 'medecin@vigie.demo';
    const doctor =
      people.personByEmail(email) ??
      (await people.createPerson({ role: 'clinician', name: 'Dr Démo', email, password }));
    const nurse = people.personByEmail('infirmiere@vigie.demo');
    people.addToTeam(people.team('Équipe démo'), {
      people: [doctor.id, ...(nurse ? [nurse.id] : [])],
      patients: patientIds,
    });
    return { email, password };
  } finally {
    people.close();
  }
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
    await mailbox?.stop();
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
  ingestApi: await port(config.INGEST_API_PORT),
  smtp: await port(config.DEMO_SMTP_PORT),
  sfu: await port(config.SFU_PORT),
  web: await port(config.WEB_PORT),
  webMetrics: await port(config.WEB_METRICS_PORT),
};
/**
 * An operator's InfluxDB (INFLUX_URL): the services inherit its INFLUX_* variables from this
 * process's environment. Otherwise the demo's own, whose URL, credentials and certificate they get.
 */
async function influxTarget(): Promise<{ url: string; access: InfluxAccess; env: Record<string, string> }> {
  if (config.INFLUX_URL) {
    return { url: config.INFLUX_URL, access: influxAccess(config), env: { INFLUX_URL: config.INFLUX_URL } };
  }
  influxd = await startInfluxd({ dir: join(dir, 'influxdb'), httpPort: await port(config.INFLUX_PORT) });
  return { url: influxd.url, access: influxd.access, env: influxd.env };
}
const influxDb = await influxTarget();
const influxUrl = influxDb.url;

const registry = Registry.open(registryPath(dir));
const ingestSecret = await registry.setService('svc:ingest', 'ingest');
const webSecret = await registry.setService('svc:web', 'web');
registry.close();
// Secrets kept in the data folder, so links, sessions and push subscriptions survive a restart.
const serviceToken = persisted('service-token', () => randomBytes(32).toString('base64url'));
const vapid = JSON.parse(persisted('vapid.json', () => JSON.stringify(generateVapidKeys()))) as {
  publicKey: string;
  privateKey: string;
};
mailbox = await startDemoMailbox(ports.smtp, (line) => process.stdout.write(`\n${line}\n`));
const cohort = join(dir, 'cohort.json');
const mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;

await start(
  'broker',
  'broker/main.ts',
  [],
  {
    MQTT_PORT: String(ports.mqtt),
    MQTT_WS_PORT: String(ports.ws),
    BROKER_METRICS_PORT: String(ports.brokerMetrics),
  },
  'broker listening',
);
await start(
  'ingest',
  'ingest/main.ts',
  [],
  {
    MQTT_URL: mqttUrl,
    INGEST_MQTT_SECRET: ingestSecret,
    ...influxDb.env,
    INGEST_METRICS_PORT: String(ports.ingestMetrics),
    INGEST_API_PORT: String(ports.ingestApi),
    VIGIE_SERVICE_TOKEN: serviceToken,
    WEB_PUBLIC_URL: `http://127.0.0.1:${ports.web}`,
    SMTP_URL: mailbox.url,
    SMTP_FROM: 'Vigie (démo) <alertes@vigie.demo>',
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
  },
  'connected to broker',
);

const callSecret = config.VIGIE_CALL_SECRET ?? persisted('call-secret', () => CallTokens.randomSecret());
const built = pagesAreFresh()
  ? { status: 0 }
  : spawnSync(
      process.execPath,
      [
        join(import.meta.dirname, '..', 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      { stdio: 'inherit' },
    );
if (built.status !== 0) {
  process.stdout.write('could not build the web pages (see above)\n');
  await shutdown(1);
}
const sfuUrl = `ws://127.0.0.1:${ports.sfu}/signal`;
await start(
  'sfu',
  'sfu/main.ts',
  [],
  {
    SFU_PORT: String(ports.sfu),
    VIGIE_CALL_SECRET: callSecret,
    // The web service starts next; the SFU reports room presence to it from the first call.
    SFU_WEB_URL: `http://127.0.0.1:${ports.web}`,
  },
  'sfu listening',
);
await start(
  'web',
  'web/main.ts',
  [],
  {
    WEB_PORT: String(ports.web),
    WEB_METRICS_PORT: String(ports.webMetrics),
    SFU_PUBLIC_URL: sfuUrl,
    VIGIE_CALL_SECRET: callSecret,
    VIGIE_SERVICE_TOKEN: serviceToken,
    INGEST_API_URL: `http://127.0.0.1:${ports.ingestApi}`,
    ...influxDb.env,
    MQTT_URL: mqttUrl,
    MQTT_WS_URL: `ws://127.0.0.1:${ports.ws}`,
    WEB_MQTT_SECRET: webSecret,
    VAPID_PUBLIC_KEY: vapid.publicKey,
  },
  'web listening',
);
const webUrl = `http://127.0.0.1:${ports.web}`;

const influxAddress = new URL(influxUrl);
const influxCli = `influx -host ${influxAddress.hostname} -port ${influxAddress.port || '8086'}${influxAddress.protocol === 'https:' ? ' -ssl' : ''} -database ${DATABASE} -execute 'SELECT * FROM vitals ORDER BY time DESC LIMIT 5'`;
// The influx CLI reads INFLUX_USERNAME and INFLUX_PASSWORD from its environment, and Go programs
// trust the certificates in SSL_CERT_FILE.
const influxQuery = influxd
  ? `(set -a; . ${influxd.files.credentials}; SSL_CERT_FILE=${influxd.files.ca} ${influxCli})`
  : influxCli;
process.stdout.write(`
Vigie is running (data in ${dir}, logs in ${logDir})

  InfluxDB          ${influxUrlForLogs(influxUrl)}   database "${DATABASE}"${influxd ? ' (project-managed: https with its own certificate, sign-in required)' : ''}
  MQTT broker       ${mqttUrl}   WebSocket ws://127.0.0.1:${ports.ws}
  broker metrics    http://127.0.0.1:${ports.brokerMetrics}/metrics
  ingest metrics    http://127.0.0.1:${ports.ingestMetrics}/metrics   alert API http://127.0.0.1:${ports.ingestApi}
  demo mailbox      ${mailbox.url} (the e-mails Vigie sends are printed here)
  simulated watches ${config.DEMO_WATCHES} at ${config.DEMO_RATE}/s (cohort ${cohort})
  SFU signalling    ${sfuUrl}   metrics http://127.0.0.1:${ports.sfu}/metrics
  web               ${webUrl}   metrics http://127.0.0.1:${ports.webMetrics}/metrics

  Teleconsultation: sign in to the console (below), open a patient, press "Téléconsultation".
  Scripts act as a member of the care team with a personal API token made in the console ("Accès API").

  Query:  ${influxQuery}
  Press Ctrl-C to stop everything.

`);

await start(
  'simulators',
  'simulators/cli.ts',
  [
    '--watches',
    String(config.DEMO_WATCHES),
    '--rate',
    String(config.DEMO_RATE),
    '--seed',
    String(config.DEMO_SEED),
    '--scenario',
    'normal',
    '--broker',
    mqttUrl,
    '--cohort',
    cohort,
  ],
  {},
);
for (let i = 0; i < 240; i += 1) {
  const example = (await readCohort(cohort))?.watches[0];
  if (example) {
    const family = await demoFamily(example.patientId);
    const staff = await demoCareTeam((await readCohort(cohort))?.watches.map((w) => w.patientId) ?? []);
    process.stdout.write(`  Console: ${webUrl}/console/   sign in as ${staff.email} / ${staff.password} (demo only)\n`);
    process.stdout.write(
      `  Family page: ${webUrl}/family/   sign in as ${family.email} / ${family.password} (demo only)\n`,
    );
    process.stdout.write(`  Its escalation chain: ${family.chain}\n\n`);
    break;
  }
  await new Promise((r) => setTimeout(r, 500));
}

// The status line counts what the ingest wrote (its own counter), not what a query over every
// watch's readings finds: with a fleet of watches that query cost influxd seconds every 5 s.
const ingestMetrics = `http://127.0.0.1:${ports.ingestMetrics}/metrics`;
let lastWritten: { n: number; at: number } | undefined;
setInterval(() => {
  fetch(ingestMetrics)
    .then((r) => r.text())
    .then((text) => {
      const n = Number(/^vigie_ingest_points_written_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
      if (!Number.isFinite(n)) throw new Error('no points_written counter');
      const at = Date.now();
      const rate = lastWritten ? ((n - lastWritten.n) * 1000) / (at - lastWritten.at) : 0;
      lastWritten = { n, at };
      process.stdout.write(
        `\r${new Date().toLocaleTimeString()}  points stored in InfluxDB: ${n} (${rate.toFixed(0)}/s)   `,
      );
    })
    .catch(() => process.stdout.write('\rwaiting for the ingest...                                 '));
}, 5_000).unref();
