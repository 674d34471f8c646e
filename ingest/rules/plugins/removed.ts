/** The watch says it was taken off (`removed` event): raised once, cleared when a heart rate comes back. */
import type { NoDetail, RulePlugin } from '../rule.ts';

export type RemovedDetail = { readonly seq: number } | NoDetail;

export const removedRule: RulePlugin<'removed', RemovedDetail> = {
  name: 'removed',
  needs: { readings: ['hr'], events: ['removed'], presence: false, timed: false },
  owns: (kind): kind is 'removed' => kind === 'removed',
  create() {
    let removed = false;
    return {
      event(event) {
        if (event.type !== 'removed' || removed) return [];
        removed = true;
        return [{ kind: 'removed', change: 'raise', priority: 'medium', detail: { seq: event.seq } }];
      },
      vitals(sample) {
        if (!removed || sample.hr === undefined) return [];
        removed = false;
        return [{ kind: 'removed', change: 'clear', priority: 'medium', detail: {} }];
      },
      restore() {
        removed = true;
      },
    };
  },
};
