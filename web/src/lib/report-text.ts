/**
 * How the pages say a teleconsultation report's parts: its consent, its vital signs with their units
 * (common/vital-units.ts), and the values the call page pre-fills from the live panel.
 */
import { VITAL_UNITS } from '../../../common/vital-units.ts';
import { REPORT_VITALS, type ConsentView, type ReportContent, type ReportVital } from '../../api/schemas.ts';
import type { MessageKey } from './i18n.ts';
import type { Lang } from '../../../common/people-rules.ts';

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The same locales as the PDF (web/report-pdf.ts): British English, not American. */
const LOCALE: Record<Lang, string> = { fr: 'fr-FR', en: 'en-GB' };

export const dateTime = (lang: Lang, ms: number): string =>
  new Date(ms).toLocaleString(LOCALE[lang], { dateStyle: 'long', timeStyle: 'short' });

/** "Given by the patient, orally during the call, on … (recorded by …)". */
export function consentText(t: T, lang: Lang, consent: ConsentView): string {
  const by =
    consent.givenBy === 'patient'
      ? t('report.consent.byPatient')
      : t('report.consent.byRepresentative', { name: consent.representative ?? '' });
  return t('report.consent.text', {
    by,
    how: t(consent.method === 'oral' ? 'report.consent.oral' : 'report.consent.written'),
    at: dateTime(lang, consent.givenAt),
    recordedBy: consent.recordedBy,
  });
}

/** The vital signs noted, each with its label and unit; none when nothing was noted. */
export function vitalLines(t: T, lang: Lang, vitals: ReportContent['vitals']): string[] {
  const number = new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: 1 });
  return REPORT_VITALS.flatMap((v) => {
    const value = vitals[v];
    return value === null
      ? []
      : [t('report.vitalLine', { label: t(`report.vital.${v}`), value: number.format(value), unit: VITAL_UNITS[v] })];
  });
}

/** The latest live values of the report's vitals (rounded to a tenth), for the form to start from. */
export function liveVitals(
  latest: Partial<Record<ReportVital, { value: number } | undefined>> | undefined,
): ReportContent['vitals'] {
  const at = (v: ReportVital) => {
    const value = latest?.[v]?.value;
    return value === undefined ? null : Math.round(value * 10) / 10;
  };
  return { hr: at('hr'), spo2: at('spo2'), sys: at('sys'), dia: at('dia'), temp: at('temp'), rr: at('rr') };
}

export const emptyContent = (vitals: ReportContent['vitals']): ReportContent => ({
  reason: '',
  observations: '',
  vitals,
  conclusion: '',
  followUp: '',
});
