import { describe, expect, it } from 'vitest';
import { ALL_PATIENTS_ALERTS_FILTER, allDevicesFilter, deviceTopic, patientAlertsTopic } from '../devices/topics.ts';
import { isAlarmFilter, isAlarmTraffic, TwoLaneQueue } from './alarm-lane.ts';

describe("the alarm lane of the broker's routing queue", () => {
  it('hands out alarms before readings, each lane in order, every callback with its message', () => {
    const q = new TwoLaneQueue((m) => (m as { urgent: boolean }).urgent);
    const sent = [
      { id: 'r1', urgent: false },
      { id: 'r2', urgent: false },
      { id: 'fall', urgent: true },
      { id: 'r3', urgent: false },
      { id: 'im_ok', urgent: true },
    ];
    for (const m of sent) {
      q.push(m);
      q.callbacks.push(`cb-${m.id}`);
    }
    expect(q.length).toBe(5);
    const out: string[] = [];
    while (q.length > 0) {
      const m = q.shift() as { id: string };
      expect(q.callbacks.shift()).toBe(`cb-${m.id}`);
      out.push(m.id);
    }
    expect(out).toEqual(['fall', 'im_ok', 'r1', 'r2', 'r3']);
    expect(q.shift()).toBeUndefined();
  });

  it('is full from `full` readings waiting, whatever the alarms, and says once when half of them are gone', () => {
    let rooms = 0;
    const q = new TwoLaneQueue((m) => m === 'fall', { full: 4, onRoom: () => (rooms += 1) });
    const push = (m: string) => {
      q.push(m);
      q.callbacks.push(() => m);
    };
    push('fall');
    for (let i = 0; i < 3; i += 1) push(`r${i}`);
    expect(q.full).toBe(false);
    push('r3');
    expect(q.full).toBe(true);
    push('r4');
    const shifted: unknown[] = [];
    const shift = () => {
      shifted.push(q.shift());
      q.callbacks.shift();
    };
    shift(); // the fall: the readings are as many as before
    shift(); // r0: four readings, still full
    expect([q.full, rooms]).toEqual([true, 0]);
    shift(); // r1: three, no longer full, not yet half
    expect([q.full, rooms]).toEqual([false, 0]);
    shift(); // r2: two, half of `full`
    expect(rooms).toBe(1);
    shift();
    shift();
    expect(rooms).toBe(1);
    expect(shifted).toEqual(['fall', 'r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('puts device events and alert changes in it, and nothing else', () => {
    expect(isAlarmTraffic({ topic: deviceTopic('w-1', 'events') })).toBe(true);
    expect(isAlarmTraffic({ topic: patientAlertsTopic('p-1') })).toBe(true);
    expect(isAlarmTraffic({ topic: deviceTopic('w-1', 'vitals') })).toBe(false);
    expect(isAlarmTraffic({ topic: deviceTopic('w-1', 'status') })).toBe(false);
    expect(isAlarmTraffic({ topic: '$SYS/x/heartbeat' })).toBe(false);
    expect(isAlarmTraffic({})).toBe(false);
  });

  it('tells the filters that match alarms only (the alarm sessions of the ingest and the web service)', () => {
    expect(isAlarmFilter(allDevicesFilter('events'))).toBe(true);
    expect(isAlarmFilter(ALL_PATIENTS_ALERTS_FILTER)).toBe(true);
    expect(isAlarmFilter(deviceTopic('w-1', 'events'))).toBe(true);
    expect(isAlarmFilter(patientAlertsTopic('p-1'))).toBe(true);
    expect(isAlarmFilter(allDevicesFilter('vitals'))).toBe(false);
    expect(isAlarmFilter('vigie/#')).toBe(false);
    expect(isAlarmFilter('#')).toBe(false);
    expect(isAlarmFilter('vigie/v1/devices/+/+')).toBe(false);
  });
});
