import { Aedes } from 'aedes';
import MQEmitter from 'mqemitter';
import mqtt from 'mqtt';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { completeSinkPublishes, SINK_TOPIC } from './sink.ts';

/**
 * Contract with aedes 1.x: a PUBLISH its authorizePublish hook sends to the sink is acknowledged
 * and goes no further (no mqemitter, no `publish` event), while every other publish still does.
 * Fails if aedes stops handing an acknowledged packet to its own publish().
 */
describe('completeSinkPublishes', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** aedes with its message router watched: the topics it routes, in order. */
  async function watchedBroker() {
    const mq = MQEmitter();
    const routed: string[] = [];
    mq.on('#', (packet, done) => {
      routed.push(String(packet.topic));
      done();
    });
    const aedes = await Aedes.createBroker({ mq });
    completeSinkPublishes(aedes);
    return { aedes, routed };
  }

  async function start() {
    const { aedes, routed } = await watchedBroker();
    aedes.authorizePublish = (_client, packet, done) => {
      if (packet.topic === 'to/sink') packet.topic = SINK_TOPIC;
      done(null);
    };
    const published: string[] = [];
    aedes.on('publish', (packet) => published.push(packet.topic));
    const server = createServer(aedes.handle);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((resolve) => aedes.close(() => server.close(() => resolve()))));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      reconnectPeriod: 0,
    });
    closers.push(() => client.endAsync());
    return { client, routed, published };
  }

  it('acknowledges a message sent to the sink, and routes it nowhere', async () => {
    const { client, routed, published } = await start();
    await client.publishAsync('to/sink', 'x', { qos: 1 });
    await client.publishAsync('elsewhere', 'y', { qos: 1 }); // routed after the first
    await expect.poll(() => routed).toContain('elsewhere');
    expect(routed).not.toContain(SINK_TOPIC);
    expect(published).not.toContain(SINK_TOPIC);
  });

  it('acknowledges the sink at QoS 0 and QoS 2 too', async () => {
    const { client, routed } = await start();
    await client.publishAsync('to/sink', 'x', { qos: 2 });
    await client.publishAsync('to/sink', 'x', { qos: 0 });
    await client.publishAsync('elsewhere', 'y', { qos: 1 });
    await expect.poll(() => routed).toContain('elsewhere');
    expect(routed).not.toContain(SINK_TOPIC);
  });

  it("completes the broker's own publishes to the sink, and routes the others", async () => {
    const { aedes, routed } = await watchedBroker();
    closers.push(() => new Promise((resolve) => aedes.close(() => resolve())));
    const publish = (topic: string) =>
      new Promise<void>((resolve, reject) =>
        aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from('z'), qos: 0, retain: false, dup: false },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    await publish(SINK_TOPIC);
    await publish('a/b');
    expect(routed.filter((topic) => !topic.startsWith('$SYS/'))).toEqual(['a/b']);
  });
});
