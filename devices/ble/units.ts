/**
 * Unit conversions to the units Vigie stores. Results are rounded to 12 significant digits: far
 * finer than any sensor, and enough to drop binary noise (98.6 °F gives 37 °C, not 36.99999999999999).
 */

/** mmHg per kPa (1 mmHg = 133.322 Pa). */
export const MMHG_PER_KPA = 7.50062;
/** kg per lb (exact, international pound). */
export const KG_PER_LB = 0.45359237;
/** m per inch (exact). */
export const M_PER_INCH = 0.0254;
/** mg/dL per mmol/L for glucose (molar mass 180.16 g/mol). */
export const GLUCOSE_MG_DL_PER_MMOL_L = 18.016;

export function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

export function kpaToMmHg(kpa: number): number {
  return tidy(kpa * MMHG_PER_KPA);
}

export function fahrenheitToCelsius(f: number): number {
  return tidy(((f - 32) * 5) / 9);
}

export function lbToKg(lb: number): number {
  return tidy(lb * KG_PER_LB);
}

export function inchToM(inch: number): number {
  return tidy(inch * M_PER_INCH);
}

export function glucoseMgDlToMmolL(mgDl: number): number {
  return tidy(mgDl / GLUCOSE_MG_DL_PER_MMOL_L);
}

export function glucoseMmolLToMgDl(mmolL: number): number {
  return tidy(mmolL * GLUCOSE_MG_DL_PER_MMOL_L);
}
