/**
 * Running the organisation's people (administrators: the `organisation` right): staff accounts and
 * their roles, RPPS and status, and the care teams with their members and patients. Every change is
 * kept in the change log (web/change-log.ts). A change that alters what someone may see (a role, a
 * disabled account, a team's members or patients) closes that person's live sockets at once; their
 * page reconnects with what they may see now.
 */
import type { FastifyRequest } from 'fastify';
import { VigieError } from '../../common/errors.ts';
import type { CareTeam, StaffAccount } from '../people.ts';
import { ROUTES } from '../api/routes.ts';
import type { StaffAccountView, TeamsView } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { personOf, type App } from '../edge.ts';
import { requireRight } from '../access.ts';
import { identityOf } from './console.ts';
import { routeOf } from './define.ts';

export function adminStaffRoutes(app: App, c: WebContext): void {
  const admin = (request: FastifyRequest) => requireRight(personOf(request), 'organisation');
  const staffOf = (personId: string): StaffAccount => {
    const account = c.people.staffAccount(personId);
    if (!account) throw new VigieError('staff_not_found', `no staff account ${personId}`);
    return account;
  };
  const patientName = (patientId: string) => c.registry.patientLabel(patientId) ?? patientId;
  const patientView = (patientId: string) => ({
    id: patientId,
    name: patientName(patientId),
    identity: identityOf(c, patientId),
  });
  const teamsView = (): TeamsView => {
    const staff = c.people.staffAccounts().map(({ id, name, role, disabled }) => ({ id, name, role, disabled }));
    const byId = new Map(staff.map((s) => [s.id, s]));
    return {
      teams: c.people.teams().map((t) => ({
        id: t.id,
        name: t.name,
        members: t.memberIds.flatMap((m) => byId.get(m) ?? []),
        patients: t.patientIds.map(patientView),
      })),
      staff,
      patients: c.registry.patientIds().map(patientView),
    };
  };
  /** Those whose view changes with this team: they reconnect to see what they may see now. */
  const teamChanged = (team: CareTeam, ...others: string[]) => {
    for (const id of new Set([...team.memberIds, ...others])) c.auth.accountChanged(id);
  };

  app.route({
    ...routeOf(ROUTES.staffAccounts, 'staff'),
    handler: async (request) => {
      admin(request);
      return { staff: c.people.staffAccounts().map(accountView) };
    },
  });

  app.route({
    ...routeOf(ROUTES.createStaff, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      const { teamId, rpps, ...fields } = request.body;
      const team = teamId === undefined ? undefined : c.people.careTeam(teamId);
      const { person, password } = await c.auth.gate.run(() => c.people.createStaff({ ...fields, rpps }));
      if (team) c.people.addToTeam(team.id, { people: [person.id] });
      c.changes.record(by.id, 'staff.created', { detail: { name: person.name, role: person.role } });
      if (team) c.changes.record(by.id, 'team.member_added', { detail: { name: person.name, team: team.name } });
      c.logger.info({ personId: person.id, by: by.id, role: person.role }, 'staff account created');
      return { account: accountView(staffOf(person.id)), password };
    },
  });

  app.route({
    ...routeOf(ROUTES.updateStaff, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      const { personId } = request.params;
      const before = staffOf(personId);
      const { name, role, rpps } = request.body;
      if (rpps !== before.rpps) c.people.setRpps(personId, rpps);
      const after = c.people.updateStaff(personId, { name, role });
      const changed = [
        ...(before.name !== after.name ? ['name'] : []),
        ...(before.role !== after.role ? ['role'] : []),
        ...(before.rpps !== after.rpps ? ['rpps'] : []),
      ];
      if (changed.length > 0) {
        c.changes.record(by.id, 'staff.updated', {
          detail: { name: after.name, role: after.role, changed: changed.join(',') },
        });
        c.logger.info({ personId, by: by.id, changed }, 'staff account changed');
      }
      if (before.role !== after.role) c.auth.accountChanged(personId);
      return { account: accountView(after) };
    },
  });

  app.route({
    ...routeOf(ROUTES.setStaffDisabled, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      const { personId } = request.params;
      const { disabled } = request.body;
      const before = staffOf(personId);
      const after = c.people.setDisabled(personId, disabled, by.id);
      if (before.disabled !== after.disabled) {
        c.changes.record(by.id, disabled ? 'staff.disabled' : 'staff.enabled', { detail: { name: after.name } });
        c.logger.info({ personId, by: by.id, disabled }, disabled ? 'staff account disabled' : 'staff account enabled');
      }
      if (disabled) c.auth.accountChanged(personId);
      return { account: accountView(after) };
    },
  });

  app.route({
    ...routeOf(ROUTES.teams, 'staff'),
    handler: async (request) => {
      admin(request);
      return teamsView();
    },
  });

  app.route({
    ...routeOf(ROUTES.createTeam, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      const team = c.people.createTeam(request.body.name);
      c.changes.record(by.id, 'team.created', { detail: { team: team.name } });
      return teamsView();
    },
  });

  app.route({
    ...routeOf(ROUTES.renameTeam, 'staff'),
    handler: async (request) => {
      const by = admin(request);
      const before = c.people.careTeam(request.params.teamId);
      const team = c.people.renameTeam(before.id, request.body.name);
      if (team.name !== before.name)
        c.changes.record(by.id, 'team.renamed', { detail: { team: team.name, from: before.name } });
      return teamsView();
    },
  });

  /** Adds a member to a team or removes them (`wanted`: whether they should be in it); a no-op logs nothing. */
  const setMember = (request: FastifyRequest, p: { teamId: string; personId: string }, wanted: boolean) => {
    const by = admin(request);
    const team = c.people.careTeam(p.teamId);
    const member = staffOf(p.personId);
    if (team.memberIds.includes(member.id) !== wanted) {
      if (wanted) c.people.addToTeam(team.id, { people: [member.id] });
      else c.people.removeFromTeam(team.id, { people: [member.id] });
      const action = wanted ? 'team.member_added' : 'team.member_removed';
      c.changes.record(by.id, action, { detail: { name: member.name, team: team.name } });
      c.auth.accountChanged(member.id);
    }
    return teamsView();
  };
  /** The same for a patient the team follows. */
  const setPatient = (request: FastifyRequest, p: { teamId: string; patientId: string }, wanted: boolean) => {
    const by = admin(request);
    const team = c.people.careTeam(p.teamId);
    const { patientId } = p;
    if (wanted && !c.registry.hasPatient(patientId)) throw new VigieError('patient_not_found', 'unknown patient');
    if (team.patientIds.includes(patientId) !== wanted) {
      if (wanted) c.people.addToTeam(team.id, { patients: [patientId] });
      else c.people.removeFromTeam(team.id, { patients: [patientId] });
      const action = wanted ? 'team.patient_added' : 'team.patient_removed';
      c.changes.record(by.id, action, { patientId, detail: { patient: patientName(patientId), team: team.name } });
      teamChanged(team);
    }
    return teamsView();
  };

  app.route({
    ...routeOf(ROUTES.addTeamMember, 'staff'),
    handler: async (request) => setMember(request, request.params, true),
  });
  app.route({
    ...routeOf(ROUTES.removeTeamMember, 'staff'),
    handler: async (request) => setMember(request, request.params, false),
  });
  app.route({
    ...routeOf(ROUTES.addTeamPatient, 'staff'),
    handler: async (request) => setPatient(request, request.params, true),
  });
  app.route({
    ...routeOf(ROUTES.removeTeamPatient, 'staff'),
    handler: async (request) => setPatient(request, request.params, false),
  });
}

function accountView(a: StaffAccount): StaffAccountView {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    role: a.role,
    lang: a.lang,
    rpps: a.rpps,
    disabled: a.disabled,
    teams: [...a.teams],
  };
}
