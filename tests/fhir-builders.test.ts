/**
 * The FHIR builders of web/fhir on their own, table-driven at their boundaries, every resource checked
 * by Medplum's R4 validator: how each alert kind is coded and categorised and who authored it; an
 * appointment's status at the edges of its time; an encounter's status at its links' expiry; the
 * versions of a report; and paging by cursor, stable when a newer record arrives between two pages.
 */
import { describe, expect, it } from 'vitest';
import type { AlertView } from '../common/alert-api.ts';
import type { Appointment } from '../web/appointments.ts';
import type { Report } from '../web/reports.ts';
import { appointmentStatus, toFhirAppointment } from '../web/fhir/appointment.ts';
import { toFhirCommunication } from '../web/fhir/communication.ts';
import { toFhirDocumentReferences } from '../web/fhir/document-reference.ts';
import { toFhirEncounter } from '../web/fhir/encounter.ts';
import { relatedPersonId, relatedPersonOf, toFhirRelatedPerson } from '../web/fhir/related-person.ts';
import { toFhirFlag } from '../web/fhir/flag.ts';
import { pageOf, type Dated } from '../web/fhir/paging.ts';
import { alertView } from './support/alerts.ts';
import { validFhir } from './support/fhir.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const MIN = 60_000;

function alert(kind: string, detail: Record<string, unknown> = {}, closedAt: number | null = null): AlertView {
  return alertView({
    id: 7,
    patientId: 'p-000000000001',
    kind,
    status: 'confirmed',
    active: closedAt === null,
    openedAt: T0,
    clearedAt: closedAt,
    closedAt,
    closedReason: closedAt === null ? null : 'resolved',
    detail,
  });
}

type Coding = { system: string; code: string };
const codings = (r: object) => (r as { code: { coding: Coding[] } }).code.coding.map((c) => `${c.system}|${c.code}`);

describe('Flag', () => {
  const cases: Array<[string, Record<string, unknown>, string[], string, boolean]> = [
    ['fall', {}, ['http://snomed.info/sct|1912002', 'urn:vigie:alert-kind|fall'], 'safety', true],
    ['sos', {}, ['urn:vigie:alert-kind|sos'], 'safety', true],
    ['removed', {}, ['urn:vigie:alert-kind|removed'], 'safety', true],
    ['low-battery', { battery: 9 }, ['urn:vigie:alert-kind|low-battery'], 'safety', true],
    ['offline', {}, ['urn:vigie:alert-kind|offline'], 'safety', false],
    ['stale-data', {}, ['urn:vigie:alert-kind|stale-data'], 'safety', false],
    ['news2', { score: 17 }, ['urn:vigie:alert-kind|news2'], 'clinical', false],
    [
      'threshold:hr-high',
      { vital: 'hr', direction: 'above', value: 131.5, limit: 120.5 },
      ['http://loinc.org|8867-4', 'urn:vigie:alert-kind|threshold:hr-high'],
      'clinical',
      false,
    ],
    [
      'threshold:sys-low',
      { vital: 'sys', direction: 'below' },
      ['http://loinc.org|8480-6', 'urn:vigie:alert-kind|threshold:sys-low'],
      'clinical',
      false,
    ],
    [
      'threshold:spo2-low',
      { vital: 'spo2', direction: 'below' },
      ['http://loinc.org|59408-5', 'urn:vigie:alert-kind|threshold:spo2-low'],
      'clinical',
      false,
    ],
    ['threshold:odd', { vital: 'mood' }, ['urn:vigie:alert-kind|threshold:odd'], 'clinical', false],
  ];
  it.each(cases)('codes %s', (kind, detail, expected, category, byWatch) => {
    const flag = toFhirFlag(alert(kind, detail), 'w-watch-1');
    validFhir(flag);
    expect(codings(flag)).toEqual(expected);
    expect(flag).toMatchObject({ category: [{ coding: [{ code: category }] }], status: 'active' });
    expect(flag.author).toEqual(byWatch ? { reference: 'Device/w-watch-1' } : undefined);
    // No measurement leaves in a Flag: those are the Observations'.
    expect(JSON.stringify(flag)).not.toMatch(/131\.5|120\.5|:17[,}]/);
  });

  it('is inactive once the alert is closed, with the end of its period; no author without a watch', () => {
    const flag = toFhirFlag(alert('fall', {}, T0 + 5 * MIN), null);
    validFhir(flag);
    expect(flag).toMatchObject({
      status: 'inactive',
      period: { start: '2026-03-01T10:00:00.000Z', end: '2026-03-01T10:05:00.000Z' },
    });
    expect(flag.author).toBeUndefined();
    expect(flag.extension).toEqual([
      {
        url: 'http://hl7.org/fhir/StructureDefinition/flag-priority',
        valueCodeableConcept: {
          coding: [{ system: 'http://hl7.org/fhir/flag-priority-code', code: 'PH', display: 'High priority' }],
        },
      },
    ]);
  });
});

