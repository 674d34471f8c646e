/** An SOS is raised at once, every time the button is pressed; a person closes it. */
import type { RulePlugin } from '../rule.ts';

export type SosDetail = { readonly seq: number; readonly ts: number };

export const sosRule: RulePlugin<'sos', SosDetail> = {
  name: 'sos',
  needs: { readings: [], events: ['sos'], presence: false, timed: false },
  owns: (kind): kind is 'sos' => kind === 'sos',
  create() {
    return {
      event: (event) =>
        event.type === 'sos'
          ? [{ kind: 'sos', change: 'raise', priority: 'high', detail: { seq: event.seq, ts: event.ts } }]
          : [],
      restore() {},
    };
  },
};
