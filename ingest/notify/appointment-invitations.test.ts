import { describe, expect, it } from 'vitest';
import type { AppointmentInvitationRequest } from '../../common/alert-api.ts';
import { composeAppointmentInvitation } from './appointment-invitations.ts';

const request: AppointmentInvitationRequest = {
  kind: 'booked',
  appointmentId: 'a-0123456789ab',
  patientId: 'p1',
  personIds: ['x'],
  clinician: 'Dr Roux',
  clinicianEmail: null,
  startsAt: Date.UTC(2026, 11, 3, 9, 30),
  minutes: 30,
};

describe('composeAppointmentInvitation', () => {
  it.each([
    ['fr', true, 'Téléconsultation jeudi 3 décembre à 10 h 30 avec Dr Roux', 'vous propose'],
    ['fr', false, 'Téléconsultation jeudi 3 décembre à 10 h 30 avec Dr Roux', 'de Mme ROUX Jeanne'],
    ['en', true, 'Video consultation on Thursday 3 December at 10:30 with Dr Roux', 'with you'],
    ['en', false, 'Video consultation on Thursday 3 December at 10:30 with Dr Roux', "Mme ROUX Jeanne's"],
  ] as const)('%s (self: %s)', (lang, self, title, said) => {
    const n = composeAppointmentInvitation({
      lang,
      request,
      patientName: 'Mme ROUX Jeanne',
      self,
      url: 'https://vigie.example/family/',
    });
    expect(n.title).toBe(title);
    expect(n.body).toContain(said);
    const ics = n.calendar!.content.replace(/\r\n[ \t]/g, '');
    expect(n.calendar!.method).toBe('REQUEST');
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('UID:a-0123456789ab@vigie');
    expect(ics).toContain('DTSTART:20261203T093000Z');
    expect(ics).toContain('DTEND:20261203T100000Z');
    // Without the clinician's own address, the organizer is the site's, never made up elsewhere.
    expect(ics).toContain('ORGANIZER;CN="Dr Roux":mailto:no-reply@vigie.example');
  });

  it('cancels with the same UID, a later sequence', () => {
    const n = composeAppointmentInvitation({
      lang: 'en',
      request: { ...request, kind: 'cancelled' },
      patientName: 'Mme ROUX Jeanne',
      self: true,
      url: 'https://vigie.example/family/',
    });
    expect(n.title).toBe('Video consultation cancelled: Thursday 3 December at 10:30 with Dr Roux');
    const ics = n.calendar!.content.replace(/\r\n[ \t]/g, '');
    expect(ics).toContain('METHOD:CANCEL');
    expect(ics).toContain('UID:a-0123456789ab@vigie');
    expect(ics).toContain('STATUS:CANCELLED');
    expect(ics).toContain('SEQUENCE:1');
  });
});

describe('reminders', () => {
  it.each([
    ['fr', true, 'Rappel : téléconsultation jeudi 3 décembre à 10 h 30 avec Dr Roux', 'Rappel : votre consultation'],
    ['en', false, 'Reminder: video consultation on Thursday 3 December at 10:30 with Dr Roux', "Mme ROUX Jeanne's"],
  ] as const)('the day before, %s (self: %s), carries the same event', (lang, self, title, said) => {
    const n = composeAppointmentInvitation({
      lang,
      request: { ...request, kind: 'reminder' },
      patientName: 'Mme ROUX Jeanne',
      self,
      url: 'https://vigie.example/family/',
    });
    expect(n.title).toBe(title);
    expect(n.body).toContain(said);
    const ics = n.calendar!.content.replace(/\r\n[ \t]/g, '');
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('UID:a-0123456789ab@vigie');
    expect(ics).toContain('SEQUENCE:0');
  });

  it.each([
    [
      'fr',
      'Téléconsultation à 10 h 30 avec Dr Roux',
      'La consultation vidéo de Mme ROUX Jeanne avec Dr Roux commence à 10 h 30',
    ],
    [
      'en',
      'Video consultation at 10:30 with Dr Roux',
      "Mme ROUX Jeanne's video consultation with Dr Roux starts at 10:30",
    ],
  ] as const)('shortly before, %s: a push with the time, no calendar file', (lang, title, body) => {
    const n = composeAppointmentInvitation({
      lang,
      request: { ...request, kind: 'starting' },
      patientName: 'Mme ROUX Jeanne',
      self: false,
      url: 'https://vigie.example/family/',
    });
    expect(n).toMatchObject({ title, urgent: false, url: 'https://vigie.example/family/' });
    expect(n.body).toContain(body);
    expect(n.calendar).toBeUndefined();
  });
});
