/** `npm run backup`: a copy of Vigie's databases into a new timestamped folder (see README, "Backup and restore"). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readConfig } from '../../common/config.ts';
import { dataDir } from '../../common/paths.ts';
import { backup, INFLUX_FOLDER, influxdRpcAddress } from './backup.ts';

const config = readConfig(
  z.object({
    VIGIE_BACKUP_DIR: z.string().min(1).default('.backups'),
    /** influxd's RPC address (host:port); by default the demo's own influxd's, when there is one. */
    INFLUX_BACKUP_ADDRESS: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'is host:port, the bind-address of influxd (not its HTTP port)')
      .optional(),
    INFLUXD_BIN: z.string().min(1).default('/usr/bin/influxd'),
  }),
);
const data = dataDir();
const demoConfig = join(data, INFLUX_FOLDER, 'influxdb.conf');
const address =
  config.INFLUX_BACKUP_ADDRESS ??
  (existsSync(demoConfig) ? influxdRpcAddress(readFileSync(demoConfig, 'utf8')) : undefined);
const report = await backup({
  dataDir: data,
  to: resolve(config.VIGIE_BACKUP_DIR),
  ...(address ? { influx: { address, binary: config.INFLUXD_BIN } } : {}),
});
for (const copy of report.sqlite) console.log(`${copy.file}: ${copy.bytes} bytes ${JSON.stringify(copy.versions)}`);
for (const copy of report.segments) console.log(`${copy.file}: ${copy.bytes} bytes`);
console.log(
  report.influx
    ? `InfluxDB: ${report.influx}`
    : 'InfluxDB: not copied (set INFLUX_BACKUP_ADDRESS to the bind-address of its influxd)',
);
console.log(`backup in ${report.folder}`);
