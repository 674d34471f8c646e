/**
 * The console's live picture of every patient of the care team. The socket subscribes to all of
 * them ('*'); the list is then loaded over HTTP (which also catches up after a reconnection). Events
 * are applied to plain objects at once, and published to the page at most once per animation frame,
 * so that a thousand patients updating every second do not re-render a thousand times a second.
 */
import type { AlertView } from '../../../common/alert-api.ts';
import type { LiveMessage } from '../../api/live.ts';
import { ROUTES } from '../../api/routes.ts';
import type { ConsoleRow, IdentityView, LiveSample } from '../../api/schemas.ts';
import type { ErrorCode } from '../../../common/errors.ts';
import { ApiError, call, type ClientErrorCode } from '../lib/api.ts';
import { READING_NAMES } from '../../../devices/limits.ts';
import { StableOrder } from './order.ts';
import { i18n } from '../lib/lang.svelte.ts';
import { News2Window } from '../../../ingest/rules/news2-window.ts';
import { addReadings, news2Of } from '../../news2-view.ts';
import { connectLive, type LiveConnection } from '../lib/live-connection.ts';

type Row = ConsoleRow & { updatedAt: number };

const VITALS_REFRESH_MS = 500;
/** How often bands that have held long enough are looked for when no reading comes (order.ts). */
const SETTLE_EVERY_MS = 5000;

export class ConsoleLive {
  /** Sorted (order.ts): most severe open alert, then the NEWS2 band once it has held, then name. */
  rows = $state.raw<Row[]>([]);
  connected = $state(false);
  loaded = $state(false);
  /** Why the list could not be loaded or followed (a code the page translates). */
  error = $state<{ code: ErrorCode | ClientErrorCode; params: Record<string, string | number> } | undefined>();
  /** Called with each alert change as it is applied (the alert feed, the latency benchmark). */
  onAlert: ((alert: AlertView) => void) | undefined;
  readonly #byId = new Map<string, Row>();
  readonly #connection: LiveConnection;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Ids in display order; sorted again only when what the order depends on changed. */
  #order: string[] = [];
  #resort = true;
  /** Each patient's recent readings, from which NEWS2 is scored as they arrive. */
  readonly #news2Windows = new Map<string, News2Window>();
  readonly #stable = new StableOrder(() => Date.now());
  readonly #settle: ReturnType<typeof setInterval>;
  /**
   * The events received while each list load is on its way: the list may have been read before them
   * (a patient who became live, an alert raised meanwhile), so they are applied again on top of it.
   */
  readonly #duringLoads = new Set<LiveMessage[]>();

