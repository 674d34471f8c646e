/**
 * A relative's state, live: a snapshot from the server, then the changes over the live channel
 * (WebSocket /api/live, session cookie). On a drop it reconnects with backoff and subscribes again;
 * the server answers with a fresh snapshot, so nothing that happened meanwhile is missed.
 */
import type { AlertView } from '../../../common/alert-api.ts';
import type { LiveMessage } from '../../api/live.ts';
import type { FamilyOverview, LiveSample } from '../../api/schemas.ts';
import type { ErrorCode } from '../../../common/errors.ts';
import { READING_NAMES } from '../../../devices/limits.ts';
import { connectLive, type LiveConnection } from '../lib/live-connection.ts';

const MAX_RECENT = 720;

export class RelativeLive {
  overview = $state<FamilyOverview | undefined>();
  connected = $state(false);
  /** Why the live channel refused this patient (a code the page translates). */
  error = $state<ErrorCode | undefined>();
  readonly #patientId: string;
  readonly #connection: LiveConnection;

  constructor(patientId: string) {
    this.#patientId = patientId;
    this.#connection = connectLive(patientId, {
      message: (m) => this.#message(m),
      status: (c) => (this.connected = c),
    });
  }

  close(): void {
    this.#connection.close();
  }

  /** Replaces one alert (after the person acted on it, before the live echo arrives). */
  applyAlert(alert: AlertView): void {
    if (!this.overview) return;
    const others = this.overview.alerts.filter((a) => a.id !== alert.id);
    this.overview = { ...this.overview, alerts: alert.closedAt === null ? [...others, alert] : others };
  }

  #message(m: LiveMessage): void {
    if (m.type === 'error') {
      this.error = m.code;
      return;
    }
    if (m.type === 'subscribed' || m.patientId !== this.#patientId) return;
    if (m.type === 'snapshot') {
      // A relative's snapshot is the family overview (the console's row is for the care team).
      if ('relation' in m.overview) this.overview = m.overview;
      this.error = undefined;
      return;
    }
    const o = this.overview;
    if (!o) return;
    switch (m.type) {
      case 'presence':
        this.overview = {
          ...o,
          presence: { online: m.online, battery: m.battery ?? o.presence.battery, lastSeen: m.lastSeen },
        };
        break;
      case 'vitals':
        this.overview = {
          ...o,
          presence: {
            ...o.presence,
            online: true,
            lastSeen: Date.now(),
            battery: lastBattery(m.samples) ?? o.presence.battery,
          },
          vitals: o.vitals && merge(o.vitals, m.samples),
        };
        break;
      case 'alert':
        this.applyAlert(m.alert);
        break;
      case 'call':
        this.overview = {
          ...o,
          call: { roomId: m.roomId, startedAt: m.startedAt, expiresAt: m.expiresAt, caller: m.caller },
        };
        break;
    }
  }
}

function lastBattery(samples: readonly LiveSample[]): number | undefined {
  return samples.findLast((s) => s.battery !== undefined)?.battery;
}

function merge(
  vitals: NonNullable<FamilyOverview['vitals']>,
  samples: readonly LiveSample[],
): NonNullable<FamilyOverview['vitals']> {
  const latest = { ...vitals.latest };
  for (const s of samples) {
    for (const k of READING_NAMES) {
      const value = s[k];
      if (value !== undefined && (latest[k]?.ts ?? 0) <= s.ts) latest[k] = { value, ts: s.ts };
    }
  }
  return {
    latest,
    recent: [...vitals.recent, ...samples.map((s) => ({ ts: s.ts, hr: s.hr, spo2: s.spo2 }))].slice(-MAX_RECENT),
  };
}
