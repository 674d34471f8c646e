import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { People } from './people.ts';
import { COALESCE_MS, READS_PER_PAGE, RecordReads, RETENTION_MS } from './record-reads.ts';
import { ExternalSystems } from './systems.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-reads-'));
  dirs.push(dir);
  const path = join(dir, 'registry.db');
  const people = People.open(path);
  const nurse = await people.createPerson({ role: 'nurse', name: 'Inès' });
  const clock = { now: 1_000_000 };
  const reads = RecordReads.open(path, { now: () => clock.now });
  const read = { patientId: 'p-1', personId: nurse.id, what: 'record', channel: 'page', address: '10.0.0.1' } as const;
  return { people, reads, clock, nurse, read, close: () => (reads.close(), people.close()) };
}

describe('the record-reads log', () => {
  it('counts identical reads within the window as one entry, and starts another after it', async () => {
    const { reads, clock, nurse, read, close } = await open();
    reads.record(read);
    clock.now += COALESCE_MS - 1;
    reads.record(read);
    expect(reads.list({})).toMatchObject([
      { name: 'Inès', role: 'nurse', count: 2, firstAt: 1_000_000, lastAt: 1_000_000 + COALESCE_MS - 1 },
    ]);
    clock.now += 1; // the window starts at the entry's first read
    reads.record(read);
    expect(reads.list({}).map((r) => r.count)).toEqual([1, 2]);
    expect(reads.list({ personId: nurse.id })).toHaveLength(2);
    close();
  });

  it('keeps reads of another part, channel, address or patient apart', async () => {
    const { reads, read, close } = await open();
    reads.record(read);
    reads.record({ ...read, what: 'notes' });
    reads.record({ ...read, channel: 'api_token' });
    reads.record({ ...read, address: '10.0.0.2' });
    reads.record({ ...read, patientId: 'p-2' });
    expect(reads.list({}).map((r) => r.count)).toEqual([1, 1, 1, 1, 1]);
    expect(reads.list({ patientId: 'p-2' })).toMatchObject([{ patientId: 'p-2' }]);
    expect(reads.list({ patientId: 'p-1', personId: 'u-nobody' })).toEqual([]);
    close();
  });

  it('names a system reader by its registered name, with no role, and keeps it apart from a person', async () => {
    const { reads, read, close } = await open();
    const path = join(dirs.at(-1)!, 'registry.db');
    const systems = ExternalSystems.open(path);
    const system = systems.register({
      name: 'Logiciel du cabinet',
      keys: { keys: [] },
      scopes: [],
      teamIds: [],
      by: 'u-admin',
    });
    reads.record(read);
    reads.record({ ...read, personId: system.id, reader: 'system', channel: 'system_token' });
    // A person whose id happened to be the system's would still be another reader.
    reads.record({ ...read, personId: system.id, channel: 'system_token' });
    expect(reads.list({ patientId: 'p-1' }).map((r) => [r.reader, r.name, r.role, r.count])).toEqual([
      ['person', system.id, 'clinician', 1],
      ['system', 'Logiciel du cabinet', null, 1],
      ['person', 'Inès', 'nurse', 1],
    ]);
    systems.close();
    close();
  });

  it('pages newest first', async () => {
    const { reads, read, close } = await open();
    for (let i = 0; i < READS_PER_PAGE + 5; i++) reads.record({ ...read, address: `10.0.1.${i}` });
    const first = reads.list({});
    expect(first).toHaveLength(READS_PER_PAGE);
    expect(first[0]!.address).toBe(`10.0.1.${READS_PER_PAGE + 4}`);
    const rest = reads.list({ before: first.at(-1)!.id });
    expect(rest.map((r) => r.address)).toEqual(['10.0.1.4', '10.0.1.3', '10.0.1.2', '10.0.1.1', '10.0.1.0']);
    close();
  });

  it('forgets entries last read more than the retention ago, and only those', async () => {
    const { reads, clock, read, close } = await open();
    reads.record(read);
    clock.now += 1000;
    reads.record({ ...read, what: 'vitals' });
    clock.now += RETENTION_MS - 500;
    expect(reads.purge()).toBe(1);
    expect(reads.list({}).map((r) => r.what)).toEqual(['vitals']);
    clock.now += 501;
    expect(reads.purge()).toBe(1);
    expect(reads.list({})).toEqual([]);
    close();
  });
});
