/** Starts the real Vigie broker (aedes, durable SQLite persistence) on free loopback ports for a test. */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { VigieBroker, type BrokerOptions, type Ports } from '../../broker/broker.ts';
import { Registry } from '../../web/registry.ts';
import { openDeviceDirectory } from '../../web/directory.ts';
import { registryPath } from '../../common/paths.ts';
import { createLogger } from '../../common/log.ts';

export interface TestBroker {
  readonly dir: string;
  readonly registry: Registry;
  readonly url: string;
  readonly wsUrl: string;
  readonly ports: Ports;
  readonly broker: VigieBroker;
  /** Closes and reopens the broker on the same persistence and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Options a test may set on top of the test defaults (limits, timeouts, clock, a logger to read). */
export type TestBrokerOptions = Partial<
  Omit<BrokerOptions, 'host' | 'port' | 'wsPort' | 'metricsPort' | 'persistenceDir' | 'registry'>
>;

export async function startTestBroker(
  dir = mkdtempSync(join(tmpdir(), 'vigie-broker-')),
  options: TestBrokerOptions = {},
): Promise<TestBroker> {
  // The test provisions through the owner's registry; the broker reads it as in production.
  const registry = Registry.open(registryPath(dir));
  const devices = openDeviceDirectory(registryPath(dir));
  const logger = createLogger('broker', process.env.TEST_LOG_LEVEL ?? 'silent');
  const open = async (ports?: Ports) => {
    const broker = await VigieBroker.create({
      host: '127.0.0.1',
      port: ports?.mqtt ?? 0,
      wsPort: ports?.ws ?? 0,
      metricsPort: ports?.metrics ?? 0,
      persistenceDir: join(dir, 'broker'),
      registry: devices,
      logger,
      ...options,
    });
    return { broker, ports: await broker.listen() };
  };
  let current = await open();
  const handle: TestBroker = {
    dir,
    registry,
    get url() {
      return `mqtt://127.0.0.1:${current.ports.mqtt}`;
    },
    get wsUrl() {
      return `ws://127.0.0.1:${current.ports.ws}`;
    },
    get ports() {
      return current.ports;
    },
    get broker() {
      return current.broker;
    },
    async restart() {
      await current.broker.close();
      current = await open(current.ports);
    },
    async stop() {
      await current.broker.close();
      registry.close();
      devices.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
