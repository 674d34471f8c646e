/**
 * Provisioning: creates patients and their watches in the registry. The secret is printed once;
 * only its hash is stored.
 *
 *   npm run provision -- patient --label "Mme A." [--phone "06 12 34 56 78"] [--sex female|male]
 *                                                      one patient and watch; prints id and secret
 *   npm run provision -- contact --patient p-1 [--phone NUMBER|none] [--sex female|male|none]
 *                                                      sets or clears how relatives reach and name a patient
 *   identity (with patient or contact; common/ins.ts checks it):
 *     --birth-name MARTIN --first-names "Jeanne Marie" --birth-date 1941-02-03 --sex female
 *     [--used-name DUPONT] [--birthplace 75112] [--ins "2 41 02 75 123 456 94" [--ins-kind nir|nia]]
 *     [--identity-status provisional|recovered|validated|qualified]   (provisional by default)
 *   npm run provision -- cohort --count 50 --out FILE   demo/test cohort, secrets written to FILE (0600)
 *   npm run provision -- service --name ingest          (re)creates a service account; prints its secret
 *   npm run provision -- revoke --device w-123          revokes a watch
 *   npm run provision -- staff --name "Dr A." --email a@x --role clinician --team "Équipe Nord" --rpps 810001234567
 *                                                      a care-team account; prints a first password once
 *   npm run provision -- team --team "Équipe Nord" --patients p-1,p-2   puts patients in a care team
 */
import { parseArgs } from 'node:util';
import { writeFile, rename } from 'node:fs/promises';
import { readCohort } from '../common/cohort.ts';
import { dataDir, registryPath } from '../common/paths.ts';
import { Registry, SERVICE_ROLES } from './registry.ts';
import { SERVICE_PREFIX } from './directory.ts';
import { People } from './people.ts';
import { RPPS_PATTERN, STAFF_ROLES } from '../common/people-rules.ts';
import { normalisePhone } from '../common/phone.ts';
import { SEXES, type Sex } from '../common/relations.ts';
import { IDENTITY_STATUSES, INS_KINDS, parseIdentity, shownIns, type Identity } from '../common/ins.ts';

const IDENTITY_USAGE = `[--birth-name NAME --first-names NAMES --birth-date YYYY-MM-DD --sex female|male [--used-name NAME] [--birthplace INSEE] [--ins MATRICULE [--ins-kind nir|nia]] [--identity-status ${IDENTITY_STATUSES.join('|')}]]`;
const USAGE = `usage: provision patient --label TEXT [--phone NUMBER] [--sex female|male] ${IDENTITY_USAGE}
       | contact --patient ID [--phone NUMBER|none] [--sex female|male|none] ${IDENTITY_USAGE} | cohort --count N --out FILE | service --name ${SERVICE_ROLES.join('|')} | revoke --device ID
       | staff --name TEXT --email ADDRESS --role clinician|nurse|coordinator|homecare|admin [--team NAME] [--rpps NUMBER] | team --team NAME --patients ID,ID`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    label: { type: 'string' },
    count: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    device: { type: 'string' },
    email: { type: 'string' },
    role: { type: 'string' },
    team: { type: 'string' },
    rpps: { type: 'string' },
    patients: { type: 'string' },
    patient: { type: 'string' },
    phone: { type: 'string' },
    sex: { type: 'string' },
    'birth-name': { type: 'string' },
    'first-names': { type: 'string' },
    'used-name': { type: 'string' },
    'birth-date': { type: 'string' },
    birthplace: { type: 'string' },
    ins: { type: 'string' },
    'ins-kind': { type: 'string' },
    'identity-status': { type: 'string' },
  },
});

/** --phone: a number (E.164 or French), normalised; `none` clears it (for `contact`). */
function phoneOption(clearable: boolean): string | null | undefined {
  if (values.phone === undefined) return undefined;
  if (clearable && values.phone === 'none') return null;
  const phone = normalisePhone(values.phone);
  if (!phone.ok)
    fail(
      `--phone ${JSON.stringify(values.phone)} is not a phone number (E.164 "+33612345678" or French "06 12 34 56 78")`,
    );
  return phone.value;
}

