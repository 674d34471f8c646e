/**
 * The clinician console's API. Every route needs a signed-in member of the care team (clinician,
 * nurse, admin) and answers only about the patients of their care team (403 otherwise, whatever the
 * page does). Alerts are acted on through /api/alerts/:id/actions (family-api.ts, same access rule).
 *
 *   GET  /api/console/me                         the signed-in member
 *   GET  /api/console/patients                   every patient of the team: presence, battery, latest vitals, NEWS2, open alerts
 *   GET  /api/console/patients/:id               one patient, with its thresholds and people
 *   GET  /api/console/patients/:id/history       ?range=1h|24h|7d|30d&points=N: time series (at most N points) and alert markers
 *   GET  /api/console/patients/:id/notes         the coordination log, newest first
 *   POST /api/console/patients/:id/notes         { text }
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InfluxDB } from 'influx';
import { z } from 'zod';
import { HttpError, json, readBody } from '../common/http.ts';
import { isStaff, type People, type Person } from '../common/people.ts';
import type { PatientSettingsStore } from '../common/patient-settings.ts';
import type { Registry } from '../common/registry.ts';
import type { Logger } from '../common/log.ts';
import type { AlertView } from '../common/alert-api.ts';
import { news2Of } from './news2-view.ts';
import { thresholdsFor } from '../ingest/rules/thresholds.ts';
import type { AlertsClient } from './alerts-client.ts';
import type { Auth } from './auth.ts';
import type { LiveHub } from './live.ts';
import { namesOf, requireAccess } from './access.ts';
import { RANGES, readHistory, type Range } from './history.ts';
import type { ConsoleRow, StaffMe, ThresholdView } from './console-protocol.ts';

const noteBody = z.object({ text: z.string().trim().min(1, 'write something first').max(2000) });

export interface ConsoleDeps {
  readonly people: People;
  readonly registry: Registry;
  readonly settings: PatientSettingsStore;
  readonly auth: Auth;
  readonly alerts: AlertsClient;
  readonly live: LiveHub;
  readonly influx: InfluxDB;
  readonly logger: Logger;
}

export class ConsoleApi {
  readonly #d: ConsoleDeps;

  constructor(deps: ConsoleDeps) {
    this.#d = deps;
  }

  /** The signed-in member of the care team; 401/403 otherwise. */
  staff(req: IncomingMessage): Person {
    const person = this.#d.auth.require(req);
    if (!isStaff(person.role)) throw new HttpError(403, 'the console is for the care team; relatives use /family/');
    return person;
  }

  async route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (!path.startsWith('/api/console/')) return false;
    const d = this.#d;
    const method = req.method ?? 'GET';
    if (method !== 'GET') d.auth.sameOrigin(req);
    const person = this.staff(req);
    if (path === '/api/console/me' && method === 'GET') {
      const me: StaffMe = {
        id: person.id,
        name: person.name,
        role: person.role === 'admin' ? 'admin' : person.role === 'nurse' ? 'nurse' : 'clinician',
        lang: person.lang,
      };
      return send(res, 200, { person: me });
    }
    if (path === '/api/console/patients' && method === 'GET') {
      const ids = d.people.teamPatients(person);
      const alerts = await d.alerts.list(ids);
      return send(res, 200, {
        patients: ids.map((id) =>
          this.#row(
            id,
            alerts.filter((a) => a.patientId === id),
          ),
        ),
      });
    }
    const m = /^\/api\/console\/patients\/([\w-]+)(\/history|\/notes)?$/.exec(path);
    if (!m) throw new HttpError(404, `no API at ${path}`);
    const patientId = m[1]!;
    requireAccess(d.people, person, patientId);
    switch (m[2]) {
      case undefined: {
        if (method !== 'GET') throw new HttpError(405, 'use GET');
        const settings = d.settings.get(patientId);
        const thresholds: ThresholdView[] = thresholdsFor(settings?.thresholds ?? {}).map(
          ({ id, vital, direction, limit, priority, enabled }) => ({ id, vital, direction, limit, priority, enabled }),
        );
        const people = d.people
          .peopleOf(patientId)
          .map(({ person: p, link }) => ({ id: p.id, name: p.name, relation: link.relation }));
        return send(res, 200, {
          patient: await this.row(patientId),
          thresholds,
          people,
          chain: d.people.chain(patientId),
        });
      }
      case '/history': {
        if (method !== 'GET') throw new HttpError(405, 'use GET');
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        const range = q.get('range') ?? '24h';
        if (!(range in RANGES)) throw new HttpError(400, `range: one of ${Object.keys(RANGES).join(', ')}`);
        const points = Number(q.get('points') ?? 800);
        if (!Number.isFinite(points) || points < 10)
          throw new HttpError(400, 'points: the chart width in pixels (10 or more)');
        let history;
        try {
          history = await readHistory(d.influx, patientId, range as Range, points);
        } catch (error) {
          d.logger.warn({ patientId, error: String(error) }, 'history query failed');
          throw new HttpError(
            503,
            'the history database does not answer; the live values are still shown. Try again in a moment.',
          );
        }
        const markers = (await d.alerts.since(patientId, history.from)).map((a) => ({
          id: a.id,
          at: a.openedAt,
          kind: a.kind,
          priority: a.priority,
        }));
        return send(res, 200, { ...history, alerts: markers });
      }
      case '/notes': {
        if (method === 'POST') {
          const { text } = await readBody(req, noteBody);
          const note = d.people.addNote(patientId, person.id, text);
          d.logger.info({ patientId, personId: person.id }, 'coordination note added');
          return send(res, 201, { note });
        }
        if (method !== 'GET') throw new HttpError(405, 'use GET or POST');
        return send(res, 200, { notes: d.people.notes(patientId) });
      }
      default:
        throw new HttpError(404, `no API at ${path}`);
    }
  }

  /** One patient's row, as the list and the live channel's snapshot give it. */
  async row(patientId: string): Promise<ConsoleRow> {
    return this.#row(patientId, await this.#d.alerts.list([patientId]));
  }

  #row(patientId: string, alerts: readonly AlertView[]): ConsoleRow {
    const d = this.#d;
    const now = d.live.now(patientId);
    const settings = d.settings.get(patientId);
    const news2Options = { spo2Scale: settings?.spo2Scale ?? 1, onOxygen: settings?.onOxygen ?? false };
    const score = news2Of(now.latest, news2Options, Date.now());
    return {
      id: patientId,
      name: d.registry.patientLabel(patientId) ?? patientId,
      presence: { online: now.online, lastSeen: now.lastSeen, battery: now.battery },
      latest: now.latest,
      news2: score,
      news2Options,
      alerts,
      names: namesOf(d.people, alerts),
    };
  }
}

function send(res: ServerResponse, status: number, body: unknown): true {
  json(res, status, body);
  return true;
}
