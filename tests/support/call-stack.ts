/** The SFU and the web service, in-process on free loopback ports, with one provisioned patient. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createLogger } from '../../common/log.ts';
import { People } from '../../web/people.ts';
import { PatientSettingsStore } from '../../web/patient-settings.ts';
import { RecordReads } from '../../web/record-reads.ts';
import { ChangeLog } from '../../web/change-log.ts';
import { Appointments } from '../../web/appointments.ts';
import { Reports } from '../../web/reports.ts';
import { ExternalSystems } from '../../web/systems.ts';
import { exportsPath, registryPath } from '../../common/paths.ts';
import { startTestBroker } from './broker.ts';
import { WebServer } from '../../web/server.ts';
import { startTestSfu, type TestSfu } from './sfu.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { TEST_PASSWORD_WORK } from './passwords.ts';

export interface CallStack {
  readonly sfu: TestSfu;
  readonly web: WebServer;
  readonly webUrl: string;
  readonly patientId: string;
  readonly people: People;
  /** A personal API token of Dr Martin, whose care team follows the patient. */
  readonly staffToken: string;
  /** Pages reach the SFU's signalling through this relay, so a test can cut their network. */
  readonly signallingLink: TcpProxy;
  /** Creates a consultation through the API, as the console does. */
  createConsultation(
    inviteFamily?: boolean,
  ): Promise<{ roomId: string; links: { clinician: string; patient: string } }>;
  /** A relative of the patient, signed in, asks for their own link to the consultation, as their page does. */
  relativeLink(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startCallStack(options: { workers?: number } = {}): Promise<CallStack> {
  const broker = await startTestBroker(mkdtempSync(join(tmpdir(), 'vigie-call-')));
  const { dir, registry } = broker;
  const people = People.open(registryPath(dir), { passwordWork: TEST_PASSWORD_WORK });
  const reads = RecordReads.open(registryPath(dir));
  const changes = ChangeLog.open(registryPath(dir));
  const appointments = Appointments.open(registryPath(dir));
  const reports = Reports.open(registryPath(dir));
  const systems = ExternalSystems.open(registryPath(dir));
  const { patientId } = await registry.provisionPatient('call test');
  const sfu = await startTestSfu({ workers: options.workers ?? 1 });
  const signallingLink = await startTcpProxy(sfu.server.port);
  const web = new WebServer({
    host: '127.0.0.1',
    port: 0,
    sfuUrl: sfu.url.replace(`:${sfu.server.port}/`, `:${signallingLink.port}/`),
    secret: sfu.secret,
    inviteTtlSeconds: 3600,
    registry,
    people,
    settings: PatientSettingsStore.open(registryPath(dir)),
    reads,
    changes,
    appointments,
    reports,
    exports: { dir: exportsPath(dir) },
    systems,
    // No ingest here: calls do not need alerts (the family page's tests start one).
    influxUrl: 'http://127.0.0.1:9',
    alertsApi: { url: 'http://127.0.0.1:9', token: 'x'.repeat(32) },
    mqtt: { url: broker.url, username: 'svc:web', password: await registry.setService('svc:web', 'web') },
    logger: createLogger('web', process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  const webUrl = await web.listen();
  const doctor = await people.createPerson({ role: 'clinician', name: 'Dr Martin', email: 'martin@vigie.test' });
  const team = people.team('Équipe Nord');
  people.addToTeam(team, { people: [doctor.id], patients: [patientId] });
  const staffToken = people.createApiToken(doctor.id, 'tests', 3600_000).token;
  return {
    sfu,
    web,
    webUrl,
    patientId,
    people,
    staffToken,
    signallingLink,
    async createConsultation(inviteFamily = true) {
      const res = await fetch(`${webUrl}/api/consultations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${staffToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ patientId, inviteFamily }),
      });
      if (res.status !== 201) throw new Error(`create consultation: ${res.status} ${await res.text()}`);
      return (await res.json()) as { roomId: string; links: { clinician: string; patient: string } };
    },
    async relativeLink(name) {
      const relative = await people.createPerson({ role: 'family', name, email: `${name.toLowerCase()}@famille.test` });
      people.link(relative.id, patientId, { relation: 'fille', shareVitals: true });
      const session = people.createSession(relative.id, 3600_000).token;
      const res = await fetch(`${webUrl}/api/patients/${patientId}/call-link`, {
        method: 'POST',
        headers: { cookie: `vigie_session=${session}`, origin: webUrl },
      });
      if (res.status !== 200) throw new Error(`call link: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { url: string }).url;
    },
    async stop() {
      await web.close();
      await signallingLink.close();
      await sfu.stop();
      people.close();
      reads.close();
      changes.close();
      appointments.close();
      reports.close();
      systems.close();
      await broker.stop();
    },
  };
}
