/** An alert as the API shows it (common/alert-api.ts): a fall, open, pending, unless `over` says otherwise. */
import type { AlertView } from '../../common/alert-api.ts';

export function alertView(over: Partial<AlertView> & Pick<AlertView, 'patientId'>): AlertView {
  const at = over.openedAt ?? Date.now();
  return {
    id: 1,
    kind: 'fall',
    priority: 'high',
    status: 'pending',
    active: true,
    acknowledgedBy: null,
    acknowledgedAt: null,
    assignee: null,
    snoozedUntil: null,
    openedAt: at,
    updatedAt: at,
    clearedAt: null,
    closedAt: null,
    closedReason: null,
    resolution: null,
    lastNotifiedAt: null,
    notifications: 0,
    detail: {},
    escalation: null,
    ...over,
  };
}
