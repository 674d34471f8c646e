/**
 * The FHIR R4 API at /fhir/R4 (web/API.md "FHIR"): the CapabilityStatement, and read and search of
 * Patient, Practitioner, Device, Observation, Flag, Communication, Encounter, Appointment and
 * DocumentReference for a signed-in member of the care team (session or personal API token) or an
 * external system with a SMART Backend Services token (web/fhir/token.ts). Every route asks
 * web/fhir/reader.ts who reads and what they may read: the patients of their teams only (an unknown id
 * and another team's patient or record get the same 404, so that ids cannot be probed), the member's
 * role rights (Observations and DocumentReferences need `vitals`, Encounters and Appointments `calls`,
 * as the console's pages do), the system's scopes. Every read of a patient's record is logged
 * (web/record-reads.ts). It only reads: other methods get 405. Refusals are OperationOutcomes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VigieError } from '../../common/errors.ts';
import type { WebContext } from '../context.ts';
import type { App } from '../edge.ts';
import { FHIR_BASE_PATH, TOKEN_PATH } from './base.ts';
import { fhirReader } from './reader.ts';
import { relatedPersonId, relatedPersonOf } from './related-person.ts';
import { reportPdfOf } from '../routes/reports.ts';
import { smartRoutes } from './token.ts';
import { searchset, type FhirResource } from './bundle.ts';
import { capabilityStatement } from './capability.ts';
import { toFhirDevice } from './device.ts';
import {
  LOINC,
  OBSERVATION_SERIES_NAMES,
  parseCursor,
  readObservation,
  searchObservations,
  seriesOfCode,
  type ObservationSeries,
  type TimeBounds,
} from './observation.ts';
import { FHIR_JSON, installOutcomes } from './outcome.ts';
import { pageOf, type Dated, type MsBounds } from './paging.ts';
import { insIdentifier, toFhirPatient, type FhirPatient } from './patient.ts';
import {
  appointmentOf,
  communicationOf,
  datedAppointments,
  datedCommunications,
  datedDocumentReferences,
  datedEncounters,
  datedFlags,
  documentReferencesOfReport,
  encounterOf,
  flagOf,
  relatedPersonsOf,
} from './patient-resources.ts';
import { RPPS_SYSTEM, toFhirPractitioner } from './practitioner.ts';

export { FHIR_BASE_PATH };
export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

const ID = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);
const TOKEN = z.string().min(1).max(200);
const FORMAT = z.enum(['json', 'application/json', 'application/fhir+json']).optional();
const REFERENCE = z
  .string()
  .max(80)
  .transform((s) => s.replace(/^Patient\//, ''))
  .pipe(ID);
const DATE = z.string().max(40);
const DATES = z.union([DATE, z.array(DATE).max(4)]);
const COUNT = z.coerce.number().int().min(1).max(MAX_COUNT).default(DEFAULT_COUNT);
const PAGE_CURSOR = z.string().max(100).optional();

const querySchemas = {
  patient: z.strictObject({ _id: ID.optional(), identifier: TOKEN.optional(), _format: FORMAT }),
  practitioner: z.strictObject({ _id: ID.optional(), identifier: TOKEN.optional(), _format: FORMAT }),
  device: z.strictObject({ patient: REFERENCE, _format: FORMAT }),
  observation: z.strictObject({
    patient: REFERENCE,
    code: TOKEN.optional(),
    date: DATES.optional(),
    _count: COUNT,
    _cursor: z.string().max(40).optional(),
    _format: FORMAT,
  }),
  read: z.strictObject({ _format: FORMAT }),
  /** Flag, Encounter, Appointment, DocumentReference: a patient's records, by `date`, a page at a time. */
  dated: z.strictObject({
    patient: REFERENCE,
    date: DATES.optional(),
    _count: COUNT,
    _cursor: PAGE_CURSOR,
    _format: FORMAT,
  }),
  /** Communication: the same, its time being `sent`. */
  communication: z.strictObject({
    patient: REFERENCE,
    sent: DATES.optional(),
    _count: COUNT,
    _cursor: PAGE_CURSOR,
    _format: FORMAT,
  }),
};

