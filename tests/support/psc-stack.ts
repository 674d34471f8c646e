/**
 * The web service with Pro Santé Connect sign-in, in front of a real test provider (psc-provider.ts),
 * each on a free loopback port; fresh for each test. Only the web service runs: a PSC sign-in needs no
 * broker, ingest or InfluxDB (the web service's live feed keeps trying to reach its broker, harmlessly).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { freePort } from '../../common/free-port.ts';
import { createLogger } from '../../common/log.ts';
import { People } from '../../web/people.ts';
import { PatientSettingsStore } from '../../web/patient-settings.ts';
import { Registry } from '../../web/registry.ts';
import { WebServer } from '../../web/server.ts';
import { RecordReads } from '../../web/record-reads.ts';
import { ChangeLog } from '../../web/change-log.ts';
import { Appointments } from '../../web/appointments.ts';
import { Reports } from '../../web/reports.ts';
import { ExternalSystems } from '../../web/systems.ts';
import { startTestPsc, type TestPsc, type TestPscOptions } from './psc-provider.ts';
import { TEST_PASSWORD_WORK } from './passwords.ts';

export interface PscStack {
  web: WebServer;
  webUrl: string;
  people: People;
  psc: TestPsc;
  /** The web service's clock for PSC answers: tests move it (ms added to the real time). */
  clockOffsetMs: number;
}

/** `configured: false`: the web service is not told about the provider (PSC sign-in off). */
export function usePscStack(
  options: Partial<Pick<TestPscOptions, 'jwtUserinfo' | 'idTokenTtl'>> & { configured?: boolean } = {},
): PscStack {
  const { configured = true, ...providerOptions } = options;
  const s = {} as PscStack;
  let dir = '';
  let registry: Registry;
  let reads: RecordReads;
  let changes: ChangeLog;
  let appointments: Appointments;
  let reports: Reports;
  let systems: ExternalSystems;
  let settings: PatientSettingsStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-psc-'));
    registry = Registry.open(join(dir, 'registry.db'));
    s.people = People.open(join(dir, 'registry.db'), { passwordWork: TEST_PASSWORD_WORK });
    reads = RecordReads.open(join(dir, 'registry.db'));
    changes = ChangeLog.open(join(dir, 'registry.db'));
    appointments = Appointments.open(join(dir, 'registry.db'));
    reports = Reports.open(join(dir, 'registry.db'));
    systems = ExternalSystems.open(join(dir, 'registry.db'));
    settings = PatientSettingsStore.open(join(dir, 'registry.db'));
    s.clockOffsetMs = 0;
    const [webPort, pscPort] = [await freePort(), await freePort()];
    const webUrl = `http://127.0.0.1:${webPort}`;
    s.psc = await startTestPsc({
      port: pscPort,
      redirectUri: `${webUrl}/api/auth/psc/callback`,
      postLogoutRedirectUri: `${webUrl}/console`,
      ...providerOptions,
    });
    const psc = {
      // The discovery document's full URL, as PSC's must be given.
      discoveryUrl: `${s.psc.issuer}/.well-known/openid-configuration`,
      clientId: s.psc.clientId,
      clientSecret: s.psc.clientSecret,
      allowHttp: true,
      now: () => Date.now() + s.clockOffsetMs,
    };
    s.web = new WebServer({
      host: '127.0.0.1',
      port: webPort,
      sfuUrl: 'ws://127.0.0.1:9/signal',
      secret: randomBytes(32).toString('base64url'),
      inviteTtlSeconds: 3600,
      registry,
      people: s.people,
      reads,
      changes,
      appointments,
      reports,
      systems,
      settings,
      exports: { dir: join(dir, 'exports') },
      influxUrl: 'http://127.0.0.1:9',
      alertsApi: { url: 'http://127.0.0.1:9', token: randomBytes(24).toString('base64url') },
      mqtt: { url: 'mqtt://127.0.0.1:9', username: 'svc:web', password: 'unused' },
      logger: createLogger('web', process.env.TEST_LOG_LEVEL ?? 'silent'),
      ...(configured ? { psc } : {}),
    });
    s.webUrl = await s.web.listen();
  });
  afterEach(async () => {
    await s.web.close();
    await s.psc.close();
    s.people.close();
    reads.close();
    changes.close();
    appointments.close();
    reports.close();
    systems.close();
    settings.close();
    registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}
