/**
 * FHIR Bulk Data Access (v2) `$export` of the patients of the member's care teams (`Patient/$export`),
 * of one patient (`Patient/{id}/$export`) or of a care team (`Group/{teamId}/$export`), for a
 * signed-in member of the care team, about their teams' patients only; and the care team as a Group
 * (`Group/{id}`). The asynchronous pattern of the IG:
 *
 *   kick-off (Prefer: respond-async)   → 202, Content-Location: the status URL
 *   GET the status URL                 → 202 with X-Progress while it runs, 200 with the manifest when done
 *   GET each file of the manifest      → NDJSON (application/fhir+ndjson), one resource per line
 *   DELETE the status URL              → the job stops and its files are deleted
 *
 * Parameters: `_type` (a comma list of web/fhir/export-sources.ts's types), `_since` (an instant:
 * Observations read after it), `_outputFormat` (NDJSON only). A job and its files belong to whoever
 * started it (web/fhir/export-jobs.ts). Every patient exported is logged as a read of their record
 * (and of their vital signs when Observations go out); Observations need the `vitals` right, and a
 * member without it gets the other types and an OperationOutcome in the manifest's `error` saying so.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VigieError, type ErrorCode } from '../../common/errors.ts';
import { assertNever } from '../../devices/ble/assert-never.ts';
import { hasRight } from '../../common/people-rules.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import type { Person } from '../people.ts';
import { noteRead } from '../record-reads.ts';
import type { RecordPart } from '../api/schemas.ts';
import { EXPORT_SOURCES, EXPORT_TYPES, type ExportSource } from './export-sources.ts';
import { toFhirGroup } from './group.ts';
import { ERROR_SYSTEM, installOutcomes } from './outcome.ts';
import { FHIR_BASE_PATH } from './outcome.ts';
import { ownPatient, parseQuery, send } from './routes.ts';

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

function sourcesOf(person: Person, q: z.infer<typeof kickOffQuery>) {
  if (q._outputFormat !== undefined && !NDJSON_FORMATS.has(q._outputFormat))
    throw new VigieError('export_format_unsupported', '_outputFormat: application/fhir+ndjson only');
  const asked =
    q._type === undefined
      ? EXPORT_TYPES
      : (typeof q._type === 'string' ? [q._type] : q._type).flatMap((t) => t.split(',')).map((t) => t.trim());
  const unknown = asked.filter((t) => !EXPORT_TYPES.includes(t));
  if (unknown.length > 0 || asked.length === 0)
    throw new VigieError('export_type_unsupported', `_type: one or more of ${EXPORT_TYPES.join(', ')}`, {
      types: unknown.join(',') || '∅',
    });
  const wanted = EXPORT_SOURCES.filter((s) => asked.includes(s.type));
  const allowed = (s: ExportSource) => s.right === null || hasRight(person.role, s.right);
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

/** The care team of this id, if the member is in it (an admin: any); another team's is unknown. */
function ownTeam(c: WebContext, person: Person, teamId: string) {
  const team = c.people.teams().find((t) => t.id === teamId);
  if (!team || (person.role !== 'admin' && !team.memberIds.includes(person.id)))
    throw new VigieError('team_not_found', 'no such care team of yours');
  return team;
}

const notExported = (source: ExportSource, role: string) => ({
  resourceType: 'OperationOutcome',
  id: `skipped-${source.type}`,
  issue: [
    {
      severity: 'warning',
      code: 'forbidden',
      details: { coding: [{ system: ERROR_SYSTEM, code: 'role_not_allowed' }] },
      diagnostics: `${source.type} not exported: the role ${role} has no "${source.right}" right`,
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
        patientsOf: (person: Person) => readonly string[],
      ) {
        const person = personOf(request);
        const patients = patientsOf(person);
        requireAsync(request);
        const q = parseQuery(kickOffQuery, request);
        const plan: Plan = { patients, ...sourcesOf(person, q), since: sinceOf(q._since) };
        const job = await c.exports.start(person.id, `${c.publicUrl()}${request.url}`, patients, async (w) => {
          for (const source of plan.skipped) await w.issue(notExported(source, person.role));
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
        for (const patientId of patients) for (const part of parts) noteRead(c.reads, request, person, patientId, part);
        c.logger.info({ jobId: job.id, personId: person.id, patients: patients.length }, 'FHIR export started');
        return reply
          .code(202)
          .header('content-location', `${base()}/$export-status/${job.id}`)
          .header('cache-control', 'no-store')
          .send();
      }

      const staff = { config: { access: 'staff' as const } };
      fhir.get('/Patient/$export', staff, (request, reply) =>
        kickOff(request, reply, (person) => c.people.teamPatients(person)),
      );
      fhir.get('/Patient/:id/$export', staff, (request, reply) =>
        kickOff(request, reply, (person) => [ownPatient(c, person, idOf(request, 'patient_not_found'))]),
      );
      fhir.get('/Group/:id/$export', staff, (request, reply) =>
        kickOff(request, reply, (person) => ownTeam(c, person, idOf(request, 'team_not_found')).patientIds),
      );

      fhir.get('/Group/:id', staff, async (request, reply) =>
        send(reply, toFhirGroup(ownTeam(c, personOf(request), idOf(request, 'team_not_found')))),
      );

      fhir.get('/$export-status/:jobId', staff, async (request, reply) => {
        const job = await c.exports.get(jobOf(request), personOf(request).id);
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
        await c.exports.delete(jobOf(request), personOf(request).id);
        return reply.code(202).header('cache-control', 'no-store').send();
      });

      fhir.get('/$export-file/:jobId/:name', staff, async (request, reply) => {
        const params = fileParams.safeParse(request.params);
        if (!params.success) throw new VigieError('export_not_found', 'no such file');
        const person = personOf(request);
        // A member who has left the team since the kick-off no longer reads its patients' files.
        const job = await c.exports.get(params.data.jobId, person.id);
        for (const patientId of job.patients) ownPatient(c, person, patientId);
        const path = await c.exports.file(job.id, person.id, params.data.name);
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
