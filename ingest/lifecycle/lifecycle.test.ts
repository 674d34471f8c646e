/** The alert lifecycle on a real SQLite file, with a fake clock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SqliteAlertRepository } from './alert-store.ts';
import { AlertLifecycle, LifecycleError } from './lifecycle.ts';
import type { AlertKind, Condition, ConditionChange } from '../rules/engine.ts';
import type { Priority } from '../rules/priority.ts';

const T0 = 1_800_000_000_000;
let dir: string;
let repo: SqliteAlertRepository;
let life: AlertLifecycle;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-lifecycle-'));
  repo = new SqliteAlertRepository(join(dir, 'alerts.db'));
  life = new AlertLifecycle(repo);
});
afterEach(() => {
  repo.close();
  rmSync(dir, { recursive: true, force: true });
});

const cond = (
  kind: AlertKind,
  change: ConditionChange,
  priority: Priority,
  atSec: number,
  detail: Record<string, unknown> = {},
  patientId = 'p-1',
): Condition => ({ patientId, kind, change, priority, at: T0 + atSec * 1000, detail });

describe('alert lifecycle', () => {
  it('lists the alerts of the patients asked for, opened since a time, open or closed, in order', () => {
    life.apply(cond('threshold:hr-high', 'raise', 'medium', 0));
    const closing = life.apply(cond('threshold:hr-high', 'raise', 'medium', 10, {}, 'p-2'))!;
    life.apply(cond('threshold:hr-high', 'clear', 'medium', 20, {}, 'p-2'));
    life.apply(cond('threshold:spo2-low', 'raise', 'medium', 30, {}, 'p-2'));
    life.apply(cond('threshold:spo2-low', 'raise', 'medium', 40, {}, 'p-3'));
    const since = (ids: string[], sec: number) =>
      repo.listSince(ids, T0 + sec * 1000).map((a) => [a.patientId, a.kind]);
    expect(since(['p-2'], 0)).toEqual([
      ['p-2', 'threshold:hr-high'],
      ['p-2', 'threshold:spo2-low'],
    ]);
    expect(repo.get(closing.alert.id)?.closedAt).not.toBeNull();
    expect(since(['p-2', 'p-3'], 15)).toEqual([
      ['p-2', 'threshold:spo2-low'],
      ['p-3', 'threshold:spo2-low'],
    ]);
    expect(since([], 0)).toEqual([]);
  });

  it('keeps one open alert per patient and kind: repeats update it', () => {
    const a = life.apply(cond('threshold:spo2-low', 'raise', 'medium', 0, { value: 90 }))!;
    const b = life.apply(cond('threshold:spo2-low', 'raise', 'medium', 10, { value: 89 }))!;
    life.apply(cond('threshold:spo2-low', 'raise', 'medium', 20, { value: 91 }, 'p-2'));
    expect(b.alert.id).toBe(a.alert.id);
    expect(b.alert.detail).toMatchObject({ value: 89 });
    expect(repo.listOpen().map((x) => [x.patientId, x.kind])).toEqual([
      ['p-1', 'threshold:spo2-low'],
      ['p-2', 'threshold:spo2-low'],
    ]);
    expect(repo.audit(a.alert.id).map((e) => e.action)).toEqual(['opened', 'repeated']);
  });

  it('keeps acknowledged and cleared independent; a medium alert closes when its condition ends', () => {
    const { alert } = life.apply(cond('threshold:hr-high', 'raise', 'medium', 0))!;
    expect(life.acknowledge(alert.id, 'nurse-1', T0 + 5_000).alert).toMatchObject({
      active: true,
      acknowledgedBy: 'nurse-1',
      closedAt: null,
    });
    expect(life.apply(cond('threshold:hr-high', 'clear', 'medium', 10))!.alert).toMatchObject({
      active: false,
      closedReason: 'cleared',
    });

    const other = life.apply(cond('threshold:hr-high', 'raise', 'medium', 20))!.alert;
    expect(other.id).not.toBe(alert.id); // a new episode
    expect(life.apply(cond('threshold:hr-high', 'clear', 'medium', 30))!.alert).toMatchObject({
      active: false,
      acknowledgedAt: null,
      closedReason: 'cleared',
    });
  });

  it('latches a high-priority alert: cleared but open until a person acknowledges it', () => {
    const { alert } = life.apply(cond('threshold:spo2-very-low', 'raise', 'high', 0))!;
    const cleared = life.apply(cond('threshold:spo2-very-low', 'clear', 'high', 60))!;
    expect(cleared).toMatchObject({
      type: 'cleared',
      alert: { active: false, closedAt: null, clearedAt: T0 + 60_000 },
    });
    expect(repo.listOpen().map((a) => a.id)).toEqual([alert.id]);
    expect(life.acknowledge(alert.id, 'dr-1', T0 + 120_000)).toMatchObject({
      type: 'closed',
      alert: { closedReason: 'cleared', acknowledgedBy: 'dr-1' },
    });
    expect(repo.audit(alert.id).map((e) => [e.actor, e.action])).toEqual([
      ['system', 'opened'],
      ['system', 'cleared (latched)'],
      ['dr-1', 'acknowledged and closed'],
    ]);
  });

  it('takes a fall from pending to confirmed, or closes it when the wearer is OK', () => {
    const fall = life.apply(cond('fall', 'raise', 'high', 0, { status: 'pending' }))!.alert;
    expect(fall.status).toBe('pending');
    expect(life.apply(cond('fall', 'confirm', 'high', 60, { reason: 'no_response' }))!.alert).toMatchObject({
      status: 'confirmed',
      active: true,
    });
    const second = life.apply(cond('fall', 'raise', 'high', 100, { status: 'pending' }, 'p-2'))!.alert;
    expect(life.apply(cond('fall', 'cancel', 'high', 120, {}, 'p-2'))!.alert).toMatchObject({
      closedReason: 'cancelled',
      resolution: 'the wearer said "I\'m OK" in time',
    });
    expect(repo.get(second.id)?.closedAt).toBe(T0 + 120_000);
  });

  it('never lowers the priority of an open alert', () => {
    life.apply(cond('news2', 'raise', 'medium', 0));
    expect(life.apply(cond('news2', 'update', 'high', 1))!.alert.priority).toBe('high');
    expect(life.apply(cond('news2', 'update', 'medium', 2))!.alert.priority).toBe('high');
  });

  it('resolves with a note (and the person who resolved it acknowledges it); refuses an empty note or a closed alert', () => {
    const { alert } = life.apply(cond('sos', 'raise', 'high', 0))!;
    expect(() => life.resolve(alert.id, 'dr-1', '   ', T0)).toThrow(LifecycleError);
    expect(life.resolve(alert.id, 'dr-1', 'Called her: pressed by mistake.', T0 + 30_000).alert).toMatchObject({
      closedReason: 'resolved',
      resolution: 'Called her: pressed by mistake.',
      acknowledgedBy: 'dr-1',
    });
    expect(() => life.acknowledge(alert.id, 'dr-2', T0 + 40_000)).toThrow('alert 1 is already closed (resolved)');
    expect(() => life.acknowledge(999, 'dr-2', T0)).toThrow('no alert 999');
  });

  it("re-notifies unacknowledged alerts at their priority's interval, and stops once acknowledged", () => {
    const high = life.apply(cond('sos', 'raise', 'high', 0))!.alert;
    const low = life.apply(cond('low-battery', 'raise', 'low', 0))!.alert;
    life.notified(high.id, T0, 'push');
    life.notified(low.id, T0, 'push');
    expect(life.nextDeadline()).toBe(T0 + 120_000);
    expect(life.renotify(T0 + 119_999)).toEqual([]);
    expect(life.renotify(T0 + 120_000).map((e) => e.alert.id)).toEqual([high.id]);
    expect(life.nextDeadline()).toBe(T0 + 240_000);
    life.acknowledge(high.id, 'nurse-1', T0 + 130_000);
    expect(life.nextDeadline()).toBeUndefined();
  });

  it('respects a snooze exactly: nothing before it ends, the re-notification when it does', () => {
    const { alert } = life.apply(cond('threshold:hr-high', 'raise', 'medium', 0))!;
    life.notified(alert.id, T0, 'push');
    life.snooze(alert.id, 'nurse-1', 30 * 60_000, T0 + 60_000);
    expect(life.nextDeadline()).toBe(T0 + 60_000 + 30 * 60_000);
    expect(life.renotify(T0 + 60_000 + 30 * 60_000 - 1)).toEqual([]);
    expect(life.renotify(T0 + 60_000 + 30 * 60_000)).toHaveLength(1);
    expect(() => life.snooze(alert.id, 'nurse-1', 0, T0)).toThrow('a snooze lasts between');
  });

  it('is durable: reopened from disk, open alerts, latches and audit are as they were', () => {
    const { alert } = life.apply(cond('threshold:spo2-very-low', 'raise', 'high', 0))!;
    life.apply(cond('threshold:spo2-very-low', 'clear', 'high', 60));
    life.assign(alert.id, 'dr-1', 'nurse-2', T0 + 70_000);
    repo.close();
    repo = new SqliteAlertRepository(join(dir, 'alerts.db'));
    life = new AlertLifecycle(repo);
    expect(repo.listOpen()).toEqual([
      expect.objectContaining({ id: alert.id, active: false, assignee: 'nurse-2', closedAt: null }),
    ]);
    expect(repo.audit(alert.id).map((e) => e.action)).toEqual(['opened', 'cleared (latched)', 'assigned']);
  });
});