/** The search's parameters, or a 400 that names the ones refused. */
export function parseQuery<S extends z.ZodType>(schema: S, request: FastifyRequest): z.infer<S> {
  const parsed = schema.safeParse(request.query);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'query'))];
  throw new VigieError('invalid_request', `search parameters refused: ${fields.join(', ')}`, {
    fields: fields.join(','),
  });
}

const idParams = z.strictObject({ id: ID });
/** Flag and Communication ids are the alert's and the note's numbers. */
const NUMBER_ID = /^\d{1,15}$/;
function parseId(request: FastifyRequest): string {
  const parsed = idParams.safeParse(request.params);
  if (!parsed.success) throw new VigieError('not_found', 'no resource with this id');
  return parsed.data.id;
}

export function send(reply: FastifyReply, body: object): string {
  void reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store');
  return JSON.stringify(body);
}

/** A record nobody may know of: it answers as a patient of another team does, so that ids cannot be probed. */
function unknownRecord(): never {
  throw new VigieError('patient_not_found', 'no such patient in your care teams');
}

export function patientResource(c: WebContext, patientId: string): FhirPatient {
  return toFhirPatient({
    id: patientId,
    label: c.registry.patientLabel(patientId) ?? patientId,
    identity: c.registry.patientIdentity(patientId) ?? null,
    contact: c.registry.patientContact(patientId) ?? null,
    details: c.registry.patientDetails(patientId) ?? null,
  });
}

/** `system|value`, `|value` or `value`: whether a token matches an identifier. */
function tokenMatches(token: string, identifier: { system: string; value: string }): boolean {
  const bar = token.indexOf('|');
  if (bar < 0) return token === identifier.value;
  const system = token.slice(0, bar);
  return (system === '' || system === identifier.system) && token.slice(bar + 1) === identifier.value;
}

/** The series a `code` parameter asks for (all when absent); codes of other systems match nothing. */
function seriesOfTokens(code: string | undefined): ObservationSeries[] {
  if (code === undefined) return [...OBSERVATION_SERIES_NAMES];
  const series = code.split(',').flatMap((token) => {
    const bar = token.indexOf('|');
    if (bar >= 0 && token.slice(0, bar) !== LOINC && token.slice(0, bar) !== '') return [];
    return seriesOfCode(bar >= 0 ? token.slice(bar + 1) : token) ?? [];
  });
  return [...new Set(series)];
}

