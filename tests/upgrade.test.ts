/**
 * Databases made by earlier releases (tests/fixtures/upgrade/<release>/, see its README) opened by
 * this code: every row is still there, each owner at its latest version, and everything works: a
 * nurse signs in, a relative's session holds, an invitation is accepted, an alert is read with its
 * escalation, the broker resumes its queued message, the ingest its queued point.
 */
import type { Aedes } from 'aedes';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BROKER_MIGRATIONS, DurablePersistence, type PersistedPacket } from '../broker/persistence.ts';
import { PATIENT_SETTINGS_MIGRATIONS, PatientSettingsStore } from '../web/patient-settings.ts';
import { People, PEOPLE_MIGRATIONS } from '../web/people.ts';
import { Registry, REGISTRY_MIGRATIONS } from '../web/registry.ts';
import { verifySecret } from '../common/secrets.ts';
import { ALARM_LOG_MIGRATIONS, AlertStore } from '../ingest/alerts.ts';
import { ALERT_LIFECYCLE_MIGRATIONS, SqliteAlertRepository } from '../ingest/lifecycle/alert-store.ts';
import { ESCALATION_MIGRATIONS, SqliteEscalationRepository } from '../ingest/lifecycle/escalation-store.ts';
import { DurableQueue, QUEUE_MIGRATIONS } from '../ingest/queue.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'upgrade');
const RELEASES = readdirSync(FIXTURES).filter((name) => existsSync(join(FIXTURES, name, 'COMMIT')));

const expectedSchema = z.object({
  patientId: z.string(),
  deviceId: z.string(),
  deviceSecret: z.string(),
  ingestSecret: z.string(),
  nurse: z.object({ id: z.string(), email: z.string(), password: z.string() }),
  son: z.object({ id: z.string(), email: z.string(), password: z.string(), session: z.string() }),
  teamId: z.string(),
  invitation: z.string(),
  alertId: z.number(),
});

/** Each file's owners at this code's latest versions. */
const LATEST: Record<string, Record<string, number>> = {
  'registry.db': {
    registry: REGISTRY_MIGRATIONS.length,
    people: PEOPLE_MIGRATIONS.length,
    'patient-settings': PATIENT_SETTINGS_MIGRATIONS.length,
  },
  [join('broker', 'broker.db')]: { broker: BROKER_MIGRATIONS.length },
  [join('ingest', 'alert-lifecycle.db')]: {
    'alert-lifecycle': ALERT_LIFECYCLE_MIGRATIONS.length,
    escalations: ESCALATION_MIGRATIONS.length,
  },
  [join('ingest', 'alerts.db')]: { 'alarm-log': ALARM_LOG_MIGRATIONS.length },
  [join('ingest', 'queue.db')]: { 'ingest-queue': QUEUE_MIGRATIONS.length },
};

