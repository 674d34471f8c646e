/**
 * What is wrong with a form field, in the page's language: the words of our pages, never the
 * browser's own ("Please fill out this field" on a French page). Pure, for the form action
 * (web/src/lib/validated.ts) and its tests.
 */
import { translate, type Lang } from './i18n.ts';

/** The parts of a form field the message depends on (an input, a select or a textarea has them). */
export interface FieldState {
  readonly validity: Pick<
    ValidityState,
    | 'valid'
    | 'valueMissing'
    | 'typeMismatch'
    | 'tooShort'
    | 'tooLong'
    | 'rangeUnderflow'
    | 'rangeOverflow'
    | 'badInput'
    | 'stepMismatch'
    | 'patternMismatch'
  >;
  readonly type: string;
  readonly value: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly min?: string;
  readonly max?: string;
}

/** The message for an invalid field; empty for a valid one. */
export function validityMessage(lang: Lang, field: FieldState): string {
  const v = field.validity;
  if (v.valid) return '';
  if (v.valueMissing) return translate(lang, field.type.startsWith('select') ? 'form.choose' : 'form.required');
  if (v.typeMismatch && field.type === 'email') return translate(lang, 'form.email');
  if (v.tooShort)
    return translate(lang, 'form.too_short', { min: field.minLength ?? '', length: [...field.value].length });
  if (v.tooLong) return translate(lang, 'form.too_long', { max: field.maxLength ?? '' });
  if (v.badInput && field.type === 'number') return translate(lang, 'form.number');
  if ((v.rangeUnderflow || v.rangeOverflow || v.stepMismatch) && field.min && field.max)
    return translate(lang, 'form.range', { min: field.min, max: field.max });
  return translate(lang, 'form.invalid');
}
