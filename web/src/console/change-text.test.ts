import { describe, expect, it } from 'vitest';
import { CHANGE_ACTIONS } from '../../api/schemas.ts';
import { translate, isMessageKey } from '../lib/i18n.ts';
import { changeText } from './change-text.ts';

const fr = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
  translate('fr', key, params);
const en = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
  translate('en', key, params);

describe('changeText', () => {
  it('has a sentence for every change code', () => {
    for (const action of CHANGE_ACTIONS) expect(isMessageKey(`changes.${action}`), action).toBe(true);
  });

  it('fills the sentence with the detail and says roles as the page does', () => {
    expect(changeText({ action: 'staff.created', detail: { name: 'Dr Roux', role: 'homecare' } }, fr)).toBe(
      'Compte créé : Dr Roux (Aide à domicile)',
    );
    expect(changeText({ action: 'psc.required', detail: { roles: 'clinician,nurse' } }, en)).toBe(
      'Pro Santé Connect required for: Doctor, Nurse',
    );
    expect(changeText({ action: 'psc.required', detail: { roles: '' } }, en)).toBe('Pro Santé Connect required for: —');
    expect(changeText({ action: 'escalation.set', detail: { steps: 3 } }, fr)).toBe(
      'Chaîne d’alerte modifiée (étapes : 3)',
    );
  });
});
