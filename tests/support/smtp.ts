/** A real SMTP server (smtp-server) on a free loopback port, keeping what it receives, parsed. */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { freePort } from '../../common/free-port.ts';
import { EmailChannel } from '../../ingest/notify/email.ts';

export interface TestSmtp {
  readonly url: string;
  readonly received: ParsedMail[];
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        for (const w of waiters.splice(0)) w();
        callback();
      }, callback);
    },
  });
  // A sender reset in the middle of a message (stopped while it sends) ends that connection only;
  // any other failure still ends the test run, as with no listener (scripts/demo-mailbox.ts).
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET') throw error;
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} e-mails, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A real SMTP server for one test file: started before its tests, stopped after them, its mail
 * emptied before each test. `channel()` is the ingest's e-mail channel to it (for usePipeline's
 * channels, which are made once the server runs).
 */
export function useTestSmtp(from = 'Vigie <rdv@vigie.test>'): TestSmtp & { channel(): EmailChannel } {
  let server: TestSmtp | undefined;
  beforeAll(async () => {
    server = await startTestSmtp();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    if (server) server.received.length = 0;
  });
  const current = () => {
    if (!server) throw new Error('the SMTP server starts before the tests');
    return server;
  };
  return {
    get url() {
      return current().url;
    },
    get received() {
      return current().received;
    },
    waitFor: (count, timeoutMs) => current().waitFor(count, timeoutMs),
    stop: () => current().stop(),
    channel: () => new EmailChannel({ url: current().url, from }),
  };
}
