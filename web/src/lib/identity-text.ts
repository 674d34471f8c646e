/**
 * The one way the pages name a patient: the strict traits of their identity when it is recorded
 * ("MARTIN Jeanne, née le 03/02/1941 (F)", common/identity-name.ts, as the e-mails do), else the name
 * the care team gave them; and their INS, for a qualified identity only.
 */
import type { IdentityView } from '../../api/schemas.ts';
import { INS_OIDS } from '../../../common/ins.ts';
import { strictName } from '../../../common/identity-name.ts';
import { translate, type Lang } from './i18n.ts';

type Traits = Pick<IdentityView, 'birthName' | 'firstNames' | 'birthDate' | 'sex'>;

export function identityText(lang: Lang, identity: Traits | null, name: string): string {
  return strictName(lang, identity, name);
}

/** The INS as it is written ("2 41 02 75 123 456 94") with its kind, for a qualified identity only. */
export function insText(lang: Lang, identity: IdentityView): string | null {
  const { ins } = identity;
  if (!ins || identity.status !== 'qualified') return null;
  const m = ins.matricule;
  const spaced = [m.slice(0, 1), m.slice(1, 3), m.slice(3, 5), m.slice(5, 7), m.slice(7, 10), m.slice(10, 13), ins.key];
  return translate(lang, 'identity.ins', {
    kind: ins.oid === INS_OIDS.nia ? 'NIA' : 'NIR',
    ins: spaced.join(' '),
  });
}
