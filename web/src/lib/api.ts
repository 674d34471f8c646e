/**
 * The pages' one way to call the web API: a route of web/api/routes.ts, its params, query and body;
 * the answer is parsed with the route's own schema (typed, never cast). A refusal becomes an ApiError
 * with the server's stable code, which the page translates (i18n `api.error.<code>`); the server's
 * English message is never shown.
 */
import type { z } from 'zod';
import { errorBodySchema, type ErrorCode, type ErrorParams } from '../../../common/errors.ts';
import type { RouteSpec } from '../../api/routes.ts';

/** Codes of failures that happen before or after the server answers. */
export type ClientErrorCode = 'network' | 'unexpected_answer';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    readonly status: number,
    readonly params: ErrorParams = {},
  ) {
    super(code);
  }
}

type Input<T> = T extends z.ZodType ? z.input<T> : never;
type Args<S extends RouteSpec> = (S['params'] extends z.ZodType ? { params: Input<S['params']> } : { params?: never }) &
  (S['query'] extends z.ZodType ? { query?: Input<S['query']> } : { query?: never }) &
  (S['body'] extends z.ZodType ? { body: Input<S['body']> } : { body?: never });

/** The path of a route with its `:params` filled in. */
export function pathOf(url: string, params: Readonly<Record<string, unknown>> = {}): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    return encodeURIComponent(typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  });
}

export async function call<S extends RouteSpec>(spec: S, args: Args<S>): Promise<z.output<S['reply']>> {
  // The arguments' types come from the route (Args<S>); here only their general shape matters.
  const a = args as { params?: object; query?: object; body?: unknown };
  const query = a.query ? `?${new URLSearchParams(Object.entries(a.query).map(([k, v]) => [k, String(v)]))}` : '';
  let res: Response;
  try {
    res = await fetch(pathOf(spec.url, { ...a.params }) + query, {
      method: spec.method,
      headers: a.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(a.body === undefined ? {} : { body: JSON.stringify(a.body) }),
    });
  } catch {
    throw new ApiError('network', 0);
  }
  if (res.ok) {
    const payload: unknown = res.status === 204 ? null : await res.json().catch(() => undefined);
    const reply: S['reply'] = spec.reply;
    const parsed = reply.safeParse(payload);
    if (!parsed.success) throw new ApiError('unexpected_answer', res.status);
    return parsed.data;
  }
  const refusal = errorBodySchema.safeParse(await res.json().catch(() => undefined));
  if (!refusal.success) throw new ApiError('unexpected_answer', res.status);
  throw new ApiError(refusal.data.error.code, res.status, refusal.data.error.params ?? {});
}