function rowCounts(path: string): Record<string, number | undefined> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
      )
      .all();
    return Object.fromEntries(
      tables.map(({ name }) => [name, db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM "${name}"`).get()?.n]),
    );
  } finally {
    db.close();
  }
}
function versions(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Object.fromEntries(
      db
        .prepare<[], { owner: string; version: number }>('SELECT owner, version FROM schema_migrations')
        .all()
        .map((r) => [r.owner, r.version]),
    );
  } finally {
    db.close();
  }
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

it('a service refuses to start on a file of a newer release, saying which schema and both versions', async () => {
  const data = join(mkdtempSync(join(tmpdir(), 'vigie-upgrade-')), 'data');
  dirs.push(join(data, '..'));
  Registry.open(join(data, 'registry.db')).close();
  const db = new Database(join(data, 'registry.db'));
  db.prepare("UPDATE schema_migrations SET version = 99 WHERE owner = 'registry'").run();
  db.close();
  const started = promisify(execFile)(process.execPath, ['--import', 'tsx', 'broker/main.ts'], {
    env: { ...process.env, VIGIE_DATA_DIR: data, MQTT_PORT: '0', MQTT_WS_PORT: '0', BROKER_METRICS_PORT: '0' },
  });
  await expect(started).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining(
      `SchemaTooNewError: the registry schema of ${join(data, 'registry.db')} is at version 99, newer than the ${REGISTRY_MIGRATIONS.length} this version of Vigie knows`,
    ) as string,
  });
});

it('has the databases of the release before migrations covered every file', () => {
  expect(RELEASES).toContain('0.1.0-51922f8');
});

describe.each(RELEASES)('the databases of release %s', (release) => {
  it('open with this code: nothing lost, every owner migrated, everything works', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'vigie-upgrade-')), 'data');
    dirs.push(join(data, '..'));
    cpSync(join(FIXTURES, release), data, { recursive: true });
    const x = expectedSchema.parse(JSON.parse(readFileSync(join(data, 'expected.json'), 'utf8')));
    const before = Object.fromEntries(Object.keys(LATEST).map((file) => [file, rowCounts(join(data, file))]));
    const registryFile = join(data, 'registry.db');

    const registry = Registry.open(registryFile);
    const device = registry.device(x.deviceId);
    expect(device).toMatchObject({ patientId: x.patientId, revoked: false });
    expect(await verifySecret(x.deviceSecret, device?.secretHash ?? '')).toBe(true);
    expect(await verifySecret(x.ingestSecret, registry.service('svc:ingest')?.secretHash ?? '')).toBe(true);
    expect(registry.patientLabel(x.patientId)).toBe('Jeanne Martin');
    expect(registry.patientContact(x.patientId)).toEqual({ phone: '+33612345678', sex: 'female' });
    registry.close();

    const people = People.open(registryFile);
    expect(await people.signIn(x.nurse.email, x.nurse.password)).toMatchObject({ id: x.nurse.id, role: 'nurse' });
    expect(people.session(x.son.session)).toMatchObject({ id: x.son.id });
    const nurse = people.person(x.nurse.id);
    expect(nurse && people.teamPatients(nurse)).toEqual([x.patientId]);
    expect(people.chain(x.patientId).steps).toEqual([{ personId: x.son.id, delayMs: 0 }]);
    expect(people.notes(x.patientId).map((n) => n.text)).toEqual(['Visite faite, tout va bien.']);
    const claire = await people.acceptInvitation(x.invitation, 'a daughter password long enough');
    expect(
      people
        .peopleOf(x.patientId)
        .map(({ person, link }) => [person.id, link.relation])
        .sort(),
    ).toEqual(
      [
        [x.son.id, 'son'],
        [claire.id, 'daughter'],
      ].sort(),
    );
    people.close();

    const settings = PatientSettingsStore.open(registryFile);
    expect(settings.get(x.patientId)).toMatchObject({ spo2Scale: 2, onOxygen: true, offlineAfterMinutes: 45 });
    settings.close();

    const alerts = new SqliteAlertRepository(join(data, 'ingest', 'alert-lifecycle.db'));
    const escalations = new SqliteEscalationRepository(alerts.database);
    expect(alerts.listOpen([x.patientId]).map((a) => [a.id, a.kind, a.detail])).toEqual([
      [x.alertId, 'fall', { confidence: 0.93 }],
    ]);
    expect(alerts.audit(x.alertId).map((a) => a.action)).toEqual(['opened']);
    expect(escalations.escalation(x.alertId)).toMatchObject({ state: 'notifying', notified: [x.son.id] });
    expect(escalations.pending(Number.MAX_SAFE_INTEGER, 10).map((m) => [m.personId, m.kind])).toEqual([
      [x.son.id, 'alert'],
    ]);
    alerts.close();

    const alarmLog = new AlertStore(join(data, 'ingest', 'alerts.db'));
    expect(alarmLog.list().map((a) => [a.deviceId, a.type, a.seq])).toEqual([[x.deviceId, 'sos', 7]]);
    alarmLog.close();

    const queue = new DurableQueue(join(data, 'ingest', 'queue.db'), 1000);
    // A point of the earlier JSON form, carried over as line protocol (a field the schema does not know: a float).
    expect(queue.peek(10).map((q) => q.lines.toString().split(' ')[1])).toEqual(['heart_rate=72']);
    queue.close();

    const broker = new DurablePersistence(join(data, 'broker', 'broker.db'));
    await broker.setup({ id: 'vigie-broker', counter: 0 } as unknown as Aedes); // the only fields setup reads
    expect(await broker.subscriptionsByClient({ id: 'vigie-ingest' })).toEqual([
      expect.objectContaining({ topic: 'vigie/v1/devices/+/events', qos: 1 }),
    ]);
    const queued: PersistedPacket[] = [];
    for await (const p of broker.outgoingStream({ id: 'vigie-ingest' })) queued.push(p as PersistedPacket);
    expect(queued.map((p) => [p.topic, String(p.payload)])).toEqual([
      [`vigie/v1/devices/${x.deviceId}/events`, '{"type":"sos"}'],
    ]);
    await broker.destroy();

    for (const [file, owners] of Object.entries(LATEST)) {
      const after = rowCounts(join(data, file));
      // Every table and row of the release is still there (the invitation accepted above added one person and link).
      const added = file === 'registry.db' ? { people: 1, care_links: 1 } : {};
      for (const [table, n] of Object.entries(before[file] ?? {}))
        expect(after[table], `${file} ${table}`).toBe((n ?? 0) + (added[table as keyof typeof added] ?? 0));
      expect(versions(join(data, file)), file).toEqual(owners);
    }
  });
});
