/**
 * A Web Push receiver standing in for a browser vendor's push service (unreachable offline): it
 * accepts RFC 8030 pushes on a free loopback port, checks the VAPID authorization (RFC 8292) and
 * decrypts the aes128gcm payload (RFC 8291) with the subscription's private key, like a browser would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { importJWK, jwtVerify, type JWTPayload } from 'jose';
import type { PushSubscriptionRecord } from '../../web/people.ts';

const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(body: Buffer, params: { version: string; privateKey: ECDH; authSecret: string }): Buffer;
};

export interface ReceivedPush {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly vapid: JWTPayload;
  readonly vapidKey: string;
  readonly payload: unknown;
}

export interface TestPushService {
  readonly url: string;
  /** Trusts the service's self-signed certificate (push services are always HTTPS). */
  readonly agent: Agent;
  /** A subscription as a browser would hand it to the page, for a path on this service. */
  subscribe(name: string): PushSubscriptionRecord;
  readonly received: ReceivedPush[];
  /** Answers 410 Gone for this subscription from now on. */
  expire(name: string): void;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  stop(): Promise<void>;
}

export async function startTestPushService(): Promise<TestPushService> {
  const keys = new Map<string, { ecdh: ECDH; auth: string }>();
  const gone = new Set<string>();
  const received: ReceivedPush[] = [];
  const { key: tlsKey, cert } = selfSignedCertificate();
  const server = createServer({ key: tlsKey, cert }, (req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const name = (req.url ?? '/').slice('/push/'.length);
    const key = keys.get(name);
    if (!key || gone.has(name)) return void res.writeHead(410).end();
    try {
      const auth = /^vapid t=([^,]+), k=(.+)$/.exec(req.headers.authorization ?? '');
      if (!auth) throw new Error(`no VAPID authorization: ${req.headers.authorization}`);
      const [, jwt, k] = auth as unknown as [string, string, string];
      const raw = Buffer.from(k, 'base64url');
      const jwk = {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33, 65).toString('base64url'),
      };
      const { payload: vapid } = await jwtVerify(jwt, await importJWK(jwk, 'ES256'), {
        audience: `https://127.0.0.1:${port}`,
      });
      if (req.headers['content-encoding'] !== 'aes128gcm')
        throw new Error(`content-encoding ${req.headers['content-encoding']}`);
      const plain = ece.decrypt(Buffer.concat(chunks), {
        version: 'aes128gcm',
        privateKey: key.ecdh,
        authSecret: key.auth,
      });
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        vapid,
        vapidKey: k,
        payload: JSON.parse(plain.toString('utf8')),
      });
      res.writeHead(201).end();
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = address && typeof address !== 'string' ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    agent: new Agent({ ca: cert }),
    received,
    subscribe(name) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      keys.set(name, { ecdh, auth });
      return {
        endpoint: `https://127.0.0.1:${port}/push/${name}`,
        keys: { p256dh: ecdh.getPublicKey('base64url'), auth },
      };
    },
    expire: (name) => void gone.add(name),
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} pushes, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return received;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A throwaway certificate for 127.0.0.1, made with the openssl CLI (a system package, see setup.sh). */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-push-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
