/**
 * The pages of a record-reads log as a page shows them (the patient's own, the console's for
 * administrators): the first page, then each "show more" appended, newest first.
 */
import { i18n } from './lang.svelte.ts';

export class ReadPages<T> {
  reads: T[] = $state([]);
  next: number | null = $state(null);
  loaded = $state(false);
  error: string | undefined = $state();
  readonly #fetch: (before: number | undefined) => Promise<{ reads: T[]; next: number | null }>;

  constructor(fetch: (before: number | undefined) => Promise<{ reads: T[]; next: number | null }>) {
    this.#fetch = fetch;
  }

  /** The first page again (`more`: the next one, appended). */
  async load(more = false): Promise<void> {
    this.error = undefined;
    try {
      const page = await this.#fetch(more ? (this.next ?? undefined) : undefined);
      this.reads = more ? [...this.reads, ...page.reads] : page.reads;
      this.next = page.next;
    } catch (e) {
      this.error = i18n.error(e);
    } finally {
      this.loaded = true;
    }
  }
}
