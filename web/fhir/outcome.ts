/**
 * FHIR's way of refusing: every refusal of /fhir/R4 is an OperationOutcome with the HTTP status of
 * its Vigie code (common/errors.ts), the code itself in `details` (what scripts test for) and the
 * developer's message in `diagnostics`. Signed-out, forbidden, unknown and malformed requests all
 * answer in this shape (web/fhir/routes.ts has a catch-all for paths it does not serve), so that a FHIR client never has to read Vigie's own error body.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { VigieError } from '../../common/errors.ts';
import { refusalHeaders, refusalOf } from '../../common/http.ts';
import type { Logger } from '../../common/log.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
import { FHIR_BASE_PATH } from './base.ts';
/** Where the Vigie error codes of an OperationOutcome come from. */
export const ERROR_SYSTEM = 'urn:vigie:error';

/** FHIR's issue type (http://hl7.org/fhir/issue-type) for an HTTP status. */
function issueType(status: number): string {
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 413) return 'too-costly';
  if (status === 429) return 'throttled';
  if (status === 503) return 'transient';
  if (status >= 500) return 'exception';
  return 'invalid';
}

export function operationOutcome(refusal: VigieError) {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: issueType(refusal.status),
        details: { coding: [{ system: ERROR_SYSTEM, code: refusal.code }] },
        diagnostics: refusal.message,
      },
    ],
  } as const;
}

/** Whether a request's URL is the FHIR API's (its refusals are OperationOutcomes, even the router's). */
export function isFhirUrl(url: string): boolean {
  return url === FHIR_BASE_PATH || url.startsWith(`${FHIR_BASE_PATH}/`) || url.startsWith(`${FHIR_BASE_PATH}?`);
}

/** A refusal as FHIR answers it: its headers and its OperationOutcome. */
export function outcomeAnswer(refusal: VigieError): { headers: Record<string, string>; body: string } {
  return {
    headers: { ...refusalHeaders(refusal), 'content-type': FHIR_JSON },
    body: JSON.stringify(operationOutcome(refusal)),
  };
}

function send(reply: FastifyReply, refusal: VigieError): FastifyReply {
  const { headers, body } = outcomeAnswer(refusal);
  return reply.code(refusal.status).headers(headers).send(body);
}

/** The error handler of the /fhir/R4 plugin (its own context: the rest of the site keeps its own). */
export function installOutcomes(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    const refusal = refusalOf(error);
    if (refusal.code === 'internal')
      logger.error({ err: error, method: request.method, route: request.routeOptions.url }, 'FHIR request failed');
    return send(reply, refusal);
  });
}
