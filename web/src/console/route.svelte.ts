/**
 * The console's views, in the URL fragment: `#/` (patients and alerts), `#/patient/{id}`, and
 * `#/tokens` (the member's personal API tokens), `#/access-log` (who read which record: administrators).
 */
export type Route =
  { view: 'list' } | { view: 'patient'; patientId: string } | { view: 'tokens' } | { view: 'access-log' };

export function parseRoute(hash: string): Route {
  if (hash === '#/tokens') return { view: 'tokens' };
  if (hash === '#/access-log') return { view: 'access-log' };
  const m = /^#\/patient\/([\w-]{1,100})$/.exec(hash);
  return m ? { view: 'patient', patientId: m[1]! } : { view: 'list' };
}

class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
  }
}

export const router = new Router();
