/** Records a patient's identity in the registry, as the care team would (checked by common/ins.ts). */
import { parseIdentity, type IdentityStatus, type Traits } from '../../common/ins.ts';
import type { Registry } from '../../web/registry.ts';

export function recordIdentity(
  registry: Registry,
  patientId: string,
  traits: Pick<Traits, 'birthName' | 'firstNames' | 'birthDate' | 'sex'>,
  status: IdentityStatus = 'validated',
): void {
  const identity = parseIdentity({ traits, ins: null, status }, '2026-01-01');
  if (!identity.ok) throw new Error(identity.error);
  registry.setPatientIdentity(patientId, identity.value);
}
