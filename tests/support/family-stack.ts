/**
 * Everything a family member's page talks to, real and in-process on free loopback ports: the
 * pipeline's broker and ingest (with its alert API), and the web service with its live channel.
 * Registers its hooks after usePipeline's; each test gets a fresh stack.
 */
import { sessionCookie } from './cookies.ts';
import { afterEach, beforeEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { People } from '../../web/people.ts';
import type { StaffRole } from '../../common/people-rules.ts';
import { PatientSettingsStore } from '../../web/patient-settings.ts';
import { exportsPath, registryPath } from '../../common/paths.ts';
import { createLogger } from '../../common/log.ts';
import type { Provisioned } from '../../web/registry.ts';
import { serveAlertApi } from '../../ingest/alert-api.ts';
import { RecordReads } from '../../web/record-reads.ts';
import { ChangeLog } from '../../web/change-log.ts';
import { Appointments } from '../../web/appointments.ts';
import { Reports } from '../../web/reports.ts';
import { ExternalSystems } from '../../web/systems.ts';
import { WebServer, type WebOptions } from '../../web/server.ts';
import { deviceTopic } from '../../devices/topics.ts';
import { connect, end } from './mqtt.ts';
import type { Pipeline } from './pipeline.ts';
import { startTestSfu, type TestSfu } from './sfu.ts';
import { reportPresenceTo } from '../../sfu/presence-report.ts';
import { TEST_PASSWORD_WORK } from './passwords.ts';
import type { ScryptWork } from '../../common/secrets.ts';

export interface FamilyStack {
  web: WebServer;
  /** What the web service was started with (a test may start another on the same databases). */
  webOptions: WebOptions;
  webUrl: string;
  people: People;
  settings: PatientSettingsStore;
  reads: RecordReads;
  /** The set-up's change log (web/change-log.ts). */
  changes: ChangeLog;
  /**
   * Scheduled teleconsultations (web/appointments.ts); its clock is the real time plus
   * `appointmentsClock.aheadMs`, or stands still at `appointmentsClock.at` when a test sets it (so that
   * "6 minutes late" stays six minutes however long the test's steps take).
   */
  appointments: Appointments;
  appointmentsClock: { aheadMs: number; at?: number };
  reports: Reports;
  /** How far ahead of the real time the FHIR exports' clock is (tests move it past their retention). */
  exportsClock: { aheadMs: number };
  /** Where the web service writes FHIR export files. */
  exportsDir: string;
  /** External systems of the FHIR API (web/systems.ts); its clock is the real time plus `systemsClock.aheadMs`. */
  systems: ExternalSystems;
  systemsClock: { aheadMs: number };
  /**
   * Live mode's clock: it stands still at the stack's start plus `aheadMs` (tests move it, then call
   * `web.liveMode.tick()`), so that a grace or a renewal falls due only when a test says so, never
   * because real time went by between two steps.
   */
  liveModeClock: { aheadMs: number };
  /** How far ahead of the real time the record-reads log's clock is (tests move it to pass a window). */
  readsClock: { aheadMs: number };
  /** The ingest's alert API, as the web service reaches it. */
  alertsApi: { url: string; token: string };
  /** A personal API token of a nurse whose care team follows every senior of this stack. */
  staffToken: string;
  staffTeam: string;
  /** A member of the stack's care team (password FAMILY_PASSWORD) and their console session cookie. */
  /** A member of the stack's care team, signed in (a clinician unless `role` says otherwise). */
  clinician(who: { name: string; email: string; role?: StaffRole }): Promise<{ cookie: string; personId: string }>;
  /** A senior with a connected watch. */
  senior(name: string): Promise<{
    device: Provisioned;
    publish: (channel: 'vitals' | 'events', body: object) => Promise<void>;
    /** The watch's own connection (to subscribe to its commands). */
    client: MqttClient;
  }>;
  /** Invites a relative through the API and accepts as they would; returns their session cookie. */
  family(
    patientId: string,
    who: {
      name: string;
      email: string;
      relation?: string;
      relationText?: string;
      shareVitals?: boolean;
      role?: 'family' | 'patient';
    },
  ): Promise<{ cookie: string; personId: string }>;
}

export const FAMILY_PASSWORD = 'correct horse battery';

/** `sfu`: also run a real SFU, for pages that start a teleconsultation. */
/** `exportPage`: how many readings a FHIR export asks InfluxDB for at a time (its default is 500). */
/**
 * `passwordWork`: scrypt's cost for the accounts' passwords, TEST_PASSWORD_WORK unless a test needs
 * production's (hashing that takes its real time: the sign-in gate's bounded concurrency).
 */
export function useFamilyStack(
  t: Pipeline,
  options: { sfu?: boolean; exportPage?: number; passwordWork?: ScryptWork } = {},
): FamilyStack {
  const s = {} as FamilyStack;
  let api: { close: () => Promise<void> } | undefined;
  let sfu: TestSfu | undefined;
  const clients: MqttClient[] = [];
  beforeEach(async () => {
    const token = randomBytes(24).toString('base64url');
    const served = await serveAlertApi(t.ingest.alertService, {
      host: '127.0.0.1',
      port: 0,
      token,
      logger: createLogger('api', 'silent'),
      invitations: t.ingest.callInvitations,
      appointmentInvitations: t.ingest.appointmentInvitations,
    });
    api = served;
    s.alertsApi = { url: served.url, token };
    if (options.sfu) {
      // The SFU reports who is in each room to this stack's web service, as SFU_WEB_URL makes it do.
      sfu = await startTestSfu({ onPresence: (presence) => report(presence) });
      const report = reportPresenceTo({
        webUrl: () => s.webUrl,
        secret: sfu.secret,
        logger: createLogger('sfu', process.env.TEST_LOG_LEVEL ?? 'silent'),
      });
    }
    s.people = People.open(registryPath(t.broker.dir), { passwordWork: options.passwordWork ?? TEST_PASSWORD_WORK });
    s.settings = PatientSettingsStore.open(registryPath(t.broker.dir));
    const readsClock = { aheadMs: 0 };
    s.readsClock = readsClock;
    s.changes = ChangeLog.open(registryPath(t.broker.dir));
    const appointmentsClock: FamilyStack['appointmentsClock'] = { aheadMs: 0 };
    s.appointmentsClock = appointmentsClock;
    s.appointments = Appointments.open(registryPath(t.broker.dir), {
      now: () => appointmentsClock.at ?? Date.now() + appointmentsClock.aheadMs,
    });
    s.reports = Reports.open(registryPath(t.broker.dir));
    const systemsClock = { aheadMs: 0 };
    s.systemsClock = systemsClock;
    s.systems = ExternalSystems.open(registryPath(t.broker.dir), { now: () => Date.now() + systemsClock.aheadMs });
    s.reads = RecordReads.open(registryPath(t.broker.dir), { now: () => Date.now() + readsClock.aheadMs });
    const liveModeClock = { aheadMs: 0 };
    const liveModeStart = Date.now();
    s.liveModeClock = liveModeClock;
    const exportsClock = { aheadMs: 0 };
    s.exportsClock = exportsClock;
    s.exportsDir = exportsPath(t.broker.dir);
    s.webOptions = {
      host: '127.0.0.1',
      port: 0,
      sfuUrl: sfu?.url ?? 'ws://127.0.0.1:9/signal',
      secret: sfu?.secret ?? randomBytes(32).toString('base64url'),
      inviteTtlSeconds: 3600,
      registry: t.broker.registry,
      people: s.people,
      settings: s.settings,
      reads: s.reads,
      changes: s.changes,
      appointments: s.appointments,
      reports: s.reports,
      exports: {
        dir: s.exportsDir,
        now: () => Date.now() + exportsClock.aheadMs,
        ...(options.exportPage ? { observationPage: options.exportPage } : {}),
      },
      systems: s.systems,
      influxUrl: t.influx.url,
      influxAccess: t.influx.access,
      alertsApi: { url: served.url, token },
      mqtt: { url: t.broker.url, username: 'svc:web', password: await t.broker.registry.setService('svc:web', 'web') },
      mqttWsUrl: t.broker.wsUrl,
      logger: createLogger('web', process.env.TEST_LOG_LEVEL ?? 'silent'),
      sessionCheckMs: 200,
      liveModeNow: () => liveModeStart + liveModeClock.aheadMs,
    };
    s.web = new WebServer(s.webOptions);
    s.webUrl = await s.web.listen();
    await s.web.liveReady;
    const nurse = await s.people.createPerson({ role: 'nurse', name: 'Infirmière Test', email: 'nurse@vigie.test' });
    s.staffTeam = s.people.team('Équipe test');
    s.people.addToTeam(s.staffTeam, { people: [nurse.id] });
    s.staffToken = s.people.createApiToken(nurse.id, 'tests', 3600_000).token;
    s.senior = async (name) => {
      const device = await t.broker.registry.provisionPatient(name);
      s.people.addToTeam(s.staffTeam, { patients: [device.patientId] });
      const client = await connect(t.broker.url, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: device.secret,
      });
      clients.push(client);
      return {
        device,
        client,
        publish: async (channel, body) =>
          void (await client.publishAsync(deviceTopic(device.deviceId, channel), JSON.stringify(body), { qos: 1 })),
      };
    };
    s.clinician = async ({ name, email, role = 'clinician' }) => {
      const person = await s.people.createPerson({ role, name, email, password: FAMILY_PASSWORD });
      s.people.addToTeam(s.staffTeam, { people: [person.id] });
      return { cookie: `vigie_session=${s.people.createSession(person.id, 3600_000).token}`, personId: person.id };
    };
    s.family = async (patientId, who) => {
      const invited = await fetch(`${s.webUrl}/api/patients/${patientId}/invitations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.staffToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ relation: 'daughter', shareVitals: true, ...who }),
      });
      if (invited.status !== 201) throw new Error(`invite: ${invited.status} ${await invited.text()}`);
      const { link } = (await invited.json()) as { link: string };
      const accepted = await fetch(`${s.webUrl}/api/invitations/accept`, {
        method: 'POST',
        headers: { origin: s.webUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ token: new URL(link).hash.replace('#invite=', ''), password: FAMILY_PASSWORD }),
      });
      if (accepted.status !== 200) throw new Error(`accept: ${accepted.status} ${await accepted.text()}`);
      const { person } = (await accepted.json()) as { person: { id: string } };
      return { cookie: sessionCookie(accepted), personId: person.id };
    };
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => end(c, true)));
    await s.web.close();
    await api?.close();
    s.people.close();
    s.settings.close();
    s.reads.close();
    s.changes.close();
    s.appointments.close();
    s.reports.close();
    s.systems.close();
    await sfu?.stop();
    sfu = undefined;
  });
  return s;
}
