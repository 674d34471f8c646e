/**
 * What one client may hold and send on the SFU's signalling, on the real SFU with a real mediasoup
 * worker: a socket must join before its deadline, a client holds a bounded number of sockets, a socket
 * sends at a bounded rate. Each limit closes or refuses only the client over it; the consultation in
 * progress carries on. Message budgets run on a clock the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawUpgrade, frame } from './support/raw-ws.ts';
import { join, startTestSfu, type TestSfu } from './support/sfu.ts';
import { eventually } from './support/mqtt.ts';
import { CLOSE } from '../sfu/protocol.ts';
import { MAX_TRANSPORTS_PER_MEMBER } from '../sfu/room.ts';
import { SIGNAL_PATH } from '../sfu/server.ts';
import { DEFAULT_SIGNALLING_LIMITS, joinSequenceLength } from '../sfu/signalling-limits.ts';
import { SignallingError, type SignallingClient } from '../web/src/lib/signalling.ts';

let sfu: TestSfu | undefined;
afterEach(async () => {
  await sfu?.stop();
  sfu = undefined;
});

function closeOf(client: SignallingClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => client.onClose((code, reason) => resolve({ code, reason })));
}

/** A clinician and an admitted patient in room `r`. */
async function consultation(s: TestSfu): Promise<{ doctor: SignallingClient; patient: SignallingClient }> {
  const doctor = await s.open();
  const patient = await s.open();
  await join(doctor, 'r', await s.invite('r', 'clinician', { participantId: 'dr' }));
  await join(patient, 'r', await s.invite('r', 'patient', { participantId: 'pt' }));
  await doctor.request('admit', { participantId: 'pt' });
  return { doctor, patient };
}

describe('transports per participant', () => {
  it('refuses a participant more media transports than a page needs, and keeps them in the call', async () => {
    sfu = await startTestSfu();
    const { doctor, patient } = await consultation(sfu);
    const created = [];
    for (let i = 0; i < MAX_TRANSPORTS_PER_MEMBER; i += 1)
      created.push(await patient.request('createTransport', { direction: i % 2 ? 'recv' : 'send' }));
    expect(new Set(created.map((t) => t.id)).size).toBe(MAX_TRANSPORTS_PER_MEMBER);
    await expect(patient.request('createTransport', { direction: 'send' })).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(patient.request('chat', { text: 'still here' })).resolves.toEqual({});
    await expect(doctor.request('createTransport', { direction: 'send' })).resolves.toHaveProperty('id');
  });
});

describe('join deadline', () => {
  it('closes a socket that has not joined in time with its own code; a joined one stays', async () => {
    sfu = await startTestSfu({ signalling: { joinTimeoutMs: 1_000 } });
    // Joined before the strangers connect: its deadline passes before theirs.
    const { doctor } = await consultation(sfu);
    const silent = await sfu.open();
    const refused = await sfu.open();
    const raw = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
    const silentClosed = closeOf(silent);
    const refusedClosed = closeOf(refused);
    // A failed join (a bad invitation) does not stop the clock.
    await expect(join(refused, 'r', 'not-a-token')).rejects.toMatchObject({ code: 'token_invalid' });

    const expected = { code: CLOSE.joinTimeout, reason: 'no join within 1000 ms' };
    expect(await silentClosed).toEqual(expected);
    expect(await refusedClosed).toEqual(expected);
    expect(await raw.closed).toEqual(expected);
    expect(await sfu.refusals('join_timeout')).toBe(3);
    // The clock went past the deadline of the sockets that joined, and they are still served.
    expect(doctor.closed).toBe(false);
    await expect(doctor.request('createTransport', { direction: 'send' })).resolves.toHaveProperty('id');
  });

  it.each([
    [{ joinTimeoutMs: 0 }, 'joinTimeoutMs'],
    [{ maxSocketsPerClient: 0.5 }, 'maxSocketsPerClient'],
    [{ messagesPerSecond: -1 }, 'messagesPerSecond'],
    [{ messageBurst: 0 }, 'messageBurst'],
  ])('refuses limits that cannot work: %j', async (signalling, name) => {
    const error = await startTestSfu({ signalling }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toContain(name);
  });
});

describe('sockets per client', () => {
  it('refuses the socket beyond the limit with 429 and a reason, counting each client on its own', async () => {
    sfu = await startTestSfu({ signalling: { maxSocketsPerClient: 3 } });
    const { doctor } = await consultation(sfu);
    const third = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
    expect(third.status).toBe(101);

    const fourth = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
    expect(fourth.status).toBe(429);
    expect(fourth.head).toContain('at most 3 signalling connections per client');
    expect(fourth.head).toContain('Retry-After: 10');
    await fourth.closed;
    expect(await sfu.refusals('too_many_sockets')).toBe(1);

    // Another address (loopback is 127.0.0.0/8) is another client, with its own count.
    const elsewhere = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH, localAddress: '127.0.0.2' });
    expect(elsewhere.status).toBe(101);
    // A socket that closes frees its place.
    third.destroy();
    await eventually(async () => {
      const again = await rawUpgrade(sfu!.server.port, { path: SIGNAL_PATH });
      again.destroy();
      expect(again.status).toBe(101);
    });
    await expect(doctor.request('chat', { text: 'still here' })).resolves.toEqual({});
    elsewhere.destroy();
  });
});

