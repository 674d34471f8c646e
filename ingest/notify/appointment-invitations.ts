/**
 * A scheduled consultation's invitation (and its cancellation), sent to the patient's own account and,
 * when invited, their relatives: an e-mail in the reader's language with an iCalendar file
 * (METHOD:REQUEST, then METHOD:CANCEL with the same UID so that calendars remove it), and a Web Push
 * notification. Its reminders too: the day before by e-mail with the same calendar file, shortly before
 * by Web Push alone. As for call invitations (./call-invitations.ts), the web service decides who and
 * when, and asks; the ingest sends. The link is to the person's family page, never to a call.
 */
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Logger } from '../../common/log.ts';
import type { Lang } from '../../common/people-rules.ts';
import { appointmentWhen, CARE_TIME_ZONE, clockTime } from '../../common/appointment-time.ts';
import type { PeopleDirectory } from '../../web/directory.ts';
import type { AppointmentInvitationRequest, AppointmentMessageKind } from '../../common/alert-api.ts';
import type { Notification, NotificationChannel } from './channel.ts';
import { sendToInvitees } from './invitees.ts';

/** The channels each kind of message goes by (a channel's `name`). */
const CHANNELS_OF: Record<AppointmentMessageKind, readonly string[]> = {
  booked: ['email', 'push'],
  cancelled: ['email', 'push'],
  reminder: ['email'],
  starting: ['push'],
};

export interface AppointmentInvitationsOptions {
  readonly people: PeopleDirectory;
  readonly channels: readonly NotificationChannel[];
  /** How the patient is named to this reader (common/identity-name.ts: the strict traits when recorded). */
  readonly patientName: (patientId: string, lang: Lang) => string;
  /** The family page, where the person joins. */
  readonly familyUrl: string;
  readonly logger: Logger;
}

