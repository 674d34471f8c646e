/** How a participant is named on screen: the clinician by name, the patient and relatives by role. */
import type { Participant } from '../../../sfu/protocol.ts';
import type { MessageKey } from './i18n.ts';

export function participantLabel(p: Pick<Participant, 'role' | 'displayName'>, t: (key: MessageKey) => string): string {
  return p.role === 'clinician' ? `${p.displayName} (${t('role.clinician')})` : t(`role.${p.role}`);
}
