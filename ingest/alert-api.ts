/**
 * The alert engine's internal HTTP API, for the web service only (loopback, bearer service token),
 * on Fastify with the zod schemas of common/alert-api.ts:
 *   GET  /alerts?patients=a,b      open alerts of these patients (all when omitted)
 *   GET  /alerts?patients=a&since=t alerts opened since t (ms), open or closed
 *   GET  /alerts/:id               one alert (open or closed) with its audit trail
 *   POST /alerts/:id/actions       { actor, channel, action }: acknowledge, accept, arrived, resolve, snooze, assign
 *   POST /calls/invitations        { patientId, personIds, caller }: tells them a consultation awaits (202, sent after)
 *   POST /appointments/invitations a scheduled consultation's calendar invitation or cancellation (202, sent after)
 * Who may do what to which patient is checked by the web service before it calls; this API trusts
 * its one caller, authenticated by the token. Refusals carry common/errors.ts's codes, which the web
 * service passes on to the pages.
 */
import type { Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  actionRequestSchema,
  alertViewSchema,
  auditEntrySchema,
  appointmentInvitationRequestSchema,
  callInvitationRequestSchema,
} from '../common/alert-api.ts';
import { VigieError } from '../common/errors.ts';
import { installEdge } from '../common/http.ts';
import type { Logger } from '../common/log.ts';
import type { AlertService } from './alert-service.ts';
import type { CallInvitations } from './notify/call-invitations.ts';
import type { AppointmentInvitations } from './notify/appointment-invitations.ts';

const alertParams = z.object({ id: z.coerce.number().int().positive() });

export async function serveAlertApi(
  service: AlertService,
  options: {
    host: string;
    port: number;
    token: string;
    logger: Logger;
    invitations?: CallInvitations;
    appointmentInvitations?: AppointmentInvitations;
  },
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const logger: FastifyBaseLogger = options.logger.child({ component: 'alert-api' });
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
  });
  installEdge(app, { logger: options.logger });
  app.addHook('onRequest', async (request) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new VigieError('sign_in_required', 'missing or wrong service token');
    }
  });
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/alerts',
    {
      schema: {
        querystring: z.object({
          patients: z.string().max(100_000).optional(),
          since: z.coerce.number().int().min(0).max(1e15).optional(),
        }),
        response: { 200: z.object({ alerts: z.array(alertViewSchema) }) },
      },
    },
    async (request) => ({
      alerts: service.list(request.query.patients?.split(',').filter(Boolean), request.query.since),
    }),
  );
  api.get(
    '/alerts/:id',
    {
      schema: {
        params: alertParams,
        response: { 200: z.object({ alert: alertViewSchema, audit: z.array(auditEntrySchema) }) },
      },
    },
    async (request) => {
      const found = service.get(request.params.id);
      if (!found) throw new VigieError('alert_not_found', `no alert ${request.params.id}`);
      return found;
    },
  );
  api.post(
    '/alerts/:id/actions',
    {
      schema: {
        params: alertParams,
        body: actionRequestSchema,
        response: { 200: z.object({ alert: alertViewSchema }) },
      },
    },
    async (request) => {
      const { actor, channel, action } = request.body;
      return { alert: service.act(request.params.id, actor, action, channel) };
    },
  );
  const invitations = options.invitations;
  if (invitations) {
    api.post(
      '/calls/invitations',
      { schema: { body: callInvitationRequestSchema, response: { 202: z.object({ ok: z.literal(true) }) } } },
      async (request, reply) => {
        void invitations.send(request.body);
        return reply.code(202).send({ ok: true });
      },
    );
  }
  const appointmentInvitations = options.appointmentInvitations;
  if (appointmentInvitations) {
    api.post(
      '/appointments/invitations',
      {
        schema: { body: appointmentInvitationRequestSchema, response: { 202: z.object({ ok: z.literal(true) }) } },
      },
      async (request, reply) => {
        void appointmentInvitations.send(request.body);
        return reply.code(202).send({ ok: true });
      },
    );
  }
  const address = await app.listen({ host: options.host, port: options.port });
  return { server: app.server, url: address, close: () => app.close() };
}
