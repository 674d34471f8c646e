/**
 * Alarm priorities in the vocabulary of IEC 60601-1-8: high (immediate response), medium (prompt
 * response), low (awareness). High-priority alerts latch: they stay until a person handles them,
 * even if the condition ends.
 */
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function rank(p: Priority): number {
  return PRIORITIES.length - PRIORITIES.indexOf(p);
}

export function latches(p: Priority): boolean {
  return p === 'high';
}
