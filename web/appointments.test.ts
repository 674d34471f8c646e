/**
 * The times that decide a scheduled consultation's reminders, the slot a call holds it in, and when it
 * is missed, each at its boundaries (a millisecond either side), on a clock the test sets.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDbPath } from '../common/temp-db.testing.ts';
import { Appointments, REMINDERS, type ReminderKind } from './appointments.ts';
import { People } from './people.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The consultations' start, well after the clock's start. */
const T = Date.UTC(2026, 11, 3, 9, 30);
const dbPath = useTempDbPath('appointments');

let clock = 0;
let appointments: Appointments;
let clinicianId: string;

beforeEach(async () => {
  const path = dbPath();
  const people = People.open(path);
  clinicianId = (await people.createPerson({ role: 'clinician', name: 'Dr Roux', email: 'r@x.test' })).id;
  people.close();
  appointments = Appointments.open(path, { now: () => clock });
});
afterEach(() => appointments.close());

/** Books at `bookedAt` a consultation starting at T. */
function bookAt(bookedAt: number, minutes = 30): string {
  clock = bookedAt;
  return appointments.book({
    patientId: 'p-1',
    clinicianId,
    startsAt: T,
    minutes,
    inviteFamily: false,
    reason: 'Suivi',
    bookedBy: clinicianId,
  }).id;
}

const due = (kind: ReminderKind, at: number) => {
  clock = at;
  return appointments.dueReminders(kind).map((a) => a.id);
};

describe('reminders', () => {
  it.each([
    ['day', 'booked exactly 36 h ahead, at 24 h before', T - 36 * HOUR, T - 24 * HOUR, true],
    ['day', 'booked less than 36 h ahead', T - 36 * HOUR + 1, T - 24 * HOUR, false],
    ['day', 'a millisecond before 24 h before', T - 48 * HOUR, T - 24 * HOUR - 1, false],
    ['day', 'late, just before the push is due', T - 48 * HOUR, T - 15 * MINUTE - 1, true],
    ['day', 'once the push is due', T - 48 * HOUR, T - 15 * MINUTE, false],
    ['soon', 'a millisecond before 15 min before', T - HOUR, T - 15 * MINUTE - 1, false],
    ['soon', 'at 15 min before', T - HOUR, T - 15 * MINUTE, true],
    ['soon', 'late, before the end', T - HOUR, T + 30 * MINUTE - 1, true],
    ['soon', 'at the end', T - HOUR, T + 30 * MINUTE, false],
  ] as const)('%s: %s', (kind, _case, bookedAt, at, expected) => {
    const id = bookAt(bookedAt);
    expect(due(kind, at)).toEqual(expected ? [id] : []);
  });

  it('is claimed once, released when it could not leave, and never for a cancelled consultation', () => {
    const id = bookAt(T - 48 * HOUR);
    clock = T - REMINDERS.day.beforeMs;
    expect(appointments.claimReminder(id, 'day')).toBe(true);
    expect(appointments.claimReminder(id, 'day')).toBe(false);
    expect(due('day', T - 20 * HOUR)).toEqual([]);
    appointments.releaseReminder(id, 'day');
    expect(due('day', T - 20 * HOUR)).toEqual([id]);
    appointments.cancel(id, clinicianId);
    expect(due('day', T - 20 * HOUR)).toEqual([]);
    expect(due('soon', T - 10 * MINUTE)).toEqual([]);
    expect(appointments.claimReminder(id, 'soon')).toBe(false);
  });
});

describe('the slot a call holds a consultation in, and the consultation missed', () => {
  it.each([
    ['a millisecond before 10 min before', T - 10 * MINUTE - 1, false],
    ['10 min before', T - 10 * MINUTE, true],
    ['a millisecond before the end', T + 30 * MINUTE - 1, true],
    ['at the end', T + 30 * MINUTE, false],
  ] as const)('current: %s', (_case, at, expected) => {
    const id = bookAt(T - HOUR);
    clock = at;
    expect(appointments.current('p-1', clinicianId)?.id).toBe(expected ? id : undefined);
    expect(appointments.current('p-2', clinicianId)).toBeUndefined();
  });

  it('is missed at the end of its slot, once; a held one is never missed', () => {
    const missed = bookAt(T - HOUR, 10);
    clock = T + 10 * MINUTE - 1;
    expect(appointments.settleMissed()).toEqual([]);
    clock = T + 10 * MINUTE;
    expect(appointments.settleMissed().map((a) => [a.id, a.status, a.settledAt])).toEqual([
      [missed, 'missed', T + 10 * MINUTE],
    ]);
    expect(appointments.settleMissed()).toEqual([]);
    expect(appointments.fulfil(missed)).toBeUndefined();

    clock = T;
    const held = appointments.book({
      patientId: 'p-1',
      clinicianId,
      startsAt: T + HOUR,
      minutes: 10,
      inviteFamily: false,
      reason: 'Suivi',
      bookedBy: clinicianId,
    }).id;
    expect(appointments.fulfil(held)).toMatchObject({ status: 'done', settledAt: T });
    expect(appointments.fulfil(held)).toBeUndefined();
    clock = T + 2 * HOUR;
    expect(appointments.settleMissed()).toEqual([]);
    expect(appointments.get(held)?.status).toBe('done');
  });
});
