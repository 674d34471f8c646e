import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../common/free-port.ts';
import { openSqlite } from '../../common/sqlite.ts';
import { backup, BackupError, influxdRpcAddress } from './backup.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function layout(): { data: string; to: string } {
  const root = mkdtempSync(join(tmpdir(), 'vigie-backup-'));
  dirs.push(root);
  const data = join(root, 'data');
  const db = openSqlite(join(data, 'broker', 'broker.db'), {
    migrations: { owner: 'b', steps: ['CREATE TABLE t (v)'] },
  });
  db.prepare("INSERT INTO t VALUES ('kept')").run();
  db.close();
  return { data, to: join(root, 'backups') };
}
const now = new Date('2026-11-29T01:02:03.456Z');

describe('backup', () => {
  it('copies each database as one private file, with its owners’ versions, into a folder named by the time', async () => {
    const { data, to } = layout();
    // A segment of the ingest's queue log (ingest/append-log.ts) is copied as it is.
    mkdirSync(join(data, 'ingest', 'queue-log'), { recursive: true });
    writeFileSync(join(data, 'ingest', 'queue-log', '0000000000000001.seg'), 'records');
    const report = await backup({ dataDir: data, to, now });
    const folder = join(to, '2026-11-29T01-02-03-456Z');
    const segment = join('ingest', 'queue-log', '0000000000000001.seg');
    expect(report).toEqual({
      folder,
      sqlite: [{ file: join('broker', 'broker.db'), bytes: expect.any(Number) as number, versions: { b: 1 } }],
      segments: [{ file: segment, bytes: 7 }],
      influx: null,
    });
    expect(readFileSync(join(folder, 'segments', segment), 'utf8')).toBe('records');
    expect((statSync(join(folder, 'segments', segment)).mode & 0o777).toString(8)).toBe('600');
    expect(readdirSync(join(folder, 'sqlite', 'broker'))).toEqual(['broker.db']);
    expect((statSync(join(folder, 'sqlite', 'broker', 'broker.db')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(folder).mode & 0o777).toString(8)).toBe('700');
    expect(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'))).toMatchObject({
      at: '2026-11-29T01-02-03-456Z',
      sqlite: [{ file: join('broker', 'broker.db'), versions: { b: 1 } }],
    });
    const copy = openSqlite(join(folder, 'sqlite', 'broker', 'broker.db'));
    expect(copy.prepare('SELECT v FROM t').all()).toEqual([{ v: 'kept' }]);
    copy.close();
  });

  it('never writes over an earlier backup', async () => {
    const { data, to } = layout();
    await backup({ dataDir: data, to, now });
    await expect(backup({ dataDir: data, to, now })).rejects.toThrow(
      new BackupError(`${join(to, '2026-11-29T01-02-03-456Z')} already exists: a backup is never written over another`),
    );
  });

  it('refuses a data folder without databases, or that does not exist', async () => {
    const { data, to } = layout();
    const empty = join(data, '..', 'empty');
    mkdirSync(empty);
    await expect(backup({ dataDir: empty, to, now })).rejects.toThrow(
      `no SQLite database (*.db) in ${empty}: is VIGIE_DATA_DIR the services' folder?`,
    );
    await expect(backup({ dataDir: join(data, 'nowhere'), to, now })).rejects.toThrow(
      `${join(data, 'nowhere')} does not exist`,
    );
  });

  it('refuses to put backups inside the data folder (the next backup would copy them)', async () => {
    const { data } = layout();
    await expect(backup({ dataDir: data, to: join(data, 'backups'), now })).rejects.toThrow(
      `${join(data, 'backups')} is inside the data folder ${data}: backups go elsewhere`,
    );
  });

  it('names a .db file that is not a database', async () => {
    const { data, to } = layout();
    writeFileSync(join(data, 'notes.db'), 'not a database, but a text of more than a hundred bytes '.repeat(3));
    await expect(backup({ dataDir: data, to, now })).rejects.toThrow(/^notes\.db: file is not a database$/);
  });

  it('says which influxd could not be copied, and why', async () => {
    const { data, to } = layout();
    const address = `127.0.0.1:${await freePort()}`;
    await expect(backup({ dataDir: data, to, now, influx: { address } })).rejects.toThrow(
      new RegExp(
        `^influxd backup from ${address} failed: connect ECONNREFUSED ${address} \\(is it influxd.s bind-address\\?\\)$`,
      ),
    );
  });

  it('reports influxd backup’s own failure', async () => {
    const { data, to } = layout();
    const server = createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      await expect(
        backup({ dataDir: data, to, now, influx: { address: `127.0.0.1:${port}`, binary: '/usr/bin/false' } }),
      ).rejects.toThrow(
        `influxd backup from 127.0.0.1:${port} failed: Command failed: /usr/bin/false backup -portable`,
      );
    } finally {
      server.close();
    }
  });
});

describe('influxdRpcAddress', () => {
  it.each([
    ['bind-address = "127.0.0.1:8088"\n[http]\n  bind-address = "127.0.0.1:8086"\n', '127.0.0.1:8088'],
    ['reporting-enabled = false\n[http]\n  bind-address = "127.0.0.1:8086"\n', undefined],
    ['', undefined],
  ])('reads the top-level bind-address of %j', (text, expected) => {
    expect(influxdRpcAddress(text)).toBe(expected);
  });
});
