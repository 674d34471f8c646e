/**
 * Staff sign-in with Pro Santé Connect (web/psc.ts): the start sends the browser to the provider with a
 * cookie binding the sign-in to it; the callback maps the professional's national identifier to the
 * staff account an admin registered with it and opens the ordinary Vigie session, or sends the browser
 * back to the console with the refusal's code. Signing out ends the PSC session too (`id_token_hint`).
 * An admin may require PSC for staff roles: their password sign-in is then refused (web/auth.ts).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { VigieError } from '../../common/errors.ts';
import { requireRight } from '../access.ts';
import { ROUTES } from '../api/routes.ts';
import { SESSION_COOKIE } from '../auth.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { PSC_PENDING_TTL_MS, type ProSanteConnect } from '../psc.ts';
import { routeOf } from './define.ts';

/** Binds a started sign-in to the browser. Lax: it must come back on the provider's top-level redirect. */
const STATE_COOKIE = 'vigie_psc';
const STATE_COOKIE_PATH = '/api/auth/psc';
/** The ID tokens of open PSC sessions kept for the logout (bounded; a lost one only skips the provider's logout). */
const MAX_ID_TOKENS = 10_000;

export function pscRoutes(app: App, c: WebContext, psc: ProSanteConnect | undefined): void {
  const idTokens = new Map<string, string>();
  const sessionKey = (token: string) => createHash('sha256').update(token).digest('base64url');
  const redirectUri = () => `${c.publicUrl()}${ROUTES.pscCallback.url}`;
  const secure = () => c.publicUrl().startsWith('https:');
  const configured = (): ProSanteConnect => {
    if (!psc) throw new VigieError('psc_not_configured', 'Pro Santé Connect is not configured on this server');
    return psc;
  };

  app.route({
    ...routeOf(ROUTES.pscStart, 'public'),
    handler: async (_request, reply) => {
      const { url, state } = await configured().start(redirectUri());
      void reply.setCookie(STATE_COOKIE, state, {
        path: STATE_COOKIE_PATH,
        httpOnly: true,
        sameSite: 'lax',
        secure: secure(),
        maxAge: PSC_PENDING_TTL_MS / 1000,
      });
      return reply.redirect(url, 303);
    },
  });

  app.route({
    ...routeOf(ROUTES.pscCallback, 'public'),
    handler: async (request, reply) => {
      void reply.clearCookie(STATE_COOKIE, { path: STATE_COOKIE_PATH });
      try {
        const identity = await configured().finish(callbackUrl(request, redirectUri()), request.cookies[STATE_COOKIE]);
        const person = c.people.personByRpps(identity.rpps);
        if (!person) throw new VigieError('psc_rpps_unknown', 'no staff account has this RPPS identifier');
        if (c.people.isDisabled(person.id)) throw new VigieError('account_disabled', 'this account is disabled');
        const token = c.auth.startSession(reply, person);
        if (idTokens.size >= MAX_ID_TOKENS) idTokens.delete(idTokens.keys().next().value ?? '');
        idTokens.set(sessionKey(token), identity.idToken);
        c.logger.info({ personId: person.id }, 'signed in with Pro Santé Connect');
        return reply.redirect('/console', 303);
      } catch (err) {
        if (!(err instanceof VigieError)) throw err;
        c.logger.info({ code: err.code }, 'Pro Santé Connect sign-in refused');
        return reply.redirect(`/console?psc_error=${err.code}`, 303);
      }
    },
  });

  const admin = (request: FastifyRequest) => requireRight(personOf(request), 'organisation');

  app.route({
    ...routeOf(ROUTES.pscRequiredRoles, 'staff'),
    handler: async (request) => {
      admin(request);
      return { roles: c.people.pscRequiredRoles() };
    },
  });

  app.route({
    ...routeOf(ROUTES.setPscRequiredRoles, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      // Requiring PSC where it cannot be used would lock these roles out.
      if (!psc && request.body.roles.length > 0) {
        throw new VigieError('psc_not_configured', 'Pro Santé Connect is not configured on this server');
      }
      const roles = c.people.setPscRequiredRoles(request.body.roles, by.id);
      c.changes.record(by.id, 'psc.required', { detail: { roles: roles.join(',') } });
      c.logger.info({ personId: by.id, roles }, 'roles required to sign in with Pro Santé Connect set');
      return { roles };
    },
  });

  app.route({
    ...routeOf(ROUTES.pscSignOut, 'person'),
    handler: async (request, reply) => {
      personOf(request);
      const token = request.cookies[SESSION_COOKIE];
      const idToken = token === undefined ? undefined : idTokens.get(sessionKey(token));
      if (token !== undefined) idTokens.delete(sessionKey(token));
      c.auth.signOut(request, reply);
      return { url: psc && idToken ? await psc.logoutUrl(idToken, `${c.publicUrl()}/console`) : null };
    },
  });
}

/** The callback's URL as the provider built it (our redirect URI and the query it added). */
function callbackUrl(request: FastifyRequest, redirectUri: string): URL {
  const url = new URL(redirectUri);
  url.search = new URL(request.url, 'http://x').search;
  return url;
}
