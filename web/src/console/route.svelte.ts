/**
 * The console's views, in the URL fragment: `#/` (patients and alerts), `#/patient/{id}`,
 * `#/setup/{id}` (a patient's set-up: identity, watches, escalation, thresholds, invitations),
 * `#/tokens` (the member's personal API tokens) and `#/admin/{section}` (running the organisation;
 * `#/access-log` is the old address of its access log).
 */
export const ADMIN_SECTIONS = ['patients', 'staff', 'teams', 'systems', 'changes', 'reads'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

export type Route =
  | { view: 'list' }
  | { view: 'patient'; patientId: string }
  | { view: 'setup'; patientId: string }
  | { view: 'tokens' }
  | { view: 'admin'; section: AdminSection };

export function parseRoute(hash: string): Route {
  if (hash === '#/tokens') return { view: 'tokens' };
  if (hash === '#/access-log') return { view: 'admin', section: 'reads' };
  const admin = /^#\/admin\/(\w+)$/.exec(hash);
  const section = ADMIN_SECTIONS.find((s) => s === admin?.[1]);
  if (section) return { view: 'admin', section };
  const m = /^#\/(patient|setup)\/([\w-]{1,100})$/.exec(hash);
  if (m) return { view: m[1] === 'setup' ? 'setup' : 'patient', patientId: m[2]! };
  return { view: 'list' };
}

class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
  }
}

export const router = new Router();

/** The alert feed's element on the list view, where the alarm banner's "and N more" line leads. */
export const FEED_ID = 'alert-feed';