  /** `only`: follow a single patient (the call page's panel) instead of the whole team ('*'). */
  constructor(only?: string) {
    this.#connection = connectLive(only ?? '*', {
      message: (m) => this.#message(m),
      status: (c) => (this.connected = c),
    });
    this.#settle = setInterval(() => {
      if (!this.#stable.settle()) return;
      this.#resort = true;
      this.#publish();
    }, SETTLE_EVERY_MS);
  }

  close(): void {
    this.#connection.close();
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    clearInterval(this.#settle);
  }

  row(id: string): Row | undefined {
    return this.#byId.get(id);
  }

  /** Applies an alert the person just acted on, before its echo from the server. */
  applyAlert(alert: AlertView, names: Record<string, string> = {}): void {
    this.#alert(alert, names);
    this.#publish();
  }

  /** Shows the identity the person just recorded (the live channel does not resend it). */
  applyIdentity(patientId: string, identity: IdentityView): void {
    const r = this.#byId.get(patientId);
    if (!r) return;
    this.#byId.set(patientId, { ...r, identity, updatedAt: Date.now() });
    this.#publish();
  }

  async reload(): Promise<void> {
    const during: LiveMessage[] = [];
    this.#duringLoads.add(during);
    try {
      const { patients } = await call(ROUTES.patients, {});
      this.#byId.clear();
      for (const p of patients) {
        this.#byId.set(p.id, { ...p, updatedAt: Date.now() });
        this.#stable.observe(p.id, p.news2);
      }
      this.#stable.retain(new Set(this.#byId.keys()));
      this.loaded = true;
      this.error = undefined;
      this.#resort = true;
      this.#publish();
    } catch (e) {
      this.error =
        e instanceof ApiError ? { code: e.code, params: { ...e.params } } : { code: 'unexpected_answer', params: {} };
    } finally {
      this.#duringLoads.delete(during);
      // Each sets a state (a reading by its time, an alert by its id), so applying one twice is harmless.
      for (const m of during) this.#apply(m, false);
    }
  }

  #message(m: LiveMessage): void {
    if (m.type !== 'subscribed' && m.type !== 'error') for (const during of this.#duringLoads) during.push(m);
    this.#apply(m, true);
  }

  /** `fresh`: as it arrives (not applied again after a load), so that it is announced once. */
  #apply(m: LiveMessage, fresh: boolean): void {
    switch (m.type) {
      case 'snapshot':
        // A member of the care team's snapshot is the console's row.
        if (!('news2Options' in m.overview)) return;
        this.#byId.set(m.patientId, { ...m.overview, updatedAt: Date.now() });
        this.#stable.observe(m.patientId, m.overview.news2);
        this.loaded = true;
        this.#resort = true;
        this.#publish();
        return;
      case 'subscribed':
        void this.reload(); // subscribed first, then the list: nothing falls in between
        return;
      case 'vitals': {
        const r = this.#byId.get(m.patientId);
        if (!r) return;
        const latest = { ...r.latest };
        let battery = r.presence.battery;
        for (const s of m.samples) {
          merge(latest, s);
          if (s.battery !== undefined) battery = s.battery;
        }
        const news2 = news2Of(addReadings(this.#news2Window(r), m.samples), r.news2Options, Date.now());
        if (this.#stable.observe(r.id, news2)) this.#resort = true;
        this.#byId.set(r.id, {
          ...r,
          latest,
          news2,
          presence: { online: true, lastSeen: Date.now(), battery },
          updatedAt: Date.now(),
        });
        this.#publishSoon();
        return;
      }
      case 'presence': {
        const r = this.#byId.get(m.patientId);
        if (r)
          this.#byId.set(r.id, {
            ...r,
            presence: { online: m.online, lastSeen: m.lastSeen, battery: m.battery ?? r.presence.battery },
            updatedAt: Date.now(),
          });
        this.#publishSoon();
        return;
      }
      case 'alert':
        this.#alert(m.alert, m.names);
        if (fresh) this.onAlert?.(m.alert);
        break;
      case 'error':
        this.error = { code: m.code, params: {} };
        return;
      case 'mode': {
        const r = this.#byId.get(m.patientId);
        if (r) this.#byId.set(r.id, { ...r, live: m.live, updatedAt: Date.now() });
        break;
      }
      case 'call':
        return;
      default:
        return;
    }
    this.#publish();
  }

  /** A patient's NEWS2 window, with the latest readings the list gave (after a reload: those missed). */
  #news2Window(row: ConsoleRow): News2Window {
    let window = this.#news2Windows.get(row.id);
    if (!window) this.#news2Windows.set(row.id, (window = new News2Window()));
    return addReadings(window, [], row.latest);
  }

  #alert(alert: AlertView, names: Record<string, string>): void {
    const r = this.#byId.get(alert.patientId);
    if (!r) return;
    const others = r.alerts.filter((a) => a.id !== alert.id);
    this.#byId.set(r.id, {
      ...r,
      alerts: alert.closedAt === null ? [...others, alert] : others,
      names: { ...r.names, ...names },
      updatedAt: Date.now(),
    });
    this.#resort = true;
  }

  /** Alerts and loads: on the next frame. */
  #publish(): void {
    if (this.#frame) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      if (this.#resort) {
        this.#order = this.#stable.sort(this.#byId.values(), i18n.lang).map((r) => r.id);
        this.#resort = false;
      }
      this.rows = this.#order.map((id) => this.#byId.get(id)!);
    });
  }

  /** Readings and presence (every patient, every second): a few times a second is enough to read them. */
  #publishSoon(): void {
    if (this.#frame || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#publish();
    }, VITALS_REFRESH_MS);
  }
}

function merge(latest: Row['latest'] & Record<string, { value: number; ts: number } | undefined>, s: LiveSample): void {
  for (const k of READING_NAMES) {
    const value = s[k];
    if (value !== undefined && (latest[k]?.ts ?? 0) <= s.ts) latest[k] = { value, ts: s.ts };
  }
}
