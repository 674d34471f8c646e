/**
 * A real influxd for a test, in a temporary folder, on a free loopback port, as the demo runs it:
 * https with its own certificate, authentication on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startInfluxd, type Influxd } from '../../common/influxd.ts';
import { createInflux } from '../../ingest/influx-client.ts';
import { DATABASE } from '../../ingest/schema.ts';

export interface TestInflux extends Influxd {
  /** Runs an InfluxQL query against Vigie's database. */
  rows(query: string): Promise<Array<Record<string, unknown>>>;
  /** How many points of a measurement a device has (0 if none). */
  count(measurement: string, device: string, rp?: string): Promise<number>;
  remove(): Promise<void>;
}

export async function startTestInflux(): Promise<TestInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-influx-'));
  const server = await startInfluxd({ dir });
  const client = createInflux(server.url, server.access);
  const rows = async (query: string) => [
    ...(await client.query<Record<string, unknown>>(query, { database: DATABASE })),
  ];
  return {
    url: server.url,
    port: server.port,
    get pid() {
      return server.pid;
    },
    access: server.access,
    files: server.files,
    env: server.env,
    request: (path, init) => server.request(path, init),
    start: () => server.start(),
    stop: () => server.stop(),
    rows,
    async count(measurement, device, rp = 'raw') {
      const r = await rows(
        `SELECT count("seq") AS n FROM "${DATABASE}"."${rp}"."${measurement}" WHERE "device" = '${device}'`,
      );
      return Number(r[0]?.n ?? 0);
    },
    async remove() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
