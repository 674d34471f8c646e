/** Creates the database, its retention policies and continuous queries if missing (idempotent). */
import type { InfluxDB } from 'influx';
import { CONTINUOUS_QUERIES, DATABASE, RETENTION } from './schema.ts';

export async function ensureDatabase(influx: InfluxDB): Promise<void> {
  if (!(await influx.getDatabaseNames()).includes(DATABASE)) {
    // Created with `raw` as its only retention policy (no `autogen`).
    const raw = RETENTION.raw;
    await influx.query(`CREATE DATABASE "${DATABASE}" WITH DURATION ${raw.duration} REPLICATION 1 NAME "${raw.name}"`, {
      method: 'POST',
    });
  }
  const existing = new Set((await influx.showRetentionPolicies(DATABASE)).map((rp) => rp.name));
  for (const rp of Object.values(RETENTION)) {
    const options = { database: DATABASE, duration: rp.duration, replication: 1, isDefault: rp.default };
    if (existing.has(rp.name)) await influx.alterRetentionPolicy(rp.name, options);
    else await influx.createRetentionPolicy(rp.name, options);
  }
  const cqs = new Set((await influx.showContinousQueries(DATABASE)).map((cq) => cq.name));
  const wanted = new Set<string>(CONTINUOUS_QUERIES.map((cq) => cq.name));
  for (const name of cqs)
    if (name.startsWith('cq_vitals_') && !wanted.has(name)) await influx.dropContinuousQuery(name, DATABASE);
  for (const cq of CONTINUOUS_QUERIES) {
    if (!cqs.has(cq.name)) await influx.createContinuousQuery(cq.name, cq.select, DATABASE, `RESAMPLE ${cq.resample}`);
  }
}
