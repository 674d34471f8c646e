/**
 * The console's order of patients: the most severe open alert first (one nobody has acknowledged
 * before one in hand), then the NEWS2 band, then the name. The order must be one a clinician can
 * trust by eye: it changes at once when an alert opens, is acknowledged, changes priority or closes,
 * but a NEWS2 band moves a patient only once it has held for BAND_HOLD_MS (StableOrder).
 */
import type { ConsoleRow, News2View } from '../../api/schemas.ts';
import { assertNever } from '../../../devices/ble/assert-never.ts';
import type { Lang } from '../lib/i18n.ts';

const RANK = { high: 3, medium: 2, low: 1 } as const;
/** Names in the page's language, numbers by value: "Alerte 2" before "Alerte 10". */
const COLLATORS: Readonly<Record<Lang, Intl.Collator>> = {
  fr: new Intl.Collator('fr', { numeric: true }),
  en: new Intl.Collator('en', { numeric: true }),
};

export function compareNames(a: string, b: string, lang: Lang): number {
  return COLLATORS[lang].compare(a, b);
}

/**
 * How long a new NEWS2 band must last before the list moves the patient. Home readings are noisy: a
 * score flips between 1 and 4 (or 4 and 5) from one reading to the next, and rows jumping every second
 * cannot be read. A minute is long enough to smooth that out and short next to how often a nurse
 * looks at a list; a patient who needs attention sooner has an alert, which moves the row at once.
 */
export const BAND_HOLD_MS = 60_000;

/** NEWS2 bands (RCP 2017): none (0), low (1–4), medium (5–6, or a 3 in one parameter), high (7+). */
export const BANDS = ['unknown', 'none', 'low', 'medium', 'high'] as const;
export type Band = (typeof BANDS)[number];

export function news2Band(news2: Pick<News2View, 'score' | 'risk'> | null): Band {
  if (!news2) return 'unknown';
  switch (news2.risk) {
    case 'high':
      return 'high';
    case 'medium':
    case 'low-medium':
      return 'medium';
    case 'low':
      return news2.score === 0 ? 'none' : 'low';
    default:
      return assertNever(news2.risk);
  }
}

export function worstAlert(row: Pick<ConsoleRow, 'alerts'>): number {
  return row.alerts.reduce((worst, a) => Math.max(worst, RANK[a.priority]), 0);
}

/** The worst open alert, and one step more when nobody has acknowledged an alert of that priority. */
function alertRank(row: Pick<ConsoleRow, 'alerts'>): number {
  const worst = worstAlert(row);
  if (worst === 0) return 0;
  const waiting = row.alerts.some((a) => RANK[a.priority] === worst && a.acknowledgedAt === null);
  return worst * 2 + (waiting ? 1 : 0);
}

/**
 * `band`: the band the order uses for a row (StableOrder's held band; the row's own by default);
 * `lang`: the page's language, whose collation orders the names.
 */
export function rowOrder(
  a: ConsoleRow,
  b: ConsoleRow,
  band: (row: ConsoleRow) => Band = (r) => news2Band(r.news2),
  lang: Lang = 'fr',
): number {
  return (
    alertRank(b) - alertRank(a) || BANDS.indexOf(band(b)) - BANDS.indexOf(band(a)) || compareNames(a.name, b.name, lang)
  );
}

/**
 * The band each patient is listed under. A patient seen for the first time is listed under their
 * band at once; a change of band is adopted once the new band has held BAND_HOLD_MS without a break.
 */
export class StableOrder {
  readonly #now: () => number;
  readonly #held = new Map<string, Band>();
  readonly #pending = new Map<string, { band: Band; since: number }>();

  constructor(now: () => number) {
    this.#now = now;
  }

  band(id: string): Band {
    return this.#held.get(id) ?? 'unknown';
  }

  /** A patient's current NEWS2. True when the band the order uses changed (sort again). */
  observe(id: string, news2: Pick<News2View, 'score' | 'risk'> | null): boolean {
    const band = news2Band(news2);
    const held = this.#held.get(id);
    if (held === undefined) {
      this.#held.set(id, band);
      return true;
    }
    if (band === held) {
      this.#pending.delete(id);
      return false;
    }
    const pending = this.#pending.get(id);
    if (pending?.band !== band) {
      this.#pending.set(id, { band, since: this.#now() });
      return false;
    }
    return this.#adoptIfHeld(id, pending);
  }

  /** Adopts every band that has now held long enough (readings may have stopped). True if any. */
  settle(): boolean {
    let changed = false;
    for (const [id, pending] of this.#pending) changed = this.#adoptIfHeld(id, pending) || changed;
    return changed;
  }

  /** Patients no longer on the list. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#held.keys()) {
      if (!ids.has(id)) {
        this.#held.delete(id);
        this.#pending.delete(id);
      }
    }
  }

  sort<R extends ConsoleRow>(rows: Iterable<R>, lang: Lang = 'fr'): R[] {
    return [...rows].sort((a, b) => rowOrder(a, b, (r) => this.band(r.id), lang));
  }

  #adoptIfHeld(id: string, pending: { band: Band; since: number }): boolean {
    if (this.#now() - pending.since < BAND_HOLD_MS) return false;
    this.#held.set(id, pending.band);
    this.#pending.delete(id);
    return true;
  }
}

/** Search by name or id, and the filters of the list. */
export function matches(row: ConsoleRow, query: string, filter: 'all' | 'alerts' | 'offline'): boolean {
  const q = query.trim().toLowerCase();
  const { name, identity: who, id } = row;
  const words = [name, who?.birthName, who?.firstNames, who?.usedName, who?.birthDate, id].filter((w) => w != null);
  if (q && !words.some((w) => w.toLowerCase().includes(q))) return false;
  if (filter === 'alerts') return row.alerts.length > 0;
  if (filter === 'offline') return row.presence.online === false;
  return true;
}