const DATE_VALUE = /^(ge|gt|le|lt)?(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const DAY_MS = 86_400_000n;
const NS_PER_MS = 1_000_000n;

/** The `date` parameters as bounds in epoch ms (for records kept with ms times). */
function msBoundsOf(dates: string | readonly string[] | undefined): MsBounds {
  const { from, to } = boundsOf(dates);
  return { from: from === null ? null : Number(from / NS_PER_MS), to: to === null ? null : Number(to / NS_PER_MS) };
}

/** The `date` parameters as time bounds: each value stands for its whole day, or its instant to the ms. */
export function boundsOf(dates: string | readonly string[] | undefined): TimeBounds {
  let from: bigint | null = null;
  let to: bigint | null = null;
  for (const text of dates === undefined ? [] : typeof dates === 'string' ? [dates] : dates) {
    const m = DATE_VALUE.exec(text);
    const ms = m?.[2] ? Date.parse(m[3] ? `${m[2]}${m[3]}` : `${m[2]}T00:00:00Z`) : NaN;
    if (!m || Number.isNaN(ms))
      throw new VigieError('invalid_request', 'date: ge|gt|le|lt then YYYY-MM-DD or a dateTime with its zone', {
        fields: 'date',
      });
    const start = BigInt(ms) * NS_PER_MS;
    const end = start + (m[3] ? NS_PER_MS : DAY_MS * NS_PER_MS);
    const prefix = m[1] ?? 'eq';
    const max = (a: bigint | null, b: bigint) => (a === null || b > a ? b : a);
    const min = (a: bigint | null, b: bigint) => (a === null || b < a ? b : a);
    if (prefix === 'ge' || prefix === 'eq') from = max(from, start);
    if (prefix === 'gt') from = max(from, end);
    if (prefix === 'le' || prefix === 'eq') to = min(to, end);
    if (prefix === 'lt') to = min(to, start);
  }
  return { from, to };
}

export async function fhirRoutes(app: App, c: WebContext): Promise<void> {
  await app.register(
    async (fhir: App) => {
      installOutcomes(fhir, c.logger);
      const base = () => `${c.publicUrl()}${FHIR_BASE_PATH}`;
      // Patient, Practitioner and Device searches are one page: a care team's size bounds them.
      const bundle = <R extends FhirResource>(request: FastifyRequest, resources: R[]) =>
        searchset(base(), request.url, queryOf(request), { resources, next: null, total: resources.length });

      const page = <R extends FhirResource>(
        request: FastifyRequest,
        items: ReadonlyArray<Dated<R>>,
        q: { date?: string | string[] | undefined; _count: number; _cursor?: string | undefined },
      ) =>
        searchset(
          base(),
          request.url,
          queryOf(request),
          pageOf(items, { bounds: msBoundsOf(q.date), count: q._count, cursor: q._cursor }),
        );

      // The API only reads: any other method is refused as such wherever it is aimed, before its body
      // is read (whatever its media type). The one exception is where external systems get their
      // tokens (OAuth's token endpoint is a POST: web/fhir/token.ts).
      const tokenRoute = `${FHIR_BASE_PATH}${TOKEN_PATH}`;
      fhir.addHook('onRequest', async (request, reply) => {
        if (request.method === 'GET' || request.method === 'HEAD') return;
        if (request.method === 'POST' && request.routeOptions.url === tokenRoute) return;
        void reply.header('allow', 'GET, HEAD');
        throw new VigieError(
          'method_not_allowed',
          `this FHIR API only reads: ${request.method} ${request.url.split('?')[0]} refused`,
        );
      });

      // The pages' catch-all (web/routes/pages.ts) would answer the rest of /fhir/R4 in its own shape.
      const nothing = async (request: FastifyRequest) => {
        throw new VigieError('not_found', `nothing at ${request.method} ${request.url.split('?')[0]}`);
      };
      // Every unsafe method lands here (the others are GET routes), refused by the hook above.
      fhir.all('/', { config: { access: 'public', readOnly: true } }, nothing);
      fhir.all('/*', { config: { access: 'public', readOnly: true } }, nothing);

      fhir.get('/metadata', { config: { access: 'public' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        return send(reply, capabilityStatement(base(), STARTED, `${base()}${TOKEN_PATH}`));
      });
      await smartRoutes(fhir, c);

      fhir.get('/Patient/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Patient');
        const patientId = reader.patient(parseId(request));
        reader.noteRead(patientId, 'record');
        return send(reply, patientResource(c, patientId));
      });

      fhir.get('/Patient', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.patient, request);
        const reader = fhirReader(c, request, 'Patient');
        const ids = reader.patients().filter((id) => q._id === undefined || id === q._id);
        const found = ids.flatMap((id) => {
          if (q.identifier === undefined) return [id];
          const ins = insIdentifier(c.registry.patientIdentity(id) ?? null);
          return ins && tokenMatches(q.identifier, ins) ? [id] : [];
        });
        for (const id of found) reader.noteRead(id, 'record');
        return send(
          reply,
          bundle(
            request,
            found.map((id) => patientResource(c, id)),
          ),
        );
      });

      fhir.get('/Practitioner/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Practitioner');
        const id = parseId(request);
        const staff = reader.staff().find((s) => s.id === id);
        if (!staff) throw new VigieError('staff_not_found', 'no such member in your care teams');
        return send(reply, toFhirPractitioner(staff));
      });

      fhir.get('/Practitioner', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.practitioner, request);
        const staff = fhirReader(c, request, 'Practitioner')
          .staff()
          .filter(
            (s) =>
              (q._id === undefined || s.id === q._id) &&
              (q.identifier === undefined ||
                (s.rpps !== null && tokenMatches(q.identifier, { system: RPPS_SYSTEM, value: s.rpps }))),
          );
        return send(reply, bundle(request, staff.map(toFhirPractitioner)));
      });

      fhir.get('/Device/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Device');
        const id = parseId(request);
        const patientId = c.registry.device(id)?.patientId;
        const listing =
          patientId && reader.mayRead(patientId) && c.registry.devicesOf(patientId).find((d) => d.id === id);
        if (!patientId || !listing) throw new VigieError('device_not_found', 'no such device in your care teams');
        reader.noteRead(patientId, 'record');
        return send(reply, toFhirDevice(patientId, listing, c.live.device(id).info));
      });

      fhir.get('/Device', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.device, request);
        const reader = fhirReader(c, request, 'Device');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'record');
        const devices = c.registry
          .devicesOf(patientId)
          .map((d) => toFhirDevice(patientId, d, c.live.device(d.id).info));
        return send(reply, bundle(request, devices));
      });

      fhir.get('/Observation/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Observation');
        const [patientId = '', seriesName, ns] = parseId(request).split('.');
        const series = OBSERVATION_SERIES_NAMES.find((s) => s === seriesName);
        if (!series || ns === undefined || !/^\d{1,20}$/.test(ns))
          throw new VigieError('not_found', 'no Observation with this id');
        reader.patient(patientId);
        reader.noteRead(patientId, 'vitals');
        const observation = await vitals(c, () => readObservation(c.influx, patientId, series, BigInt(ns)));
        if (!observation) throw new VigieError('not_found', 'no Observation with this id');
        return send(reply, observation);
      });

      fhir.get('/Observation', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.observation, request);
        const reader = fhirReader(c, request, 'Observation');
        const patientId = reader.patient(q.patient);
        const bounds = boundsOf(q.date);
        const cursor = q._cursor === undefined ? null : parseCursor(q._cursor);
        const series = seriesOfTokens(q.code);
        reader.noteRead(patientId, 'vitals');
        const page =
          series.length === 0
            ? { resources: [], next: null }
            : await vitals(c, () =>
                searchObservations(c.influx, { patientId, series, bounds, count: q._count, cursor }),
              );
        return send(reply, searchset(base(), request.url, queryOf(request), page));
      });

      fhir.get('/Flag/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Flag');
        const id = parseId(request);
        const alert = (NUMBER_ID.test(id) ? await c.alerts.get(Number(id)) : undefined)?.alert ?? unknownRecord();
        const patientId = reader.patient(alert.patientId);
        reader.noteRead(patientId, 'alerts');
        return send(reply, flagOf(c, alert));
      });

      fhir.get('/Flag', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.dated, request);
        const reader = fhirReader(c, request, 'Flag');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'alerts');
        const flags = await datedFlags(c, patientId, msBoundsOf(q.date).from ?? 0);
        return send(reply, page(request, flags, q));
      });

      fhir.get('/Communication/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Communication');
        const id = parseId(request);
        const note = (NUMBER_ID.test(id) ? c.people.note(Number(id)) : undefined) ?? unknownRecord();
        const patientId = reader.patient(note.patientId);
        reader.noteRead(patientId, 'notes');
        return send(reply, communicationOf(patientId, note));
      });

      fhir.get('/Communication', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.communication, request);
        const reader = fhirReader(c, request, 'Communication');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'notes');
        return send(reply, page(request, datedCommunications(c, patientId), { ...q, date: q.sent }));
      });

      fhir.get('/RelatedPerson/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'RelatedPerson');
        const ids = relatedPersonOf(parseId(request)) ?? unknownRecord();
        const patientId = reader.patient(ids.patientId);
        reader.noteRead(patientId, 'record');
        const found = relatedPersonsOf(c, patientId).find((r) => r.id === relatedPersonId(patientId, ids.personId));
        if (!found) throw new VigieError('not_found', 'no RelatedPerson with this id');
        return send(reply, found);
      });

      fhir.get('/RelatedPerson', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.device, request);
        const reader = fhirReader(c, request, 'RelatedPerson');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'record');
        return send(reply, bundle(request, relatedPersonsOf(c, patientId)));
      });

      fhir.get('/Encounter/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Encounter');
        const held = c.reports.consultation(parseId(request)) ?? unknownRecord();
        const patientId = reader.patient(held.patientId);
        reader.noteRead(patientId, 'appointments');
        return send(reply, encounterOf(c, held));
      });

      fhir.get('/Encounter', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.dated, request);
        const reader = fhirReader(c, request, 'Encounter');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'appointments');
        return send(reply, page(request, datedEncounters(c, patientId), q));
      });

      fhir.get('/Appointment/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Appointment');
        const appointment = c.appointments.get(parseId(request)) ?? unknownRecord();
        const patientId = reader.patient(appointment.patientId);
        reader.noteRead(patientId, 'appointments');
        return send(reply, appointmentOf(c, appointment));
      });

      fhir.get('/Appointment', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.dated, request);
        const reader = fhirReader(c, request, 'Appointment');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'appointments');
        return send(reply, page(request, datedAppointments(c, patientId), q));
      });

      fhir.get('/DocumentReference/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'DocumentReference');
        const id = parseId(request);
        const report = c.reports.report(id.split('.')[0] ?? '') ?? unknownRecord();
        const patientId = reader.patient(report.patientId);
        reader.noteRead(patientId, 'reports');
        const document = documentReferencesOfReport(c, report).find((d) => d.id === id);
        if (!document) throw new VigieError('not_found', 'no DocumentReference with this id');
        return send(reply, document);
      });

      // A signed report's PDF, where its DocumentReference points: the document itself to a reader who
      // asks for it (or for anything), a Binary resource to one who asks for FHIR JSON. Its language
      // is the reader's (Accept-Language), French by default.
      fhir.get('/Binary/:id', { config: { access: 'fhir' } }, async (request, reply) => {
        parseQuery(querySchemas.read, request);
        const reader = fhirReader(c, request, 'Binary');
        const report = c.reports.report(parseId(request)) ?? unknownRecord();
        const patientId = reader.patient(report.patientId);
        if (report.status !== 'final') throw new VigieError('not_found', 'a draft report has no document yet');
        reader.noteRead(patientId, 'reports');
        const lang = /^\s*en\b/i.test(request.headers['accept-language'] ?? '') ? 'en' : 'fr';
        const pdf = await reportPdfOf(c, report, lang);
        const accept = request.headers.accept ?? '';
        if (/application\/(fhir\+)?json/.test(accept) && !accept.includes('application/pdf'))
          return send(reply, {
            resourceType: 'Binary',
            id: report.id,
            contentType: 'application/pdf',
            data: pdf.toString('base64'),
          });
        return reply
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="${report.id}.pdf"`)
          .header('cache-control', 'no-store')
          .send(pdf);
      });

      fhir.get('/DocumentReference', { config: { access: 'fhir' } }, async (request, reply) => {
        const q = parseQuery(querySchemas.dated, request);
        const reader = fhirReader(c, request, 'DocumentReference');
        const patientId = reader.patient(q.patient);
        reader.noteRead(patientId, 'reports');
        return send(reply, page(request, datedDocumentReferences(c, patientId), q));
      });
    },
    { prefix: FHIR_BASE_PATH },
  );
}

const STARTED = new Date().toISOString();

export function queryOf(request: FastifyRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const query: unknown = request.query;
  if (typeof query !== 'object' || query === null) return out;
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

async function vitals<T>(c: WebContext, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    c.logger.warn({ error: String(error) }, 'FHIR observation query failed');
    throw new VigieError('history_unavailable', 'the history database does not answer; try again in a moment');
  }
}
