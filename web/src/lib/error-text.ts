/**
 * What the pages say when the server refuses: one French and one English text for every code of
 * common/errors.ts (and for the failures that happen on the way), checked by the type system, so
 * that a French page never shows the server's English.
 */
import type { ErrorCode, ErrorParams } from '../../../common/errors.ts';
import { ApiError, type ClientErrorCode } from './api.ts';
import type { Lang } from './i18n.ts';

type Texts = Record<ErrorCode | ClientErrorCode, string>;

const fr: Texts = {
  invalid_request: 'Certaines informations ne conviennent pas. Vérifiez le formulaire.',
  invalid_json: 'La demande est illisible. Rechargez la page et réessayez.',
  body_too_large: 'La demande est trop volumineuse.',
  unsupported_media_type: 'La demande n’est pas dans un format accepté.',
  not_found: 'Cette page ou cette information n’existe pas.',
  method_not_allowed: 'Cette action n’est pas possible ici.',
  not_a_websocket: 'Cette adresse n’accepte pas de connexion directe.',
  rate_limited: 'Trop de demandes en peu de temps. Réessayez dans {retryAfterSeconds} s.',
  too_many_connections: 'Trop de connexions ouvertes depuis cet appareil. Fermez d’autres onglets.',
  server_busy: 'Le service est très sollicité. Réessayez dans un instant.',
  internal: 'Un problème est survenu de notre côté. Réessayez dans un instant.',
  cross_site: 'Cette demande ne vient pas d’une page de Vigie ; elle a été refusée.',
  sign_in_required: 'Connectez-vous (votre session a peut-être expiré).',
  wrong_credentials: 'Adresse e-mail ou mot de passe incorrect.',
  sign_in_throttled: 'Trop d’essais. Attendez {retryAfterSeconds} s avant de réessayer.',
  api_token_invalid: 'Ce jeton d’accès est inconnu, expiré ou révoqué.',
  staff_only: 'Cette partie est réservée à l’équipe soignante.',
  family_only: 'L’équipe soignante suit ses patients dans la console.',
  admin_only: 'Cette partie est réservée aux administrateurs.',
  record_reads_self_only: 'Seul le patient voit qui a consulté son dossier.',
  patient_forbidden: 'Vous n’avez pas accès à ce patient. Demandez une invitation à l’équipe soignante.',
  patient_not_in_team: 'Ce patient n’est pas suivi par votre équipe.',
  patient_not_found: 'Ce patient est inconnu.',
  action_not_allowed: 'Cette action est réservée à l’équipe soignante.',
  invite_not_allowed: 'Seuls le patient et son équipe soignante peuvent inviter des proches.',
  gateway_not_allowed: 'Seuls le patient et son équipe soignante peuvent associer des appareils.',
  password_too_short: 'Choisissez un mot de passe d’au moins {min} caractères.',
  name_required: 'Un nom est nécessaire.',
  email_taken: 'Un compte utilise déjà cette adresse e-mail.',
  invitation_invalid: 'Ce lien d’invitation n’est pas valable. Demandez-en un nouveau.',
  invitation_used: 'Cette invitation a déjà servi. Connectez-vous.',
  invitation_expired: 'Cette invitation a expiré. Demandez-en une nouvelle.',
  sign_in_to_accept: 'Cette adresse a déjà un compte Vigie : connectez-vous pour accepter l’invitation.',
  invitation_other_account: 'Cette invitation a été envoyée à une autre adresse e-mail que la vôtre.',
  alert_not_found: 'Cette alerte n’existe pas ou n’est plus visible.',
  alert_closed: 'Cette alerte est déjà close.',
  alert_already_accepted: '{by} a déjà répondu « J’y vais ».',
  alert_accept_first: 'Répondez d’abord « J’y vais ».',
  alert_not_owner: 'Seule la personne qui a répondu « J’y vais » ({by}) peut confirmer son arrivée.',
  alert_invalid_action: 'Cette action n’est pas possible sur cette alerte (une note est-elle écrite ?).',
  alerts_unavailable: 'Le service des alertes ne répond pas. Réessayez dans un instant.',
  chain_person_unknown: 'Étape {step} : cette personne n’existe pas.',
  chain_person_not_linked: 'Étape {step} : cette personne ne fait pas partie des proches du patient.',
  chain_invalid: 'La chaîne d’alerte n’est pas valable (délais positifs).',
  threshold_unknown: 'Le seuil « {rule} » n’existe pas.',
  threshold_invalid: 'Ce seuil n’est pas valable.',
  note_empty: 'Écrivez d’abord quelque chose.',
  note_too_long: 'Une note a au plus {max} caractères.',
  history_unavailable: 'L’historique ne répond pas ; les valeurs en direct restent affichées. Réessayez.',
  push_endpoint_invalid: 'Ce navigateur a donné une adresse de notification refusée par Vigie.',
  push_endpoint_taken: 'Les notifications de cet appareil sont déjà reliées à un autre compte.',
  call_not_found: 'Aucune consultation à rejoindre pour l’instant.',
  call_link_invalid:
    'Ce lien de consultation n’est pas valable (il a été abîmé ou modifié). Demandez un nouveau lien au soignant.',
  call_link_expired: 'Ce lien de consultation a expiré. Demandez un nouveau lien au soignant.',
  token_not_found: 'Ce jeton n’existe pas (ou plus).',
  network: 'Pas de connexion au service. Vérifiez le réseau et réessayez.',
  unexpected_answer: 'Réponse inattendue du service. Rechargez la page.',
};

