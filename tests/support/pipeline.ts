/**
 * The ingest path for a test file: one influxd for the file, and a fresh broker and ingest for each
 * test. Tests may stop influxd or replace the ingest; the next test starts from a clean state.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from './broker.ts';
import { startTestInflux, type TestInflux } from './influx.ts';
import { startTestIngest } from './ingest.ts';
import type { Ingest, IngestOptions } from '../../ingest/ingest.ts';

export interface Pipeline {
  influx: TestInflux;
  broker: TestBroker;
  ingest: Ingest;
}

/**
 * Registers the hooks; `cleanup` runs first after each test (close clients, stop simulators).
 * `broker` gives each test's broker its options (limits, timeouts, clock); `ingest`, each test's
 * ingest its options (notification channels).
 */
export function usePipeline(
  cleanup?: () => Promise<void>,
  broker: TestBrokerOptions = {},
  ingest: () => Partial<IngestOptions> = () => ({}),
): Pipeline {
  const p = {} as Pipeline;
  beforeAll(async () => {
    p.influx = await startTestInflux();
  });
  afterAll(async () => {
    await p.influx.remove();
  });
  beforeEach(async () => {
    p.broker = await startTestBroker(undefined, broker);
    p.ingest = await startTestIngest(p.broker, p.influx, ingest());
  });
  afterEach(async () => {
    await cleanup?.();
    await p.ingest.stop();
    await p.broker.stop();
    await p.influx.start(); // a test may have stopped it
  });
  return p;
}
