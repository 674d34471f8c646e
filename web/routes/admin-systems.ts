/**
 * External systems of the FHIR API (administrators: the `organisation` right): register one with its
 * public keys, scopes and care teams; list them with their last use; revoke one (its access tokens
 * stop working at once). Every registration and revocation is in the change log, with the name and
 * scopes, never the keys.
 */
import { VigieError } from '../../common/errors.ts';
import { ROUTES } from '../api/routes.ts';
import type { ExternalSystemView } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireRight } from '../access.ts';
import { tokenEndpoint } from '../fhir/token.ts';
import { parseSystemKeys } from '../system-keys.ts';
import type { ExternalSystem } from '../systems.ts';
import { routeOf } from './define.ts';

export function adminSystemRoutes(app: App, c: WebContext): void {
  app.route({
    ...routeOf(ROUTES.systems, 'staff'),
    handler: async (request) => {
      requireRight(personOf(request), 'organisation');
      return { systems: c.systems.list().map(systemView), tokenEndpoint: tokenEndpoint(c) };
    },
  });

  app.route({
    ...routeOf(ROUTES.registerSystem, 'staff'),
    handler: async (request) => {
      const admin = requireRight(personOf(request), 'organisation');
      const { name, jwks, scopes, teamIds } = request.body;
      const keys = await parseSystemKeys(jwks);
      if (!keys.ok) throw new VigieError(keys.secret ? 'system_key_private' : 'system_keys_invalid', keys.error);
      for (const teamId of teamIds) c.people.careTeam(teamId);
      const system = c.systems.register({ name, keys: keys.value, scopes, teamIds, by: admin.id });
      c.logger.info({ systemId: system.id, personId: admin.id, scopes: system.scopes }, 'external system registered');
      c.changes.record(admin.id, 'system.registered', {
        detail: {
          name: system.name,
          scopes: system.scopes.join(' '),
          teams: system.teams.map((t) => t.name).join(', '),
        },
      });
      return { system: systemView(system) };
    },
  });

  app.route({
    ...routeOf(ROUTES.revokeSystem, 'staff'),
    handler: async (request) => {
      const admin = requireRight(personOf(request), 'organisation');
      const system = c.systems.revoke(request.params.systemId, admin.id);
      c.logger.info({ systemId: system.id, personId: admin.id }, 'external system revoked');
      c.changes.record(admin.id, 'system.revoked', {
        detail: { name: system.name, scopes: system.scopes.join(' ') },
      });
      return null;
    },
  });
}

function systemView(s: ExternalSystem): ExternalSystemView {
  return {
    id: s.id,
    name: s.name,
    scopes: [...s.scopes],
    teams: s.teams.map((t) => ({ ...t })),
    keyIds: s.keys.keys.map((k) => k.kid),
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    revokedAt: s.revokedAt,
  };
}
