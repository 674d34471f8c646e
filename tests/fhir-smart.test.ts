/**
 * SMART Backend Services on the FHIR API, against the real web service: an admin registers an
 * external system through the HTTP API with its public key (generated here with jose); the system
 * signs assertions, gets 5-minute access tokens and reads within its scopes and its care teams only;
 * every way an assertion can be wrong is refused as RFC 6749 says; revoking the system, or the
 * system's clock passing the token's expiry, ends its token; each read is logged under its name.
 */
import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { usePipeline } from './support/pipeline.ts';
import { useFamilyStack } from './support/family-stack.ts';
import { codeOf, sender } from './support/http.ts';
import { eventually } from './support/mqtt.ts';
import { validFhir } from './support/fhir.ts';
import {
  accessToken as systemToken,
  assertion as signAssertion,
  grantForm,
  keyPair,
  registerSystem,
  token as postToken,
  tokenUrl as smartTokenUrl,
  type SystemClient,
} from './support/smart.ts';

const t = usePipeline();
const s = useFamilyStack(t);
const send = sender(() => s.webUrl);

type Json = Record<string, unknown>;
const tokenUrl = () => smartTokenUrl(s);

type Client = SystemClient;

/** An admin of the stack's team, signed in. */
const admin = () => s.clinician({ name: 'Ada Admin', email: `ada-${randomUUID()}@vigie.test`, role: 'admin' });
const register = (cookie: string, o?: Parameters<typeof registerSystem>[2]) => registerSystem(s, cookie, o);
const assertion = (client: Client, claims?: Json, header?: Json, alg?: string) =>
  signAssertion(s, client, claims, header, alg);
const token = (form: Record<string, string>) => postToken(s, form);
const accessToken = (client: Client, scope?: string) => systemToken(s, client, scope);

