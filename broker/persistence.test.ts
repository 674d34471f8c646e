import { spawnSync } from 'node:child_process';
import { serialize } from 'node:v8';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../common/sqlite.ts';
import { BROKER_MIGRATIONS, DurablePersistence, type PersistedPacket as AedesPacket } from './persistence.ts';

const broker = { id: 'vigie-broker', counter: 0 } as unknown as Aedes;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function open(
  file?: string,
  options?: ConstructorParameters<typeof DurablePersistence>[1],
): Promise<{ p: DurablePersistence; file: string }> {
  const path = file ?? join(dirs[dirs.push(mkdtempSync(join(tmpdir(), 'vigie-persistence-'))) - 1]!, 'broker.db');
  const p = new DurablePersistence(path, options);
  await p.setup(broker);
  return { p, file: path };
}
const publish = (n: number, extra: Partial<AedesPacket> = {}) =>
  ({
    cmd: 'publish',
    topic: `vigie/v1/devices/w-1/vitals`,
    payload: Buffer.from(`reading ${n}`),
    qos: 1,
    retain: false,
    dup: false,
    brokerId: 'vigie-broker',
    brokerCounter: n,
    ...extra,
  }) as AedesPacket;
async function drain(stream: NodeJS.ReadableStream): Promise<AedesPacket[]> {
  const out: AedesPacket[] = [];
  for await (const p of stream) out.push(p as unknown as AedesPacket);
  return out;
}

