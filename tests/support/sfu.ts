/** The real SFU (mediasoup workers, signalling WebSocket) on a free loopback port, for a test. */
import WebSocket from 'ws';
import { createLogger, type Logger } from '../../common/log.ts';
import { SfuServer, SIGNAL_PATH } from '../../sfu/server.ts';
import { CallTokens } from '../../sfu/tokens.ts';
import { SignallingClient, type SocketLike } from '../../web/src/lib/signalling.ts';
import { newSeat } from '../../web/src/lib/seat.ts';
import type { ResponseData, Role, RoomPresence } from '../../sfu/protocol.ts';
import type { SignallingLimits } from '../../sfu/signalling-limits.ts';

export interface TestSfu {
  readonly server: SfuServer;
  readonly url: string;
  readonly secret: string;
  /** Signs an invitation for this SFU. */
  invite(
    roomId: string,
    role: Role,
    options?: { ttlSeconds?: number; participantId?: string; displayName?: string },
  ): Promise<string>;
  /** A signalling connection, as a page would open it. */
  open(): Promise<SignallingClient>;
  /** How many connections were refused or closed for `reason`, or for any reason (the SFU's own counter). */
  refusals(reason?: string): Promise<number>;
  stop(): Promise<void>;
}

/** Joins as a page of its own tab would (a fresh seat unless one is given). */
export function join(
  client: SignallingClient,
  roomId: string,
  token: string,
  seat: string = newSeat(),
): Promise<ResponseData['join']> {
  return client.request('join', { roomId, token, seat });
}

export async function startTestSfu(
  options: {
    workers?: number;
    maxParticipants?: number;
    maxParticipantsPerWorker?: number;
    signalling?: Partial<SignallingLimits>;
    clock?: () => number;
    logger?: Logger;
    /** Where the SFU reports who is in each room (sfu/presence-report.ts); none by default. */
    onPresence?: (presence: RoomPresence) => void;
  } = {},
): Promise<TestSfu> {
  const secret = CallTokens.randomSecret();
  const server = await SfuServer.create({
    host: '127.0.0.1',
    port: 0,
    workers: options.workers ?? 1,
    network: { listenIp: '127.0.0.1', announcedIp: undefined, rtcMinPort: 40_000, rtcMaxPort: 49_999 },
    secret,
    limits: {
      maxParticipants: options.maxParticipants ?? 6,
      maxParticipantsPerWorker: options.maxParticipantsPerWorker ?? 100,
    },
    logger: options.logger ?? createLogger('sfu', process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...(options.signalling ? { signalling: options.signalling } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onPresence ? { onPresence: options.onPresence } : {}),
  });
  await server.listen();
  const url = `ws://127.0.0.1:${server.port}${SIGNAL_PATH}`;
  const clients: SignallingClient[] = [];
  return {
    server,
    url,
    secret,
    async invite(roomId, role, o = {}) {
      const { token } = await server.tokens.issueCall({
        roomId,
        role,
        displayName: o.displayName ?? role,
        patientId: 'p-test',
        ttlSeconds: o.ttlSeconds ?? 600,
        ...(o.participantId ? { participantId: o.participantId } : {}),
      });
      return token;
    },
    async open() {
      const client = await SignallingClient.open(url, (u) => new WebSocket(u) as unknown as SocketLike);
      clients.push(client);
      return client;
    },
    async refusals(reason) {
      const counter = await server.metrics.getSingleMetric('vigie_sfu_connections_refused_total')?.get();
      return (counter?.values ?? [])
        .filter((v) => reason === undefined || v.labels.reason === reason)
        .reduce((sum, v) => sum + v.value, 0);
    },
    async stop() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}
