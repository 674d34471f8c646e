import { describe, expect, it } from 'vitest';
import { useTempDbPath } from '../common/temp-db.testing.ts';
import { VigieError } from '../common/errors.ts';
import { CONSENT_CLOCK_SKEW_MS, Reports } from './reports.ts';
import { reportContentSchema } from './api/schemas.ts';

const path = useTempDbPath('reports');
const content = reportContentSchema.parse({ reason: 'Chute', conclusion: 'Rien de cassé', vitals: { hr: 80 } });
const signer = { id: 'u-1', name: 'Dr Roux' };

function open() {
  const clock = { now: 1_000_000_000 };
  return { reports: Reports.open(path(), { now: () => clock.now }), clock };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof VigieError) return error.code;
    throw error;
  }
  return undefined;
}

describe('consents and reports', () => {
  it('takes a consent up to the allowed clock skew ahead, not beyond', () => {
    const { reports, clock } = open();
    const at = (givenAt: number) => () =>
      reports.recordConsent(
        'p-1',
        'room',
        { givenBy: 'patient', representative: null, method: 'oral', givenAt },
        'u-1',
      );
    expect(codeOf(at(clock.now + CONSENT_CLOCK_SKEW_MS + 1))).toBe('consent_time_invalid');
    expect(codeOf(at(clock.now + CONSENT_CLOCK_SKEW_MS))).toBeUndefined();
    reports.close();
  });

  it('keeps the consent of its own consultation and patient only', () => {
    const { reports } = open();
    reports.recordConsent(
      'p-1',
      'room-a',
      { givenBy: 'representative', representative: 'Claire', method: 'written', givenAt: 1 },
      'u-1',
    );
    expect(reports.consentFor('p-1', 'room-a')).toMatchObject({ givenBy: 'representative', representative: 'Claire' });
    expect(reports.consentFor('p-1', 'room-b')).toBeUndefined();
    expect(reports.consentFor('p-2', 'room-a')).toBeUndefined();
    reports.close();
  });

  it('signs a draft once, then only amends it, keeping each version and who signed it when', () => {
    const { reports, clock } = open();
    const draft = reports.saveDraft('p-1', 'room', content, 'u-1');
    expect(codeOf(() => reports.finalise(draft.id, signer))).toBe('consent_required');
    expect(codeOf(() => reports.amend(draft.id, content, 'x', signer))).toBe('report_not_final');
    reports.recordConsent(
      'p-1',
      'room',
      { givenBy: 'patient', representative: null, method: 'oral', givenAt: 1 },
      'u-1',
    );
    const signedAt = clock.now;
    reports.finalise(draft.id, signer);
    expect(codeOf(() => reports.saveDraft('p-1', 'room', content, 'u-1'))).toBe('report_final');
    // Another patient cannot take over the consultation's report.
    expect(codeOf(() => reports.saveDraft('p-2', 'room', content, 'u-1'))).toBe('report_not_found');
    clock.now += 60_000;
    const amended = reports.amend(draft.id, { ...content, conclusion: 'Entorse' }, 'Radio', {
      id: 'u-2',
      name: 'Dr Blanc',
    });
    expect(amended.versions.map((v) => [v.version, v.content.conclusion, v.signedBy, v.signedAt, v.reason])).toEqual([
      [1, 'Rien de cassé', 'Dr Roux', signedAt, null],
      [2, 'Entorse', 'Dr Blanc', signedAt + 60_000, 'Radio'],
    ]);
    expect(codeOf(() => reports.amend(draft.id, { ...content, reason: '' }, 'x', signer))).toBe('report_incomplete');
    reports.close();
  });
});