/** The iCalendar file: one event, its UID stable per appointment, its times in UTC. */
export function appointmentCalendar(c: {
  request: AppointmentInvitationRequest;
  summary: string;
  description: string;
  url: string;
}): { method: 'REQUEST' | 'CANCEL'; content: string } {
  const { request } = c;
  const cancelled = request.kind === 'cancelled';
  const calendar = ical({
    prodId: { company: 'Vigie', product: 'Vigie', language: 'FR' },
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  calendar.createEvent({
    id: `${request.appointmentId}@vigie`,
    // A cancellation is a later revision of the same event.
    sequence: cancelled ? 1 : 0,
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    start: new Date(request.startsAt),
    end: new Date(request.startsAt + request.minutes * 60_000),
    summary: c.summary,
    description: c.description,
    url: c.url,
    organizer: {
      name: request.clinician,
      email: request.clinicianEmail ?? `no-reply@${new URL(c.url).hostname}`,
    },
  });
  return { method: cancelled ? 'CANCEL' : 'REQUEST', content: calendar.toString() };
}

export function composeAppointmentInvitation(c: {
  lang: Lang;
  request: AppointmentInvitationRequest;
  patientName: string;
  /** The recipient is the patient themself. */
  self: boolean;
  url: string;
}): Notification {
  const { clinician, kind, startsAt, minutes } = c.request;
  const when = appointmentWhen(c.lang, startsAt, CARE_TIME_ZONE);
  const time = clockTime(c.lang, startsAt, CARE_TIME_ZONE);
  const text = {
    fr: {
      booked: {
        title: `Téléconsultation ${when} avec ${clinician}`,
        body: c.self
          ? `${clinician} vous propose une consultation vidéo le ${when} (heure de Paris, ${minutes} min). Le jour venu, ouvrez votre page Vigie : le bouton « Rejoindre » s’active 10 minutes avant.`
          : `${clinician} vous invite à la consultation vidéo de ${c.patientName} le ${when} (heure de Paris, ${minutes} min). Le jour venu, ouvrez votre page Vigie : le bouton « Rejoindre » s’active 10 minutes avant.`,
      },
      cancelled: {
        title: `Téléconsultation annulée : ${when} avec ${clinician}`,
        body: c.self
          ? `La consultation vidéo du ${when} avec ${clinician} est annulée.`
          : `La consultation vidéo de ${c.patientName} du ${when} avec ${clinician} est annulée.`,
      },
      reminder: {
        title: `Rappel : téléconsultation ${when} avec ${clinician}`,
        body: c.self
          ? `Rappel : votre consultation vidéo avec ${clinician} a lieu le ${when} (heure de Paris, ${minutes} min). Ouvrez votre page Vigie : le bouton « Rejoindre » s’active 10 minutes avant.`
          : `Rappel : la consultation vidéo de ${c.patientName} avec ${clinician} a lieu le ${when} (heure de Paris, ${minutes} min). Ouvrez votre page Vigie : le bouton « Rejoindre » s’active 10 minutes avant.`,
      },
      starting: {
        title: `Téléconsultation à ${time} avec ${clinician}`,
        body: c.self
          ? `Votre consultation vidéo avec ${clinician} commence à ${time} (heure de Paris). Ouvrez votre page Vigie pour la rejoindre.`
          : `La consultation vidéo de ${c.patientName} avec ${clinician} commence à ${time} (heure de Paris). Ouvrez votre page Vigie pour la rejoindre.`,
      },
    },
    en: {
      booked: {
        title: `Video consultation on ${when} with ${clinician}`,
        body: c.self
          ? `${clinician} has booked a video consultation with you on ${when} (Paris time, ${minutes} min). On the day, open your Vigie page: the "Join" button turns on 10 minutes before.`
          : `${clinician} invites you to ${c.patientName}'s video consultation on ${when} (Paris time, ${minutes} min). On the day, open your Vigie page: the "Join" button turns on 10 minutes before.`,
      },
      cancelled: {
        title: `Video consultation cancelled: ${when} with ${clinician}`,
        body: c.self
          ? `The video consultation on ${when} with ${clinician} is cancelled.`
          : `${c.patientName}'s video consultation on ${when} with ${clinician} is cancelled.`,
      },
      reminder: {
        title: `Reminder: video consultation on ${when} with ${clinician}`,
        body: c.self
          ? `Reminder: your video consultation with ${clinician} is on ${when} (Paris time, ${minutes} min). Open your Vigie page: the "Join" button turns on 10 minutes before.`
          : `Reminder: ${c.patientName}'s video consultation with ${clinician} is on ${when} (Paris time, ${minutes} min). Open your Vigie page: the "Join" button turns on 10 minutes before.`,
      },
      starting: {
        title: `Video consultation at ${time} with ${clinician}`,
        body: c.self
          ? `Your video consultation with ${clinician} starts at ${time} (Paris time). Open your Vigie page to join it.`
          : `${c.patientName}'s video consultation with ${clinician} starts at ${time} (Paris time). Open your Vigie page to join it.`,
      },
    },
  }[c.lang][kind];
  const summary = { fr: `Téléconsultation avec ${clinician}`, en: `Video consultation with ${clinician}` }[c.lang];
  return {
    ...text,
    url: c.url,
    tag: `vigie-appointment-${c.request.appointmentId}`,
    urgent: false,
    // A push carries no file; the e-mails all carry the one event, so that calendars keep one.
    ...(kind === 'starting'
      ? {}
      : {
          calendar: appointmentCalendar({
            request: c.request,
            summary,
            description: `${text.body}\n${c.url}`,
            url: c.url,
          }),
        }),
  };
}

export class AppointmentInvitations {
  readonly #o: AppointmentInvitationsOptions;

  constructor(options: AppointmentInvitationsOptions) {
    this.#o = options;
  }

  /** Sends to each person on every channel they can be reached by; failures are logged, not thrown. */
  async send(request: AppointmentInvitationRequest): Promise<void> {
    await sendToInvitees({
      ...this.#o,
      channels: this.#o.channels.filter((channel) => CHANNELS_OF[request.kind].includes(channel.name)),
      patientId: request.patientId,
      personIds: request.personIds,
      compose: (person, link) =>
        composeAppointmentInvitation({
          lang: person.lang,
          request,
          patientName: this.#o.patientName(request.patientId, person.lang),
          self: link.self,
          url: this.#o.familyUrl,
        }),
      fields: { appointment: request.appointmentId, kind: request.kind },
      what: 'appointment invitation',
    });
  }
}
