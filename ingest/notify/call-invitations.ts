/**
 * Invitations to a teleconsultation, sent on the same channels as alerts (e-mail and Web Push today,
 * SMS tomorrow: anything that implements NotificationChannel). The web service decides who is invited
 * and asks; the ingest sends, because it holds the channels and their secrets (SMTP, VAPID).
 *
 * The message links to the person's own family page, never to the call itself: a call token in a
 * mailbox could be forwarded or read long after, and the page, behind the person's sign-in, rings and
 * hands out a personal link of its own. Sent once, not retried: a call is now or never, and the page
 * rings anyway.
 */
import type { Logger } from '../../common/log.ts';
import type { Lang } from '../../common/people-rules.ts';
import type { PeopleDirectory } from '../../web/directory.ts';
import type { CallInvitationRequest } from '../../common/alert-api.ts';
import type { Notification, NotificationChannel } from './channel.ts';
import { sendToInvitees } from './invitees.ts';

export interface CallInvitationsOptions {
  readonly people: PeopleDirectory;
  readonly channels: readonly NotificationChannel[];
  /** How the patient is named to this reader (common/identity-name.ts: the strict traits when recorded). */
  readonly patientName: (patientId: string, lang: Lang) => string;
  /** The family page, where the person answers. */
  readonly familyUrl: string;
  readonly logger: Logger;
}

export function composeCallInvitation(c: {
  lang: Lang;
  caller: string;
  patientName: string;
  /** The recipient is the patient themself. */
  self: boolean;
  url: string;
  patientId: string;
}): Notification {
  const text = {
    fr: {
      title: `Téléconsultation : ${c.caller} vous appelle`,
      body: c.self
        ? `${c.caller} vous attend pour une consultation vidéo. Ouvrez votre page Vigie et appuyez sur « Répondre ».`
        : `${c.caller} vous invite à la consultation vidéo de ${c.patientName}. Ouvrez votre page Vigie et appuyez sur « Répondre ».`,
    },
    en: {
      title: `Video consultation: ${c.caller} is calling`,
      body: c.self
        ? `${c.caller} is waiting for you in a video consultation. Open your Vigie page and press "Answer".`
        : `${c.caller} invites you to ${c.patientName}'s video consultation. Open your Vigie page and press "Answer".`,
    },
  }[c.lang];
  return { ...text, url: c.url, tag: `vigie-call-${c.patientId}`, urgent: true };
}

export class CallInvitations {
  readonly #o: CallInvitationsOptions;

  constructor(options: CallInvitationsOptions) {
    this.#o = options;
  }

  /** Sends to each person on every channel they can be reached by; failures are logged, not thrown. */
  async send(request: CallInvitationRequest): Promise<void> {
    await sendToInvitees({
      ...this.#o,
      patientId: request.patientId,
      personIds: request.personIds,
      compose: (person, link) =>
        composeCallInvitation({
          lang: person.lang,
          caller: request.caller,
          patientName: this.#o.patientName(request.patientId, person.lang),
          self: link.self,
          url: this.#o.familyUrl,
          patientId: request.patientId,
        }),
      what: 'call invitation',
    });
  }
}
