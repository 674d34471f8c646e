/**
 * The watch's Last Will (`offline`) not followed by `online` within `offlineAfterMs`: a quick
 * reconnection raises nothing. Back online clears it.
 */
import type { NoDetail, RulePlugin } from '../rule.ts';

export type OfflineDetail = { readonly since: number; readonly afterMs: number } | NoDetail;

export const offlineRule: RulePlugin<'offline', OfflineDetail> = {
  name: 'offline',
  needs: { readings: [], events: [], presence: true, timed: true },
  owns: (kind): kind is 'offline' => kind === 'offline',
  create() {
    let since: number | undefined;
    let offline = false;
    return {
      presence(online, _rules, now) {
        if (!online) {
          since ??= now;
          return [];
        }
        since = undefined;
        if (!offline) return [];
        offline = false;
        return [{ kind: 'offline', change: 'clear', priority: 'low', detail: {} }];
      },
      tick(rules, now) {
        if (offline || since === undefined || now - since < rules.offlineAfterMs) return [];
        offline = true;
        return [
          { kind: 'offline', change: 'raise', priority: 'low', detail: { since, afterMs: rules.offlineAfterMs } },
        ];
      },
      deadline: (rules) => (offline || since === undefined ? undefined : since + rules.offlineAfterMs),
      restore() {
        offline = true;
      },
    };
  },
};
