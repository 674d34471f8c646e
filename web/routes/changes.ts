/**
 * The set-up's change log (web/change-log.ts): all of it for administrators, by patient or by author;
 * the changes to one patient's set-up for the members of their care team.
 */
import { ROUTES } from '../api/routes.ts';
import type { ChangeView } from '../api/schemas.ts';
import type { Change } from '../change-log.ts';
import { CHANGES_PER_PAGE } from '../change-log.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireAccess, requireRight } from '../access.ts';
import { routeOf } from './define.ts';

export function changesRoutes(app: App, c: WebContext): void {
  const page = (changes: readonly Change[]) => ({
    changes: changes.map((ch): ChangeView => ({
      ...ch,
      patient: ch.patientId === null ? null : (c.registry.patientLabel(ch.patientId) ?? ch.patientId),
    })),
    next: changes.length === CHANGES_PER_PAGE ? (changes.at(-1)?.id ?? null) : null,
  });

  app.route({
    ...routeOf(ROUTES.changes, 'staff'),
    handler: async (request) => {
      requireRight(personOf(request), 'organisation');
      const { patientId, actorId, before } = request.query;
      return page(
        c.changes.list({
          ...(patientId !== undefined ? { patientId } : {}),
          ...(actorId !== undefined ? { actorId } : {}),
          ...(before !== undefined ? { before } : {}),
        }),
      );
    },
  });

  app.route({
    ...routeOf(ROUTES.patientChanges, 'staff'),
    handler: async (request) => {
      const { patientId } = request.params;
      requireAccess(c.people, personOf(request), patientId);
      const { before } = request.query;
      return page(c.changes.list({ patientId, ...(before !== undefined ? { before } : {}) }));
    },
  });
}
