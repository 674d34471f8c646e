/**
 * A fall is raised at once as pending, and confirmed when the wearer's window to say "I'm OK" ends
 * without an answer, or at once by an SOS; "I'm OK" in time cancels it. A second fall inside the
 * window updates the first and keeps its deadline.
 */
import type { Finding, RulePlugin } from '../rule.ts';

export type FallDetail =
  /** Seen: `status` pending when raised; `confirmAt` is the end of the wearer's window. */
  | {
      readonly seq: number;
      readonly ts: number;
      readonly confidence: number | null;
      readonly confirmAt: number;
      readonly status?: 'pending';
    }
  | { readonly by: 'wearer'; readonly seq: number }
  | { readonly reason: 'sos' }
  | { readonly reason: 'no_response'; readonly windowMs: number };

type Found = Finding<'fall', FallDetail>;

export const fallRule: RulePlugin<'fall', FallDetail> = {
  name: 'fall',
  needs: { readings: [], events: ['fall', 'im_ok', 'sos'], presence: false, timed: true },
  owns: (kind): kind is 'fall' => kind === 'fall',
  create() {
    let deadline: number | undefined;
    const found = (change: Found['change'], detail: FallDetail): Found[] => [
      { kind: 'fall', change, priority: 'high', detail },
    ];
    return {
      event(event, rules, now) {
        switch (event.type) {
          case 'fall': {
            const seen = { seq: event.seq, ts: event.ts, confidence: event.confidence ?? null };
            if (deadline !== undefined) return found('update', { ...seen, confirmAt: deadline });
            deadline = now + rules.fallWindowMs;
            return found('raise', { ...seen, confirmAt: deadline, status: 'pending' });
          }
          case 'im_ok':
            if (deadline === undefined) return [];
            deadline = undefined;
            return found('cancel', { by: 'wearer', seq: event.seq });
          case 'sos':
            if (deadline === undefined) return [];
            deadline = undefined;
            return found('confirm', { reason: 'sos' });
          default:
            return [];
        }
      },
      tick(rules, now) {
        if (deadline === undefined || now < deadline) return [];
        deadline = undefined;
        return found('confirm', { reason: 'no_response', windowMs: rules.fallWindowMs });
      },
      deadline: () => deadline,
      restore(alert, now) {
        if (alert.status === 'pending')
          deadline = typeof alert.detail.confirmAt === 'number' ? alert.detail.confirmAt : now;
      },
    };
  },
};
