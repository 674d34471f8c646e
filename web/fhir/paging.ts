/**
 * Search over a patient's list of records held in memory (alerts, notes, consultations, reports):
 * filtered by time, newest first, a page at a time. The cursor is the time and id of the last one
 * sent, not an offset, so that a record added while a client pages does not shift the pages.
 */
import { VigieError } from '../../common/errors.ts';
import type { FhirResource, SearchPage } from './bundle.ts';

/** A resource with the time it is searched and sorted by (epoch ms). */
export interface Dated<R extends FhirResource> {
  readonly at: number;
  readonly resource: R;
}

/** Bounds in epoch ms, each end optional: from ≤ t < to. */
export interface MsBounds {
  readonly from: number | null;
  readonly to: number | null;
}

const CURSOR = /^(\d{1,15})\.([A-Za-z0-9\-.]{1,64})$/;

interface Cursor {
  readonly at: number;
  readonly id: string;
}

function parseCursor(text: string): Cursor {
  const m = CURSOR.exec(text);
  if (!m?.[1] || !m[2]) throw new VigieError('invalid_request', '_cursor is not one this server gave');
  return { at: Number(m[1]), id: m[2] };
}

/** Ids compared with their numbers as numbers (alert 10 after alert 9). */
const ids = new Intl.Collator('en', { numeric: true });
/** Newest first; at the same time, the greater id first. */
const after = (a: Cursor, b: Cursor) => a.at < b.at || (a.at === b.at && ids.compare(a.id, b.id) < 0);

export function pageOf<R extends FhirResource>(
  items: ReadonlyArray<Dated<R>>,
  q: { readonly bounds: MsBounds; readonly count: number; readonly cursor: string | undefined },
): SearchPage<R> {
  const cursor = q.cursor === undefined ? null : parseCursor(q.cursor);
  const keyed = items
    .filter((d) => (q.bounds.from === null || d.at >= q.bounds.from) && (q.bounds.to === null || d.at < q.bounds.to))
    .map((d) => ({ at: d.at, id: d.resource.id, resource: d.resource }))
    .sort((a, b) => (after(a, b) ? 1 : after(b, a) ? -1 : 0));
  const rest = cursor ? keyed.filter((k) => after(k, cursor)) : keyed;
  const page = rest.slice(0, q.count);
  const last = page.at(-1);
  return {
    resources: page.map((k) => k.resource),
    next: rest.length > q.count && last ? `${last.at}.${last.id}` : null,
    total: keyed.length,
  };
}
