/** The real ingest service, in-process, against a test broker and a test influxd. */
import { join } from 'node:path';
import { Ingest, type IngestOptions } from '../../ingest/ingest.ts';
import { createLogger } from '../../common/log.ts';
import type { TestBroker } from './broker.ts';
import { openCareDirectory } from '../../web/directory.ts';
import { registryPath } from '../../common/paths.ts';
import type { InfluxAccess } from '../../ingest/influx-client.ts';

export async function startTestIngest(
  broker: TestBroker,
  influx: { readonly url: string; readonly access?: InfluxAccess },
  overrides: Partial<IngestOptions> = {},
): Promise<Ingest> {
  const secret = await broker.registry.setService('svc:ingest', 'ingest');
  // As in production, the ingest reads the web service's data through its directory.
  const directory = openCareDirectory(registryPath(broker.dir));
  const ingest = new Ingest({
    mqttUrl: broker.url,
    username: 'svc:ingest',
    password: secret,
    clientId: 'vigie-ingest',
    influxUrl: influx.url,
    ...(influx.access ? { influxAccess: influx.access } : {}),
    dir: join(broker.dir, 'ingest'),
    registry: directory.patients,
    batchSize: 500,
    batchMs: 100,
    bufferCapacity: 100_000,
    logger: createLogger('ingest', process.env.TEST_LOG_LEVEL ?? 'silent'),
    people: directory.people,
    settings: directory.settings,
    ...overrides,
  });
  await ingest.start();
  return ingest;
}
