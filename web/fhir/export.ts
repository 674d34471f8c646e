/**
 * FHIR Bulk Data Access (v2) `$export` of the patients of the member's care teams (`Patient/$export`),
 * of one patient (`Patient/{id}/$export`) or of a care team (`Group/{teamId}/$export`), for a
 * signed-in member of the care team or an external system (SMART Backend Services), about their
 * teams' patients only (web/fhir/reader.ts); and the care team as a Group (`Group/{id}`). The asynchronous pattern of the IG:
 *
 *   kick-off (Prefer: respond-async)   → 202, Content-Location: the status URL
 *   GET the status URL                 → 202 with X-Progress while it runs, 200 with the manifest when done
 *   GET each file of the manifest      → NDJSON (application/fhir+ndjson), one resource per line
 *   DELETE the status URL              → the job stops and its files are deleted
 *
 * Parameters: `_type` (a comma list of web/fhir/export-sources.ts's types), `_since` (an instant:
 * Observations read after it), `_outputFormat` (NDJSON only). A job and its files belong to whoever
 * started it (web/fhir/export-jobs.ts). Every patient exported is logged as a read of each part of
 * their record that goes out. A type the requester may not read (a member: their role's right, as
 * for its search; a system: its scopes) is left out, and an OperationOutcome in the manifest's
 * `error` says so.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VigieError, type ErrorCode } from '../../common/errors.ts';
import { assertNever } from '../../devices/ble/assert-never.ts';
import type { WebContext } from '../context.ts';
import type { App } from '../edge.ts';
import type { RecordPart } from '../api/schemas.ts';
import { EXPORT_SOURCES, EXPORT_TYPES, type ExportSource } from './export-sources.ts';
import { toFhirGroup } from './group.ts';
import { ERROR_SYSTEM, installOutcomes } from './outcome.ts';
import { FHIR_BASE_PATH } from './base.ts';
import { fhirReader, fhirRequester, type FhirReader } from './reader.ts';
import { parseQuery, send } from './routes.ts';

export const NDJSON = 'application/fhir+ndjson';
/** The output formats the IG says a server must accept as NDJSON. */
const NDJSON_FORMATS = new Set([NDJSON, 'application/ndjson', 'ndjson']);

const ID = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);
const JOB_ID = z.string().regex(/^[0-9a-f]{32}$/);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

const kickOffQuery = z.strictObject({
  _type: z.union([z.string().max(400), z.array(z.string().max(400)).max(10)]).optional(),
  _since: z.string().max(40).optional(),
  _outputFormat: z.string().max(80).optional(),
});
const idParams = z.strictObject({ id: ID });
const jobParams = z.strictObject({ jobId: JOB_ID });
const fileParams = z.strictObject({ jobId: JOB_ID, name: z.string().regex(/^[A-Za-z]{1,40}\.ndjson$/) });

/** What a kick-off asks for, once its parameters are checked. */
interface Plan {
  readonly patients: readonly string[];
  readonly sources: readonly ExportSource[];
  /** Types left out for want of a right, each with the right it needs. */
  readonly skipped: readonly ExportSource[];
  readonly since: number | null;
}

function requireAsync(request: FastifyRequest): void {
  const prefer = request.headers.prefer;
  const values = (Array.isArray(prefer) ? prefer : [prefer ?? '']).flatMap((p) => p.split(','));
  if (!values.some((v) => v.trim().toLowerCase() === 'respond-async'))
    throw new VigieError('export_async_required', '$export needs the header Prefer: respond-async');
}

function sourcesOf(reader: FhirReader, q: z.infer<typeof kickOffQuery>) {
  if (q._outputFormat !== undefined && !NDJSON_FORMATS.has(q._outputFormat))
    throw new VigieError('export_format_unsupported', '_outputFormat: application/fhir+ndjson only');
  const asked: readonly string[] =
    q._type === undefined
      ? EXPORT_TYPES
      : (typeof q._type === 'string' ? [q._type] : q._type).flatMap((t) => t.split(',')).map((t) => t.trim());
  const unknown = asked.filter((t) => !EXPORT_TYPES.some((type) => type === t));
  if (unknown.length > 0 || asked.length === 0)
    throw new VigieError('export_type_unsupported', `_type: one or more of ${EXPORT_TYPES.join(', ')}`, {
      types: unknown.join(',') || '∅',
    });
  const wanted = EXPORT_SOURCES.filter((s) => asked.includes(s.type));
  const allowed = (s: ExportSource) => reader.allows(s.type);
  return { sources: wanted.filter(allowed), skipped: wanted.filter((s) => !allowed(s)) };
}

function sinceOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms))
    throw new VigieError('invalid_request', '_since: an instant with its zone, e.g. 2026-01-01T00:00:00Z', {
      fields: '_since',
    });
  return ms;
}

const notExported = (source: ExportSource, reader: FhirReader) => ({
  resourceType: 'OperationOutcome',
  id: `skipped-${source.type}`,
  issue: [
    {
      severity: 'warning',
      code: 'forbidden',
      details: {
        coding: [
          { system: ERROR_SYSTEM, code: reader.who.kind === 'system' ? 'insufficient_scope' : 'role_not_allowed' },
        ],
      },
      diagnostics: `${source.type} not exported: ${reader.whyNot(source.type)}`,
    },
  ],
});

