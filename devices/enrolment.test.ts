import { describe, expect, it } from 'vitest';
import { enrolmentUri, parseEnrolmentUri } from './enrolment.ts';

const WATCH = { brokerUrl: 'mqtts://vigie.example.org:8883', deviceId: 'w-0a1b2c', secret: 'a'.repeat(43) };

describe('the enrolment URI', () => {
  it('carries the broker, the id and the secret, percent-encoded, and reads back', () => {
    const uri = enrolmentUri(WATCH);
    expect(uri).toBe(
      `vigie-enrol:v1?broker=mqtts%3A%2F%2Fvigie.example.org%3A8883&id=w-0a1b2c&secret=${'a'.repeat(43)}`,
    );
    expect(parseEnrolmentUri(uri)).toEqual({ ok: true, value: WATCH });
  });

  it.each([
    ['https://vigie.example.org', 'scheme'],
    ['vigie-enrol:v2?broker=mqtt%3A%2F%2Fh&id=w-1ab&secret=' + 'a'.repeat(43), 'version'],
    ['vigie-enrol:v1?broker=http%3A%2F%2Fh&id=w-1ab&secret=' + 'a'.repeat(43), 'broker'],
    ['vigie-enrol:v1?broker=nope&id=w-1ab&secret=' + 'a'.repeat(43), 'broker'],
    ['vigie-enrol:v1?broker=mqtt%3A%2F%2Fh&id=W_1&secret=' + 'a'.repeat(43), 'device_id'],
    ['vigie-enrol:v1?broker=mqtt%3A%2F%2Fh&id=w-1ab&secret=short', 'secret'],
    ['vigie-enrol:v1?broker=mqtt%3A%2F%2Fh&id=w-1ab', 'secret'],
  ])('refuses %s (%s)', (uri, error) => {
    expect(parseEnrolmentUri(uri)).toEqual({ ok: false, error });
  });
});