async function fhir(path: string, bearer: string) {
  const res = await fetch(`${s.webUrl}/fhir/R4${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  const body = (await res.json()) as Json;
  validFhir(body);
  return { status: res.status, body };
}

const outcomeCode = (body: Json) =>
  (body as { issue: Array<{ details: { coding: Array<{ code: string }> } }> }).issue[0]?.details.coding[0]?.code;
const entries = (body: Json) => ((body.entry ?? []) as Array<{ resource: Json }>).map((e) => e.resource);

describe('SMART Backend Services: registration', () => {
  it('lets an admin register a system, lists it without its keys, and records it in the change log', async () => {
    const { cookie, personId } = await admin();
    const client = await register(cookie);
    expect(client.id).toMatch(/^sys-/);
    const list = await send('GET', '/api/admin/systems', cookie);
    const body = (await list.json()) as { systems: Json[]; tokenEndpoint: string };
    expect(body.tokenEndpoint).toBe(tokenUrl());
    expect(body.systems).toEqual([
      {
        id: client.id,
        name: 'Logiciel du médecin traitant',
        scopes: ['system/Patient.rs', 'system/Observation.rs'],
        teams: [{ id: s.staffTeam, name: 'Équipe test' }],
        keyIds: [client.kid],
        createdAt: expect.any(Number),
        lastUsedAt: null,
        revokedAt: null,
      },
    ]);
    expect(s.changes.list({ actorId: personId })).toMatchObject([
      {
        action: 'system.registered',
        detail: { name: 'Logiciel du médecin traitant', scopes: 'system/Patient.rs system/Observation.rs' },
      },
    ]);
    expect(JSON.stringify(s.changes.list({ actorId: personId }))).not.toContain('"kty"');
  });

  it('refuses a member who is not an admin, whatever their role', async () => {
    for (const role of ['clinician', 'coordinator', 'nurse'] as const) {
      const { cookie } = await s.clinician({ name: `Not admin ${role}`, email: `${role}-x@vigie.test`, role });
      const { jwk } = await keyPair();
      const res = await send('POST', '/api/admin/systems', cookie, {
        name: 'X',
        jwks: JSON.stringify({ keys: [jwk] }),
        scopes: ['system/Patient.rs'],
        teamIds: [s.staffTeam],
      });
      expect([res.status, await codeOf(res)]).toEqual([403, 'admin_only']);
      expect((await send('GET', '/api/admin/systems', cookie)).status).toBe(403);
    }
    expect(s.systems.list()).toEqual([]);
  });

  it('refuses key sets that are not public RS384 or ES384 keys, unknown scopes and teams', async () => {
    const { cookie } = await admin();
    const { jwk } = await keyPair();
    const ec256 = (await generateKeyPair('ES256', { extractable: true })).publicKey;
    const rsaPrivate = (await generateKeyPair('RS384', { extractable: true })).privateKey;
    // jose will not make an RSA key under 2048 bits; node:crypto will.
    const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const cases: Array<[string, unknown, string]> = [
      ['not JSON', '{keys', 'system_keys_invalid'],
      ['no keys', JSON.stringify({ keys: [] }), 'system_keys_invalid'],
      ['P-256', JSON.stringify({ keys: [{ ...(await exportJWK(ec256)), kid: 'a' }] }), 'system_keys_invalid'],
      ['no kid', JSON.stringify({ keys: [{ ...jwk, kid: undefined }] }), 'system_keys_invalid'],
      ['kid twice', JSON.stringify({ keys: [jwk, jwk] }), 'system_keys_invalid'],
      ['RSA 1024', JSON.stringify({ keys: [{ ...smallRsa, kid: 'a' }] }), 'system_keys_invalid'],
      ['HS key', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'a' }] }), 'system_key_private'],
      ['private', JSON.stringify({ keys: [{ ...(await exportJWK(rsaPrivate)), kid: 'a' }] }), 'system_key_private'],
      ['bad point', JSON.stringify({ keys: [{ ...jwk, x: jwk.y, y: jwk.x }] }), 'system_keys_invalid'],
    ];
    for (const [what, jwks, code] of cases) {
      const res = await send('POST', '/api/admin/systems', cookie, {
        name: 'X',
        jwks,
        scopes: ['system/Patient.rs'],
        teamIds: [s.staffTeam],
      });
      expect([what, res.status, await codeOf(res)]).toEqual([what, 400, code]);
    }
    const body = {
      name: 'X',
      jwks: JSON.stringify({ keys: [jwk] }),
      scopes: ['system/Patient.rs'],
      teamIds: [s.staffTeam],
    };
    for (const wrong of [
      { scopes: ['system/Patient.write'] },
      { scopes: [] },
      { teamIds: [] },
      { name: '' },
      { jwks: 'x'.repeat(12_001) },
    ]) {
      const res = await send('POST', '/api/admin/systems', cookie, { ...body, ...wrong });
      expect([res.status, await codeOf(res)]).toEqual([400, 'invalid_request']);
    }
    const unknownTeam = await send('POST', '/api/admin/systems', cookie, { ...body, teamIds: ['t-nope'] });
    expect([unknownTeam.status, await codeOf(unknownTeam)]).toEqual([404, 'team_not_found']);
    expect(s.systems.list()).toEqual([]);
  });
});

describe('SMART Backend Services: discovery', () => {
  it('publishes its smart-configuration and names the token endpoint in the CapabilityStatement', async () => {
    const res = await fetch(`${s.webUrl}/fhir/R4/.well-known/smart-configuration`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      token_endpoint: tokenUrl(),
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['client_credentials'],
      scopes_supported: [
        'system/Patient.rs',
        'system/Practitioner.rs',
        'system/Device.rs',
        'system/RelatedPerson.rs',
        'system/Observation.rs',
        'system/Flag.rs',
        'system/Communication.rs',
        'system/Encounter.rs',
        'system/Appointment.rs',
        'system/DocumentReference.rs',
        'system/Binary.rs',
        'system/Group.rs',
        'system/*.rs',
      ],
      capabilities: ['client-confidential-asymmetric'],
    });
    const metadata = (await (await fetch(`${s.webUrl}/fhir/R4/metadata`)).json()) as Json;
    validFhir(metadata);
    const security = (metadata.rest as Array<{ security: Json }>)[0]?.security;
    expect(security).toMatchObject({
      service: [{ coding: [{ code: 'SMART-on-FHIR' }] }],
      extension: [
        {
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [{ url: 'token', valueUri: tokenUrl() }],
        },
      ],
    });
  });
});

describe('SMART Backend Services: tokens and reads', () => {
  it('grants the scopes asked for and registered, and reads Patient and Observation of its teams only', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const { device, publish } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    await publish('vitals', { ts: Date.now() - 60_000, seq: 1, hr: 72 });

    const granted = await token(grantForm(await assertion(client), 'system/Patient.rs system/Device.rs launch'));
    expect(granted.status).toBe(200);
    expect(granted.headers.get('cache-control')).toBe('no-store');
    expect(granted.body).toEqual({
      access_token: expect.stringMatching(/^vsys_[\w-]{43}$/),
      token_type: 'bearer',
      expires_in: 300,
      scope: 'system/Patient.rs',
    });
    const all = await token(grantForm(await assertion(client), 'system/*.rs'));
    expect(all.body.scope).toBe('system/Patient.rs system/Observation.rs');
    const bearer = String(all.body.access_token);

    const patient = await fhir(`/Patient/${id}`, bearer);
    expect([patient.status, patient.body.resourceType, patient.body.id]).toEqual([200, 'Patient', id]);
    expect(entries((await fhir('/Patient', bearer)).body).map((r) => r.id)).toEqual([id]);
    const observations = await eventually(
      async () => {
        const r = entries((await fhir(`/Observation?patient=${id}`, bearer)).body);
        expect(r).toHaveLength(1);
        return r;
      },
      20_000,
      250,
    );
    expect(observations[0]).toMatchObject({ resourceType: 'Observation', valueQuantity: { value: 72 } });
    expect((await fhir(`/Observation/${String(observations[0]?.id)}`, bearer)).status).toBe(200);

    // Outside its scopes: 403 insufficient_scope, before anything is looked up.
    for (const path of [`/Device?patient=${id}`, '/Practitioner', `/Device/${device.deviceId}`]) {
      const refused = await fhir(path, bearer);
      expect([path, refused.status, outcomeCode(refused.body)]).toEqual([path, 403, 'insufficient_scope']);
    }
    // Outside its teams: as unknown as a patient that does not exist.
    const south = s.people.team('Équipe sud');
    const foreignId = t.broker.registry.createPatient('Autre patient');
    s.people.addToTeam(south, { patients: [foreignId] });
    for (const path of [`/Patient/${foreignId}`, '/Patient/p-000000000000', `/Observation?patient=${foreignId}`]) {
      const refused = await fhir(path, bearer);
      expect([path, refused.status, outcomeCode(refused.body)]).toEqual([path, 404, 'patient_not_found']);
    }
    expect(entries((await fhir('/Patient', bearer)).body).map((r) => r.id)).toEqual([id]);

    // Its reads are in the patient's record-read log, under its name, as the patient sees it too.
    const reads = s.reads.list({ patientId: id });
    expect(
      reads
        .filter((r) => r.reader === 'system')
        .map((r) => [r.name, r.role, r.channel, r.what])
        .sort(),
    ).toEqual([
      ['Logiciel du médecin traitant', null, 'system_token', 'record'],
      ['Logiciel du médecin traitant', null, 'system_token', 'vitals'],
    ]);
    expect(s.reads.list({ patientId: foreignId })).toEqual([]);
    const self = await s.family(id, { name: 'Jeanne Martin', email: 'jeanne@vigie.test', role: 'patient' });
    const seen = (await (await send('GET', `/api/patients/${id}/record-reads`, self.cookie)).json()) as {
      reads: Json[];
    };
    expect(seen.reads.filter((r) => r.reader === 'system')).toContainEqual(
      expect.objectContaining({ name: 'Logiciel du médecin traitant', role: null, what: 'vitals' }),
    );
    const adminLog = (await (await send('GET', `/api/console/record-reads?patientId=${id}`, cookie)).json()) as {
      reads: Json[];
    };
    expect(adminLog.reads).toContainEqual(
      expect.objectContaining({ reader: 'system', personId: client.id, channel: 'system_token' }),
    );
    const listed = (await (await send('GET', '/api/admin/systems', cookie)).json()) as { systems: Json[] };
    expect(listed.systems[0]?.lastUsedAt).toEqual(expect.any(Number));
  });

  it('reads the alerts and the care notes of its teams when its scopes say so, and nothing else of care', async () => {
    const { cookie } = await admin();
    const client = await register(cookie, { scopes: ['system/Flag.rs', 'system/Communication.rs'] });
    const { device, publish } = await s.senior('Jeanne Martin');
    const id = device.patientId;
    const doctor = await s.clinician({ name: 'Dr Roux', email: 'roux@vigie.test' });
    s.people.addNote(id, doctor.personId, 'Vue ce matin, va bien');
    await publish('events', { ts: Date.now(), seq: 1, type: 'fall', confidence: 0.9 });

    const bearer = await accessToken(client, 'system/*.rs');
    const flags = await eventually(
      async () => {
        const found = entries((await fhir(`/Flag?patient=${id}`, bearer)).body);
        expect(found).toHaveLength(1);
        return found;
      },
      20_000,
      250,
    );
    expect(JSON.stringify(flags[0]?.code)).toContain('1912002');
    const notes = entries((await fhir(`/Communication?patient=${id}`, bearer)).body);
    expect(notes.map((n) => n.payload)).toEqual([[{ contentString: 'Vue ce matin, va bien' }]]);
    for (const path of [
      `/Encounter?patient=${id}`,
      `/Appointment?patient=${id}`,
      `/DocumentReference?patient=${id}`,
      `/Observation?patient=${id}`,
    ]) {
      const refused = await fhir(path, bearer);
      expect([path, refused.status, outcomeCode(refused.body)]).toEqual([path, 403, 'insufficient_scope']);
    }
    const south = s.people.team('Équipe sud');
    const foreignId = t.broker.registry.createPatient('Autre patient');
    s.people.addToTeam(south, { patients: [foreignId] });
    const foreign = await fhir(`/Communication?patient=${foreignId}`, bearer);
    expect([foreign.status, outcomeCode(foreign.body)]).toEqual([404, 'patient_not_found']);
    expect(
      s.reads
        .list({ patientId: id })
        .filter((r) => r.reader === 'system')
        .map((r) => r.what)
        .sort(),
    ).toEqual(['alerts', 'notes']);
  });

  it('exports its care team in bulk, only the types of its scopes, and only to itself', async () => {
    const { cookie } = await admin();
    const client = await register(cookie, { scopes: ['system/Group.rs', 'system/Patient.rs', 'system/Device.rs'] });
    const { device } = await s.senior('Jeanne Martin');
    const bearer = await accessToken(client, 'system/*.rs');
    const get = (url: string, token = bearer, prefer?: string) =>
      fetch(url.startsWith('http') ? url : `${s.webUrl}/fhir/R4${url}`, {
        headers: { authorization: `Bearer ${token}`, ...(prefer ? { prefer } : {}) },
      });

    const group = (await (await get(`/Group/${s.staffTeam}`)).json()) as Json;
    validFhir(group);
    expect(JSON.stringify(group.member)).toContain(`Patient/${device.patientId}`);
    const kickOff = await get(`/Group/${s.staffTeam}/$export`, bearer, 'respond-async');
    expect(kickOff.status).toBe(202);
    const status = kickOff.headers.get('content-location') ?? '';
    const manifest = await eventually(
      async () => {
        const res = await get(status);
        expect(res.status).toBe(200);
        return (await res.json()) as {
          output: Array<{ type: string; url: string; count: number }>;
          error: Array<{ url: string; count: number }>;
        };
      },
      20_000,
      100,
    );
    expect(manifest.output.map((f) => [f.type, f.count])).toEqual([
      ['Patient', 1],
      ['Device', 1],
    ]);
    const lines = async (url: string, token = bearer) =>
      (await (await get(url, token)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Json);
    for (const f of manifest.output) for (const r of await lines(f.url)) validFhir(r);
    // What its scopes leave out is said, one line per type, not sent.
    const [errors] = manifest.error;
    const outcomes = await lines(errors?.url ?? '');
    expect(outcomes.map((o) => String((o.issue as Array<{ diagnostics: string }>)[0]?.diagnostics))).toEqual(
      ['RelatedPerson', 'Observation', 'Flag', 'Communication', 'Encounter', 'Appointment', 'DocumentReference'].map(
        (type) => `${type} not exported: this token's scopes do not include system/${type}.rs`,
      ),
    );
    for (const o of outcomes) expect(outcomeCode(o)).toBe('insufficient_scope');

    // Another system of the same team does not see its job or its files.
    const other = await register(cookie, { name: 'Autre logiciel', scopes: ['system/Patient.rs', 'system/Group.rs'] });
    const otherToken = await accessToken(other, 'system/*.rs');
    expect((await get(status, otherToken)).status).toBe(404);
    expect((await get(manifest.output[0]?.url ?? '', otherToken)).status).toBe(404);
    // Without the Group scope, no care team.
    const noGroup = await register(cookie, { name: 'Sans groupe', scopes: ['system/Patient.rs'] });
    const refused = await get(`/Group/${s.staffTeam}/$export`, await accessToken(noGroup), 'respond-async');
    expect([refused.status, outcomeCode((await refused.json()) as Json)]).toEqual([403, 'insufficient_scope']);
    // The export is in the patient's record-read log, under the system's name.
    expect(
      s.reads
        .list({ patientId: device.patientId })
        .filter((r) => r.reader === 'system')
        .map((r) => [r.name, r.what]),
    ).toEqual([['Logiciel du médecin traitant', 'record']]);
  });

  it('reads Practitioner and Device within its teams when its scopes say so', async () => {
    const { cookie } = await admin();
    const client = await register(cookie, { scopes: ['system/Practitioner.rs', 'system/Device.rs'] });
    const { device } = await s.senior('Jeanne Martin');
    const bearer = await accessToken(client, 'system/*.rs');
    const devices = entries((await fhir(`/Device?patient=${device.patientId}`, bearer)).body);
    expect(devices.map((d) => d.id)).toContain(device.deviceId);
    const staff = entries((await fhir('/Practitioner', bearer)).body).map((p) => p.id);
    const south = s.people.team('Équipe sud');
    const { person: stranger } = await s.people.createStaff({
      role: 'clinician',
      name: 'Dr Sud',
      email: 'sud@vigie.test',
    });
    s.people.addToTeam(south, { people: [stranger.id] });
    expect(staff.length).toBeGreaterThan(0);
    expect((await fhir(`/Practitioner/${stranger.id}`, bearer)).status).toBe(404);
    expect((await fhir(`/Patient/${device.patientId}`, bearer)).status).toBe(403);
  });

  it('refuses a token on the rest of the API: it is not a person', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const bearer = await accessToken(client);
    const res = await fetch(`${s.webUrl}/api/console/patients`, { headers: { authorization: `Bearer ${bearer}` } });
    expect([res.status, await codeOf(res)]).toEqual([401, 'sign_in_required']);
  });

  it('ends its tokens when the system is revoked, at once, and refuses it new ones', async () => {
    const { cookie, personId } = await admin();
    const client = await register(cookie);
    const { device } = await s.senior('Jeanne Martin');
    const bearer = await accessToken(client);
    expect((await fhir(`/Patient/${device.patientId}`, bearer)).status).toBe(200);
    const revoked = await send('DELETE', `/api/admin/systems/${client.id}`, cookie);
    expect(revoked.status).toBe(204);
    const after = await fhir(`/Patient/${device.patientId}`, bearer);
    expect([after.status, outcomeCode(after.body)]).toEqual([401, 'system_token_invalid']);
    const again = await token(grantForm(await assertion(client)));
    expect([again.status, again.body.error]).toEqual([401, 'invalid_client']);
    expect(s.changes.list({ actorId: personId })[0]).toMatchObject({
      action: 'system.revoked',
      detail: { name: 'Logiciel du médecin traitant' },
    });
    const twice = await send('DELETE', `/api/admin/systems/${client.id}`, cookie);
    expect([twice.status, await codeOf(twice)]).toEqual([404, 'system_not_found']);
    const listed = (await (await send('GET', '/api/admin/systems', cookie)).json()) as { systems: Json[] };
    expect(listed.systems[0]?.revokedAt).toEqual(expect.any(Number));
  });

  it('ends a token five minutes later by the service clock', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const { device } = await s.senior('Jeanne Martin');
    const bearer = await accessToken(client);
    s.systemsClock.aheadMs = 290_000;
    expect((await fhir(`/Patient/${device.patientId}`, bearer)).status).toBe(200);
    s.systemsClock.aheadMs = 300_001;
    const expired = await fhir(`/Patient/${device.patientId}`, bearer);
    expect([expired.status, outcomeCode(expired.body)]).toEqual([401, 'system_token_invalid']);
  });
});