const appointment = (o: Partial<Appointment> = {}): Appointment => ({
  id: 'a-000000000001',
  patientId: 'p-000000000001',
  clinicianId: 'u-000000000001',
  startsAt: T0,
  minutes: 30,
  inviteFamily: false,
  reason: 'Suivi',
  status: 'booked',
  bookedBy: 'u-000000000001',
  bookedAt: T0 - 86_400_000,
  cancelledBy: null,
  cancelledAt: null,
  settledAt: null,
  ...o,
});

describe('Appointment', () => {
  it.each([
    ['booked, before its end', {}, T0 + 30 * MIN - 1, 'booked'],
    ['booked, at its end, not settled yet', {}, T0 + 30 * MIN, 'noshow'],
    ['cancelled', { status: 'cancelled' as const }, T0, 'cancelled'],
    ['held (done), even before its end', { status: 'done' as const }, T0, 'fulfilled'],
    ['missed', { status: 'missed' as const }, T0 + 30 * MIN, 'noshow'],
  ])('%s', (_, o, now, expected) => {
    expect(appointmentStatus(appointment(o), now)).toBe(expected);
    validFhir(toFhirAppointment(appointment(o), { clinician: 'Dr Roux', relatives: [], now }));
  });

  it('names the relatives only when the family is invited, and no reason when there is none', () => {
    const relatives = [{ id: 'u-000000000009', name: 'Claire' }];
    const alone = toFhirAppointment(appointment({ reason: ' ' }), { clinician: null, relatives, now: T0 });
    expect((alone.participant as unknown[]).length).toBe(2);
    expect(alone.reasonCode).toBeUndefined();
    const family = toFhirAppointment(appointment({ inviteFamily: true }), {
      clinician: null,
      relatives,
      now: T0,
    });
    validFhir(family);
    expect((family.participant as Array<{ actor: { reference: string } }>).map((p) => p.actor.reference)).toEqual([
      'Patient/p-000000000001',
      'Practitioner/u-000000000001',
      'RelatedPerson/p-000000000001.u-000000000009',
    ]);
  });
});

describe('RelatedPerson', () => {
  it.each([
    ['daughter', null, { coding: [{ code: 'DAU', display: 'natural daughter' }], text: 'daughter' }],
    ['neighbour', null, { coding: [{ code: 'NBOR' }], text: 'neighbour' }],
    ['caregiver', null, { text: 'caregiver' }],
    ['other', 'infirmière de garde', { text: 'infirmière de garde' }],
  ] as const)('a %s (%s) is said in words, coded where HL7 has a code', (relation, relationText, relationship) => {
    const r = toFhirRelatedPerson(
      'p-000000000001',
      { id: 'u-000000000009', name: 'Claire', active: true },
      { relation, relationText },
    );
    validFhir(r);
    expect(r).toMatchObject({
      id: 'p-000000000001.u-000000000009',
      patient: { reference: 'Patient/p-000000000001' },
      name: [{ text: 'Claire' }],
      relationship: [relationship],
    });
    if (!('coding' in relationship)) expect((r.relationship as Array<{ coding?: unknown }>)[0]?.coding).toBeUndefined();
  });

  it('reads its id back, and nothing that cannot be one', () => {
    expect(relatedPersonOf(relatedPersonId('p-1', 'u-2'))).toEqual({ patientId: 'p-1', personId: 'u-2' });
    for (const bad of ['p-1', '.u-2', 'p-1.', 'p-1.u-2.x']) expect(relatedPersonOf(bad)).toBeNull();
  });
});

describe('Encounter', () => {
  const held = {
    roomId: 'c-1',
    patientId: 'p-000000000001',
    clinicianId: 'u-000000000001',
    startedAt: T0 - 10 * MIN,
    expiresAt: T0 + 50 * MIN,
    inviteFamily: false,
    appointmentId: null,
    endedAt: null,
  };
  it.each([
    ['links good, the room not empty', {}, T0 + 50 * MIN - 1, 'in-progress', undefined],
    ['links expired', {}, T0 + 50 * MIN, 'finished', undefined],
    ['the room emptied', { endedAt: T0 + 20 * MIN }, T0 + 30 * MIN, 'finished', '2026-03-01T10:20:00.000Z'],
  ])('%s: %s', (_, o, now, status, end) => {
    const encounter = toFhirEncounter({ ...held, ...o }, { clinician: 'Dr Roux', now });
    validFhir(encounter);
    expect(encounter).toMatchObject({ status, class: { code: 'VR' } });
    expect(encounter.period).toEqual({ start: '2026-03-01T09:50:00.000Z', ...(end ? { end } : {}) });
    expect(encounter.appointment).toBeUndefined();
  });

  it('names the scheduled consultation it holds', () => {
    const encounter = toFhirEncounter({ ...held, appointmentId: 'a-000000000001' }, { clinician: null, now: T0 });
    validFhir(encounter);
    expect(encounter.appointment).toEqual([{ reference: 'Appointment/a-000000000001' }]);
  });
});

