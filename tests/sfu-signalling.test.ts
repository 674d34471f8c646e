/**
 * The SFU's access rules over its real signalling WebSocket with a real mediasoup worker: who gets a
 * transport, who waits, and why a refused join is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signWith } from './support/jwt.ts';
import { join, startTestSfu, type TestSfu } from './support/sfu.ts';
import { eventually } from './support/mqtt.ts';
import { SignallingError, type SignallingClient } from '../web/src/lib/signalling.ts';
import { CLOSE, type Notifications } from '../sfu/protocol.ts';
import { newSeat } from '../web/src/lib/seat.ts';

let sfu: TestSfu | undefined;
afterEach(async () => {
  await sfu?.stop();
  sfu = undefined;
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignallingError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

function record<N extends keyof Notifications>(client: SignallingClient, name: N): Notifications[N][] {
  const seen: Notifications[N][] = [];
  client.on(name, (data) => seen.push(data));
  return seen;
}

describe('call signalling', () => {
  it('keeps the patient in the waiting room, without a transport, until the clinician admits them', async () => {
    sfu = await startTestSfu();
    const doctor = await sfu.open();
    const patient = await sfu.open();
    const doctorSees = record(doctor, 'participant');
    const joined = await join(doctor, 'room-a', await sfu.invite('room-a', 'clinician', { participantId: 'dr' }));
    expect(joined).toMatchObject({ role: 'clinician', admitted: true, participantId: 'dr', participants: [] });
    expect(joined.routerRtpCapabilities).toHaveProperty('codecs');

    const admittedNotes = record(patient, 'admitted');
    const waiting = await join(patient, 'room-a', await sfu.invite('room-a', 'patient', { participantId: 'pt' }));
    expect(waiting).toMatchObject({ role: 'patient', admitted: false, participants: [], producers: [] });
    expect(await refusal(patient.request('createTransport', { direction: 'send' }))).toEqual({
      code: 'not_admitted',
      message: 'waiting for the clinician to let you in',
    });
    expect(await refusal(patient.request('chat', { text: 'hello?' }))).toMatchObject({ code: 'not_admitted' });
    await eventually(() =>
      expect(doctorSees).toEqual([{ participantId: 'pt', role: 'patient', displayName: 'patient', admitted: false }]),
    );

    await doctor.request('admit', { participantId: 'pt' });
    await eventually(() => expect(admittedNotes).toHaveLength(1));
    const transport = await patient.request('createTransport', { direction: 'send' });
    expect(transport.iceCandidates.length).toBeGreaterThan(0);
    expect(transport.iceCandidates.every((c) => c.ip === '127.0.0.1')).toBe(true);
  });

  it('refuses a token for another room, an expired token, a tampered token and a foreign signature', async () => {
    sfu = await startTestSfu();
    const page = await sfu.open();
    const tokenA = await sfu.invite('room-a', 'family');
    expect(await refusal(join(page, 'room-b', tokenA))).toEqual({
      code: 'wrong_room',
      message: 'this invitation is for another consultation',
    });
    expect(
      (await refusal(join(page, 'room-a', await sfu.invite('room-a', 'patient', { ttlSeconds: -120 })))).code,
    ).toBe('token_expired');
    const [header, payload, signature] = tokenA.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'clinician' })).toString('base64url');
    expect((await refusal(join(page, 'room-a', `${header}.${promoted}.${signature}`))).code).toBe('token_invalid');
    const forged = await signWith({ ...claims, role: 'clinician' }, 'another-secret-that-is-long-enough-to-sign');
    expect((await refusal(join(page, 'room-a', forged))).code).toBe('token_invalid');
    expect((await refusal(join(page, 'room-a', 'not-a-token'))).code).toBe('token_invalid');
    // None of this left anyone in the room, and the socket still serves a valid invitation.
    expect(sfu.server.rooms.get('room-b')).toBeUndefined();
    await expect(join(page, 'room-a', tokenA)).resolves.toMatchObject({
      role: 'family',
      admitted: false,
    });
  });

  it('answers malformed and unknown requests with the reason, and keeps serving', async () => {
    sfu = await startTestSfu();
    const page = await sfu.open();
    expect(await refusal(page.request('createTransport', { direction: 'send' }))).toMatchObject({ code: 'not_joined' });
    expect(await refusal(page.request('createTransport', { direction: 'sideways' } as never))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('direction'),
    });
    expect(await refusal(page.request('selfDestruct' as never, {} as never))).toEqual({
      code: 'bad_request',
      message: 'unknown method "selfDestruct"',
    });
    const token = await sfu.invite('room-a', 'clinician');
    await expect(join(page, 'room-a', token)).resolves.toMatchObject({ admitted: true });
    const metrics = await fetch(sfu.url.replace('ws:', 'http:').replace('/signal', '/metrics')).then((r) => r.text());
    expect(metrics).toMatch(/vigie_sfu_requests_refused_total\{method="selfDestruct",code="bad_request"\} 1/);
  });

  it('lets only the clinician admit, mute or end; ending refuses every later join', async () => {
    sfu = await startTestSfu();
    const doctor = await sfu.open();
    const family = await sfu.open();
    const patient = await sfu.open();
    await join(doctor, 'r', await sfu.invite('r', 'clinician'));
    await join(family, 'r', await sfu.invite('r', 'family', { participantId: 'fam' }));
    await doctor.request('admit', { participantId: 'fam' });
    const patientToken = await sfu.invite('r', 'patient', { participantId: 'pt' });
    await join(patient, 'r', patientToken);
    expect(await refusal(family.request('admit', { participantId: 'pt' }))).toEqual({
      code: 'forbidden',
      message: 'only the clinician can do this',
    });
    expect((await refusal(family.request('endForAll', {}))).code).toBe('forbidden');
    const ended = record(family, 'ended');
    const closed = new Promise<number>((resolve) => family.onClose((code) => resolve(code)));
    await doctor.request('endForAll', {});
    await eventually(() => expect(ended).toEqual([{ reason: 'ended_by_clinician' }]));
    expect(await closed).toBe(4002);
    const again = await sfu.open();
    expect(await refusal(join(again, 'r', patientToken))).toMatchObject({
      code: 'consultation_ended',
    });
  });

  it('says why a join is refused when the room or the media server is full', async () => {
    sfu = await startTestSfu({ maxParticipants: 2, maxParticipantsPerWorker: 3 });
    const pages = await Promise.all([1, 2, 3, 4].map(() => sfu!.open()));
    await join(pages[0]!, 'r1', await sfu.invite('r1', 'clinician'));
    await join(pages[1]!, 'r1', await sfu.invite('r1', 'patient'));
    expect(await refusal(join(pages[2]!, 'r1', await sfu.invite('r1', 'family')))).toEqual({
      code: 'room_full',
      message: 'this consultation already has 2 participants',
    });
    await join(pages[2]!, 'r2', await sfu.invite('r2', 'clinician'));
    expect((await refusal(join(pages[3]!, 'r2', await sfu.invite('r2', 'patient')))).code).toBe('server_full');
    // Someone leaving frees the place.
    await pages[1]!.request('leave', {});
    await expect(join(pages[3]!, 'r2', await sfu.invite('r2', 'patient'))).resolves.toMatchObject({ admitted: false });
  });

  it('replaces an earlier page of the same tab (a reload, a reconnection) and keeps it admitted', async () => {
    sfu = await startTestSfu();
    const doctor = await sfu.open();
    await join(doctor, 'r', await sfu.invite('r', 'clinician'));
    const token = await sfu.invite('r', 'patient', { participantId: 'pt' });
    const seat = newSeat();
    const first = await sfu.open();
    await join(first, 'r', token, seat);
    await doctor.request('admit', { participantId: 'pt' });
    const closed = new Promise<number>((resolve) => first.onClose((code) => resolve(code)));
    const second = await sfu.open();
    await expect(join(second, 'r', token, seat)).resolves.toMatchObject({ admitted: true });
    expect(await closed).toBe(CLOSE.replaced);
    expect(sfu.server.rooms.get('r')?.size).toBe(2);
  });

  it('moves a room to a live worker when its worker dies: everyone is asked to rejoin and stays admitted', async () => {
    sfu = await startTestSfu({ workers: 2 });
    const doctor = await sfu.open();
    const patient = await sfu.open();
    await join(doctor, 'r', await sfu.invite('r', 'clinician'));
    const patientToken = await sfu.invite('r', 'patient', { participantId: 'pt' });
    const seat = newSeat();
    await join(patient, 'r', patientToken, seat);
    await doctor.request('admit', { participantId: 'pt' });
    await patient.request('createTransport', { direction: 'send' });
    const rejoins = record(patient, 'rejoin');
    const room = sfu.server.rooms.get('r')!;
    const dead = room.slot!.worker.pid;
    process.kill(dead, 'SIGKILL');
    await eventually(() => expect(rejoins).toEqual([{ reason: 'media_restarted' }]));
    // Until it joins again, the page has no place in the room.
    expect((await refusal(patient.request('createTransport', { direction: 'send' }))).code).toBe('not_joined');
    await expect(join(patient, 'r', patientToken, seat)).resolves.toMatchObject({ admitted: true });
    await expect(patient.request('createTransport', { direction: 'recv' })).resolves.toHaveProperty('id');
    expect(room.slot!.worker.pid).not.toBe(dead);
    // The pool keeps two slots; the dead worker's slot shows its pid until its replacement has started.
    await eventually(() => expect(sfu!.server.pool.pids()).not.toContain(dead));
    expect(sfu.server.pool.pids()).toHaveLength(2);
    expect(sfu.server.pool.restarts).toBe(1);
  });
});