describe('durable broker persistence', () => {
  it('commits an urgent message at once, with what the turn wrote before it; others at the end of the turn', async () => {
    const { p, file } = await open(undefined, { urgent: (packet) => packet.topic.endsWith('/events') });
    const reader = openSqlite(file, { readonly: true });
    const rows = () => reader.prepare('SELECT count(*) AS n FROM outgoing').get() as { n: number };
    const sub = [{ clientId: 'ingest' }];
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    const reading = p.outgoingEnqueueCombi(sub, publish(1));
    expect(rows().n).toBe(0); // held for the group commit
    const fall = p.outgoingEnqueueCombi(sub, publish(2, { topic: 'vigie/v1/devices/w-1/events' }));
    expect(rows().n).toBe(2); // committed now, the reading with it
    await Promise.all([reading, fall]);
    expect(turnEnded).toBe(false);
    await p.outgoingEnqueueCombi(sub, publish(3));
    expect(turnEnded).toBe(true); // a reading alone waits for the end of the turn
    expect(rows().n).toBe(3);
    reader.close();
    await p.destroy();
  });

  it("passes aedes-persistence's own conformance suite", () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', join(import.meta.dirname, 'persistence.conformance.ts')],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const summary = /# tests (\d+)\n# suites \d+\n# pass (\d+)\n# fail (\d+)/.exec(run.stdout);
    expect(summary, run.stdout.slice(-3000) + run.stderr).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(50);
    expect(
      Number(summary![3]),
      run.stdout
        .split('\n')
        .filter((l) => l.startsWith('not ok'))
        .join('\n'),
    ).toBe(0);
    expect(run.status).toBe(0);
  });

  it('keeps a session, its queued messages in order, retained messages and wills across a restart; acknowledged ones are gone', async () => {
    const { p, file } = await open();
    const ingest = { id: 'vigie-ingest' };
    await p.addSubscriptions(ingest, [{ topic: 'vigie/v1/devices/+/vitals', qos: 1 }]);
    for (let n = 1; n <= 5; n += 1) await p.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(n));
    // Messages 1 and 2 were sent (packet ids 10, 11); 1 was acknowledged.
    await p.outgoingUpdate(ingest, { ...publish(1), messageId: 10 });
    await p.outgoingUpdate(ingest, { ...publish(2), messageId: 11 });
    expect(
      (await p.outgoingClearMessageId(ingest, { cmd: 'puback', messageId: 10 } as unknown as AedesPacket)) as {
        brokerCounter: number;
      },
    ).toMatchObject({ brokerCounter: 1 });
    await p.storeRetained({
      ...publish(0),
      topic: 'vigie/v1/devices/w-1/status',
      payload: Buffer.from('online'),
      retain: true,
    });
    await p.putWill(
      { id: 'w-1' },
      {
        ...publish(0),
        topic: 'vigie/v1/devices/w-1/status',
        payload: Buffer.from('offline'),
      },
    );
    await p.destroy();

    const { p: again } = await open(file);
    expect((await drain(again.outgoingStream(ingest))).map((m) => m.payload.toString())).toEqual([
      'reading 2',
      'reading 3',
      'reading 4',
      'reading 5',
    ]);
    expect(await again.subscriptionsByTopic('vigie/v1/devices/w-9/vitals')).toEqual([
      expect.objectContaining({ clientId: 'vigie-ingest', qos: 1 }),
    ]);
    expect(
      (await drain(again.createRetainedStream('vigie/v1/devices/+/status'))).map((m) => m.payload.toString()),
    ).toEqual(['online']);
    expect((await again.getWill({ id: 'w-1' }))?.payload.toString()).toBe('offline');
    // Sent again after the restart with a new packet id, then acknowledged: gone for good.
    await again.outgoingUpdate(ingest, { ...publish(2), messageId: 1 });
    await again.outgoingClearMessageId(ingest, { cmd: 'puback', messageId: 1 } as unknown as AedesPacket);
    await again.destroy();
    const { p: third } = await open(file);
    expect((await drain(third.outgoingStream(ingest))).map((m) => m.payload.toString())).toEqual([
      'reading 3',
      'reading 4',
      'reading 5',
    ]);
    await third.destroy();
  });

  it('after a reconnection, an acknowledgement matches only what this connection sent: a new message reusing an old packet id leaves the old one queued', async () => {
    // aedes resends a session's queue with the packet ids of the connection before, and numbers new
    // deliveries from a random start: a new one can take the id of an old one not resent yet. Its
    // PUBACK removed the old one, whose resending then failed ("no such packet"): the subscriber was
    // disconnected, and that message was never delivered again.
    const { p } = await open();
    // aedes' Client object of each connection of the same session.
    const before = { id: 'vigie-ingest' };
    const ingest = { id: 'vigie-ingest' };
    for (let n = 1; n <= 3; n += 1) await p.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(n));
    for (const [n, messageId] of [
      [1, 40],
      [2, 41],
      [3, 42],
    ] as const)
      await p.outgoingUpdate(before, { ...publish(n), messageId }); // sent, never acknowledged
    const resend = await drain(p.outgoingStream(ingest)); // the subscriber is back
    expect(resend.map((m) => [m.brokerCounter, m.messageId])).toEqual([
      [1, 40],
      [2, 41],
      [3, 42],
    ]);

    await p.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(4));
    await p.outgoingUpdate(ingest, { ...publish(4), messageId: 41 }); // a new delivery, an old id
    const acked = await p.outgoingClearMessageId(ingest, { cmd: 'puback', messageId: 41 } as unknown as AedesPacket);
    expect(acked).toMatchObject({ brokerCounter: 4 });

    for (const packet of resend) {
      await p.outgoingUpdate(ingest, { ...packet }); // resent: each is still there
      await p.outgoingClearMessageId(ingest, { cmd: 'puback', messageId: packet.messageId } as unknown as AedesPacket);
    }
    expect(await drain(p.outgoingStream(ingest))).toEqual([]);
    await p.destroy();
  });

  it('reads a file of the release before (AUTOINCREMENT rows, v8.serialize packets): order, wills and acknowledgements hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-persistence-'));
    dirs.push(dir);
    const file = join(dir, 'broker.db');
    // The schema and rows exactly as that release wrote them.
    const old = openSqlite(file, { migrations: { owner: 'broker', steps: BROKER_MIGRATIONS.slice(0, 1) } });
    const enqueue = old.prepare('INSERT INTO outgoing (client_id, broker_id, counter, packet) VALUES (?, ?, ?, ?)');
    for (const n of [1, 2, 3]) {
      const { brokerId, brokerCounter } = publish(n);
      enqueue.run('vigie-ingest', brokerId, brokerCounter, serialize({ ...publish(n), messageId: undefined }));
    }
    old.prepare('DELETE FROM outgoing WHERE counter = 1').run(); // acknowledged: its seq is not reused
    const will = {
      ...publish(0),
      topic: 'vigie/v1/devices/w-1/status',
      payload: Buffer.from('offline'),
      clientId: 'w-1',
    };
    old.prepare('INSERT INTO wills (client_id, packet) VALUES (?, ?)').run('w-1', serialize(will));
    old.close();

    const ingest = { id: 'vigie-ingest' };
    const { p } = await open(file);
    await p.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(4)); // written in the new format
    expect((await drain(p.outgoingStream(ingest))).map((m) => m.payload.toString())).toEqual([
      'reading 2',
      'reading 3',
      'reading 4',
    ]);
    expect(await p.getWill({ id: 'w-1' })).toStrictEqual(will);
    await p.outgoingUpdate(ingest, { ...publish(2), messageId: 1 });
    await p.outgoingClearMessageId(ingest, { cmd: 'puback', messageId: 1 } as unknown as AedesPacket);
    await p.destroy();

    const { p: again } = await open(file);
    expect((await drain(again.outgoingStream(ingest))).map((m) => m.brokerCounter)).toEqual([3, 4]);
    await again.destroy();
    const db = openSqlite(file);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_sequence WHERE name = 'outgoing'").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'outgoing_key'").get()).toEqual({ n: 0 });
    db.close();
  });
});