describe('DocumentReference', () => {
  const content = {
    reason: 'Essoufflement',
    observations: 'Calme',
    vitals: { hr: 88, spo2: null, sys: null, dia: null, temp: null, rr: null },
    conclusion: 'Rien de grave',
    followUp: '',
  };
  const version = (n: number, reason: string | null) => ({
    version: n,
    content: { ...content, conclusion: `Conclusion ${n}` },
    signedById: 'u-000000000001',
    signedBy: 'Dr Roux',
    signedAt: T0 + n * MIN,
    reason,
  });
  const report = (versions: Report['versions']): Report => ({
    id: 'r-000000000001',
    patientId: 'p-000000000001',
    roomId: 'c-1',
    status: versions.length > 0 ? 'final' : 'draft',
    content,
    authorId: 'u-000000000001',
    createdAt: T0,
    updatedAt: T0,
    versions,
  });

  it('sends nothing of a draft, and one document per signed version, the latest current', () => {
    expect(toFhirDocumentReferences(report([]), { pdfUrl: 'https://x/pdf', encounter: true })).toEqual([]);
    const docs = toFhirDocumentReferences(report([version(1, null), version(2, 'oubli'), version(3, 'erreur')]), {
      pdfUrl: 'https://x/pdf',
      encounter: false,
    });
    for (const d of docs) validFhir(d);
    expect(docs.map((d) => [d.id, d.status, d.docStatus])).toEqual([
      ['r-000000000001', 'current', 'amended'],
      ['r-000000000001.v2', 'superseded', 'amended'],
      ['r-000000000001.v1', 'superseded', 'final'],
    ]);
    expect(docs.map((d) => d.relatesTo)).toEqual([
      [{ code: 'replaces', target: { reference: 'DocumentReference/r-000000000001.v2' } }],
      [{ code: 'replaces', target: { reference: 'DocumentReference/r-000000000001.v1' } }],
      undefined,
    ]);
    expect(docs[0]?.context).toBeUndefined();
    const v2 = (docs[1]?.content as Array<{ attachment: { data: string } }>)[0]?.attachment.data ?? '';
    expect(Buffer.from(v2, 'base64').toString()).toBe(
      [
        'Teleconsultation report, version 2, signed by Dr Roux on 2026-03-01T10:02:00.000Z',
        'Amended because: oubli',
        'Reason: Essoufflement',
        'Observations: Calme',
        'Vital signs: Heart rate: 88 /min',
        'Conclusion: Conclusion 2',
        'Follow-up: ',
      ].join('\n'),
    );
  });
});

describe('paging by cursor', () => {
  const item = (at: number, id: string): Dated<{ resourceType: 'Basic'; id: string }> => ({
    at,
    resource: { resourceType: 'Basic', id },
  });
  const all = [item(10, '9'), item(10, '10'), item(30, '1'), item(20, '2'), item(40, '3')];
  const none = { from: null, to: null };

  it('goes newest first, the greater id first at the same time, to the end without loss', () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i += 1) {
      const page = pageOf(all, { bounds: none, count: 2, cursor });
      ids.push(...page.resources.map((r) => r.id));
      expect(page.total).toBe(5);
      if (page.next === null) break;
      cursor = page.next;
    }
    expect(ids).toEqual(['3', '1', '2', '10', '9']);
  });

  it('keeps its place when a newer record arrives between two pages', () => {
    const first = pageOf(all, { bounds: none, count: 2, cursor: undefined });
    const later = [item(50, '11'), ...all];
    const second = pageOf(later, { bounds: none, count: 2, cursor: first.next ?? undefined });
    expect(second.resources.map((r) => r.id)).toEqual(['2', '10']);
  });

  it('filters by time, from included and to excluded, and refuses a cursor it did not give', () => {
    const page = pageOf(all, { bounds: { from: 20, to: 40 }, count: 10, cursor: undefined });
    expect(page.resources.map((r) => r.id)).toEqual(['1', '2']);
    expect(page.next).toBeNull();
    for (const cursor of ['abc', '1', '.1', '1.', `${'9'.repeat(16)}.1`, '1.a b'])
      expect(() => pageOf(all, { bounds: none, count: 1, cursor })).toThrow(/_cursor/);
  });
});

describe('Communication', () => {
  const note = (authorId: string, role: string, author: string) => ({
    id: 3,
    authorId,
    author,
    role,
    text: 'Passage infirmier',
    at: T0,
    closes: null,
  });
  it.each([
    ['nurse', { reference: 'Practitioner/u-1', display: 'Nina' }],
    ['admin', { reference: 'Practitioner/u-1', display: 'Nina' }],
    ['family', { reference: 'RelatedPerson/p-000000000001.u-1', display: 'Nina' }],
    ['patient', { reference: 'Patient/p-000000000001', display: 'Nina' }],
    ['', { display: 'Nina' }],
  ])('is sent by a %s as %j', (role, sender) => {
    const c = toFhirCommunication('p-000000000001', note('u-1', role, 'Nina'));
    validFhir(c);
    expect(c.sender).toEqual(sender);
    expect(c).toMatchObject({ sent: '2026-03-01T10:00:00.000Z', payload: [{ contentString: 'Passage infirmier' }] });
    expect(c.about).toBeUndefined();
  });
});
