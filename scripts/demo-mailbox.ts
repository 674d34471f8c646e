/**
 * The demo's mailbox: a local SMTP server (smtp-server) that receives the e-mails Vigie sends and
 * prints one line each, so that an escalation can be watched without a real mail account.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface DemoMailbox {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startDemoMailbox(port: number, print: (line: string) => void): Promise<DemoMailbox> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'Vigie demo mailbox',
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
        print(`✉  e-mail to ${to}: ${mail.subject ?? ''}\n   ${(mail.text ?? '').trim().replace(/\n+/g, '\n   ')}`);
        callback();
      }, callback);
    },
  });
  // A connection's failure is the server's 'error' event: without a listener it would end the demo
  // (a sender that resets its connection while the demo stops, seen in CI). It ends that connection only.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET') print(`✉  mailbox: ${error.message}`);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
