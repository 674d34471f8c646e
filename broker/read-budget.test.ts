import { afterEach, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { ALARM_READS_WHILE_FULL, ReadBudget } from './read-budget.ts';

/** A loopback server whose connections are read as aedes reads them: read(null) at each 'readable'. */
async function serve(
  budget: ReadBudget,
  isDevice: (index: number) => boolean = () => true,
  onRead: (text: string) => void = () => {},
) {
  const consumed: Array<{ turn: number; text: string }> = [];
  let turn = 0;
  const tick = () => {
    turn += 1;
    timer = setImmediate(tick);
  };
  let timer = setImmediate(tick);
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => {
    accepted.push(socket);
    budget.apply(socket);
    if (isDevice(accepted.length - 1)) budget.device(socket);
    socket.on('readable', () => {
      for (let chunk = socket.read() as Buffer | null; chunk; chunk = socket.read() as Buffer | null) {
        consumed.push({ turn, text: chunk.toString() });
        onRead(chunk.toString());
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    consumed,
    /** Everything read so far, in order. */
    text: () => consumed.map((c) => c.text).join(''),
    accepted,
    port,
    close: async () => {
      clearImmediate(timer);
      for (const s of accepted) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

async function clients(port: number, n: number): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = connect(port, '127.0.0.1');
      s.setNoDelay(true);
      await once(s, 'connect');
      return s;
    }),
  );
  closing.push(async () => sockets.forEach((s) => s.destroy()));
  return sockets;
}

it('reads a fall at once while uploads beyond the turn budget wait, and reads every upload in later turns', async () => {
  const server = await serve(new ReadBudget(2));
  closing.push(server.close);
  const uploads = await clients(server.port, 10);
  const [fall] = await clients(server.port, 1);
  await waitFor(() => server.accepted.length === 11);
  // Every chunk is in the kernel before the server's next poll: all its connections are readable at once.
  uploads.forEach((s, i) => s.write(`devices/w${i}/vitals`));
  fall!.write('devices/w-fall/events');
  await waitFor(() => server.consumed.length === 11);
  const order = server.consumed.map((c) => c.text);
  expect(order.indexOf('devices/w-fall/events')).toBeLessThan(3);
  expect(new Set(order)).toEqual(new Set([...uploads.map((_, i) => `devices/w${i}/vitals`), 'devices/w-fall/events']));
  // At most two uploads a turn (and the fall besides).
  const perTurn = new Map<number, number>();
  for (const c of server.consumed) if (c.text.endsWith('vitals')) perTurn.set(c.turn, (perTurn.get(c.turn) ?? 0) + 1);
  expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(2);
  expect(perTurn.size).toBeGreaterThanOrEqual(5);
});

it('loses nothing of a connection that sends more while it waits, and forgets one that closed', async () => {
  const server = await serve(new ReadBudget(1));
  closing.push(server.close);
  const sockets = await clients(server.port, 4);
  await waitFor(() => server.accepted.length === 4);
  sockets.forEach((s, i) => s.write(`a${i};`));
  sockets[3]!.destroy(); // its chunk may or may not have been read: nothing waits for it for ever
  sockets[0]!.write('b0;');
  sockets[1]!.write('b1;');
  await waitFor(() => {
    const all = server.text();
    return ['a0;', 'b0;', 'a1;', 'b1;', 'a2;'].every((x) => all.includes(x));
  });
  const all = server.text();
  expect(all.indexOf('a0;')).toBeLessThan(all.indexOf('b0;'));
  expect(all.indexOf('a1;')).toBeLessThan(all.indexOf('b1;'));
});

it('reads a waiting connection at once when a fall arrives behind the upload it holds', async () => {
  let uploads: Socket[] = [];
  let fallSent = false;
  const server = await serve(
    new ReadBudget(1),
    () => true,
    () => {
      if (fallSent) return;
      fallSent = true;
      // The first upload is read; once this turn has read the others' and held them (they wait, one a
      // turn), the last of them sends a fall.
      setImmediate(() => {
        const waiting = uploads.findLastIndex((_, i) => !server.consumed.some((c) => c.text.includes(`w${i}/`)));
        uploads[waiting]!.write(`devices/w${waiting}/events`);
      });
    },
  );
  closing.push(server.close);
  uploads = await clients(server.port, 20);
  await waitFor(() => server.accepted.length === 20);
  uploads.forEach((s, i) => s.write(`devices/w${i}/vitals`));
  await waitFor(() => server.text().split('devices/').length === 22);
  const order = server.consumed.map((c) => c.text);
  // Read in the next turn or so, with the upload it was behind, before most of the waiting uploads.
  const fall = order.findIndex((t) => t.includes('/events'));
  expect(fall).toBeLessThan(3);
  expect(order[fall]).toMatch(/^devices\/w(\d+)\/vitalsdevices\/w\1\/events$/);
});

it('never holds a service connection: it is read in the first turn while devices wait their turns', async () => {
  const server = await serve(new ReadBudget(1), (index) => index < 20);
  closing.push(server.close);
  const devices = await clients(server.port, 20);
  await waitFor(() => server.accepted.length === 20);
  const [service] = await clients(server.port, 1);
  await waitFor(() => server.accepted.length === 21);
  devices.forEach((s, i) => s.write(`devices/w${i}/vitals`));
  service!.write('puback-from-the-ingest'); // last in, behind 20 uploads over a budget of one a turn
  await waitFor(() => server.consumed.length === 21);
  const first = server.consumed[0]!.turn;
  expect(server.consumed.find((c) => c.text === 'puback-from-the-ingest')!.turn).toBe(first);
  expect(server.consumed.filter((c) => c.turn === first && c.text.endsWith('vitals'))).toHaveLength(1);
});

it('reads no device while the router is full but their falls, and every held upload once there is room', async () => {
  let full = true;
  const budget = new ReadBudget(32, { full: () => full });
  const server = await serve(budget, (index) => index < 5);
  closing.push(server.close);
  const devices = await clients(server.port, 5);
  const [service] = await clients(server.port, 1);
  await waitFor(() => server.accepted.length === 6);
  devices.forEach((s, i) => s.write(`devices/w${i}/vitals`));
  service!.write('puback-from-the-ingest');
  await waitFor(() => budget.waiting === 5 && server.consumed.length === 1);
  devices[2]!.write('devices/w2/events'); // the fall comes through, with the upload it was behind
  await waitFor(() => server.consumed.length === 2);
  expect(server.consumed.map((c) => c.text)).toEqual(['puback-from-the-ingest', 'devices/w2/vitalsdevices/w2/events']);
  budget.room(); // still full: the others wait on
  devices[0]!.write('more'); // a new chunk is held behind what the connection holds
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
  expect(server.consumed).toHaveLength(2);
  expect(budget.waiting).toBe(4);
  full = false;
  budget.room();
  await waitFor(() => budget.waiting === 0 && server.text().includes('more'));
  const all = server.text();
  for (const i of [0, 1, 3, 4]) expect(all).toContain(`devices/w${i}/vitals`);
  expect(all.indexOf('devices/w0/vitals')).toBeLessThan(all.indexOf('more'));
});

it('lets a connection past the full gate for its alarms a few times a spell, not for every upload', async () => {
  let full = true;
  const budget = new ReadBudget(32, { full: () => full });
  const server = await serve(budget);
  closing.push(server.close);
  const [device] = await clients(server.port, 1);
  await waitFor(() => server.accepted.length === 1);
  // Every upload says "/events": read at once while there are alarm reads left, then held.
  for (let i = 0; i < ALARM_READS_WHILE_FULL + 2; i += 1) {
    device!.write(`devices/w0/events#${i};`);
    await waitFor(() => server.consumed.length === i + 1 || budget.waiting === 1);
  }
  expect(server.consumed).toHaveLength(ALARM_READS_WHILE_FULL);
  expect(budget.waiting).toBe(1);
  full = false;
  budget.room();
  await waitFor(() => server.text().includes(`#${ALARM_READS_WHILE_FULL + 1};`));
  expect(budget.waiting).toBe(0);
  // A new spell: its alarms go past the gate again.
  full = true;
  device!.write('devices/w0/events#again;');
  await waitFor(() => server.text().includes('#again;'));
});

function waitFor(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (done() ? resolve() : setTimeout(check, 5));
    check();
  });
}
