/**
 * Live mode end to end, against the real broker, ingest and web service: a viewer of one patient
 * (a clinician's patient page, a relative's family page) makes the web service command the patient's
 * watch, over the broker, to send each reading as taken; the command is renewed while anyone watches,
 * survives one viewer of two leaving, and stops after the grace once the last has left. The console's
 * list ('*') and a member who may not see readings do not make a patient live. Time is live mode's
 * injected clock, moved by the test.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { collect, eventually } from './support/mqtt.ts';
import { deviceTopic } from '../devices/topics.ts';
import { GRACE_MS, LIVE_SECONDS, RENEW_MS } from '../web/live-mode.ts';

const t = usePipeline();
const s = useFamilyStack(t);

const commandSchema = z.strictObject({ id: z.string().min(1), type: z.literal('live'), seconds: z.number().int() });

/** A senior whose watch listens to its commands topic, as a real watch does. */
async function watchedSenior(name: string) {
  const senior = await s.senior(name);
  const received = collect(senior.client);
  await senior.client.subscribeAsync(deviceTopic(senior.device.deviceId, 'commands'), { qos: 1 });
  const commands = () =>
    received
      .filter((m) => m.topic === deviceTopic(senior.device.deviceId, 'commands'))
      .map((m) => commandSchema.parse(JSON.parse(m.payload.toString('utf8'))));
  return { ...senior, commands };
}

/** A signed-in live socket; `messages` collects what the server sends. */
async function liveSocket(cookie: string) {
  const ws = new WebSocket(`${s.webUrl.replace('http', 'ws')}/api/live`, { headers: { cookie, origin: s.webUrl } });
  const messages: Array<{ type: string; patientId?: string; live?: boolean; overview?: { live?: boolean } }> = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as (typeof messages)[number]));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const subscribe = async (patientId: string) => {
    ws.send(JSON.stringify({ type: 'subscribe', patientId }));
    await eventually(() =>
      expect(messages.some((m) => m.type === 'snapshot' || m.type === 'subscribed' || m.type === 'error')).toBe(true),
    );
  };
  const close = () => new Promise<void>((resolve) => (ws.once('close', () => resolve()), ws.close()));
  return { messages, subscribe, close };
}

/** Moves live mode's clock and lets it act. */
function advance(ms: number): void {
  s.liveModeClock.aheadMs += ms;
  s.web.liveMode.tick();
}

describe('live mode', () => {
  it('commands the watch while a clinician watches, renews every minute, and stops after the grace', async () => {
    const senior = await watchedSenior('Jeanne Dupont');
    const id = senior.device.patientId;
    const { cookie } = await s.clinician({ name: 'Dr Martin', email: 'martin@vigie.test' });
    const page = await liveSocket(cookie);
    await page.subscribe(id);
    expect(page.messages.find((m) => m.type === 'snapshot')?.overview?.live).toBe(true);
    await eventually(() =>
      expect(senior.commands()).toEqual([{ id: expect.any(String), type: 'live', seconds: LIVE_SECONDS }]),
    );

    advance(RENEW_MS);
    await eventually(() => expect(senior.commands().map((c) => c.seconds)).toEqual([LIVE_SECONDS, LIVE_SECONDS]));
    const ids = senior.commands().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);

    await page.close();
    // The server hears of the close after the page: the grace runs from then.
    await eventually(() => expect(s.web.liveMode.viewers(id)).toBe(0));
    // During the grace the watch stays live (a reload must not flap it).
    advance(GRACE_MS - 1);
    expect(s.web.liveMode.isLive(id)).toBe(true);
    advance(1);
    await eventually(() => expect(senior.commands().at(-1)?.seconds).toBe(0));
    expect(s.web.liveMode.isLive(id)).toBe(false);
    // Every command goes through the counter, synchronously: none is published once the grace is over.
    const sent = s.web.liveMode.commandsSent;
    advance(3 * RENEW_MS);
    expect(s.web.liveMode.commandsSent).toBe(sent);
  });

  it('stays live while a relative still watches after the clinician left', async () => {
    const senior = await watchedSenior('Paul Durand');
    const id = senior.device.patientId;
    const clinician = await s.clinician({ name: 'Dr Martin', email: 'martin@vigie.test' });
    const relative = await s.family(id, { name: 'Claire Durand', email: 'claire@vigie.test' });
    const console_ = await liveSocket(clinician.cookie);
    await console_.subscribe('*');
    const page = await liveSocket(clinician.cookie);
    await page.subscribe(id);
    const family = await liveSocket(relative.cookie);
    await family.subscribe(id);
    // The console's list hears it at once, and only a member of the care team does.
    await eventually(() => expect(console_.messages).toContainEqual({ type: 'mode', patientId: id, live: true }));
    expect(family.messages.some((m) => m.type === 'mode')).toBe(false);
    await eventually(() => expect(senior.commands()).toHaveLength(1));

    await page.close();
    await eventually(() => expect(s.web.liveMode.viewers(id)).toBe(1));
    advance(RENEW_MS);
    advance(GRACE_MS);
    expect(s.web.liveMode.isLive(id)).toBe(true);
    await eventually(() => expect(senior.commands().map((c) => c.seconds)).toEqual([120, 120, 120]));

    await family.close();
    await eventually(() => expect(s.web.liveMode.viewers(id)).toBe(0));
    advance(GRACE_MS);
    await eventually(() => expect(senior.commands().at(-1)?.seconds).toBe(0));
    await eventually(() => expect(console_.messages).toContainEqual({ type: 'mode', patientId: id, live: false }));
    await console_.close();
  });

  it('commands only the patient’s active watches: not a revoked one, not another kind of device', async () => {
    const senior = await watchedSenior('Rose Morel');
    const id = senior.device.patientId;
    await t.broker.registry.addDevice(id, 'w-old-watch', 'watch');
    t.broker.registry.revokeDevice('w-old-watch');
    await t.broker.registry.addDevice(id, 'tab-rose', 'tablet');
    const { cookie } = await s.clinician({ name: 'Dr Martin', email: 'martin@vigie.test' });
    const page = await liveSocket(cookie);
    await page.subscribe(id);
    await eventually(() => expect(senior.commands()).toHaveLength(1));
    expect(s.web.liveMode.commandsSent).toBe(1);
    await page.close();
  });

  it('the console’s list, a member without the vitals right, and a refused subscription make nobody live', async () => {
    const senior = await watchedSenior('Marie Leroy');
    const other = await watchedSenior('Luc Petit');
    const id = senior.device.patientId;
    const clinician = await s.clinician({ name: 'Dr Martin', email: 'martin@vigie.test' });
    const carer = await s.clinician({ name: 'Aide Bernard', email: 'bernard@vigie.test', role: 'homecare' });
    const list = await liveSocket(clinician.cookie);
    await list.subscribe('*');
    const homecare = await liveSocket(carer.cookie);
    await homecare.subscribe(id);
    expect(homecare.messages.find((m) => m.type === 'snapshot')?.overview?.live).toBe(false);
    // A relative of another patient is refused, and counts for nobody.
    const stranger = await s.family(other.device.patientId, { name: 'Eve Petit', email: 'eve@vigie.test' });
    const foreign = await liveSocket(stranger.cookie);
    await foreign.subscribe(id);
    expect(foreign.messages).toContainEqual(expect.objectContaining({ type: 'error', patientId: id }));
    advance(RENEW_MS);
    expect(s.web.liveMode.livePatients()).toEqual([]);
    expect(s.web.liveMode.commandsSent).toBe(0);
    await Promise.all([list.close(), homecare.close(), foreign.close()]);
  });
});
