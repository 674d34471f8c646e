import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../common/free-port.ts';
import { startDemoMailbox, type DemoMailbox } from './demo-mailbox.ts';

let mailbox: DemoMailbox | undefined;
afterEach(async () => {
  await mailbox?.stop();
  mailbox = undefined;
});

/** Connects and resolves with the server's first line (its banner). */
async function banner(port: number): Promise<{ socket: Socket; line: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { socket, line: chunk.toString() };
}

it('keeps serving after a sender resets its connection in the middle of a message', async () => {
  const port = await freePort();
  const printed: string[] = [];
  mailbox = await startDemoMailbox(port, (line) => printed.push(line));
  const first = await banner(port);
  expect(first.line).toContain('Vigie demo mailbox');
  // In the middle of a message (as a sender stopped while it sends): smtp-server passes a reset on to
  // the server's 'error' event only within a transaction.
  for (const command of ['EHLO vigie.test', 'MAIL FROM:<alerts@vigie.test>']) {
    first.socket.write(`${command}\r\n`);
    const [reply] = (await once(first.socket, 'data')) as [Buffer];
    expect(reply.toString()).toMatch(/^250/);
  }
  first.socket.resetAndDestroy(); // a TCP RST: the server's connection fails with ECONNRESET
  await once(first.socket, 'close');
  const second = await banner(port);
  expect(second.line).toContain('Vigie demo mailbox');
  second.socket.destroy();
  expect(printed).toEqual([]); // a reset is not news
});