/** --sex: female or male; `none` clears it (for `contact`). */
function sexOption(clearable: boolean): Sex | null | undefined {
  if (values.sex === undefined) return undefined;
  if (clearable && values.sex === 'none') return null;
  const sex = SEXES.find((x) => x === values.sex);
  if (!sex) fail(`--sex must be ${SEXES.join(' or ')}${clearable ? ' or none' : ''}`);
  return sex;
}

/** The identity flags, checked (undefined when none is given); a refusal says its error code. */
function identityOption(): Identity | undefined {
  const flags = ['birth-name', 'first-names', 'used-name', 'birth-date', 'birthplace', 'ins', 'ins-kind'] as const;
  if (![...flags, 'identity-status' as const].some((flag) => values[flag] !== undefined)) return undefined;
  const sex = SEXES.find((x) => x === values.sex);
  const kind = INS_KINDS.find((k) => k === (values['ins-kind'] ?? 'nir'));
  const status = IDENTITY_STATUSES.find((x) => x === (values['identity-status'] ?? 'provisional'));
  if (values['birth-name'] === undefined || values['first-names'] === undefined || values['birth-date'] === undefined)
    fail('an identity needs --birth-name, --first-names and --birth-date');
  if (!sex) fail(`an identity needs --sex ${SEXES.join(' or ')}`);
  if (!kind) fail(`--ins-kind must be ${INS_KINDS.join(' or ')}`);
  if (!status) fail(`--identity-status must be one of ${IDENTITY_STATUSES.join(', ')}`);
  const identity = parseIdentity(
    {
      traits: {
        birthName: values['birth-name'],
        firstNames: values['first-names'],
        usedName: values['used-name'],
        birthDate: values['birth-date'],
        sex,
        birthplace: values.birthplace,
      },
      ins: values.ins === undefined ? null : { matricule: values.ins, kind },
      status,
    },
    new Date().toISOString().slice(0, 10),
  );
  if (!identity.ok) fail(`identity refused: ${identity.error} (the rules: common/ins.ts)`);
  return identity.value;
}

function identityLines(identity: Identity | null | undefined): string {
  if (!identity) return '';
  const { traits: t, status } = identity;
  // Like the API: the INS only for a qualified identity.
  const ins = shownIns(identity);
  return `identity ${t.birthName} ${t.firstNames}, ${t.birthDate}, ${t.sex}, ${status}${ins ? `, INS ${ins.matricule} ${ins.key} (${ins.oid})` : ''}\n`;
}