export async function fhirExportRoutes(app: App, c: WebContext): Promise<void> {
  await app.register(
    async (fhir: App) => {
      installOutcomes(fhir, c.logger);
      const base = () => `${c.publicUrl()}${FHIR_BASE_PATH}`;

      /** Starts the export of the patients `patientsOf` gives the requester (it refuses those not theirs). */
      async function kickOff(
        request: FastifyRequest,
        reply: FastifyReply,
        patientsOf: (reader: FhirReader) => readonly string[],
        reader = fhirRequester(c, request),
      ) {
        const patients = patientsOf(reader);
        requireAsync(request);
        const q = parseQuery(kickOffQuery, request);
        const plan: Plan = { patients, ...sourcesOf(reader, q), since: sinceOf(q._since) };
        const job = await c.exports.start(reader.id, `${c.publicUrl()}${request.url}`, patients, async (w) => {
          for (const source of plan.skipped) await w.issue(notExported(source, reader));
          for (const [i, patientId] of plan.patients.entries()) {
            w.progress(`patient ${i + 1} of ${plan.patients.length}`);
            for (const source of plan.sources)
              for await (const resource of source.listFor(c, patientId, plan.since)) {
                if (w.signal.aborted) return;
                await w.write(source.type, resource);
              }
          }
        });
        const parts = new Set<RecordPart>(['record', ...plan.sources.map((s) => s.part)]);
        for (const patientId of patients) for (const part of parts) reader.noteRead(patientId, part);
        c.logger.info(
          { jobId: job.id, requester: reader.id, by: reader.who.kind, patients: patients.length },
          'FHIR export started',
        );
        return reply
          .code(202)
          .header('content-location', `${base()}/$export-status/${job.id}`)
          .header('cache-control', 'no-store')
          .send();
      }

      // A member of the care team or an external system (web/fhir/reader.ts says what each may read).
      const staff = { config: { access: 'fhir' as const } };
      fhir.get('/Patient/$export', staff, (request, reply) => kickOff(request, reply, (reader) => reader.patients()));
      fhir.get('/Patient/:id/$export', staff, (request, reply) =>
        kickOff(request, reply, (reader) => [reader.patient(idOf(request, 'patient_not_found'))]),
      );
      // A care team's export reads the Group first: a system needs its scope.
      fhir.get('/Group/:id/$export', staff, (request, reply) =>
        kickOff(
          request,
          reply,
          (reader) => reader.team(idOf(request, 'team_not_found')).patientIds,
          fhirReader(c, request, 'Group'),
        ),
      );

      fhir.get('/Group/:id', staff, async (request, reply) =>
        send(reply, toFhirGroup(fhirReader(c, request, 'Group').team(idOf(request, 'team_not_found')))),
      );

      fhir.get('/$export-status/:jobId', staff, async (request, reply) => {
        const job = await c.exports.get(jobOf(request), fhirRequester(c, request).id);
        const state = job.state;
        switch (state.kind) {
          case 'running':
            return reply.code(202).headers({ 'x-progress': state.progress, 'retry-after': '1' }).send();
          case 'failed':
            throw new VigieError('export_failed', 'the export stopped: the history database did not answer');
          case 'done': {
            const file = (f: { type: string; name: string; count: number }) => ({
              type: f.type,
              url: `${base()}/$export-file/${job.id}/${f.name}`,
              count: f.count,
            });
            void reply.header('content-type', 'application/json').header('cache-control', 'no-store');
            return JSON.stringify({
              transactionTime: job.transactionTime,
              request: job.request,
              requiresAccessToken: true,
              output: state.output.map(file),
              error: state.error.map(file),
            });
          }
          default:
            return assertNever(state);
        }
      });

      fhir.delete('/$export-status/:jobId', staff, async (request, reply) => {
        await c.exports.delete(jobOf(request), fhirRequester(c, request).id);
        return reply.code(202).header('cache-control', 'no-store').send();
      });

      fhir.get('/$export-file/:jobId/:name', staff, async (request, reply) => {
        const params = fileParams.safeParse(request.params);
        if (!params.success) throw new VigieError('export_not_found', 'no such file');
        const reader = fhirRequester(c, request);
        // A member who has left the team (a system whose teams changed) since the kick-off no longer
        // reads its patients' files.
        const job = await c.exports.get(params.data.jobId, reader.id);
        for (const patientId of job.patients) reader.patient(patientId);
        const path = await c.exports.file(job.id, reader.id, params.data.name);
        return reply.type(NDJSON).header('cache-control', 'no-store').send(createReadStream(path));
      });
    },
    { prefix: FHIR_BASE_PATH },
  );
}

/** The resource id of the path; one that cannot be an id is as unknown as any other (`code`). */
function idOf(request: FastifyRequest, code: ErrorCode): string {
  const id = idParams.safeParse(request.params);
  if (!id.success) throw new VigieError(code, 'no such resource of yours');
  return id.data.id;
}

function jobOf(request: FastifyRequest): string {
  const params = jobParams.safeParse(request.params);
  if (!params.success) throw new VigieError('export_not_found', 'no such export');
  return params.data.jobId;
}
