/**
 * What Vigie's Fastify servers (the web service, the ingest's alert API) share at their edge: the
 * zod type provider, and one way to refuse. Every error becomes common/errors.ts's body with a stable
 * code and the status that goes with it, is counted by code, and is logged (rate-limited, without the
 * request's content). An unexpected error is a 500 `internal` that says nothing of its cause.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { VigieError, type ErrorCode } from './errors.ts';
import { rateLimitedWarn, type Logger } from './log.ts';

export interface EdgeOptions {
  readonly logger: Logger;
  /** Called with every refusal's code (a metrics counter). */
  readonly onRefusal?: (code: ErrorCode) => void;
}

/** Fastify's own request errors, by their code, as ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
  // @fastify/static refuses paths that leave its root (and, below, dotfiles) with a 403 of its own:
  // to the client there is nothing there. Unmapped, each such request was a 500 and an error log line.
  FST_STATIC_FORBIDDEN_PATH: 'not_found',
};

const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  // Our own refusals are VigieErrors; a bare 403 comes from the static files (a dotfile).
  403: 'not_found',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** The refusal an error becomes. */
export function refusalOf(error: unknown): VigieError {
  if (error instanceof VigieError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.slice(0, 5);
    const fields = issues.map((i) => `${error.validationContext ?? 'body'}${i.instancePath.replaceAll('/', '.')}`);
    return new VigieError(
      'invalid_request',
      issues.map((i, n) => `${fields[n]}: ${i.message ?? 'invalid'}`).join('; '),
      { fields: [...new Set(fields)].join(',') },
    );
  }
  const e = error as Partial<FastifyError> | undefined;
  const code = (e?.code && FASTIFY_CODES[e.code]) ?? (e?.statusCode && BY_STATUS[e.statusCode]);
  if (code) return new VigieError(code, e?.message ?? code);
  // A body Fastify's JSON parser could not read carries a SyntaxError's 400.
  if (error instanceof SyntaxError || e?.statusCode === 400)
    return new VigieError('invalid_json', 'the body is not JSON');
  // Any other client error a plugin raises (the static files' 416 for a Range past the end...) is the
  // request's fault, never an internal error.
  if (e?.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
    return new VigieError('invalid_request', e.message ?? 'invalid request');
  return new VigieError('internal', 'internal error');
}

/** The headers of a refusal: JSON, never cached, and when to try again if it says so. */
export function refusalHeaders(refusal: VigieError): Record<string, string> {
  const seconds = refusal.params.retryAfterSeconds;
  return {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...(typeof seconds === 'number' ? { 'retry-after': String(seconds) } : {}),
  };
}

function send(reply: FastifyReply, refusal: VigieError): FastifyReply {
  return reply.code(refusal.status).headers(refusalHeaders(refusal)).send(JSON.stringify(refusal.toBody()));
}

/** Zod validation and serialisation, and the one error handler, on a Fastify instance. */
export function installEdge(app: FastifyInstance, o: EdgeOptions): void {
  const warn = rateLimitedWarn(o.logger);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = refusalOf(error);
    o.onRefusal?.(refusal.code);
    if (refusal.code === 'internal' || isResponseSerializationError(error)) {
      o.logger.error({ err: error, method: request.method, route: request.routeOptions.url }, 'request failed');
    } else {
      warn(
        `${refusal.code}:${request.ip}`,
        { code: refusal.code, method: request.method, route: request.routeOptions.url ?? 'none', client: request.ip },
        'request refused',
      );
    }
    return send(reply, refusal);
  });
  app.setNotFoundHandler((request, reply) => {
    const refusal = new VigieError('not_found', `nothing at ${request.method} ${request.url.split('?')[0]}`);
    o.onRefusal?.(refusal.code);
    return send(reply, refusal);
  });
}
