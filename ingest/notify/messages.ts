/**
 * What a notification says, in the recipient's language: short, plain, and naming what to do.
 * Names appear in the message itself (it goes to a person who knows the patient), never in logs.
 * A measurement appears only for a recipient the patient shares their vital signs with: the alert's
 * details are redacted for the others in the one place that does it (common/redact.ts).
 */
import type { Lang } from '../../common/people-rules.ts';
import { redactDetail } from '../../common/redact.ts';
import { unitOf } from '../../common/vital-units.ts';
import type { Alert } from '../lifecycle/alert-store.ts';
import type { MessageKind } from '../lifecycle/escalation-store.ts';
import type { Notification } from './channel.ts';

export interface MessageContext {
  readonly alert: Alert;
  readonly kind: MessageKind;
  readonly lang: Lang;
  readonly patientName: string;
  /** The person who accepted, for `accepted` messages. */
  readonly ownerName?: string;
  /** The family page, at this alert. */
  readonly url: string;
  /** Whether the patient shares their vital signs with the recipient. */
  readonly vitals: boolean;
}

/** Each vital as a message names it. */
const VITALS: Record<Lang, Readonly<Record<string, string>>> = {
  fr: {
    hr: 'pouls',
    spo2: 'SpO2',
    temp: 'température',
    sys: 'tension systolique',
    dia: 'tension diastolique',
    rr: 'fréquence respiratoire',
    glucose: 'glycémie',
    weight: 'poids',
  },
  en: {
    hr: 'pulse',
    spo2: 'SpO2',
    temp: 'temperature',
    sys: 'systolic pressure',
    dia: 'diastolic pressure',
    rr: 'breathing rate',
    glucose: 'glucose',
    weight: 'weight',
  },
};
/** "(glycémie 2,4 mmol/L)" for a threshold alert the recipient may see the value of; empty otherwise. */
function measured(detail: Readonly<Record<string, unknown>>, lang: Lang): string {
  const { vital, value } = detail;
  if (typeof vital !== 'string' || typeof value !== 'number') return '';
  const unit = unitOf(vital) ? ` ${unitOf(vital)}` : '';
  return ` (${VITALS[lang][vital] ?? vital} ${value.toLocaleString(lang)}${unit})`;
}

const WHAT: Record<Lang, (a: Alert) => string> = {
  fr: (a) => {
    if (a.kind === 'fall') return a.status === 'pending' ? 'une chute possible' : 'une chute';
    if (a.kind === 'sos') return 'un appel SOS';
    if (a.kind === 'news2') return 'des signes vitaux préoccupants (score NEWS2)';
    if (a.kind === 'stale-data') return 'plus de mesures reçues de la montre';
    if (a.kind === 'offline') return 'la montre est hors ligne';
    if (a.kind === 'removed') return 'la montre a été retirée';
    if (a.kind === 'low-battery') return 'la batterie de la montre est faible';
    return 'une mesure hors des limites fixées par l’équipe soignante';
  },
  en: (a) => {
    if (a.kind === 'fall') return a.status === 'pending' ? 'a possible fall' : 'a fall';
    if (a.kind === 'sos') return 'an SOS call';
    if (a.kind === 'news2') return 'worrying vital signs (NEWS2 score)';
    if (a.kind === 'stale-data') return 'no readings from the watch any more';
    if (a.kind === 'offline') return 'the watch is offline';
    if (a.kind === 'removed') return 'the watch was taken off';
    if (a.kind === 'low-battery') return 'the watch battery is low';
    return 'a reading outside the limits set by the care team';
  },
};

const TEXT: Record<Lang, Record<MessageKind, (c: MessageContext, what: string) => { title: string; body: string }>> = {
  fr: {
    alert: (c, what) => ({
      title: `Alerte : ${c.patientName}`,
      body: `Vigie a détecté ${what} chez ${c.patientName}. Pouvez-vous y aller ? Ouvrez le lien pour répondre « J’y vais ».`,
    }),
    reminder: (c, what) => ({
      title: `Rappel – alerte : ${c.patientName}`,
      body: `Personne n’a encore pris en charge ${what} chez ${c.patientName}. Ouvrez le lien pour répondre.`,
    }),
    accepted: (c) => ({
      title: `${c.patientName} : pris en charge`,
      body: `${c.ownerName ?? 'Un proche'} a répondu « J’y vais » pour l’alerte de ${c.patientName}.`,
    }),
    'arrival-overdue': (c) => ({
      title: `${c.patientName} : arrivée non confirmée`,
      body: `Votre arrivée chez ${c.patientName} n’a pas été confirmée à temps ; d’autres personnes sont prévenues. Confirmez votre arrivée dès que possible.`,
    }),
    closed: (c, what) => ({
      title: `${c.patientName} : alerte terminée`,
      body: `L’alerte (${what}) de ${c.patientName} est terminée. Merci.`,
    }),
  },
  en: {
    alert: (c, what) => ({
      title: `Alert: ${c.patientName}`,
      body: `Vigie detected ${what} for ${c.patientName}. Can you go? Open the link to answer "I'm on my way".`,
    }),
    reminder: (c, what) => ({
      title: `Reminder – alert: ${c.patientName}`,
      body: `Nobody has taken ${what} for ${c.patientName} yet. Open the link to answer.`,
    }),
    accepted: (c) => ({
      title: `${c.patientName}: taken care of`,
      body: `${c.ownerName ?? 'A relative'} answered "I'm on my way" to ${c.patientName}'s alert.`,
    }),
    'arrival-overdue': (c) => ({
      title: `${c.patientName}: arrival not confirmed`,
      body: `Your arrival at ${c.patientName}'s was not confirmed in time, so others are being called. Please confirm your arrival as soon as you can.`,
    }),
    closed: (c, what) => ({
      title: `${c.patientName}: alert over`,
      body: `The alert (${what}) for ${c.patientName} is over. Thank you.`,
    }),
  },
};

export function composeMessage(c: MessageContext): Notification {
  const what = WHAT[c.lang](c.alert) + measured(redactDetail(c.alert.detail, c.vitals), c.lang);
  const { title, body } = TEXT[c.lang][c.kind](c, what);
  return {
    title,
    body,
    url: c.url,
    tag: `vigie-alert-${c.alert.id}`,
    alertId: c.alert.id,
    urgent:
      c.alert.priority === 'high' && (c.kind === 'alert' || c.kind === 'reminder' || c.kind === 'arrival-overdue'),
  };
}
