/**
 * NEWS2 as an alert: 7+ high, 5-6 medium, a single red parameter low; it clears only when the score
 * falls below 4 with no red parameter, so a score hovering at a band edge does not flap. Each
 * parameter is scored on a short window of its readings (news2-window.ts), not on the latest one.
 */
import type { News2Parameter, News2Result } from '../news2.ts';
import {
  NEWS2_VITALS,
  News2Window,
  windowedNews2,
  type News2Observation,
  type News2WindowRule,
} from '../news2-window.ts';
import type { Priority } from '../priority.ts';
import type { RulePlugin } from '../rule.ts';

export type News2Detail = {
  readonly score: number;
  readonly risk: News2Result['risk'];
  readonly points: News2Result['points'];
  readonly missing: readonly News2Parameter[];
  readonly partial: boolean;
  readonly spo2Scale: 1 | 2;
  /** The value scored for each parameter and how it was chosen (median of the window, or a spot reading). */
  readonly scored: News2Observation;
  readonly window: News2WindowRule;
};

export type News2Level = 'none' | Priority;

export function news2Level(r: News2Result, current: News2Level): News2Level {
  const red = Object.values(r.points).includes(3);
  if (r.score >= 7) return 'high';
  if (r.score >= 5) return 'medium';
  if (red) return 'low';
  if (current !== 'none' && r.score >= 4) return current === 'high' ? 'medium' : current;
  return 'none';
}

export const news2Rule: RulePlugin<'news2', News2Detail> = {
  name: 'news2',
  needs: { readings: NEWS2_VITALS, events: [], presence: false, timed: false },
  owns: (kind): kind is 'news2' => kind === 'news2',
  create() {
    let window: News2Window | undefined;
    let level: News2Level = 'none';
    return {
      vitals(sample, rules) {
        window ??= new News2Window(rules.news2Window);
        if (!window.add(sample)) return []; // late: the present is unchanged
        const at = window.newest();
        const scoring = { spo2Scale: rules.spo2Scale, onOxygen: rules.onOxygen };
        const windowed = windowedNews2(window, at, scoring);
        if (!windowed) return [];
        const { result, scored } = windowed;
        const next = news2Level(result, level);
        if (next === level) return [];
        const previous = level;
        level = next;
        const detail: News2Detail = {
          score: result.score,
          risk: result.risk,
          points: result.points,
          missing: result.missing,
          partial: result.partial,
          spo2Scale: result.spo2Scale,
          scored,
          window: window.rule,
        };
        if (next === 'none')
          return [{ kind: 'news2', change: 'clear', priority: previous === 'none' ? 'low' : previous, detail }];
        return [{ kind: 'news2', change: previous === 'none' ? 'raise' : 'update', priority: next, detail }];
      },
      restore(alert) {
        level = alert.priority;
      },
    };
  },
};
