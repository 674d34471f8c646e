/**
 * No vitals for `staleAfterMs`, by a server-side timer running from the last vitals (or from when
 * the patient was first watched); the next vitals clear it.
 */
import type { Finding, NoDetail, RulePlugin } from '../rule.ts';

export type StaleDataDetail = { readonly lastVitalsAt: number; readonly afterMs: number } | NoDetail;

export const staleDataRule: RulePlugin<'stale-data', StaleDataDetail> = {
  name: 'stale-data',
  needs: { readings: 'any', events: [], presence: false, timed: true },
  owns: (kind): kind is 'stale-data' => kind === 'stale-data',
  create(since) {
    let lastVitalsAt = since;
    let stale = false;
    return {
      vitals(_sample, _rules, now): Finding<'stale-data', StaleDataDetail>[] {
        lastVitalsAt = Math.max(lastVitalsAt, now);
        if (!stale) return [];
        stale = false;
        return [{ kind: 'stale-data', change: 'clear', priority: 'medium', detail: {} }];
      },
      tick(rules, now) {
        if (stale || now - lastVitalsAt < rules.staleAfterMs) return [];
        stale = true;
        return [
          {
            kind: 'stale-data',
            change: 'raise',
            priority: 'medium',
            detail: { lastVitalsAt, afterMs: rules.staleAfterMs },
          },
        ];
      },
      deadline: (rules) => (stale ? undefined : lastVitalsAt + rules.staleAfterMs),
      restore() {
        stale = true;
      },
    };
  },
};
