/**
 * The web service's read interface for the other services. The web service owns the registry file:
 * patients and their devices, service accounts, people, care teams, escalation chains, invitations
 * and alert settings. The broker and the ingest never open its tables; they open this directory,
 * which gives each of them the few reads it needs, over a connection that cannot write:
 *
 * - the broker (`openDeviceDirectory`): a device's or a service account's credentials and whether
 *   the device is revoked, to authenticate a connection and scope its topics, and the devices
 *   revoked lately, to close their open connections;
 * - the ingest (`openCareDirectory`): which patient a device belongs to and how the team calls them;
 *   who a person is (name, role, language, e-mail), whether they may still be told about a patient's
 *   alerts (an enabled account of the patient's people or care team), their care link's consent to
 *   share vital signs,
 *   their Web Push subscriptions; a patient's escalation chain; a patient's alert settings.
 *
 * The owner's migrations run when a directory opens (a file newer than this code is refused, as for
 * the owner). Changes are seen at once: SQLite's WAL lets these readers see each commit of the web
 * service. What the other services write is theirs (the broker's sessions, the ingest's alerts and
 * escalations, in their own files).
 */
import { strictName } from '../common/identity-name.ts';
import type { Lang } from '../common/people-rules.ts';
import type { PatientSettings } from '../common/patient-settings-schema.ts';
import { PatientSettingsStore } from './patient-settings.ts';
import { People } from './people.ts';
import { Registry, type DeviceRecord, type ServiceRecord } from './registry.ts';

export type { CareLink, EscalationChain, EscalationStep, Person, PushSubscriptionRecord } from './people.ts';
export { SERVICE_ROLES, type ServiceRole } from './registry.ts';

/** How the platform's own services (ingest, web) name themselves at the broker: `svc:ingest`. */
export const SERVICE_PREFIX = 'svc:';

/** What the broker reads: credentials. */
export interface DeviceDirectory {
  device(id: string): DeviceRecord | undefined;
  service(username: string): ServiceRecord | undefined;
  /** The devices revoked at or after `since` (ms), so that the broker closes their open connections. */
  revokedSince(since: number): string[];
  close(): void;
}

/** The patients and their devices, as the ingest reads them. */
export type PatientDirectory = Pick<Registry, 'patientOf' | 'patientLabel' | 'patientIds' | 'patientIdentity'>;
/** The people to notify and escalate to, as the ingest reads them. */
export type PeopleDirectory = Pick<People, 'person' | 'linkOf' | 'chain' | 'pushSubscriptions' | 'mayBeAlerted'>;
/** Each patient's alert settings, and a number that changes when any of them may have (for caches). */
export interface SettingsDirectory {
  get(patientId: string): PatientSettings | undefined;
  version(): number;
}

/**
 * How messages and pages name a patient to a reader: the strict traits of their identity when it is
 * recorded (common/identity-name.ts), else the name the care team gave them.
 */
export function patientName(
  patients: Pick<PatientDirectory, 'patientIdentity' | 'patientLabel'>,
  patientId: string,
  lang: Lang,
): string {
  return strictName(lang, patients.patientIdentity(patientId)?.traits, patients.patientLabel(patientId) ?? patientId);
}

export interface CareDirectory {
  readonly patients: PatientDirectory;
  readonly people: PeopleDirectory;
  readonly settings: SettingsDirectory;
  close(): void;
}

export function openDeviceDirectory(path: string): DeviceDirectory {
  const registry = Registry.open(path, { readonly: true });
  return {
    device: (id) => registry.device(id),
    service: (username) => registry.service(username),
    revokedSince: (since) => registry.revokedSince(since),
    close: () => registry.close(),
  };
}

export function openCareDirectory(path: string): CareDirectory {
  const registry = Registry.open(path, { readonly: true });
  const people = People.open(path, { readonly: true });
  const settings = PatientSettingsStore.open(path, { readonly: true });
  return {
    patients: {
      patientOf: (deviceId) => registry.patientOf(deviceId),
      patientLabel: (patientId) => registry.patientLabel(patientId),
      patientIds: () => registry.patientIds(),
      patientIdentity: (patientId) => registry.patientIdentity(patientId),
    },
    people: {
      person: (id) => people.person(id),
      linkOf: (personId, patientId) => people.linkOf(personId, patientId),
      chain: (patientId) => people.chain(patientId),
      pushSubscriptions: (personId) => people.pushSubscriptions(personId),
      mayBeAlerted: (personId, patientId) => people.mayBeAlerted(personId, patientId),
    },
    settings: { get: (patientId) => settings.get(patientId), version: () => settings.version() },
    close: () => {
      registry.close();
      people.close();
      settings.close();
    },
  };
}
