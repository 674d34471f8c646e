/**
 * A care team's first look at a patient on a new installation: the ingest makes the history database
 * with its first reading, so before any watch has sent one the database does not exist yet. The chart
 * is then empty ("no readings yet"), not "the history does not answer".
 */
import { expect, it } from 'vitest';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { createInflux } from '../ingest/influx-client.ts';
import { DATABASE } from '../ingest/schema.ts';

const t = usePipeline();
const s = useFamilyStack(t);

it('gives an empty history, not a refusal, before the first reading has made the database', async () => {
  const { device } = await s.senior('Jeanne Martin');
  // Nothing has been written in this file's influxd: the database is still to be made.
  expect(await createInflux(t.influx.url, t.influx.access).getDatabaseNames()).not.toContain(DATABASE);
  for (const range of ['1h', '24h', '30d']) {
    const res = await fetch(`${s.webUrl}/api/console/patients/${device.patientId}/history?range=${range}&points=100`, {
      headers: { authorization: `Bearer ${s.staffToken}` },
    });
    expect(res.status, range).toBe(200);
    const body = (await res.json()) as { ts: number[]; range: string };
    expect(body).toMatchObject({ range, ts: [] });
  }
});

it('gives an empty history while the ingest is still making the retention policies', async () => {
  const { device } = await s.senior('Paul Martin');
  // The database exists with its raw policy only: the moment between the ingest's two statements.
  const influx = createInflux(t.influx.url, t.influx.access);
  if (!(await influx.getDatabaseNames()).includes(DATABASE))
    await influx.query(`CREATE DATABASE "${DATABASE}" WITH DURATION 90d REPLICATION 1 NAME "raw"`, { method: 'POST' });
  expect((await influx.showRetentionPolicies(DATABASE)).map((rp) => rp.name)).toEqual(['raw']);
  for (const range of ['24h', '30d']) {
    const res = await fetch(`${s.webUrl}/api/console/patients/${device.patientId}/history?range=${range}&points=100`, {
      headers: { authorization: `Bearer ${s.staffToken}` },
    });
    expect(res.status, range).toBe(200);
    expect((await res.json()) as object).toMatchObject({ range, ts: [] });
  }
});