const en: Texts = {
  invalid_request: 'Some of the information does not fit. Check the form.',
  invalid_json: 'The request could not be read. Reload the page and try again.',
  body_too_large: 'The request is too large.',
  unsupported_media_type: 'The request is not in an accepted format.',
  not_found: 'This page or this information does not exist.',
  method_not_allowed: 'This cannot be done here.',
  not_a_websocket: 'This address does not accept a direct connection.',
  rate_limited: 'Too many requests in a short time. Try again in {retryAfterSeconds} s.',
  too_many_connections: 'Too many connections open from this device. Close other tabs.',
  server_busy: 'The service is very busy. Try again in a moment.',
  internal: 'Something went wrong on our side. Try again in a moment.',
  cross_site: 'This request does not come from a Vigie page; it was refused.',
  sign_in_required: 'Sign in (your session may have expired).',
  wrong_credentials: 'Wrong e-mail or password.',
  sign_in_throttled: 'Too many attempts. Wait {retryAfterSeconds} s before trying again.',
  api_token_invalid: 'This access token is unknown, expired or revoked.',
  staff_only: 'This part is for the care team.',
  family_only: 'The care team follows its patients in the console.',
  admin_only: 'This part is for administrators.',
  record_reads_self_only: 'Only the patient sees who looked at their record.',
  patient_forbidden: 'You do not have access to this patient. Ask the care team for an invitation.',
  patient_not_in_team: 'This patient is not followed by your team.',
  patient_not_found: 'This patient is unknown.',
  action_not_allowed: 'This action is for the care team.',
  invite_not_allowed: 'Only the patient and their care team can invite relatives.',
  gateway_not_allowed: 'Only the patient and their care team can pair devices.',
  password_too_short: 'Choose a password of at least {min} characters.',
  name_required: 'A name is required.',
  email_taken: 'An account already uses this e-mail address.',
  invitation_invalid: 'This invitation link is not valid. Ask for a new one.',
  invitation_used: 'This invitation was already used. Sign in.',
  invitation_expired: 'This invitation has expired. Ask for a new one.',
  sign_in_to_accept: 'This address already has a Vigie account: sign in to accept the invitation.',
  invitation_other_account: 'This invitation was sent to another e-mail address than yours.',
  alert_not_found: 'This alert does not exist or is no longer visible.',
  alert_closed: 'This alert is already closed.',
  alert_already_accepted: '{by} already answered "I\u2019m on my way".',
  alert_accept_first: 'First answer "I\u2019m on my way".',
  alert_not_owner: 'Only the person who answered "I\u2019m on my way" ({by}) can confirm their arrival.',
  alert_invalid_action: 'This cannot be done on this alert (is a note written?).',
  alerts_unavailable: 'The alert service does not answer. Try again in a moment.',
  chain_person_unknown: 'Step {step}: this person does not exist.',
  chain_person_not_linked: 'Step {step}: this person is not one of the patient’s people.',
  chain_invalid: 'The escalation chain is not valid (delays must be positive).',
  threshold_unknown: 'There is no threshold "{rule}".',
  threshold_invalid: 'This threshold is not valid.',
  note_empty: 'Write something first.',
  note_too_long: 'A note has at most {max} characters.',
  history_unavailable: 'The history does not answer; live values are still shown. Try again.',
  push_endpoint_invalid: 'This browser gave a notification address that Vigie refuses.',
  push_endpoint_taken: 'This device’s notifications are already linked to another account.',
  call_not_found: 'No consultation to join for now.',
  call_link_invalid:
    'This consultation link is not valid (it was damaged or changed). Ask the clinician for a new link.',
  call_link_expired: 'This consultation link has expired. Ask the clinician for a new link.',
  token_not_found: 'This token does not exist (any more).',
  network: 'No connection to the service. Check the network and try again.',
  unexpected_answer: 'Unexpected answer from the service. Reload the page.',
};

export const ERROR_TEXTS: Record<Lang, Texts> = { fr, en };

/** The text of a refusal in `lang`, its placeholders filled from the refusal's parameters. */
export function errorText(lang: Lang, code: ErrorCode | ClientErrorCode, params: ErrorParams = {}): string {
  return ERROR_TEXTS[lang][code].replace(/\{(\w+)\}/g, (whole, name: string) => String(params[name] ?? whole));
}

/** What to tell the person about anything a call to the API threw. */
export function explain(lang: Lang, error: unknown): string {
  return error instanceof ApiError ? errorText(lang, error.code, error.params) : errorText(lang, 'unexpected_answer');
}
