/**
 * Who an invitation lets in, on the real SFU with a real mediasoup worker: the name shown is the one
 * signed in the invitation; admission belongs to the tab (the seat) the clinician admitted, so the same
 * link opened elsewhere waits to be admitted again; and someone in the waiting room learns nothing
 * about the room (no participant ids, no comings and goings, no streams) until admitted.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { join, startTestSfu, type TestSfu } from './support/sfu.ts';
import { eventually } from './support/mqtt.ts';
import { CLOSE, type Notifications } from '../sfu/protocol.ts';
import { newSeat } from '../web/src/lib/seat.ts';
import { SignallingError, type SignallingClient } from '../web/src/lib/signalling.ts';

let sfu: TestSfu | undefined;
afterEach(async () => {
  await sfu?.stop();
  sfu = undefined;
});

function record<N extends keyof Notifications>(client: SignallingClient, name: N): Notifications[N][] {
  const seen: Notifications[N][] = [];
  client.on(name, (data) => seen.push(data));
  return seen;
}

function closeCode(client: SignallingClient): Promise<number> {
  return new Promise((resolve) => client.onClose((code) => resolve(code)));
}

async function refusalCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignallingError) return error.code;
    throw error;
  }
  return 'accepted';
}

/** Opus as a browser would send it: enough for mediasoup to accept a producer. */
const OPUS = {
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48_000,
      channels: 2,
      parameters: { useinbandfec: 1 },
      rtcpFeedback: [],
    },
  ],
  headerExtensions: [],
  encodings: [{ ssrc: 22_222_222 }],
  rtcp: { cname: 'test' },
};

describe('the name shown', () => {
  it('is the one signed in the invitation, whatever name the page sends', async () => {
    sfu = await startTestSfu();
    const doctor = await sfu.open();
    const patient = await sfu.open();
    await join(doctor, 'r', await sfu.invite('r', 'clinician', { participantId: 'dr' }));
    const announced = record(doctor, 'participant');
    const chats = record(doctor, 'chat');
    const token = await sfu.invite('r', 'patient', { participantId: 'pt', displayName: 'Mme Durand' });
    // An older or hostile page still sending a name of its choosing.
    const withName = { roomId: 'r', token, seat: newSeat(), displayName: 'Dr Imposteur' };
    await patient.request('join', withName);
    await doctor.request('admit', { participantId: 'pt' });
    await patient.request('chat', { text: 'bonjour' });
    await eventually(() => expect(chats).toHaveLength(1));
    expect(announced.map((p) => p.displayName)).toEqual(['Mme Durand', 'Mme Durand']);
    expect(chats[0]?.displayName).toBe('Mme Durand');
  });
});

describe('an invitation belongs to the seat admitted', () => {
  it('sends the same link from another tab to the waiting room until the clinician admits it again', async () => {
    sfu = await startTestSfu();
    const s = sfu;
    const doctor = await s.open();
    const family = await s.open();
    await join(doctor, 'r', await s.invite('r', 'clinician', { participantId: 'dr' }));
    await join(family, 'r', await s.invite('r', 'family', { participantId: 'fam' }));
    await doctor.request('admit', { participantId: 'fam' });
    const token = await s.invite('r', 'patient', { participantId: 'pt' });
    const [seatA, seatB] = [newSeat(), newSeat()];

    const tabA = await s.open();
    await join(tabA, 'r', token, seatA);
    await doctor.request('admit', { participantId: 'pt' });
    await expect(tabA.request('createTransport', { direction: 'send' })).resolves.toHaveProperty('id');

    // The link, forwarded, opened in another browser: it replaces tab A but waits.
    const doctorSees = record(doctor, 'participant');
    const familyLoses = record(family, 'participantLeft');
    const tabAClosed = closeCode(tabA);
    const tabB = await s.open();
    await expect(join(tabB, 'r', token, seatB)).resolves.toMatchObject({
      participantId: 'pt',
      admitted: false,
      participants: [],
      producers: [],
      chat: [],
    });
    expect(await tabAClosed).toBe(CLOSE.replaced);
    expect(await refusalCode(tabB.request('createTransport', { direction: 'send' }))).toBe('not_admitted');
    await eventually(() =>
      expect(doctorSees).toEqual([expect.objectContaining({ participantId: 'pt', admitted: false })]),
    );
    await eventually(() => expect(familyLoses).toEqual([{ participantId: 'pt' }]));

    // Tab A comes back (a reload): it is still the one admitted, and takes its place back.
    const tabBClosed = closeCode(tabB);
    const tabA2 = await s.open();
    await expect(join(tabA2, 'r', token, seatA)).resolves.toMatchObject({ admitted: true });
    expect(await tabBClosed).toBe(CLOSE.replaced);

    // Once the clinician admits tab B, admission moves there: tab A waits in its turn.
    const tabB2 = await s.open();
    await expect(join(tabB2, 'r', token, seatB)).resolves.toMatchObject({ admitted: false });
    const admitted = record(tabB2, 'admitted');
    await doctor.request('admit', { participantId: 'pt' });
    await eventually(() => expect(admitted).toHaveLength(1));
    await expect(tabB2.request('createTransport', { direction: 'send' })).resolves.toHaveProperty('id');
    const tabA3 = await s.open();
    await expect(join(tabA3, 'r', token, seatA)).resolves.toMatchObject({ admitted: false });
  });

  it('admits a clinician at once from any seat', async () => {
    sfu = await startTestSfu();
    const token = await sfu.invite('r', 'clinician', { participantId: 'dr' });
    await expect(join(await sfu.open(), 'r', token)).resolves.toMatchObject({ admitted: true });
    await expect(join(await sfu.open(), 'r', token)).resolves.toMatchObject({ admitted: true });
  });

  it('refuses a join without a seat, or with a seat too short to be random', async () => {
    sfu = await startTestSfu();
    const page = await sfu.open();
    const token = await sfu.invite('r', 'patient');
    const noSeat: { roomId: string; token: string } = { roomId: 'r', token };
    expect(await refusalCode(page.request('join', noSeat as never))).toBe('bad_request');
    expect(await refusalCode(join(page, 'r', token, 'abc'))).toBe('bad_request');
  });
});

