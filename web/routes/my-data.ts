/**
 * The patient's data, out (portability): the patient themself downloads, in one click of their page,
 * everything Vigie keeps about them as one FHIR R4 Bundle of type `collection` (the types of
 * web/fhir/export-sources.ts), which a GP's software can read. A relative may do it for them only
 * when the patient allows it, on their own page (the care link's `mayDownload`, off until then).
 *
 * The Bundle is written as its sources are read (Observations a page at a time from InfluxDB), never
 * built whole in memory. A download is a change-log entry (`data.exported`), not a professional's read
 * of the record; allowing and withdrawing are too. Downloads are rate-limited per person.
 */
import { Readable } from 'node:stream';
import { VigieError } from '../../common/errors.ts';
import { ROUTES } from '../api/routes.ts';
import type { RelativeAccess } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireFamilyLink } from '../access.ts';
import type { Person } from '../people.ts';
import { EXPORT_SOURCES } from '../fhir/export-sources.ts';
import { OBSERVATION_SERIES_NAMES, searchObservations } from '../fhir/observation.ts';
import { FHIR_BASE_PATH } from '../fhir/base.ts';
import { routeOf } from './define.ts';

/** Downloads one person may make per hour (a whole history each: a bound on the work they can cause). */
export const DOWNLOADS_PER_HOUR = 6;

export function myDataRoutes(app: App, c: WebContext): void {
  const spec = ROUTES.myData;
  app.route({
    method: spec.method,
    url: spec.url,
    schema: { params: spec.params },
    config: {
      access: 'person',
      rateLimit: {
        max: DOWNLOADS_PER_HOUR,
        timeWindow: 3600_000,
        hook: 'preHandler',
        keyGenerator: (request) => `my-data:${request.person?.id ?? request.ip}`,
      },
    },
    handler: async (request, reply) => {
      const person = personOf(request);
      const { patientId } = request.params;
      const link = requireFamilyLink(c.people, person, patientId);
      if (!link.self && !link.mayDownload)
        throw new VigieError('data_download_not_allowed', 'the patient has not allowed you to download their data');
      // Once the file has started, a fault can only cut it short: ask InfluxDB first.
      await searchObservations(c.influx, {
        patientId,
        series: OBSERVATION_SERIES_NAMES,
        bounds: { from: null, to: null },
        count: 1,
        cursor: null,
      }).catch((error: unknown) => {
        c.logger.warn({ error: String(error) }, 'data download: InfluxDB does not answer');
        throw new VigieError('history_unavailable', 'the history database does not answer; try again in a moment');
      });
      const now = new Date();
      c.changes.record(person.id, 'data.exported', { patientId, detail: { name: person.name } });
      c.logger.info({ patientId, personId: person.id }, 'patient data downloaded');
      const body = Readable.from(bundleOf(c, patientId, now));
      body.on('error', (error) => c.logger.warn({ patientId, error: String(error) }, 'data download cut short'));
      return reply
        .type('application/fhir+json; charset=utf-8')
        .header('content-disposition', `attachment; filename="vigie-${now.toISOString().slice(0, 10)}.json"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  });

  app.route({
    ...routeOf(ROUTES.dataDownloaders, 'person'),
    handler: async (request) => {
      const { patientId } = request.params;
      ownPage(personOf(request), patientId);
      return { relatives: relativesOf(c, patientId) };
    },
  });

  app.route({
    ...routeOf(ROUTES.setDataDownload, 'person'),
    handler: async (request) => {
      const person = personOf(request);
      const { patientId, personId } = request.params;
      ownPage(person, patientId);
      const before = c.people.linkOf(personId, patientId);
      const link = c.people.setMayDownload(personId, patientId, request.body.allowed);
      if (!before || !link) throw new VigieError('relative_not_found', 'no such relative of this patient');
      if (before.mayDownload !== link.mayDownload)
        c.changes.record(person.id, link.mayDownload ? 'data.download_allowed' : 'data.download_withdrawn', {
          patientId,
          detail: { name: c.people.person(personId)?.name ?? personId },
        });
      return { relatives: relativesOf(c, patientId) };
    },
  });

  /** The patient's own page: only the patient themself decides who may download their data. */
  function ownPage(person: Person, patientId: string): void {
    if (!requireFamilyLink(c.people, person, patientId).self)
      throw new VigieError('data_permission_self_only', 'only the patient decides who may download their data');
  }
}

function relativesOf(c: WebContext, patientId: string): RelativeAccess[] {
  return c.people
    .peopleOf(patientId)
    .filter(({ link }) => !link.self)
    .map(({ person, link }) => ({
      id: person.id,
      name: person.name,
      relation: link.relation,
      relationText: link.relationText,
      mayDownload: link.mayDownload,
    }));
}

/** The Bundle's JSON text, a resource at a time. */
async function* bundleOf(c: WebContext, patientId: string, now: Date): AsyncGenerator<string> {
  const base = `${c.publicUrl()}${FHIR_BASE_PATH}`;
  yield JSON.stringify({ resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString() }).slice(0, -1);
  yield ',"entry":[';
  let first = true;
  for (const source of EXPORT_SOURCES)
    for await (const resource of source.listFor(c, patientId, null)) {
      const entry = { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource };
      yield `${first ? '' : ','}${JSON.stringify(entry)}`;
      first = false;
    }
  yield ']}';
}
