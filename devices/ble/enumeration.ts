/** An enumerated field: the code as sent, and its name, or 'unknown' for a reserved code. */
export interface Coded<Name extends string> {
  readonly code: number;
  readonly name: Name | 'unknown';
}

/** Names by code; null for a reserved code. */
export type CodeNames = readonly (string | null)[];

export function coded<T extends CodeNames>(names: T, code: number): Coded<NonNullable<T[number]>> {
  return { code, name: names[code] ?? 'unknown' };
}
