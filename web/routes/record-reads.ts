/**
 * Who looked at a patient's record (web/record-reads.ts): the patient on their own page (names, roles,
 * what and when; never addresses), an administrator in the console (everything, by patient or person).
 */
import { VigieError } from '../../common/errors.ts';
import { ROUTES } from '../api/routes.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireFamilyLink, requireRight } from '../access.ts';
import { READS_PER_PAGE, type RecordRead } from '../record-reads.ts';
import { routeOf } from './define.ts';

export function recordReadsRoutes(app: App, c: WebContext): void {
  // The patient themself: a relative acting for them sees their page, not who looked at their record.
  app.route({
    ...routeOf(ROUTES.recordReads, 'person'),
    handler: async (request) => {
      const link = requireFamilyLink(c.people, personOf(request), request.params.patientId);
      if (!link.self) throw new VigieError('record_reads_self_only', 'only the patient sees who read their record');
      const reads = c.reads.list({ patientId: link.patientId, ...beforeOf(request.query.before) });
      return {
        reads: reads.map(({ id, reader, name, role, what, firstAt, lastAt, count }) => ({
          id,
          reader,
          name,
          role,
          what,
          firstAt,
          lastAt,
          count,
        })),
        next: nextOf(reads),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.allRecordReads, 'staff'),
    handler: async (request) => {
      requireRight(personOf(request), 'organisation');
      const { patientId, personId, before } = request.query;
      const reads = c.reads.list({
        ...(patientId !== undefined ? { patientId } : {}),
        ...(personId !== undefined ? { personId } : {}),
        ...beforeOf(before),
      });
      return {
        reads: reads.map((r) => ({ ...r, patient: c.registry.patientLabel(r.patientId) ?? r.patientId })),
        next: nextOf(reads),
      };
    },
  });
}

const beforeOf = (before: number | undefined) => (before === undefined ? {} : { before });
const nextOf = (reads: readonly RecordRead[]) => (reads.length === READS_PER_PAGE ? (reads.at(-1)?.id ?? null) : null);
