/**
 * Sends an invitation (to a consultation now, or to a scheduled one) to each of a patient's people on
 * every channel they can be reached by. Someone no longer linked to the patient, or whose account an
 * administrator disabled, is skipped; failures are logged, never thrown.
 */
import type { Logger } from '../../common/log.ts';
import type { CareLink, Person, PeopleDirectory } from '../../web/directory.ts';
import type { Notification, NotificationChannel } from './channel.ts';

export async function sendToInvitees(o: {
  people: PeopleDirectory;
  channels: readonly NotificationChannel[];
  logger: Logger;
  patientId: string;
  personIds: readonly string[];
  compose: (person: Person, link: CareLink) => Notification;
  /** Bound to each log line (an appointment's id, say). */
  fields?: Record<string, string>;
  what: string;
}): Promise<void> {
  const { people, channels, logger } = o;
  for (const personId of o.personIds) {
    const person = people.person(personId);
    const link = person && people.linkOf(personId, o.patientId);
    if (!person || !link || !people.mayBeAlerted(personId, o.patientId)) continue;
    const message = o.compose(person, link);
    const recipient = { person, pushSubscriptions: people.pushSubscriptions(personId) };
    for (const channel of channels) {
      const results = await channel
        .send(recipient, message)
        .catch((error: unknown) => [{ address: '?', ok: false, error: String(error) }]);
      for (const r of results) {
        const fields = { ...o.fields, personId, channel: channel.name };
        if (r.ok) logger.info(fields, `${o.what} sent`);
        else logger.warn({ ...fields, error: r.error }, `${o.what} not sent`);
      }
    }
  }
}
