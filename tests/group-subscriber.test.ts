/**
 * The ingest's read-ahead subscriber against a scripted MQTT server (real sockets): what is read at
 * once is one group, its PUBACKs leave in order, together, and only once the group is stored; a group
 * that cannot be stored is not acknowledged; keep-alive and reconnection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GroupSubscriber, type Delivery, type GroupSubscriberOptions } from '../ingest/group-subscriber.ts';
import { createLogger } from '../common/log.ts';
import { FakeMqttServer } from './support/fake-mqtt.ts';

const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
const running: Array<{ stop(): Promise<void> }> = [];
const servers: FakeMqttServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setUp(
  handle: GroupSubscriberOptions['handle'],
  options: Partial<GroupSubscriberOptions> = {},
): Promise<{ fake: FakeMqttServer; subscriber: GroupSubscriber }> {
  const fake = await FakeMqttServer.start();
  servers.push(fake);
  const subscriber = new GroupSubscriber({
    url: fake.url,
    clientId: 'ingest',
    username: 'svc:ingest',
    password: 'secret',
    filters: ['devices/+/vitals'],
    dropFilters: ['devices/+/events'],
    handle,
    logger,
    ...options,
  });
  running.push(subscriber);
  await subscriber.start();
  return { fake, subscriber };
}

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ topic: `devices/w-${i}/vitals`, payload: `{"n":${i}}` }));
const topics = (group: ReadonlyArray<{ topic: string }>) => group.map((d) => d.topic);

describe('group subscriber', () => {
  it('hands over what was read at once as one group, and acknowledges it in order, in one write, once stored', async () => {
    const groups: Delivery[][] = [];
    let store: (() => void) | undefined;
    const { fake } = await setUp(
      async (group) => {
        groups.push([...group]);
        await new Promise<void>((resolve) => (store = resolve));
      },
      { keepaliveSec: 1 },
    );
    const [connection] = fake.of('ingest');
    connection!.publish(messages(5));
    await expect.poll(() => groups.length).toBe(1);
    expect(topics(groups[0]!)).toEqual(topics(messages(5)));
    // While the group is being stored the subscriber writes a PINGREQ (nothing else to say for half a
    // keep-alive period): a PUBACK written before storing would have come ahead of it on the stream.
    await expect.poll(() => connection!.packets('pingreq').length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(connection!.pubacks).toEqual([]);
    store!();
    await expect.poll(() => connection!.pubacks).toEqual([1, 2, 3, 4, 5]);
    const reads = connection!.received.filter((r) => r.packet.cmd === 'puback').map((r) => r.read);
    expect(new Set(reads).size).toBe(1);
  });

  it('caps a group, and hands the rest over in the next groups in order', async () => {
    const groups: Delivery[][] = [];
    const { fake } = await setUp(
      async (group) => {
        groups.push([...group]);
        await Promise.resolve();
      },
      { maxGroup: 2 },
    );
    const [connection] = fake.of('ingest');
    connection!.publish(messages(5));
    await expect.poll(() => connection!.pubacks).toEqual([1, 2, 3, 4, 5]);
    expect(groups.map((g) => g.length)).toEqual([2, 2, 1]);
    expect(groups.flatMap(topics)).toEqual(topics(messages(5)));
  });

  it('does not acknowledge a group it could not store: reconnects to the same session, subscribes again, and stores the redelivery', async () => {
    const groups: Delivery[][] = [];
    const { fake } = await setUp(
      async (group) => {
        groups.push([...group]);
        await Promise.resolve();
        if (groups.length === 1) throw new Error('disk full');
      },
      { reconnectMs: 10 },
    );
    const [first] = fake.of('ingest');
    first!.publish(messages(3));
    await expect.poll(() => fake.of('ingest').length).toBe(2);
    expect(first!.closed).toBe(true);
    expect(first!.pubacks).toEqual([]);
    const second = fake.of('ingest')[1]!;
    expect(second.connect?.clean).toBe(false);
    await expect.poll(() => second.packets('subscribe').length).toBe(1);
    expect(second.packets('unsubscribe')).toHaveLength(1);
    second.publish(messages(3), 1, true);
    await expect.poll(() => second.pubacks).toEqual([1, 2, 3]);
    expect(groups.map(topics)).toEqual([topics(messages(3)), topics(messages(3))]);
  });

  it('keeps an idle connection alive with PINGREQ, and reconnects when the broker stops answering', async () => {
    const { fake } = await setUp(() => Promise.resolve(), { keepaliveSec: 1, reconnectMs: 10 });
    const [first] = fake.of('ingest');
    await expect.poll(() => first!.packets('pingreq').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(first!.closed).toBe(false);
    fake.answerPings = false;
    await expect.poll(() => fake.of('ingest').length, { timeout: 10_000 }).toBe(2);
    expect(first!.closed).toBe(true);
  });

  it('reconnects when the broker drops the connection', async () => {
    const { fake, subscriber } = await setUp(() => Promise.resolve(), { reconnectMs: 10 });
    fake.of('ingest')[0]!.drop();
    await expect.poll(() => fake.of('ingest').length).toBe(2);
    await expect.poll(() => subscriber.connected).toBe(true);
    const second = fake.of('ingest')[1]!;
    second.publish(messages(1));
    await expect.poll(() => second.pubacks).toEqual([1]);
  });

  it('refuses a URL that is not mqtt: or mqtts:', () => {
    expect(
      () =>
        new GroupSubscriber({
          url: 'ws://127.0.0.1:8083',
          clientId: 'ingest',
          username: 'u',
          password: 'p',
          filters: [],
          handle: () => Promise.resolve(),
          logger,
        }),
    ).toThrow(TypeError);
  });
});
