/** The console's two views, in the URL fragment: `#/` (patients and alerts) and `#/patient/{id}`. */
export type Route = { view: 'list' } | { view: 'patient'; patientId: string };

export function parseRoute(hash: string): Route {
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
