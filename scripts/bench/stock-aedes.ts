/** Stock aedes for the broker comparison: default (in-memory) persistence, no authentication, default sockets. */
import { Aedes } from 'aedes';
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(port, '127.0.0.1', () => process.stdout.write(`stock aedes listening on ${port}\n`));
process.once('SIGTERM', () => aedes.close(() => server.close(() => process.exit(0))));
