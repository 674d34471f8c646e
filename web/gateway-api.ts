/**
 * The Bluetooth gateway's enrolment: a tablet on which the patient (or a nurse of their care team)
 * pairs Bluetooth health devices gets its own device identity, like a watch, and publishes the
 * readings as protocol v1 vitals over MQTT over WebSocket (`/mqtt`, relayed to the broker). The
 * broker checks them as it checks a watch's: the same authentication, ACL and validation.
 *
 *   POST /api/patients/:id/gateways   { label }: a new gateway identity → { deviceId, secret, mqttPath }
 *
 * The secret is shown once, kept by that browser; revoking the device (provision-cli) ends it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HttpError, json, readBody } from '../common/http.ts';
import { isStaff, type People } from '../common/people.ts';
import type { Registry } from '../common/registry.ts';
import type { Logger } from '../common/log.ts';
import type { Auth } from './auth.ts';
import { requireAccess } from './access.ts';

export const GATEWAY_DEVICE_KIND = 'ble-gateway';
export const MQTT_WS_PATH = '/mqtt';

const enrolBody = z.object({ label: z.string().trim().min(1).max(80).default('tablette') });

export interface GatewayApiDeps {
  readonly people: People;
  readonly registry: Registry;
  readonly auth: Auth;
  readonly logger: Logger;
}

export interface GatewayIdentity {
  readonly deviceId: string;
  readonly secret: string;
  readonly mqttPath: string;
}

export async function routeGateways(
  d: GatewayApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const m = /^\/api\/patients\/([\w-]+)\/gateways$/.exec(path);
  if (!m) return false;
  if (req.method !== 'POST') throw new HttpError(405, `${req.method ?? ''} is not allowed here`);
  const patientId = m[1]!;
  d.auth.sameOrigin(req);
  const person = d.auth.require(req);
  const access = requireAccess(d.people, person, patientId);
  // The patient themself, or their care team; a relative does not measure someone else.
  if (!isStaff(person.role) && !(access.kind === 'family' && access.link.relation === 'self')) {
    throw new HttpError(403, 'only the patient or their care team can pair devices for this patient');
  }
  const { label } = await readBody(req, enrolBody);
  const deviceId = `g-${randomBytes(6).toString('hex')}`;
  const created = await d.registry.addDevice(patientId, deviceId, GATEWAY_DEVICE_KIND);
  d.logger.info({ patientId, deviceId, personId: person.id, label }, 'Bluetooth gateway enrolled');
  const body: GatewayIdentity = { deviceId: created.deviceId, secret: created.secret, mqttPath: MQTT_WS_PATH };
  json(res, 201, body);
  return true;
}
