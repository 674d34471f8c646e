/**
 * Who is in a scheduled consultation's room, as the real SFU reports it to the real web service
 * (sfu/presence-report.ts, authenticated with the presence token): the patient in the waiting room,
 * then in the call once the clinician lets her in, a relative who leaves; a report without the token,
 * or overtaken by a later one, changes nothing.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { sendAs } from './support/cookies.ts';
import { codeOf } from './support/http.ts';
import { join } from './support/sfu.ts';
import { SignallingClient, type SocketLike } from '../web/src/lib/signalling.ts';
import { presenceToken } from '../sfu/tokens.ts';
import { PRESENCE_PATH } from '../sfu/presence-report.ts';
import type { AttendanceView } from '../web/api/schemas.ts';

const t = usePipeline();
const s = useFamilyStack(t, { sfu: true });

const MINUTE = 60_000;

describe('who is in a scheduled consultation’s room', () => {
  it('follows the SFU: the waiting room, the call, a relative gone; the patient there holds the consultation', async () => {
    const { device } = await s.senior('Mme Lefèvre');
    const { patientId } = device;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    const daughter = await s.family(patientId, { name: 'Claire Lefèvre', email: 'claire@vigie.test' });
    const send = sendAs(s.webUrl);
    const startsAt = Math.ceil((Date.now() + 2 * 3600_000) / MINUTE) * MINUTE;
    const booked = await send('POST', `/api/console/patients/${patientId}/appointments`, doctor.cookie, {
      startsAt,
      minutes: 30,
      reason: 'Suivi',
      inviteFamily: true,
    });
    const { appointment } = (await booked.json()) as { appointment: { id: string } };
    s.appointmentsClock.aheadMs = startsAt - 5 * MINUTE - Date.now();
    const opened = await send('POST', '/api/consultations', doctor.cookie, { patientId });
    const { roomId, links } = (await opened.json()) as {
      roomId: string;
      links: Record<'clinician' | 'patient', string>;
    };
    const tokenOf = (link: string) => new URL(link).hash.slice(1);
    const attendance = async (): Promise<AttendanceView & { status: string }> => {
      const res = await send('GET', `/api/console/patients/${patientId}/appointments`, doctor.cookie);
      const [row] = ((await res.json()) as { appointments: Array<{ status: string; attendance: AttendanceView }> })
        .appointments;
      return { ...row!.attendance, status: row!.status };
    };
    const where = async () =>
      Object.fromEntries(
        (await attendance()).people.map((p) => [p.name === 'Claire Lefèvre' ? 'daughter' : p.role, p.presence]),
      );
    // Before the SFU has said anything about the room, nobody's presence is known.
    expect(await where()).toEqual({ patient: null, daughter: null });

    const page = async () => {
      const client = await SignallingClient.open(s.webOptions.sfuUrl, (u) => new WebSocket(u) as unknown as SocketLike);
      clients.push(client);
      return client;
    };
    const clients: SignallingClient[] = [];
    try {
      // The patient's tablet (the link the clinician gave it) joins: the waiting room.
      const tablet = await page();
      expect((await join(tablet, roomId, tokenOf(links.patient))).admitted).toBe(false);
      await expect.poll(where).toEqual({ patient: 'waiting', daughter: 'away' });
      // In the room, the patient has joined: the consultation is held.
      expect((await attendance()).status).toBe('done');

      const clinician = await page();
      const me = await join(clinician, roomId, tokenOf(links.clinician));
      const patientInRoom = me.participants.find((p) => p.role === 'patient')!;
      await clinician.request('admit', { participantId: patientInRoom.participantId });
      await expect.poll(where).toEqual({ patient: 'in-call', daughter: 'away' });

      const linked = await send('POST', `/api/patients/${patientId}/call-link`, daughter.cookie);
      const { url } = (await linked.json()) as { url: string };
      const phone = await page();
      await join(phone, roomId, tokenOf(url));
      await expect.poll(where).toEqual({ patient: 'in-call', daughter: 'waiting' });
      phone.close();
      await expect.poll(where).toEqual({ patient: 'in-call', daughter: 'away' });
      // Someone is in the room: the consultation has not ended, and it holds the appointment.
      expect(s.reports.consultation(roomId)).toMatchObject({ endedAt: null, appointmentId: appointment.id });
      const daughterRow = (await attendance()).people.find((p) => p.name === 'Claire Lefèvre');
      expect(daughterRow).toMatchObject({ state: 'answered', presence: 'away' });
    } finally {
      for (const c of clients) c.close();
    }
    expect(
      s.changes
        .list({ patientId })
        .filter((c) => c.action === 'appointment.done')
        .map((c) => c.detail.appointment),
    ).toEqual([appointment.id]);

    // Without the SFU's token, or with an older report, nothing changes.
    const patientPid = (await attendance()).people.find((p) => p.role === 'patient')!.participantId;
    const report = (seq: number, authorization?: string) =>
      fetch(`${s.webUrl}${PRESENCE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({
          roomId,
          seq,
          participants: [{ participantId: patientPid, role: 'patient', admitted: true }],
        }),
      });
    // Everyone has left: the consultation has ended, when the room emptied.
    await expect.poll(where).toEqual({ patient: 'away', daughter: 'away' });
    await expect.poll(() => s.reports.consultation(roomId)?.endedAt ?? null).toEqual(expect.any(Number));
    const before = await where();
    // Without any credential, it is a cross-site POST for the edge.
    expect(await codeOf(await report(10_000))).toBe('cross_site');
    expect(await codeOf(await report(10_000, `Bearer ${presenceToken('another secret of at least 32 chars!')}`))).toBe(
      'sign_in_required',
    );
    expect(await codeOf(await report(10_000, `Bearer ${s.staffToken}`))).toBe('sign_in_required');
    // An older report, overtaken by the SFU's later ones, is acknowledged and ignored.
    expect((await report(1, `Bearer ${presenceToken(s.webOptions.secret)}`)).status).toBe(200);
    expect(await where()).toEqual(before);
    // A newer one with the SFU's token is taken (which is what makes the refusals above meaningful).
    expect((await report(10_000, `Bearer ${presenceToken(s.webOptions.secret)}`)).status).toBe(200);
    expect(await where()).toEqual({ patient: 'in-call', daughter: 'away' });
    const hostile = await fetch(`${s.webUrl}${PRESENCE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${presenceToken(s.webOptions.secret)}` },
      body: JSON.stringify({ roomId, seq: -1, participants: [{ participantId: 'x', role: 'admin', admitted: 'yes' }] }),
    });
    expect(await codeOf(hostile)).toBe('invalid_request');
  });
});
