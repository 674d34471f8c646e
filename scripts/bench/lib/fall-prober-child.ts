/** The fall prober's process (fall-prober.ts): started by FallProber.start, driven over IPC. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { deviceTopic } from '../../../devices/topics.ts';
import type { LeanMqttConnection } from '../../../simulators/lean-client.ts';
import { AlertsOnBroker } from './alert-stages.ts';
import type { ProberInit, ProberReply, ProberRequest, ProbeResult } from './fall-prober.ts';
import { connectAll } from './load.ts';

const reply = (message: ProberReply) => process.send!(message);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

let init: ProberInit;
let raisers: LeanMqttConnection[] = [];
let observer: AlertsOnBroker;
/** When each patient's first fall alert reached the clinician's socket, and who waits for it. */
const arrived = new Map<string, number>();
const waiting = new Map<string, () => void>();

async function start(i: ProberInit): Promise<void> {
  init = i;
  observer = await AlertsOnBroker.signIn(
    `mqtt://${i.target.host}:${i.target.port}`,
    i.observer.username,
    i.observer.password,
  );
  const live = new WebSocket(`${i.webUrl.replace('http', 'ws')}/api/live`, {
    headers: { cookie: i.cookie, origin: i.webUrl },
  });
  await new Promise((resolve, reject) => live.once('open', resolve).once('error', reject));
  live.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string; patientId?: string; alert?: { kind: string } };
    if (m.type !== 'alert' || m.alert?.kind !== 'fall' || !m.patientId || arrived.has(m.patientId)) return;
    arrived.set(m.patientId, Date.now());
    waiting.get(m.patientId)?.();
  });
  live.send(JSON.stringify({ type: 'subscribe', patientId: '*' }));
  const { connections, ramp } = await connectAll(i.target, i.raisers, { rate: i.connectRate });
  if (connections.length < i.raisers.length)
    throw new Error(
      `only ${connections.length} of ${i.raisers.length} alert watches connected: ${JSON.stringify(ramp.failures)}`,
    );
  raisers = connections;
}

async function probe(index: number): Promise<ProbeResult> {
  const r = init.raisers[index]!;
  const sent = Date.now();
  let ackedAt: number | undefined;
  const seen = new Promise<void>((resolve) => {
    waiting.set(r.patientId, resolve);
    setTimeout(resolve, init.missedMs);
  });
  raisers[index]!.publish(
    deviceTopic(r.deviceId, 'events'),
    JSON.stringify({ ts: sent, seq: 1, type: 'fall', confidence: 0.9 }),
    1,
    () => (ackedAt = Date.now()),
  );
  await seen;
  waiting.delete(r.patientId);
  const at = arrived.get(r.patientId);
  if (at === undefined) return {};
  const onBroker = observer.at(r.patientId);
  return {
    ms: at - sent,
    ...(ackedAt !== undefined && onBroker !== undefined
      ? { stages: { acked: ackedAt - sent, onBroker: onBroker - ackedAt, inSocket: at - onBroker } }
      : {}),
  };
}

process.on('message', (request: ProberRequest) => {
  if (request.type === 'init')
    start(request.init).then(
      () => reply({ type: 'ready' }),
      (error: unknown) => reply({ type: 'failed', error: String(error) }),
    );
  else if (request.type === 'probe')
    void probe(request.raiser).then((result) => reply({ type: 'probe', id: request.id, result }));
  else {
    reply({
      type: 'loop',
      id: request.id,
      p99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
      maxMs: Math.round(loop.max / 1e5) / 10,
    });
    loop.reset();
  }
});
process.on('disconnect', () => process.exit(0));