const registry = Registry.open(registryPath(dataDir()));
try {
  switch (positionals[0]) {
    case 'patient': {
      const label = values.label?.trim();
      if (!label) fail('patient needs --label (how the care team refers to the patient)');
      const phone = phoneOption(false) ?? undefined;
      const sex = sexOption(false) ?? undefined;
      const identity = identityOption();
      const p = await registry.provisionPatient(label, { ...(phone && { phone }), ...(sex && { sex }) });
      if (identity) registry.setPatientIdentity(p.patientId, identity);
      process.stdout.write(
        `patient  ${p.patientId}\nwatch    ${p.deviceId}\nsecret   ${p.secret}\n${identityLines(identity)}\nThe secret is shown once: configure it in the watch now. Only its hash is stored.\n`,
      );
      break;
    }
    case 'contact': {
      if (!values.patient) fail('contact needs --patient ID');
      const identity = identityOption();
      const contact = { phone: phoneOption(true), sex: identity ? undefined : sexOption(true) };
      if (contact.phone === undefined && contact.sex === undefined && !identity)
        fail('contact needs --phone, --sex or an identity');
      if (!registry.setPatientContact(values.patient, contact)) fail(`unknown patient ${values.patient}`);
      if (identity) registry.setPatientIdentity(values.patient, identity);
      const now = registry.patientContact(values.patient);
      process.stdout.write(
        `patient  ${values.patient}\nphone    ${now?.phone ?? '-'}\nsex      ${now?.sex ?? '-'}\n${identityLines(registry.patientIdentity(values.patient))}`,
      );
      break;
    }
    case 'cohort': {
      const count = Number(values.count);
      if (!Number.isInteger(count) || count < 1 || count > 100_000)
        fail('cohort needs --count, a whole number from 1 to 100000');
      if (!values.out) fail('cohort needs --out FILE');
      await provisionCohort(registry, count, values.out);
      break;
    }
    case 'service': {
      const role = SERVICE_ROLES.find((r) => r === values.name);
      if (!role) fail(`service needs --name, one of ${SERVICE_ROLES.join(', ')}`);
      const username = `${SERVICE_PREFIX}${role}`;
      const secret = await registry.setService(username, role);
      process.stdout.write(`username ${username}\nsecret   ${secret}\n`);
      break;
    }
    case 'revoke': {
      if (!values.device) fail('revoke needs --device ID');
      process.stdout.write(
        registry.revokeDevice(values.device) ? `revoked ${values.device}\n` : `no active device ${values.device}\n`,
      );
      break;
    }
    case 'staff': {
      const role = STAFF_ROLES.find((r) => r === values.role);
      if (!values.name || !values.email || !role)
        fail(`staff needs --name, --email and --role ${STAFF_ROLES.join('|')}`);
      if (values.rpps !== undefined && !RPPS_PATTERN.test(values.rpps))
        fail('--rpps must be the 9 to 12 digits Pro Santé Connect sends as SubjectNameID');
      const people = People.open(registryPath(dataDir()));
      try {
        if (values.rpps !== undefined && people.personByRpps(values.rpps))
          fail(`an account already uses RPPS ${values.rpps}`);
        const { person, password } = await people.createStaff({
          role,
          name: values.name,
          email: values.email,
          rpps: values.rpps,
        });
        if (values.team) people.addToTeam(people.team(values.team), { people: [person.id] });
        process.stdout.write(`account  ${person.id} (${role})
sign in  ${person.email}${values.rpps ? ` or with Pro Santé Connect (RPPS ${values.rpps})` : ''}
password ${password}

Shown once; only its hash is stored.
`);
      } finally {
        people.close();
      }
      break;
    }
    case 'team': {
      if (!values.team || !values.patients) fail('team needs --team NAME and --patients ID,ID');
      const people = People.open(registryPath(dataDir()));
      try {
        const ids = values.patients
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const unknown = ids.filter((id) => !registry.hasPatient(id));
        if (unknown.length) fail(`unknown patients: ${unknown.join(', ')}`);
        people.addToTeam(people.team(values.team), { patients: ids });
        process.stdout.write(`team "${values.team}": ${ids.length} patients added
`);
      } finally {
        people.close();
      }
      break;
    }
    default:
      fail(positionals[0] ? `unknown command ${positionals[0]}` : 'missing command');
  }
} finally {
  registry.close();
}

/** Tops the cohort file up to `count` watches (existing ones are kept), printing progress. */
async function provisionCohort(registry: Registry, count: number, out: string): Promise<void> {
  const cohort = (await readCohort(out)) ?? { version: 1, watches: [] };
  const known = cohort.watches.filter((w) => registry.device(w.deviceId) !== undefined);
  const missing = count - known.length;
  for (let i = 0; i < missing; i += 1) {
    const p = await registry.provisionPatient(demoName(known.length));
    known.push({ deviceId: p.deviceId, patientId: p.patientId, secret: p.secret });
    if ((i + 1) % 100 === 0 || i + 1 === missing) process.stderr.write(`\rprovisioning watches ${i + 1}/${missing}`);
  }
  if (missing > 0) process.stderr.write('\n');
  const tmp = `${out}.tmp`;
  await writeFile(tmp, JSON.stringify({ version: 1, watches: known }, null, 1), { mode: 0o600 });
  await rename(tmp, out);
  process.stdout.write(`cohort: ${known.length} watches in ${out}\n`);
}

/** Invented names for the demo's seniors (so that pages and messages read like the real thing). */
function demoName(i: number): string {
  const FIRST = ['Jeanne', 'Marcel', 'Simone', 'Robert', 'Yvette', 'André', 'Germaine', 'Lucien', 'Odette', 'René'];
  const LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];
  return `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}${i >= FIRST.length * LAST.length ? ` ${i + 1}` : ''}`;
}