describe('the waiting room', () => {
  it('tells someone waiting nothing about the room: no ids, no comings and goings, no streams', async () => {
    sfu = await startTestSfu();
    const s = sfu;
    const ids = { doctor: 'staff-41d7c0', colleague: 'staff-93ab55', relative: 'family-8c2e19' };
    const doctor = await s.open();
    await join(doctor, 'r', await s.invite('r', 'clinician', { participantId: ids.doctor }));

    // Everything the waiting page receives, byte for byte.
    const waiting = new WebSocket(s.url);
    const received: string[] = [];
    waiting.on('message', (data: Buffer) => received.push(data.toString()));
    await once(waiting, 'open');
    const patientToken = await s.invite('r', 'patient', { participantId: 'pt-waiting' });
    waiting.send(
      JSON.stringify({ id: 1, method: 'join', data: { roomId: 'r', token: patientToken, seat: newSeat() } }),
    );
    await eventually(() => expect(received).toHaveLength(1));

    // A relative comes, is admitted, sends audio, pauses it, resumes it, stops it, chats and leaves.
    const relative = await s.open();
    await join(relative, 'r', await s.invite('r', 'family', { participantId: ids.relative }));
    await doctor.request('admit', { participantId: ids.relative });
    const transport = await relative.request('createTransport', { direction: 'send' });
    const { producerId } = await relative.request('produce', {
      transportId: transport.id,
      kind: 'audio',
      rtpParameters: OPUS,
      source: 'mic',
    });
    await relative.request('pauseProducer', { producerId });
    await relative.request('resumeProducer', { producerId });
    await relative.request('closeProducer', { producerId });
    await relative.request('chat', { text: 'hello' });
    await relative.request('leave', {});
    // A colleague drops in and leaves.
    const colleague = await s.open();
    await join(colleague, 'r', await s.invite('r', 'clinician', { participantId: ids.colleague }));
    await colleague.request('leave', {});
    // The clinician asks the waiting patient to mute: a notice of their own, sent after all the above,
    // so once it has arrived, anything the room told them before it has arrived too.
    await doctor.request('mute', { participantId: 'pt-waiting' });
    await eventually(() => expect(received.at(-1)).toContain('muteRequested'));
    expect(received).toHaveLength(2);

    const [joinAnswer, mute] = received.map((text) => JSON.parse(text) as unknown);
    expect(joinAnswer).toMatchObject({
      id: 1,
      ok: true,
      data: { participantId: 'pt-waiting', admitted: false, participants: [], producers: [], chat: [] },
    });
    expect(mute).toEqual({ notification: 'muteRequested', data: {} });
    for (const id of Object.values(ids)) expect(received.join('\n')).not.toContain(id);

    // Once admitted, the same recorder does see who is there.
    await doctor.request('admit', { participantId: 'pt-waiting' });
    await eventually(() => expect(received.slice(2).join('\n')).toContain(ids.doctor));
    expect(JSON.parse(received[2] ?? '{}')).toMatchObject({ notification: 'admitted' });
    waiting.close();
  });

  it('tells someone waiting whether a clinician is there to let them in, and nothing more', async () => {
    sfu = await startTestSfu();
    const s = sfu;
    // The senior answers before the clinician's page has joined: nobody can let her in yet.
    const patient = await s.open();
    const presence = record(patient, 'clinicianPresence');
    const answer = await join(patient, 'r', await s.invite('r', 'patient', { participantId: 'pt' }));
    expect(answer).toMatchObject({ admitted: false, clinicianPresent: false, participants: [] });

    const doctor = await s.open();
    await join(doctor, 'r', await s.invite('r', 'clinician', { participantId: 'dr' }));
    await eventually(() => expect(presence).toEqual([{ present: true }]));
    // A second clinician coming and going changes nothing for her: one is still there.
    const colleague = await s.open();
    await join(colleague, 'r', await s.invite('r', 'clinician', { participantId: 'dr-2' }));
    await colleague.request('leave', {});
    // The clinician hangs up: she is told nobody can let her in any more.
    await doctor.request('leave', {});
    await eventually(() => expect(presence).toEqual([{ present: true }, { present: false }]));

    // A relative already admitted is told who left, as before, not this.
    const doctorBack = await s.open();
    await join(doctorBack, 'r', await s.invite('r', 'clinician', { participantId: 'dr' }));
    const relative = await s.open();
    const relativePresence = record(relative, 'clinicianPresence');
    await join(relative, 'r', await s.invite('r', 'family', { participantId: 'fam' }));
    await doctorBack.request('admit', { participantId: 'fam' });
    const relativeSees = record(relative, 'participantLeft');
    await doctorBack.request('leave', {});
    await eventually(() => expect(relativeSees).toEqual([{ participantId: 'dr' }]));
    await eventually(() => expect(presence).toHaveLength(4));
    expect(presence).toEqual([{ present: true }, { present: false }, { present: true }, { present: false }]);
    expect(relativePresence).toEqual([]);
  });
});
