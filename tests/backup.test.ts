/**
 * `npm run backup` on a running stack: SQLite files copied while a process writes to them, the
 * segments of the ingest's queue log, InfluxDB through influxd's own backup; each copy restored into a
 * fresh place as the README says, with its data.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startInfluxd, type Influxd } from '../common/influxd.ts';
import { People } from '../web/people.ts';
import { registryPath } from '../common/paths.ts';
import { Registry } from '../web/registry.ts';
import { openSqlite } from '../common/sqlite.ts';
import { SqliteAlertRepository } from '../ingest/lifecycle/alert-store.ts';
import { DurableQueue } from '../ingest/queue.ts';
import { influxdRpcAddress } from '../scripts/backup/backup.ts';
import { startService, type ServiceProcess } from './support/process.ts';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-backup-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
async function influxd(dir: string): Promise<Influxd> {
  const server = await startInfluxd({ dir });
  cleanups.push(() => server.stop());
  return server;
}
const rpcOf = (dir: string) => influxdRpcAddress(readFileSync(join(dir, 'influxdb.conf'), 'utf8')) ?? '';
const count = (db: ReturnType<typeof openSqlite>, table: string) =>
  db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()?.n;

describe('npm run backup', () => {
  it('copies every database of a running stack while it writes, and each copy restores with its data', async () => {
    const root = temp();
    const data = join(root, 'data');
    const backups = join(root, 'backups');
    const registry = Registry.open(registryPath(data));
    const patient = await registry.provisionPatient('Jeanne');
    registry.close();
    const people = People.open(registryPath(data));
    const nurse = await people.createPerson({
      role: 'nurse',
      name: 'Inès',
      email: 'ines@x.test',
      password: 'a long enough password 1',
    });
    people.close();
    const alerts = new SqliteAlertRepository(join(data, 'ingest', 'alert-lifecycle.db'));
    alerts.database
      .prepare(
        "INSERT INTO lifecycle_alerts (patient_id, kind, priority, status, active, opened_at, updated_at, detail) VALUES (?, 'fall', 'high', 'confirmed', 1, 1, 1, '{}')",
      )
      .run(patient.patientId);
    // The ingest's queue: one reading written to InfluxDB, one not yet.
    const queue = new DurableQueue(join(data, 'ingest', 'queue.db'), 100);
    queue.append(['heart_rate,device=w-1 bpm=80 1700000120000000000']);
    queue.append(['heart_rate,device=w-1 bpm=81 1700000180000000000']);
    queue.remove(queue.peek(1));
    const server = await influxd(join(data, 'influxdb'));
    await server.request('/query', {
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      body: 'q=CREATE DATABASE vigie',
    });
    const written = await server.request('/write?db=vigie&precision=s', {
      method: 'POST',
      body: 'heart_rate,device=w-1 bpm=72 1700000000\nheart_rate,device=w-1 bpm=75 1700000060',
    });
    expect(written.status).toBe(204);

    const writer: ServiceProcess = startService(
      'tests/support/sqlite-writer.ts',
      { WRITER_DB: registryPath(data), WRITER_READY_AFTER: '200' },
      'written',
    );
    cleanups.push(() => writer.kill());
    await writer.ready;
    const out = await run(process.execPath, ['--import', 'tsx', 'scripts/backup/cli.ts'], {
      env: { ...process.env, VIGIE_DATA_DIR: data, VIGIE_BACKUP_DIR: backups },
    });
    await writer.kill();
    alerts.close();
    queue.close();

    const [folder] = readdirSync(backups);
    expect(out.stdout).toContain(`backup in ${join(backups, folder ?? '')}`);
    const copy = join(backups, folder ?? '');
    expect(readdirSync(join(copy, 'sqlite'), { recursive: true }).sort()).toEqual([
      'ingest',
      join('ingest', 'alert-lifecycle.db'),
      join('ingest', 'queue.db'),
      'registry.db',
    ]);
    const segments = readdirSync(join(copy, 'segments', 'ingest', 'queue-log'));
    expect(segments).toHaveLength(1);
    expect(out.stdout).toContain(join('ingest', 'queue-log', segments[0]!));
    // The writer went on after the copy: the copy holds one state of the file, every transaction whole.
    const registryCopy = openSqlite(join(copy, 'sqlite', 'registry.db'));
    const copied = count(registryCopy, 'people') ?? 0;
    expect(copied).toBeGreaterThan(200);
    expect(count(registryCopy, 'care_links')).toBe(copied - 1);
    registryCopy.close();
    const live = openSqlite(registryPath(data));
    expect(count(live, 'people')).toBeGreaterThan(copied);
    live.close();

    // Restore, as the README says: the copies into an empty data folder.
    const fresh = join(temp(), 'data');
    mkdirSync(join(fresh, 'ingest'), { recursive: true });
    copyFileSync(join(copy, 'sqlite', 'registry.db'), registryPath(fresh));
    copyFileSync(join(copy, 'sqlite', 'ingest', 'alert-lifecycle.db'), join(fresh, 'ingest', 'alert-lifecycle.db'));
    copyFileSync(join(copy, 'sqlite', 'ingest', 'queue.db'), join(fresh, 'ingest', 'queue.db'));
    cpSync(join(copy, 'segments'), fresh, { recursive: true });
    const restoredPeople = People.open(registryPath(fresh));
    expect(await restoredPeople.signIn('ines@x.test', 'a long enough password 1')).toMatchObject({ id: nurse.id });
    restoredPeople.close();
    const restoredRegistry = Registry.open(registryPath(fresh));
    expect(restoredRegistry.patientLabel(patient.patientId)).toBe('Jeanne');
    restoredRegistry.close();
    const restoredAlerts = new SqliteAlertRepository(join(fresh, 'ingest', 'alert-lifecycle.db'));
    expect(restoredAlerts.listOpen().map((a) => [a.patientId, a.kind])).toEqual([[patient.patientId, 'fall']]);
    restoredAlerts.close();
    const restoredQueue = new DurableQueue(join(fresh, 'ingest', 'queue.db'), 100);
    expect(restoredQueue.peek(10).map((r) => r.lines.toString())).toEqual([
      'heart_rate,device=w-1 bpm=81 1700000180000000000',
    ]);
    restoredQueue.close();

    const targetDir = join(temp(), 'influxdb');
    const target = await influxd(targetDir);
    await run('/usr/bin/influxd', ['restore', '-portable', '-host', rpcOf(targetDir), join(copy, 'influxdb')]);
    // influxd reopens the restored shard after `restore` returns ("engine is closed" until then).
    const count2 = async () =>
      (await target.request('/query?db=vigie&q=' + encodeURIComponent('SELECT count(bpm) FROM heart_rate'))).body;
    await expect.poll(count2, { timeout: 30_000 }).toContain('"values":[["1970-01-01T00:00:00Z",2]]');
  });
});
