/**
 * Who a CONNECT is: a device or a service account with its secret, or a refusal with its CONNACK
 * return code (MQTT 3.1.1 section 3.2.2.3). Refusals are counted and logged; those of wrong
 * credentials are held back per source address (RefusalDelay), never the right ones.
 */
import type { AuthenticateError, Client } from 'aedes';
import type { DeviceDirectory } from '../web/directory.ts';
import type { Logger } from '../common/log.ts';
import { verifySecret } from '../common/secrets.ts';
import { authorizeWill, SERVICE_PREFIX, type Principal } from './acl.ts';
import type { BrokerMetrics } from './metrics.ts';
import type { RefusalDelay } from './refusal-delay.ts';

const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
type ReturnCode =
  typeof IDENTIFIER_REJECTED | typeof SERVER_UNAVAILABLE | typeof BAD_USERNAME_OR_PASSWORD | typeof NOT_AUTHORIZED;

/** A refused CONNECT: the CONNACK return code aedes sends, and why (a metrics label). */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly returnCode: ReturnCode,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A hash no secret matches, checked for unknown users so they take as long as known ones. */
const DUMMY_HASH = 'scrypt$1024$8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
/** Longest client-chosen text (a username) put in a log line or a rate-limit key. */
const MAX_LOGGED_ID = 64;

export interface AuthenticatorOptions {
  readonly registry: DeviceDirectory;
  readonly metrics: BrokerMetrics;
  readonly warn: (key: string, fields: Record<string, unknown>, message: string) => void;
  readonly logger: Logger;
  readonly refusalDelay: RefusalDelay;
  /** The source address of a client's connection. */
  readonly addressOf: (client: Client) => string;
}

export class Authenticator {
  readonly #o: AuthenticatorOptions;
  /** Last Wills seen at CONNECT (aedes' preConnect), checked with the credentials. */
  readonly #wills = new WeakMap<Client, { topic: string; payload: Buffer }>();
  /** Refusals being held back, cancelled on close. */
  readonly #held = new Set<NodeJS.Timeout>();

  constructor(options: AuthenticatorOptions) {
    this.#o = options;
  }

  noteWill(client: Client, will: { topic: string; payload: Buffer | string }): void {
    this.#wills.set(client, { topic: will.topic, payload: Buffer.from(will.payload) });
  }

  /** aedes' authenticate hook: calls back with the client's principal, or with its refusal. */
  authenticate(
    client: Client,
    username: string | undefined,
    password: Readonly<Buffer> | undefined,
    done: (error: AuthenticateError | null, principal: Principal | null) => void,
  ): void {
    this.#principal(client, username, password).then(
      (principal) => done(null, principal),
      (error: unknown) => {
        if (error instanceof Refusal) return this.#refuse(client, username, error, done);
        this.#o.logger.error({ clientId: client.id, error: String(error) }, 'authentication failed unexpectedly');
        done(new Refusal(SERVER_UNAVAILABLE, 'server_error', 'server unavailable'), null);
      },
    );
  }

  /** Drops the refusals still held (the broker is closing; their connections go with it). */
  close(): void {
    for (const timer of this.#held) clearTimeout(timer);
    this.#held.clear();
    this.#o.metrics.refusalsHeld.set(0);
  }

  /** The principal of a CONNECT's credentials, or a Refusal. Never slowed down: see #refuse. */
  async #principal(
    client: Client,
    username: string | undefined,
    password: Readonly<Buffer> | undefined,
  ): Promise<Principal> {
    if (!username || !password)
      throw new Refusal(BAD_USERNAME_OR_PASSWORD, 'no_credentials', 'connect without username or password');
    const { registry } = this.#o;
    const record = username.startsWith(SERVICE_PREFIX) ? registry.service(username) : registry.device(username);
    // Verify even for unknown users so response time does not reveal which ids exist.
    const valid = await verifySecret(Buffer.from(password), record?.secretHash ?? DUMMY_HASH);
    if (!record || !valid) throw new Refusal(BAD_USERNAME_OR_PASSWORD, 'bad_credentials', 'bad username or secret');
    let principal: Principal;
    if ('role' in record) {
      principal = { kind: 'service', username: record.username, role: record.role };
    } else {
      if (record.revoked) throw new Refusal(NOT_AUTHORIZED, 'revoked', 'device revoked');
      if (client.id !== username)
        throw new Refusal(IDENTIFIER_REJECTED, 'client_id_mismatch', 'device client id must equal its username');
      principal = { kind: 'device', deviceId: record.id, patientId: record.patientId };
    }
    const will = this.#wills.get(client);
    if (will) {
      const decision = authorizeWill(principal, will.topic, will.payload);
      if (!decision.allowed) throw new Refusal(NOT_AUTHORIZED, `will_${decision.denial}`, decision.reason);
    }
    return principal;
  }

  /**
   * Counts and logs a refusal and sends its CONNACK. Wrong credentials are answered after a delay
   * that grows with the failures from the same address (RefusalDelay): that slows the failing
   * connection, while the device with the right secret, whoever else shares or attacks its id or
   * its address, connects at once.
   */
  #refuse(
    client: Client,
    username: string | undefined,
    refusal: Refusal,
    done: (error: AuthenticateError | null, principal: Principal | null) => void,
  ): void {
    const { metrics, warn, refusalDelay } = this.#o;
    const deviceId = username?.slice(0, MAX_LOGGED_ID);
    const address = this.#o.addressOf(client);
    metrics.connectionsRefused.inc({ reason: refusal.reason });
    if (refusal.reason !== 'bad_credentials') {
      warn(`auth:${refusal.reason}:${deviceId}`, { deviceId, address, reason: refusal.reason }, refusal.message);
      return done(refusal, null);
    }
    const { delayMs, failures } = refusalDelay.fail(address);
    warn(
      `auth:bad_credentials:${deviceId}`,
      { deviceId, address, reason: refusal.reason, failuresFromAddress: failures, delayMs },
      refusal.message,
    );
    if (delayMs === 0) return done(refusal, null);
    metrics.refusalsHeld.inc();
    const timer = setTimeout(() => {
      this.#held.delete(timer);
      refusalDelay.release(address);
      metrics.refusalsHeld.dec();
      done(refusal, null); // aedes does nothing if the connection went away meanwhile
    }, delayMs);
    this.#held.add(timer);
  }
}
