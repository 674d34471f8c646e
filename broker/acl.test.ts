import { describe, expect, it } from 'vitest';
import { authorizePublish, authorizeSubscribe, authorizeWill, type Principal } from './acl.ts';

const a: Principal = { kind: 'device', deviceId: 'w-aaaa', patientId: 'p-1' };
const ingest: Principal = { kind: 'service', username: 'svc:ingest', role: 'ingest' };
const web: Principal = { kind: 'service', username: 'svc:web', role: 'web' };

describe('device publish', () => {
  it.each([
    ['vigie/v1/devices/w-aaaa/vitals', 0, true, undefined],
    ['vigie/v1/devices/w-aaaa/vitals', 1, true, undefined],
    ['vigie/v1/devices/w-aaaa/events', 1, true, undefined],
    ['vigie/v1/devices/w-aaaa/events', 0, true, undefined],
    ['vigie/v1/devices/w-aaaa/status', 1, true, undefined],
    ['vigie/v1/devices/w-aaaa/info', 1, true, undefined],
    ['vigie/v1/devices/w-bbbb/info', 1, false, 'foreign_topic'],
    ['vigie/v1/devices/w-bbbb/vitals', 1, false, 'foreign_topic'],
    ['vigie/v1/devices/w-aaaa/commands', 1, false, 'platform_channel'],
    ['vigie/v1/devices/w-aaaa/errors', 1, false, 'platform_channel'],
    ['vigie/v1/devices/w-aaaa/vitals/extra', 1, false, 'foreign_topic'],
    ['$SYS/broker/x', 0, false, 'foreign_topic'],
    ['other/topic', 0, false, 'foreign_topic'],
  ])('%s qos %d -> %s', (topic, qos, allowed, denial) => {
    const d = authorizePublish(a, topic, qos);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.denial).toBe(denial);
  });
});

describe('device subscribe', () => {
  it.each([
    ['vigie/v1/devices/w-aaaa/commands', true, undefined],
    ['vigie/v1/devices/w-aaaa/errors', true, undefined],
    ['vigie/v1/devices/w-aaaa/vitals', false, 'platform_channel'],
    ['vigie/v1/devices/w-bbbb/commands', false, 'foreign_topic'],
    ['vigie/v1/devices/+/commands', false, 'wildcard'],
    ['vigie/v1/devices/w-aaaa/#', false, 'wildcard'],
    ['#', false, 'wildcard'],
    ['$SYS/#', false, 'wildcard'],
  ])('%s -> %s', (filter, allowed, denial) => {
    const d = authorizeSubscribe(a, filter);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.denial).toBe(denial);
  });
});

describe('service accounts', () => {
  it.each([
    ['vigie/v1/devices/+/vitals', true],
    ['vigie/v1/devices/+/events', true],
    ['vigie/v1/devices/+/status', true],
    ['vigie/v1/devices/+/commands', false],
    ['vigie/v1/platform/live-values', false],
    ['#', false],
  ])('ingest subscribes %s -> %s', (filter, allowed) =>
    expect(authorizeSubscribe(ingest, filter).allowed).toBe(allowed),
  );
  it('ingest publishes only alert changes, at QoS 1, and live values', () => {
    expect(authorizePublish(ingest, 'vigie/v1/devices/w-aaaa/vitals', 1).allowed).toBe(false);
    expect(authorizePublish(ingest, 'vigie/v1/patients/p-aaaa/alerts', 1).allowed).toBe(true);
    expect(authorizePublish(ingest, 'vigie/v1/patients/p-aaaa/alerts', 0)).toMatchObject({
      allowed: false,
      denial: 'qos',
    });
    expect(authorizePublish(ingest, 'vigie/v1/patients/p-aaaa/notes', 1).allowed).toBe(false);
    expect(authorizePublish(ingest, 'vigie/v1/platform/live-values', 0).allowed).toBe(true);
    expect(authorizePublish(ingest, 'vigie/v1/platform/live-values', 1).allowed).toBe(true);
    expect(authorizePublish(ingest, 'vigie/v1/platform/live-values/x', 0).allowed).toBe(false);
    expect(authorizePublish(ingest, 'vigie/v1/platform/other', 0).allowed).toBe(false);
  });
  it('only the ingest publishes live values, and only the web service reads them', () => {
    expect(authorizePublish(web, 'vigie/v1/platform/live-values', 0)).toMatchObject({
      allowed: false,
      denial: 'not_allowed',
    });
    expect(authorizePublish(a, 'vigie/v1/platform/live-values', 0)).toMatchObject({
      allowed: false,
      denial: 'foreign_topic',
    });
    expect(authorizeSubscribe(a, 'vigie/v1/platform/live-values')).toMatchObject({
      allowed: false,
      denial: 'foreign_topic',
    });
    expect(authorizeSubscribe(web, 'vigie/v1/platform/live-values').allowed).toBe(true);
  });
  it.each([
    ['vigie/v1/platform/live-values', true],
    ['vigie/v1/devices/+/status', true],
    ['vigie/v1/devices/+/info', true],
    ['vigie/v1/patients/+/alerts', true],
    // Least privilege: the readings come from the ingest's live values, already validated.
    ['vigie/v1/devices/+/vitals', false],
    ['vigie/v1/platform/+', false],
    ['vigie/v1/platform/#', false],
    ['vigie/v1/devices/+/events', false],
    ['vigie/v1/devices/+/commands', false],
  ])('web subscribes %s -> %s', (filter, allowed) => expect(authorizeSubscribe(web, filter).allowed).toBe(allowed));
  it.each([
    ['vigie/v1/devices/w-aaaa/commands', 1, true, undefined],
    ['vigie/v1/devices/w-aaaa/commands', 0, false, 'qos'],
    ['vigie/v1/devices/w-aaaa/errors', 1, false, 'not_allowed'],
    ['vigie/v1/devices/w-aaaa/vitals', 1, false, 'not_allowed'],
    ['vigie/v1/devices/w-aaaa/commands/x', 1, false, 'not_allowed'],
    ['vigie/v1/devices/+/commands', 1, false, 'not_allowed'],
    ['vigie/v1/patients/p-aaaa/alerts', 1, false, 'not_allowed'],
    ['vigie/v1/platform/live-values', 0, false, 'not_allowed'],
  ])('web publishes %s qos %d -> %s (live mode commands only)', (topic, qos, allowed, denial) => {
    const d = authorizePublish(web, topic, qos);
    expect(d.allowed).toBe(allowed);
    if (!d.allowed) expect(d.denial).toBe(denial);
  });
  it('neither the ingest nor a device may command a watch', () => {
    expect(authorizePublish(ingest, 'vigie/v1/devices/w-aaaa/commands', 1)).toMatchObject({
      allowed: false,
      denial: 'not_allowed',
    });
    expect(authorizePublish(a, 'vigie/v1/devices/w-aaaa/commands', 1)).toMatchObject({
      allowed: false,
      denial: 'platform_channel',
    });
    expect(authorizePublish(a, 'vigie/v1/devices/w-bbbb/commands', 1)).toMatchObject({
      allowed: false,
      denial: 'foreign_topic',
    });
  });
});

describe('last will', () => {
  it.each([
    ['vigie/v1/devices/w-aaaa/status', 'offline', true],
    ['vigie/v1/devices/w-aaaa/status', 'online', false],
    ['vigie/v1/devices/w-bbbb/status', 'offline', false],
    ['vigie/v1/devices/w-aaaa/events', 'offline', false],
  ])('%s %s -> %s', (topic, payload, allowed) =>
    expect(authorizeWill(a, topic, Buffer.from(payload)).allowed).toBe(allowed),
  );
});
