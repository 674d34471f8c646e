/**
 * Accounts: sign-in and sign-out, who am I, invitations (looked up, accepted by choosing a password,
 * or claimed by the signed-in account they were sent to), and the browser's push subscriptions.
 */
import { VigieError } from '../../common/errors.ts';
import { whyNotPublicUrl } from '../../common/public-address.ts';
import type { People, Person } from '../people.ts';
import type { Registry } from '../registry.ts';
import { ROUTES } from '../api/routes.ts';
import type { Me } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { routeOf } from './define.ts';

export function accountRoutes(app: App, c: WebContext): void {
  app.route({
    ...routeOf(ROUTES.config, 'public'),
    handler: async () => ({ sfuUrl: c.sfuUrl, vapidPublicKey: c.vapidPublicKey, psc: c.psc }),
  });

  app.route({
    ...routeOf(ROUTES.signIn, 'public'),
    handler: async (request, reply) => {
      const person = await c.auth.signIn(request, reply, request.body.email, request.body.password);
      return { person: meOf(c.people, c.registry, person) };
    },
  });

  app.route({
    ...routeOf(ROUTES.signOut, 'public'),
    handler: async (request, reply) => {
      c.auth.signOut(request, reply);
      return null;
    },
  });

  app.route({
    ...routeOf(ROUTES.me, 'person'),
    handler: async (request) => ({ person: meOf(c.people, c.registry, personOf(request)) }),
  });

  // Who invites whom, before choosing a password. Nothing here tells whether the e-mail has an account.
  app.route({
    ...routeOf(ROUTES.lookupInvitation, 'public'),
    handler: async (request) => {
      const inv = c.people.invitation(request.body.token);
      return {
        name: inv.name,
        email: inv.email,
        relation: inv.relation,
        relationText: inv.relationText,
        self: inv.role === 'patient',
        patientName: c.registry.patientLabel(inv.patientId) ?? '',
        patientSex: c.registry.patientContact(inv.patientId)?.sex ?? null,
        expiresAt: inv.expiresAt,
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.acceptInvitation, 'public'),
    handler: async (request, reply) => {
      const person = await c.auth.acceptInvitation(request.body.token, request.body.password);
      c.auth.startSession(reply, person);
      c.logger.info({ personId: person.id }, 'invitation accepted');
      return { person: meOf(c.people, c.registry, person) };
    },
  });

  app.route({
    ...routeOf(ROUTES.claimInvitation, 'person'),
    handler: async (request) => {
      const person = c.people.acceptInvitationAs(request.body.token, personOf(request));
      c.logger.info({ personId: person.id }, 'invitation claimed by a signed-in account');
      return { person: meOf(c.people, c.registry, person) };
    },
  });

  app.route({
    ...routeOf(ROUTES.addPushSubscription, 'person'),
    handler: async (request) => {
      const why = whyNotPublicUrl(request.body.endpoint);
      if (why) throw new VigieError('push_endpoint_invalid', `push endpoints are https URLs on public hosts (${why})`);
      c.people.addPushSubscription(personOf(request).id, request.body);
      return { ok: true as const };
    },
  });
}

export function meOf(people: People, registry: Registry, person: Person): Me {
  const patients = people.linksOf(person.id).map((l) => ({
    id: l.patientId,
    name: registry.patientLabel(l.patientId) ?? l.patientId,
    relation: l.relation,
    relationText: l.relationText,
    shareVitals: l.shareVitals,
    self: l.self,
  }));
  return { id: person.id, name: person.name, email: person.email, role: person.role, lang: person.lang, patients };
}
