/** What the web service's routes and sockets share (built once by web/server.ts). */
import type { InfluxDB } from 'influx';
import type { Logger } from '../common/log.ts';
import type { People } from './people.ts';
import type { PatientSettingsStore } from './patient-settings.ts';
import type { Registry } from './registry.ts';
import type { CallTokens } from '../sfu/tokens.ts';
import type { AlertsClient } from './alerts-client.ts';
import type { Auth } from './auth.ts';
import type { Calls } from './calls.ts';
import type { LiveHub } from './live.ts';
import type { LiveMode } from './live-mode.ts';
import type { RecordReads } from './record-reads.ts';
import type { ChangeLog } from './change-log.ts';
import type { Appointments } from './appointments.ts';
import type { Reports } from './reports.ts';
import type { ExportJobs } from './fhir/export-jobs.ts';
import type { ExternalSystems } from './systems.ts';

export interface WebContext {
  readonly people: People;
  readonly registry: Registry;
  readonly settings: PatientSettingsStore;
  /** Who read which patient's record. */
  readonly reads: RecordReads;
  /** Every change to the organisation's set-up (who, what, when). */
  readonly changes: ChangeLog;
  /** Scheduled teleconsultations. */
  readonly appointments: Appointments;
  /** Teleconsultations' consents and reports. */
  readonly reports: Reports;
  /** FHIR Bulk Data export jobs and their files. */
  readonly exports: ExportJobs;
  /** External systems of the FHIR API and their access tokens (SMART Backend Services). */
  readonly systems: ExternalSystems;
  readonly auth: Auth;
  readonly alerts: AlertsClient;
  readonly live: LiveHub;
  /** Who watches which patient now; their watches send each reading as taken meanwhile. */
  readonly liveMode: LiveMode;
  readonly calls: Calls;
  readonly tokens: CallTokens;
  readonly influx: InfluxDB;
  /** Where browsers reach this site (links in invitations). */
  readonly publicUrl: () => string;
  readonly sfuUrl: string;
  /** Where watches reach the broker (their enrolment URI). */
  readonly deviceMqttUrl: string;
  readonly vapidPublicKey: string | null;
  /** Whether staff may sign in with Pro Santé Connect. */
  readonly psc: boolean;
  readonly logger: Logger;
  /** Counts a refusal by its code (the `vigie_web_refused_total` metric). */
  readonly refused: (code: string) => void;
}
