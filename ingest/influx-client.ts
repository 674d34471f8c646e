/** The node-influx client for Vigie's database, from a URL such as http://user:pass@host:8086. */
import { InfluxDB } from 'influx';
import { ConstantBackoff } from 'influx/lib/src/backoff/constant.js';
import { DATABASE, SCHEMA } from './schema.ts';

export function createInflux(url: string): InfluxDB {
  const u = new URL(url);
  return new InfluxDB({
    protocol: u.protocol === 'https:' ? 'https' : 'http',
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 8086)),
    database: DATABASE,
    schema: SCHEMA,
    ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    // Our writer retries in order itself; the pool should only pause briefly after a failure.
    pool: { maxRetries: 0, requestTimeout: 30_000, backoff: new ConstantBackoff({ delay: 250, jitter: 0.2 }) },
  });
}
