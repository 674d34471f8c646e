/** The console's order of patients: the most severe open alert first, then NEWS2, then the name. */
import type { ConsoleRow } from '../../api/schemas.ts';

const RANK = { high: 3, medium: 2, low: 1 } as const;
const collator = new Intl.Collator('fr');

export function worstAlert(row: Pick<ConsoleRow, 'alerts'>): number {
  return row.alerts.reduce((worst, a) => Math.max(worst, RANK[a.priority]), 0);
}

export function rowOrder(a: ConsoleRow, b: ConsoleRow): number {
  return (
    worstAlert(b) - worstAlert(a) || (b.news2?.score ?? -1) - (a.news2?.score ?? -1) || collator.compare(a.name, b.name)
  );
}

/** Search by name or id, and the filters of the list. */
export function matches(row: ConsoleRow, query: string, filter: 'all' | 'alerts' | 'offline'): boolean {
  const q = query.trim().toLowerCase();
  if (q && !row.name.toLowerCase().includes(q) && !row.id.includes(q)) return false;
  if (filter === 'alerts') return row.alerts.length > 0;
  if (filter === 'offline') return row.presence.online === false;
  return true;
}
