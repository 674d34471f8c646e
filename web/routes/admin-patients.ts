/**
 * Patients and their devices, from the browser. Members with the `patients` right (coordinators:
 * into and over their own teams; admins: the whole registry) list and create patients; members with
 * the `setup` right over a patient of their team record their contact details (phone, address, GP)
 * and enrol, replace and revoke their watches. A new watch's secret is in the enrolment answer only:
 * the registry keeps its hash. Every change goes to the change log.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { VigieError } from '../../common/errors.ts';
import { parseIdentity, type Identity } from '../../common/ins.ts';
import { RPPS_PATTERN } from '../../common/people-rules.ts';
import type { Person, TeamRef } from '../people.ts';
import { normalisePhone } from '../../common/phone.ts';
import { DuplicateError, type PatientDetails, type Provisioned } from '../registry.ts';
import { enrolmentUri } from '../../devices/enrolment.ts';
import { isDeviceId } from '../../devices/topics.ts';
import { ROUTES } from '../api/routes.ts';
import {
  DEVICE_KINDS,
  type AdminPatientView,
  type DeviceView,
  type EnrolmentView,
  type PatientContactView,
  type identityBody,
} from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireRight, requireRightOver } from '../access.ts';
import { noteRead } from '../record-reads.ts';
import { identityView } from './console.ts';
import { routeOf } from './define.ts';

export function adminPatientRoutes(app: App, c: WebContext): void {
  /** The patients this member runs: the registry's for an admin, their teams' for a coordinator. */
  const runPatients = (person: Person) =>
    person.role === 'admin' ? c.registry.patientIds() : c.people.teamPatients(person);
  /** The teams this member may create a patient into. */
  const teamsFor = (person: Person): TeamRef[] =>
    person.role === 'admin' ? c.people.teams().map(({ id, name }) => ({ id, name })) : c.people.teamsOf(person.id);
  /** A patient of the member's team over whom they have the `setup` right, who exists. */
  const setupOf = (person: Person, patientId: string) => {
    requireRightOver(c.people, person, patientId, 'setup');
    if (!c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
    return patientId;
  };
  const enrolment = ({ deviceId, secret }: Provisioned): EnrolmentView => ({
    deviceId,
    secret,
    brokerUrl: c.deviceMqttUrl,
    uri: enrolmentUri({ brokerUrl: c.deviceMqttUrl, deviceId, secret }),
  });
  /** The id asked for (checked, free) or a new one. */
  const newDeviceId = (asked: string | null) => {
    const deviceId = asked ?? `w-${randomBytes(6).toString('hex')}`;
    if (!isDeviceId(deviceId))
      throw new VigieError('device_id_invalid', 'a device id is 3-64 of a-z, 0-9 and -', { deviceId });
    if (c.registry.device(deviceId)) throw new VigieError('device_id_taken', 'this device id exists', { deviceId });
    return deviceId;
  };
  const taken = (error: unknown, deviceId: string): never => {
    if (error instanceof DuplicateError) throw new VigieError('device_id_taken', 'this device id exists', { deviceId });
    throw error;
  };

  app.route({
    ...routeOf(ROUTES.adminPatients, 'staff'),
    handler: async (request) => {
      const person = requireRight(personOf(request), 'patients');
      const patients = runPatients(person).map((id): AdminPatientView => {
        const identity = c.registry.patientIdentity(id);
        const watches = c.registry.devicesOf(id).filter((d) => d.revokedAt === null && d.kind === 'watch');
        const heard = watches.map((d) => c.live.device(d.id).online).filter((o) => o !== null);
        return {
          id,
          name: c.registry.patientLabel(id) ?? id,
          identity: identity ? identityView(identity) : null,
          teams: c.people.patientTeams(id),
          watches: watches.length,
          online: heard.length ? heard.includes(true) : null,
        };
      });
      return { patients, teams: teamsFor(person) };
    },
  });

  app.route({
    ...routeOf(ROUTES.createPatient, 'staff'),
    handler: async (request) => {
      const person = requireRight(personOf(request), 'patients');
      const { identity: body, contact, teamId, watch } = request.body;
      if (!teamsFor(person).some((t) => t.id === teamId))
        throw new VigieError('team_not_yours', 'this team is not one of yours', { teamId });
      const identity = checkedIdentity(body);
      const { phone, details } = checkedContact(contact);
      const deviceId = watch ? newDeviceId(watch.deviceId) : null;
      const patientId = c.registry.createPatient(labelOf(identity), { phone: phone ?? undefined });
      c.registry.setPatientIdentity(patientId, identity);
      c.registry.setPatientDetails(patientId, details);
      c.people.addToTeam(teamId, { patients: [patientId] });
      c.logger.info({ patientId, staffId: person.id, teamId }, 'patient created');
      c.changes.record(person.id, 'patient.created', {
        patientId,
        detail: { label: labelOf(identity), status: identity.status, teamId },
      });
      if (deviceId === null) return { patientId, enrolment: null };
      const created = await c.registry.addDevice(patientId, deviceId).catch((e: unknown) => taken(e, deviceId));
      c.logger.info({ patientId, deviceId, staffId: person.id }, 'watch enrolled');
      c.changes.record(person.id, 'device.enrolled', { patientId, detail: { deviceId } });
      return { patientId, enrolment: enrolment(created) };
    },
  });

  app.route({
    ...routeOf(ROUTES.contact, 'staff'),
    handler: async (request) => {
      const patientId = setupOf(personOf(request), request.params.patientId);
      noteRead(c.reads, request, personOf(request), patientId, 'settings');
      return { contact: contactView(c, patientId) };
    },
  });

  app.route({
    ...routeOf(ROUTES.setContact, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const patientId = setupOf(person, request.params.patientId);
      const { phone, details } = checkedContact(request.body);
      c.registry.setPatientContact(patientId, { phone });
      c.registry.setPatientDetails(patientId, details);
      c.logger.info({ patientId, staffId: person.id }, 'patient contact changed');
      c.changes.record(person.id, 'patient.contact', {
        patientId,
        detail: { phone: phone !== null, address: details.address !== null, gp: details.gp !== null },
      });
      return { contact: contactView(c, patientId) };
    },
  });

  app.route({
    ...routeOf(ROUTES.devices, 'staff'),
    handler: async (request) => {
      const patientId = setupOf(personOf(request), request.params.patientId);
      return {
        devices: c.registry.devicesOf(patientId).map((d): DeviceView => {
          const now = c.live.device(d.id);
          return {
            id: d.id,
            kind: DEVICE_KINDS.find((k) => k === d.kind) ?? 'watch',
            enrolledAt: d.createdAt,
            revokedAt: d.revokedAt,
            ...now,
          };
        }),
      };
    },
  });

  app.route({
    ...routeOf(ROUTES.enrolDevice, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const patientId = setupOf(person, request.params.patientId);
      const deviceId = newDeviceId(request.body.deviceId);
      const created = await c.registry.addDevice(patientId, deviceId).catch((e: unknown) => taken(e, deviceId));
      c.logger.info({ patientId, deviceId, staffId: person.id }, 'watch enrolled');
      c.changes.record(person.id, 'device.enrolled', { patientId, detail: { deviceId } });
      return enrolment(created);
    },
  });

  app.route({
    ...routeOf(ROUTES.replaceDevice, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const patientId = setupOf(person, request.params.patientId);
      const replaced = request.params.deviceId;
      const deviceId = newDeviceId(request.body.deviceId);
      const created = await c.registry
        .replaceDevice(patientId, replaced, deviceId)
        .catch((e: unknown) => taken(e, deviceId));
      if (!created) throw new VigieError('device_not_found', 'no such active device of this patient', { replaced });
      c.logger.info({ patientId, deviceId, replaced, staffId: person.id }, 'watch replaced');
      c.changes.record(person.id, 'device.replaced', { patientId, detail: { deviceId, replaced } });
      return enrolment(created);
    },
  });

  app.route({
    ...routeOf(ROUTES.revokeDevice, 'staff'),
    handler: async (request) => {
      const person = personOf(request);
      const patientId = setupOf(person, request.params.patientId);
      const { deviceId } = request.params;
      if (c.registry.device(deviceId)?.patientId !== patientId || !c.registry.revokeDevice(deviceId))
        throw new VigieError('device_not_found', 'no such active device of this patient', { deviceId });
      c.logger.info({ patientId, deviceId, staffId: person.id }, 'device revoked');
      c.changes.record(person.id, 'device.revoked', { patientId, detail: { deviceId } });
      return null;
    },
  });
}

