/**
 * Colleagues of the benchmarked clinician who have patients open: one live-channel socket, signed in
 * with the same session, subscribed to each of those patients as a patient page is. That makes each
 * of them a viewer of live mode (web/live-mode.ts), so the web service commands their watches to send
 * each reading as it is taken, and the console under measurement sees those patients stream. Every
 * server message is parsed with the channel's own schema.
 */
import WebSocket from 'ws';
import { liveServerMessageSchema } from '../../../web/api/live.ts';

/** The channel allows 10 messages a second (burst 40) before closing a socket: stay under it. */
const SUBSCRIBE_EVERY_MS = 125;

export class LiveViewers {
  readonly #ws: WebSocket;
  readonly #live = new Set<string>();
  readonly #samples = new Map<string, number>();
  readonly #patients: ReadonlySet<string>;

  private constructor(ws: WebSocket, patients: readonly string[]) {
    this.#ws = ws;
    this.#patients = new Set(patients);
    ws.on('message', (data: Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      const m = liveServerMessageSchema.safeParse(json);
      if (!m.success) return;
      if (m.data.type === 'mode' && this.#patients.has(m.data.patientId)) {
        if (m.data.live) this.#live.add(m.data.patientId);
        else this.#live.delete(m.data.patientId);
      }
      if (m.data.type === 'batch') {
        for (const e of m.data.events) {
          if (e.type === 'vitals' && this.#patients.has(e.patientId))
            this.#samples.set(e.patientId, (this.#samples.get(e.patientId) ?? 0) + e.samples.length);
        }
      }
    });
  }

  /** Opens the socket with the browser's session cookies and subscribes to each patient, paced. */
  static async open(webUrl: string, cookie: string, patients: readonly string[]): Promise<LiveViewers> {
    const ws = new WebSocket(`${webUrl.replace(/^http/, 'ws')}/api/live`, { headers: { cookie, origin: webUrl } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`live socket refused: ${res.statusCode}`)));
    });
    const viewers = new LiveViewers(ws, patients);
    for (const patientId of patients) {
      ws.send(JSON.stringify({ type: 'subscribe', patientId }));
      await new Promise((r) => setTimeout(r, SUBSCRIBE_EVERY_MS));
    }
    return viewers;
  }

  /** Patients the web service has put in live mode (its `mode` messages). */
  get live(): number {
    return this.#live.size;
  }

  /** Readings of the watched patients received so far (in live mode, one per patient per second). */
  get samples(): number {
    let n = 0;
    for (const s of this.#samples.values()) n += s;
    return n;
  }

  close(): void {
    this.#ws.close();
  }
}
