/**
 * The provisioning CLI records a patient's identity, checked by common/ins.ts, and refuses a bad one
 * with its error code, storing nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INS_OIDS } from '../common/ins.ts';
import { registryPath } from '../common/paths.ts';
import { Registry } from '../web/registry.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function provision(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'web/provision-cli.ts', ...args], {
    env: { ...process.env, VIGIE_DATA_DIR: dir },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function read<T>(dir: string, f: (registry: Registry) => T): T {
  const registry = Registry.open(registryPath(dir));
  try {
    return f(registry);
  } finally {
    registry.close();
  }
}

const JEANNE = [
  '--birth-name',
  'Martin',
  '--first-names',
  'Jeanne Marie',
  '--birth-date',
  '1941-02-03',
  '--sex',
  'female',
];

describe('provision patient and contact with an identity', () => {
  it('records it with the patient, then changes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-provision-'));
    dirs.push(dir);
    const made = provision(dir, [
      'patient',
      '--label',
      'Mme Martin',
      ...JEANNE,
      '--birthplace',
      '75112',
      '--ins',
      '2 41 02 75 123 456 94',
      '--identity-status',
      'qualified',
    ]);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('identity MARTIN Jeanne Marie, 1941-02-03, female, qualified, INS 2410275123456 94');
    const patientId = /patient\s+(p-\w+)/.exec(made.stdout)?.[1] ?? '';
    expect(read(dir, (r) => r.patientIdentity(patientId))).toEqual({
      traits: {
        birthName: 'MARTIN',
        firstNames: 'Jeanne Marie',
        usedName: null,
        birthDate: '1941-02-03',
        sex: 'female',
        birthplace: '75112',
      },
      ins: { matricule: '2410275123456', key: '94', oid: INS_OIDS.nir },
      status: 'qualified',
    });

    const changed = provision(dir, [
      'contact',
      '--patient',
      patientId,
      ...JEANNE,
      '--used-name',
      'Dupont',
      '--ins',
      '241027512345694',
      '--ins-kind',
      'nia',
      '--identity-status',
      'recovered',
    ]);
    expect(changed.status).toBe(0);
    expect(changed.stdout).toContain('female, recovered\n');
    expect(changed.stdout).not.toContain('2410275123456');
    expect(read(dir, (r) => r.patientIdentity(patientId))).toMatchObject({
      traits: { usedName: 'DUPONT' },
      ins: { oid: INS_OIDS.nia },
      status: 'recovered',
    });
    const provisional = provision(dir, ['contact', '--patient', patientId, ...JEANNE]);
    expect(provisional.stdout).toContain('female, provisional\n');
  });

  it.each([
    [['--ins', '241027512345695'], 'identity refused: ins_key'],
    [['--ins', '141027512345647'], 'identity refused: ins_sex_mismatch'],
    [['--identity-status', 'qualified'], 'identity refused: identity_ins_required'],
    [['--birthplace', '751'], 'identity refused: birthplace_invalid'],
    [['--birth-date', '1941-02-30'], 'identity refused: birth_date_invalid'],
    [['--identity-status', 'certified'], '--identity-status must be one of'],
    [['--ins', '241027512345694', '--ins-kind', 'nip'], '--ins-kind must be nir or nia'],
    [['--sex', 'x'], '--sex must be female or male'],
  ])('refuses %j: %s, and makes no patient', (extra, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-provision-'));
    dirs.push(dir);
    const args = [...JEANNE];
    for (let i = 0; i < extra.length; i += 2) {
      const at = args.indexOf(extra[i]!);
      if (at >= 0) args.splice(at, 2);
      args.push(extra[i]!, extra[i + 1]!);
    }
    const r = provision(dir, ['patient', '--label', 'Mme Martin', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(read(dir, (registry) => registry.patientIds())).toEqual([]);
  });

  it('refuses an identity without its traits or its sex, and one for an unknown patient', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-provision-'));
    dirs.push(dir);
    const partial = provision(dir, ['patient', '--label', 'X', '--ins', '241027512345694']);
    expect(partial.status).toBe(2);
    expect(partial.stderr).toContain('an identity needs --birth-name, --first-names and --birth-date');
    const sexless = provision(dir, ['patient', '--label', 'X', ...JEANNE.slice(0, -2)]);
    expect(sexless.status).toBe(2);
    expect(sexless.stderr).toContain('an identity needs --sex female or male');
    const unknown = provision(dir, ['contact', '--patient', 'p-unknown', ...JEANNE]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown patient p-unknown');
  });
});