function checkedIdentity({ ins, status, ...traits }: z.infer<typeof identityBody>): Identity {
  const identity = parseIdentity({ traits, ins, status }, new Date().toISOString().slice(0, 10));
  if (!identity.ok) throw new VigieError(identity.error, `the identity is refused: ${identity.error}`);
  return identity.value;
}

/** How the care team calls a new patient: first first name and the name used (or birth name). */
function labelOf({ traits }: Identity): string {
  return `${traits.firstNames.split(' ')[0] ?? ''} ${traits.usedName ?? traits.birthName}`.trim();
}

/** The contact as sent, checked: phones normalised to E.164, the GP's RPPS its 9 to 12 digits. */
function checkedContact(contact: PatientContactView): { phone: string | null; details: PatientDetails } {
  const phoneOf = (input: string | null, field: string) => {
    if (input === null || input === '') return null;
    const phone = normalisePhone(input);
    if (!phone.ok) throw new VigieError('phone_invalid', `${field} is not a phone number`, { field });
    return phone.value;
  };
  const { gp, address } = contact;
  if (gp?.rpps && !RPPS_PATTERN.test(gp.rpps)) throw new VigieError('rpps_invalid', 'the GP RPPS is 9 to 12 digits');
  return {
    phone: phoneOf(contact.phone, 'phone'),
    details: {
      address: address && {
        street: address.street,
        postcode: address.postcode || null,
        city: address.city || null,
      },
      gp: gp && { name: gp.name, phone: phoneOf(gp.phone, 'gp.phone'), rpps: gp.rpps || null },
    },
  };
}

function contactView(c: WebContext, patientId: string): PatientContactView {
  const details = c.registry.patientDetails(patientId);
  return {
    phone: c.registry.patientContact(patientId)?.phone ?? null,
    address: details?.address ?? null,
    gp: details?.gp ?? null,
  };
}
