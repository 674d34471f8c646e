/**
 * The alert engine's internal HTTP API, for the web service only (loopback, bearer service token):
 *   GET  /alerts?patients=a,b      open alerts of these patients (all when omitted)
 *   GET  /alerts?patients=a&since=t alerts opened since t (ms), open or closed
 *   GET  /alerts/:id               one alert (open or closed) with its audit trail
 *   POST /alerts/:id/actions       { actor, channel, action }: acknowledge, accept, arrived, resolve, snooze, assign
 * Who may do what to which patient is checked by the web service before it calls; this API trusts
 * its one caller, authenticated by the token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import { actionRequestSchema } from '../common/alert-api.ts';
import { HttpError, json, readBody } from '../common/http.ts';
import type { Logger } from '../common/log.ts';
import type { AlertService } from './alert-service.ts';
import { LifecycleError } from './lifecycle/lifecycle.ts';

const STATUS: Record<LifecycleError['code'], number> = { not_found: 404, closed: 409, conflict: 409, invalid: 400 };

export async function serveAlertApi(
  service: AlertService,
  options: { host: string; port: number; token: string; logger: Logger },
): Promise<{ server: Server; url: string }> {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!authorized(req)) throw new HttpError(401, 'missing or wrong service token');
    if (url.pathname === '/alerts' && req.method === 'GET') {
      const patients = url.searchParams.get('patients');
      const since = url.searchParams.get('since');
      if (since !== null && !/^\d{1,15}$/.test(since)) throw new HttpError(400, 'since: a time in ms since the epoch');
      return json(res, 200, {
        alerts: service.list(
          patients === null ? undefined : patients.split(',').filter(Boolean),
          since === null ? undefined : Number(since),
        ),
      });
    }
    const m = /^\/alerts\/(\d+)(\/actions)?$/.exec(url.pathname);
    if (!m) throw new HttpError(404, `no route ${url.pathname}`);
    const id = Number(m[1]);
    if (!m[2] && req.method === 'GET') {
      const found = service.get(id);
      if (!found) throw new HttpError(404, `no alert ${id}`);
      return json(res, 200, found);
    }
    if (m[2] && req.method === 'POST') {
      const { actor, channel, action } = await readBody(req, actionRequestSchema);
      return json(res, 200, { alert: service.act(id, actor, action, channel) });
    }
    throw new HttpError(405, `${req.method} is not allowed here`);
  };
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return json(res, error.status, { error: error.message });
      if (error instanceof LifecycleError)
        return json(res, STATUS[error.code], { error: error.message, code: error.code });
      options.logger.error({ error: String(error), path: req.url }, 'alert API request failed');
      json(res, 500, { error: 'internal error' });
    });
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : options.port;
  return { server, url: `http://${options.host}:${port}` };
}
