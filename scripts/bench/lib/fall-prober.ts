/**
 * The falls a benchmark times, raised and watched from a process of their own
 * (fall-prober-child.ts): the watches that raise them, the signed-in clinician's live channel and
 * the broker-side observer of alert changes (AlertsOnBroker).
 *
 * Why a process of their own: the load generator simulates 19,000 watches in one Node process. Under
 * the fleet's overload its event loop ran up to 0.7 s late (p99 0.23 s), and a fall timed there
 * carried that delay, which is the simulation's, not Vigie's: a real watch, and the clinician's
 * browser, each have a processor of their own. The prober's loop is idle between falls. It still
 * runs on this machine's cores, as every process of the benchmark does, and reports its own
 * event-loop delay so that a late prober would show.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Credentials, Target } from './load.ts';

export interface ProberInit {
  readonly target: Target;
  readonly raisers: ReadonlyArray<Credentials & { readonly patientId: string }>;
  readonly connectRate: number;
  /** The broker-side observer's account (a service of the `web` role). */
  readonly observer: { readonly username: string; readonly password: string };
  /** The web service, and the clinician's session cookies. */
  readonly webUrl: string;
  readonly cookie: string;
  /** How long a fall may take before it counts as not seen (ms). */
  readonly missedMs: number;
}

/** One fall: publish → clinician's socket (ms, undefined: not seen in time), and where its time went. */
export interface ProbeResult {
  readonly ms?: number;
  /** publish → PUBACK, PUBACK → alert change on the broker, → clinician's socket (ms), when all were seen. */
  readonly stages?: { readonly acked: number; readonly onBroker: number; readonly inSocket: number };
}

export type ProberRequest =
  | { readonly type: 'init'; readonly init: ProberInit }
  | { readonly type: 'probe'; readonly id: number; readonly raiser: number }
  | { readonly type: 'loop'; readonly id: number };
export type ProberReply =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'probe'; readonly id: number; readonly result: ProbeResult }
  | { readonly type: 'loop'; readonly id: number; readonly p99Ms: number; readonly maxMs: number };

export class FallProber {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: ProberReply) => void>();
  #nextId = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: ProberReply) => {
      if (!('id' in reply)) return;
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
  }

  /** Starts the prober and connects its watches (before the fleet's, so that each gets a connection). */
  static async start(init: ProberInit): Promise<FallProber> {
    const child = fork(join(import.meta.dirname, 'fall-prober-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const first = once(child, 'message') as Promise<[ProberReply]>;
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the fall prober exited (${String(code)}) before it was ready`);
    });
    child.send({ type: 'init', init } satisfies ProberRequest);
    const [reply] = await Promise.race([first, exited]);
    if (reply.type !== 'ready') {
      child.kill();
      throw new Error(`the fall prober failed: ${reply.type === 'failed' ? reply.error : reply.type}`);
    }
    return new FallProber(child);
  }

  /** Raises a fall on the `raiser`-th watch and times it. */
  probe(raiser: number): Promise<ProbeResult> {
    return this.#ask({ type: 'probe', raiser }).then((r) => (r.type === 'probe' ? r.result : {}));
  }

  /** The prober's event-loop delay since the last call (ms). */
  loopDelay(): Promise<{ p99Ms: number; maxMs: number }> {
    return this.#ask({ type: 'loop' }).then((r) =>
      r.type === 'loop' ? { p99Ms: r.p99Ms, maxMs: r.maxMs } : { p99Ms: Number.NaN, maxMs: Number.NaN },
    );
  }

  close(): void {
    this.#child.kill();
  }

  #ask(request: { type: 'probe'; raiser: number } | { type: 'loop' }): Promise<ProberReply> {
    const id = (this.#nextId += 1);
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#child.send({ ...request, id } satisfies ProberRequest);
    });
  }
}
