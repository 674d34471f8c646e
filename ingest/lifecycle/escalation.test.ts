/** Escalation along a patient's chain, on a real SQLite file, with a fake clock; a restart is a new set of objects on the same file. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SqliteAlertRepository, type Alert } from './alert-store.ts';
import { SqliteEscalationRepository } from './escalation-store.ts';
import { Escalations } from './escalation.ts';
import { AlertLifecycle, LifecycleError } from './lifecycle.ts';
import type { EscalationChain } from '../../web/directory.ts';

const T0 = 1_800_000_000_000;
const MIN = 60_000;
const CHAIN: EscalationChain = {
  patientId: 'p-1',
  steps: [
    { personId: 'daughter', delayMs: 0 },
    { personId: 'son', delayMs: 5 * MIN },
    { personId: 'nurse', delayMs: 5 * MIN },
    { personId: 'emergency', delayMs: 10 * MIN },
  ],
  arrivalTimeoutMs: 30 * MIN,
};

let dir: string;
let alerts: SqliteAlertRepository;
let repo: SqliteEscalationRepository;
let esc: Escalations;
let life: AlertLifecycle;

function open(): void {
  alerts = new SqliteAlertRepository(join(dir, 'alerts.db'));
  repo = new SqliteEscalationRepository(alerts.database);
  life = new AlertLifecycle(alerts);
  esc = new Escalations(alerts, repo, life, { repeatMs: 15 * MIN });
}

/** Who was sent what, in order, from the outbox. */
const sent = () =>
  repo.pending(Number.MAX_SAFE_INTEGER, 1000).map((m) => `${m.personId}:${m.kind}@${(m.createdAt - T0) / MIN}`);

function fall(): Alert {
  return life.apply({ patientId: 'p-1', kind: 'fall', change: 'raise', priority: 'high', at: T0, detail: {} })!.alert;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-escalation-'));
  open();
});
afterEach(() => {
  alerts.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('escalation', () => {
  it('notifies each step after its delay, in order, then goes through the chain again', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    for (const m of [1, 4.99, 5, 9.99, 10, 19.99, 20, 34.99, 35]) esc.tick(T0 + m * MIN);
    expect(sent()).toEqual([
      'daughter:alert@0',
      'son:alert@5',
      'nurse:alert@10',
      'emergency:alert@20',
      'daughter:reminder@35',
    ]);
    expect(esc.get(alert.id)).toMatchObject({ state: 'notifying', step: 0, round: 1, nextAt: T0 + 40 * MIN });
    expect(esc.nextDeadline()).toBe(T0 + 40 * MIN);
  });

  it('takes each due step once even when the clock jumps past several (they follow from the time they ran)', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    esc.tick(T0 + 60 * MIN);
    expect(sent()).toEqual(['daughter:alert@0', 'son:alert@60']);
    expect(esc.get(alert.id)!.nextAt).toBe(T0 + 65 * MIN);
  });

  it('gives the alert to the first who accepts, tells the others, and waits for arrival', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    esc.tick(T0 + 5 * MIN);
    const { escalation } = esc.accept(alert.id, 'son', T0 + 6 * MIN);
    expect(escalation).toMatchObject({ state: 'accepted', owner: 'son', nextAt: T0 + 36 * MIN });
    expect(alerts.get(alert.id)).toMatchObject({ acknowledgedBy: 'son', assignee: 'son' });
    expect(() => esc.accept(alert.id, 'daughter', T0 + 7 * MIN)).toThrow(LifecycleError);
    expect(esc.accept(alert.id, 'son', T0 + 7 * MIN).escalation!.acceptedAt).toBe(T0 + 6 * MIN); // idempotent
    esc.tick(T0 + 30 * MIN); // the nurse is not called while the son is on his way
    expect(sent()).toEqual(['daughter:alert@0', 'son:alert@5', 'daughter:accepted@6']);

    expect(() => esc.arrived(alert.id, 'daughter', T0 + 20 * MIN)).toThrow(/only son/);
    expect(esc.arrived(alert.id, 'son', T0 + 20 * MIN)).toMatchObject({
      state: 'arrived',
      arrivedAt: T0 + 20 * MIN,
      nextAt: null,
    });
    esc.tick(T0 + 120 * MIN);
    expect(sent()).toHaveLength(3);
    expect(alerts.audit(alert.id).map((a) => a.action)).toContain('help arrived');
  });

  it('escalates again from the next step when arrival is not confirmed in time', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    esc.accept(alert.id, 'daughter', T0 + 1 * MIN);
    esc.tick(T0 + 30.99 * MIN);
    expect(esc.get(alert.id)!.state).toBe('accepted');
    esc.tick(T0 + 31 * MIN);
    expect(esc.get(alert.id)).toMatchObject({ state: 'notifying', owner: null, step: 1 });
    expect(sent()).toEqual(['daughter:alert@0', 'daughter:arrival-overdue@31', 'son:alert@31']);
    // now somebody else may accept
    expect(esc.accept(alert.id, 'son', T0 + 32 * MIN).escalation).toMatchObject({ owner: 'son' });
  });

  it('resumes after a restart where it was: no step skipped, none repeated', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    esc.tick(T0 + 5 * MIN); // son
    alerts.close(); // the process dies; nothing in memory survives
    open();
    esc.tick(T0 + 9 * MIN);
    expect(sent()).toEqual(['daughter:alert@0', 'son:alert@5']);
    esc.tick(T0 + 10 * MIN);
    expect(sent()).toEqual(['daughter:alert@0', 'son:alert@5', 'nurse:alert@10']);
    esc.start(alert, CHAIN, T0 + 11 * MIN); // starting again after a restart changes nothing
    expect(sent()).toHaveLength(3);
  });

  it('stops when the alert closes and tells everyone notified', () => {
    const alert = fall();
    esc.start(alert, CHAIN, T0);
    esc.tick(T0 + 5 * MIN);
    life.resolve(alert.id, 'nurse-1', 'called her; she is fine', T0 + 6 * MIN);
    esc.stop(alert.id, T0 + 6 * MIN);
    esc.tick(T0 + 60 * MIN);
    expect(sent()).toEqual(['daughter:alert@0', 'son:alert@5', 'daughter:closed@6', 'son:closed@6']);
    expect(() => esc.accept(alert.id, 'son', T0 + 7 * MIN)).toThrow(/closed/);
  });

  it('waits for a first step with a delay, and records an empty chain without notifying anyone', () => {
    const alert = fall();
    esc.start(alert, { ...CHAIN, steps: [{ personId: 'nurse', delayMs: 2 * MIN }] }, T0);
    esc.tick(T0 + 1.99 * MIN);
    expect(sent()).toEqual([]);
    esc.tick(T0 + 2 * MIN);
    expect(sent()).toEqual(['nurse:alert@2']);

    const other = life.apply({
      patientId: 'p-2',
      kind: 'sos',
      change: 'raise',
      priority: 'high',
      at: T0,
      detail: {},
    })!.alert;
    expect(esc.start(other, { patientId: 'p-2', steps: [], arrivalTimeoutMs: MIN }, T0)).toMatchObject({
      state: 'stopped',
    });
    expect(alerts.audit(other.id).map((a) => a.action)).toContain(
      'no escalation chain: the care team is notified on the console',
    );
  });
});