describe('SMART Backend Services: refused assertions', () => {
  it('refuses every wrong assertion with invalid_client and a reason', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const other = await keyPair();
    const now = Math.floor((Date.now() + s.systemsClock.aheadMs) / 1000);
    const unsigned = (claims: Json) =>
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
        JSON.stringify({
          iss: client.id,
          sub: client.id,
          aud: tokenUrl(),
          exp: now + 60,
          jti: randomUUID(),
          ...claims,
        }),
      ).toString('base64url')}.`;
    const hs256 = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid: client.kid })
      .setIssuer(client.id)
      .setSubject(client.id)
      .setAudience(tokenUrl())
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode('a shared secret that nobody registered'));
    const replayed = await assertion(client);
    expect((await token(grantForm(replayed))).status).toBe(200);
    const cases: Array<[string, string | Promise<string>, RegExp]> = [
      ['wrong signature', assertion({ ...client, key: other.privateKey }), /signature/],
      ['wrong aud', assertion(client, { aud: `${s.webUrl}/token` }), /aud/],
      ['expired', assertion(client, { exp: now - 120 }), /expired/],
      ['exp too far', assertion(client, { exp: now + 310 }), /five minutes/],
      ['no jti', assertion(client, { jti: undefined }), /jti/],
      ['replayed jti', replayed, /already used/],
      ['unknown client', assertion({ ...client, id: 'sys-unknown' }), /unknown/],
      ['sub not iss', assertion(client, { sub: 'someone-else' }), /sub/],
      ['alg none', unsigned({}), /RS384 or ES384/],
      ['HS256', hs256, /RS384 or ES384/],
      ['not a JWT', 'not-a-jwt', /not a JWT/],
    ];
    for (const [what, signed, reason] of cases) {
      const res = await token(grantForm(await signed));
      expect([what, res.status, res.body.error]).toEqual([what, 401, 'invalid_client']);
      expect(String(res.body.error_description)).toMatch(reason);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    // Every refusal is counted.
    const metric = await s.web.metrics.getSingleMetricAsString('vigie_web_refused_total');
    expect(metric).toContain(`code="oauth_invalid_client"} ${cases.length}`);
  });

  it('answers the other RFC 6749 errors for a malformed request', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const good = grantForm(await assertion(client));
    const wrongScope = await token(grantForm(await assertion(client), 'system/Device.rs patient/Patient.rs'));
    expect([wrongScope.status, wrongScope.body.error]).toEqual([400, 'invalid_scope']);
    expect((await token({ ...good, grant_type: 'authorization_code' })).body.error).toBe('unsupported_grant_type');
    const { grant_type: _g, ...noGrant } = good;
    expect((await token(noGrant)).body.error).toBe('invalid_request');
    const { scope: _s, ...noScope } = good;
    expect((await token(noScope)).body.error).toBe('invalid_request');
    const otherId = await token({ ...grantForm(await assertion(client)), client_id: 'sys-someone-else' });
    expect([otherId.status, otherId.body.error]).toEqual([401, 'invalid_client']);
    const wrongType = await token({ ...good, client_assertion_type: 'urn:other' });
    expect([wrongType.status, wrongType.body.error]).toEqual([401, 'invalid_client']);
    // Unknown parameters are ignored (RFC 6749 §3.2); a fresh assertion gets its token.
    expect((await token({ ...grantForm(await assertion(client)), audience: 'x' })).status).toBe(200);
    const twice = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${new URLSearchParams(good).toString()}&scope=system%2FPatient.rs`,
    });
    expect([twice.status, ((await twice.json()) as Json).error]).toEqual([400, 'invalid_request']);
    const long = await token({ ...good, client_assertion: 'x'.repeat(9000) });
    expect([long.status, long.body.error]).toEqual([400, 'invalid_request']);
    const huge = await token({ ...good, client_assertion: 'x'.repeat(17_000) });
    expect([huge.status, huge.body.error]).toEqual([413, 'invalid_request']);
    const json = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(good),
    });
    expect([json.status, ((await json.json()) as Json).error]).toEqual([400, 'invalid_request']);
  });

  it('slows down an address after many failed client authentications', async () => {
    const { cookie } = await admin();
    const client = await register(cookie);
    const wrong = { ...client, id: 'sys-unknown' };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await token(grantForm(await assertion(wrong)))).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    const slowed = await token(grantForm(await assertion(client)));
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