describe('messages per socket', () => {
  it('allows the burst, then the rate as the clock moves, and closes the socket beyond it', async () => {
    let now = 0;
    sfu = await startTestSfu({ signalling: { messagesPerSecond: 5, messageBurst: 10 }, clock: () => now });
    const { doctor, patient } = await consultation(sfu);
    // The patient's join was one message of its burst of 10.
    for (let i = 0; i < 9; i++) await patient.request('chat', { text: `burst ${i}` });
    now += 1_000;
    for (let i = 0; i < 5; i++) await patient.request('chat', { text: `rate ${i}` });
    const closed = closeOf(patient);
    await expect(patient.request('chat', { text: 'one too many' })).rejects.toMatchObject({ code: 'closed' });
    expect(await closed).toEqual({ code: CLOSE.policy, reason: 'too many messages, too fast' });
    expect(await sfu.refusals('rate_limited')).toBe(1);
    await expect(doctor.request('chat', { text: 'still here' })).resolves.toEqual({});
    await eventually(() => expect(sfu!.server.rooms.get('r')?.size).toBe(1));
  });

  it('degrades only the client that floods: the others are answered meanwhile', async () => {
    sfu = await startTestSfu({ signalling: { messagesPerSecond: 5, messageBurst: 20 }, clock: () => 0 });
    const { doctor, patient } = await consultation(sfu);
    const flooder = await sfu.open();
    await join(flooder, 'r', await sfu.invite('r', 'family', { participantId: 'fam' }));
    await doctor.request('admit', { participantId: 'fam' });
    const heard: string[] = [];
    patient.on('chat', (m) => heard.push(m.text));
    const closed = closeOf(flooder);

    const flood = Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) => flooder.request('chat', { text: `flood ${i}` })),
    );
    const [chat, transport] = await Promise.all([
      doctor.request('chat', { text: 'can you hear me?' }),
      doctor.request('createTransport', { direction: 'send' }),
    ]);
    expect(chat).toEqual({});
    expect(transport).toHaveProperty('id');
    expect((await closed).code).toBe(CLOSE.policy);
    const outcomes = await flood;
    expect(outcomes.filter((o) => o.status === 'rejected').length).toBeGreaterThan(900);
    await eventually(() => expect(heard).toContain('can you hear me?'));
    await expect(patient.request('createTransport', { direction: 'recv' })).resolves.toHaveProperty('id');
  });

  it('counts pings too: a ping flood is closed like a message flood', async () => {
    sfu = await startTestSfu({ signalling: { messagesPerSecond: 5, messageBurst: 10 }, clock: () => 0 });
    const raw = await rawUpgrade(sfu.server.port, { path: SIGNAL_PATH });
    raw.send(Buffer.concat(Array.from({ length: 50 }, () => frame('', { opcode: 0x9 }))));
    expect(await raw.closed).toEqual({ code: CLOSE.policy, reason: 'too many messages, too fast' });
  });

  it("holds a call page's join sequence into a full room, twice over, with the default limits", async () => {
    sfu = await startTestSfu({ maxParticipants: 6, clock: () => 0 });
    const page = await sfu.open();
    const token = await sfu.invite('r', 'clinician');
    // Everything a page sends when it joins a room of six, then again after a reconnection, at once:
    // the transports are real; the other requests name streams that do not exist, and are answered so.
    const sequence = () => [
      join(page, 'r', token),
      page.request('createTransport', { direction: 'send' }),
      page.request('createTransport', { direction: 'recv' }),
      ...Array.from({ length: joinSequenceLength(6) - 3 }, (_, i) =>
        page.request('resumeConsumer', { consumerId: `c-${i}` }),
      ),
    ];
    const requests = [...sequence(), ...sequence()];
    expect(requests.length).toBeLessThanOrEqual(DEFAULT_SIGNALLING_LIMITS.messageBurst);
    const outcomes = await Promise.allSettled(requests);
    const refusedFor = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [o.reason instanceof SignallingError ? o.reason.code : String(o.reason)] : [],
    );
    expect(new Set(refusedFor)).toEqual(new Set(['not_found']));
    expect(page.closed).toBe(false);
    expect(await sfu.refusals()).toBe(0);
  });
});
