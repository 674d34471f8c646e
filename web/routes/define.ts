/**
 * The Fastify route options of a route of web/api/routes.ts: its method, path and schemas (the zod
 * type provider validates params, query and body and serialises the answer with them, and types the
 * handler written beside it), who may call it (web/edge.ts's session hook), and its success status.
 *
 *   app.route({ ...routeOf(ROUTES.me, 'person'), handler: async (request) => ({ person: ... }) });
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { RouteSpec } from '../api/routes.ts';
import type { RouteAccess } from '../edge.ts';

/** The Fastify schema of a route: only the parts it declares, so that each is typed exactly. */
type SchemaOf<S extends RouteSpec> = (S extends { params: infer P } ? { params: P } : object) &
  (S extends { query: infer Q } ? { querystring: Q } : object) &
  (S extends { body: infer B } ? { body: B } : object) & { response: Record<S['status'], S['reply']> };

export function routeOf<const S extends RouteSpec>(spec: S, access: RouteAccess) {
  const schema = {
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.query ? { querystring: spec.query } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    response: { [spec.status]: spec.reply },
  };
  return {
    method: spec.method,
    url: spec.url,
    // The object above is built from the spec's own fields; its type says which ones it has.
    schema: schema as SchemaOf<S>,
    config: { access },
    preHandler: (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      void reply.code(spec.status);
      done();
    },
  };
}
