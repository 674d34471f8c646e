/** The web service's Pro Santé Connect variables: all three, or none (PSC sign-in off). */
import type { z } from 'zod';

const PSC_VARIABLES = ['PSC_DISCOVERY_URL', 'PSC_CLIENT_ID', 'PSC_CLIENT_SECRET'] as const;

export function checkPscEnv(env: Partial<Record<(typeof PSC_VARIABLES)[number], string>>, ctx: z.RefinementCtx): void {
  const set = PSC_VARIABLES.filter((v) => env[v] !== undefined);
  if (set.length === 0 || set.length === PSC_VARIABLES.length) return;
  for (const v of PSC_VARIABLES.filter((x) => env[x] === undefined)) {
    ctx.addIssue({ code: 'custom', path: [v], message: `is required with ${set.join(', ')} (Pro Santé Connect)` });
  }
}
